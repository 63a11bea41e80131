// Package media turns image sources (object storage paths) into WeChat media_ids, uploading
// each image once and reusing its media_id while WeChat keeps it.
//
// A Cache is a warm cache, one per process, safe for concurrent use. It keys each media_id by
// the source and its version (the storage ETag, or a hash of the content when storage gives no
// ETag). Within Revalidate of the last check it answers from memory with no storage call;
// after that it makes a conditional read, keeping the media_id when the object is unchanged
// and uploading again when it changed. A media_id older than TTL (60 hours by default; WeChat
// keeps temporary media 3 days) is uploaded again. Concurrent requests for one source share
// one read and one upload. A failure caches nothing.
package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kefuhq/kefu/pkg/store"
	"github.com/kefuhq/kefu/pkg/wxapi"
)

// Defaults of Options.
const (
	// DefaultTTL is how long a media_id is reused (KEFU_MEDIA_TTL): 60 hours, well inside the
	// 3 days WeChat keeps temporary media.
	DefaultTTL = 60 * time.Hour
	// DefaultRevalidate is how long a cached entry is trusted before storage is asked again.
	DefaultRevalidate = 60 * time.Second
	// mediaLife is how long WeChat keeps a temporary media_id; TTL must be shorter.
	mediaLife = 72 * time.Hour
)

// Options configures a Cache. Upload and Fetch are required.
type Options struct {
	// Upload uploads an image and returns its media_id: (*wxapi.Client).UploadImage.
	Upload func(ctx context.Context, filename, contentType string, data []byte) (string, error)
	// Fetch reads a source; with ifNoneMatch set it returns an error matching
	// store.ErrNotModified when the object still has that ETag: (*store.Store).Get.
	Fetch func(ctx context.Context, src, ifNoneMatch string) (*store.Object, error)
	// TTL is how long a media_id is reused: DefaultTTL unless set; it must be under 72 hours.
	TTL time.Duration
	// Revalidate is how long an entry is trusted before a conditional Fetch: DefaultRevalidate
	// unless set.
	Revalidate time.Duration
	// Now tells the time; time.Now unless set.
	Now func() time.Time
	// Logger receives a warning when storage fails and a cached media_id is used unchecked.
	// Nil discards.
	Logger *slog.Logger
}

// Cache maps image sources to media_ids. It is a warm cache, safe for concurrent use: create
// one per process and keep it. It holds no image bytes, only the media_ids and versions.
type Cache struct {
	upload     func(ctx context.Context, filename, contentType string, data []byte) (string, error)
	fetch      func(ctx context.Context, src, ifNoneMatch string) (*store.Object, error)
	ttl        time.Duration
	revalidate time.Duration
	now        func() time.Time
	log        *slog.Logger

	mu      sync.Mutex
	entries map[string]entry
	flights map[string]*flight
}

// entry is the media_id of one version of a source.
type entry struct {
	mediaID  string
	version  string    // the ETag, or "sha256:..." of the content
	etag     string    // the ETag storage gave, for conditional reads; may be empty
	uploaded time.Time // when the upload started: the media_id is at most this old
	checked  time.Time // when storage last confirmed the version
}

// flight is a fetch-and-upload that concurrent callers for one source share.
type flight struct {
	done    chan struct{}
	mediaID string
	err     error
}

// New returns a Cache.
func New(opt Options) (*Cache, error) {
	if opt.Upload == nil || opt.Fetch == nil {
		return nil, errors.New("media: Options.Upload and Options.Fetch are required")
	}
	c := &Cache{
		upload:     opt.Upload,
		fetch:      opt.Fetch,
		ttl:        opt.TTL,
		revalidate: opt.Revalidate,
		now:        opt.Now,
		log:        opt.Logger,
		entries:    make(map[string]entry),
		flights:    make(map[string]*flight),
	}
	if c.ttl == 0 {
		c.ttl = DefaultTTL
	}
	if c.ttl < 0 || c.ttl >= mediaLife {
		return nil, fmt.Errorf("media: TTL %v: must be positive and under %v, which is when WeChat drops a media_id", opt.TTL, mediaLife)
	}
	if c.revalidate == 0 {
		c.revalidate = DefaultRevalidate
	}
	if c.revalidate < 0 {
		return nil, fmt.Errorf("media: Revalidate %v: must not be negative", opt.Revalidate)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// MediaID returns a media_id for the image at src, uploading it if the cache has none for its
// current version. Errors come from Fetch (wrapped with the source), from wxapi.CheckImage
// (matching wxapi.ErrImageRefused: the image is not one WeChat takes) or from Upload.
func (c *Cache) MediaID(ctx context.Context, src string) (string, error) {
	return c.get(ctx, src, "")
}

// Do runs fn with a media_id for src. If fn's error matches wxapi.ErrInvalidMedia (40007: the
// media_id expired or is unknown), Do drops that media_id, uploads the image again once and
// calls fn once more with the new one.
func (c *Cache) Do(ctx context.Context, src string, fn func(mediaID string) error) error {
	id, err := c.MediaID(ctx, src)
	if err != nil {
		return err
	}
	err = fn(id)
	if !errors.Is(err, wxapi.ErrInvalidMedia) {
		return err
	}
	c.forget(src, id)
	id, err = c.get(ctx, src, id)
	if err != nil {
		return err
	}
	return fn(id)
}

// forget drops the entry of src if it still holds mediaID.
func (c *Cache) forget(src, mediaID string) {
	c.mu.Lock()
	if e, ok := c.entries[src]; ok && e.mediaID == mediaID {
		delete(c.entries, src)
	}
	c.mu.Unlock()
}

// get is MediaID, never returning bad (a media_id WeChat refused): a cached or shared result
// equal to bad makes it upload again.
func (c *Cache) get(ctx context.Context, src, bad string) (string, error) {
	for {
		c.mu.Lock()
		now := c.now()
		e, cached := c.entries[src]
		usable := cached && e.mediaID != bad && now.Sub(e.uploaded) < c.ttl
		if usable && now.Sub(e.checked) < c.revalidate {
			c.mu.Unlock()
			return e.mediaID, nil
		}
		if f := c.flights[src]; f != nil {
			c.mu.Unlock()
			select {
			case <-f.done:
				if f.err != nil && ctx.Err() == nil && isContextError(f.err) {
					continue // the caller that ran it gave up; run our own
				}
				if f.err == nil && bad != "" && f.mediaID == bad {
					continue // it started before the media_id was refused
				}
				return f.mediaID, f.err
			case <-ctx.Done():
				return "", fmt.Errorf("media: %s: %w", src, ctx.Err())
			}
		}
		f := &flight{done: make(chan struct{})}
		c.flights[src] = f
		c.mu.Unlock()
		var prev *entry
		if usable {
			prev = &e
		}
		c.run(ctx, src, prev, f)
		return f.mediaID, f.err
	}
}

// run fills flight f for src: it revalidates prev (an entry still within TTL) or reads and
// uploads the image, updates the cache on success, and releases f's waiters.
func (c *Cache) run(ctx context.Context, src string, prev *entry, f *flight) {
	f.err = fmt.Errorf("media: %s: did not finish", src)
	var next *entry      // the entry to store, if any
	drop := false        // forget the entry: the object is gone
	revalidated := false // next is prev confirmed, not a new upload
	defer func() {
		c.mu.Lock()
		delete(c.flights, src)
		switch {
		case next != nil && revalidated:
			// Confirm prev only if it is still there: Do may have dropped it as refused.
			if cur, ok := c.entries[src]; ok && cur.mediaID == next.mediaID {
				c.entries[src] = *next
			}
		case next != nil:
			c.entries[src] = *next
		case drop:
			delete(c.entries, src)
		}
		c.mu.Unlock()
		close(f.done)
	}()

	start := c.now()
	var obj *store.Object
	var err error
	if prev != nil {
		obj, err = c.fetch(ctx, src, prev.etag)
		switch {
		case errors.Is(err, store.ErrNotModified) && prev.etag != "":
			e := *prev
			e.checked = start
			next, revalidated, f.mediaID, f.err = &e, true, e.mediaID, nil
			return
		case errors.Is(err, store.ErrNotFound):
			drop = true
		case err != nil && ctx.Err() == nil:
			// Storage is failing, but the media_id is still good: a reply is better than
			// silence. The entry stays unchecked, so the next request asks storage again.
			c.log.LogAttrs(ctx, slog.LevelWarn, "media: storage failed, using the cached media_id",
				slog.String("source", src), slog.String("error", err.Error()))
			f.mediaID, f.err = prev.mediaID, nil
			return
		}
	} else {
		obj, err = c.fetch(ctx, src, "")
	}
	if err == nil && obj == nil {
		err = errors.New("storage returned no object")
	}
	if err != nil {
		f.err = fmt.Errorf("media: %s: %w", src, err)
		return
	}
	version := obj.ETag
	if version == "" {
		sum := sha256.Sum256(obj.Body)
		version = "sha256:" + hex.EncodeToString(sum[:])
	}
	if prev != nil && version == prev.version {
		e := *prev
		e.etag, e.checked = obj.ETag, start
		next, revalidated, f.mediaID, f.err = &e, true, e.mediaID, nil
		return
	}
	ct, ext, err := wxapi.CheckImage(obj.Body)
	if err != nil {
		f.err = fmt.Errorf("media: %s: %w", src, err)
		return
	}
	id, err := c.upload(ctx, filenameFor(src, ext), ct, obj.Body)
	if err != nil {
		f.err = fmt.Errorf("media: %s: upload: %w", src, err)
		return
	}
	next = &entry{mediaID: id, version: version, etag: obj.ETag, uploaded: start, checked: start}
	f.mediaID, f.err = id, nil
}

// isContextError reports whether err comes from a context ending.
func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
