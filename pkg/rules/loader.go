package rules

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kefuhq/kefu/pkg/store"
)

// Default intervals between checks for a changed rules file.
const (
	// DefaultRefresh is how often remote rules (s3://, https://) are checked (KEFU_RULES_REFRESH).
	DefaultRefresh = 60 * time.Second
	// DefaultLocalRefresh is how often a local file is checked: a stat, so an edit is served
	// within about a second.
	DefaultLocalRefresh = time.Second
)

// Fetcher reads the object at src, or returns an error matching store.ErrNotModified when
// its ETag is still ifNoneMatch. (*store.Store).Get is one.
type Fetcher func(ctx context.Context, src, ifNoneMatch string) (*store.Object, error)

// LoaderOptions configures a Loader.
type LoaderOptions struct {
	// Source is where the rules are: a path, file://, s3://bucket/key, https:// or embed://.
	Source string
	// Fetch reads the source, with conditional requests.
	Fetch Fetcher
	// Parse are the options for Parse. Its Source defaults to Source.
	Parse Options
	// Refresh is how often remote sources are checked for a change; 0 means DefaultRefresh,
	// a negative value never checks again.
	Refresh time.Duration
	// LocalRefresh is the same for path and file:// sources; 0 means DefaultLocalRefresh.
	// Embedded sources never change and are never checked again.
	LocalRefresh time.Duration
	// Logger receives reloads, refused updates and fetch errors; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Loader keeps the rules in service and reloads them when their file changes.
//
// It runs nothing in the background (a serverless platform freezes the instance once the
// handler returns): Current checks for a change inline when the interval has passed. Only
// one caller checks at a time; the others go on with the current rules without waiting. An
// unchanged file costs a conditional request (304, or a stat for local files) and is not
// parsed again; a changed valid file replaces the rules atomically; a changed invalid file
// is logged once, every problem at error level, and the last good rules stay in service.
type Loader struct {
	src      string
	name     string // src with secrets redacted, for problems and logs
	fetch    Fetcher
	parse    Options
	interval time.Duration // <= 0: never check again
	log      *slog.Logger
	now      func() time.Time

	cur  atomic.Pointer[Set]
	next atomic.Int64 // when the next check is due, in Unix nanoseconds

	mu   sync.Mutex // held by the one caller that checks
	etag string     // the ETag last seen, of good or bad rules
	sum  [32]byte   // the SHA-256 of the body last seen
	seen bool       // sum is set
}

// NewLoader returns a Loader for opts.Source. It checks the source's form only; call Load
// to read it.
func NewLoader(opts LoaderOptions) (*Loader, error) {
	if opts.Fetch == nil {
		return nil, errors.New("rules: LoaderOptions.Fetch is nil")
	}
	loc, err := store.Parse(opts.Source)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	l := &Loader{
		src:   opts.Source,
		name:  loc.Redacted(),
		fetch: opts.Fetch,
		parse: opts.Parse,
		log:   opts.Logger,
		now:   opts.Now,
	}
	if l.parse.Source == "" {
		l.parse.Source = opts.Source
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	switch loc.Scheme {
	case store.Embed:
		l.interval = 0
	case store.File:
		l.interval = cmpOr(opts.LocalRefresh, DefaultLocalRefresh)
	default:
		l.interval = cmpOr(opts.Refresh, DefaultRefresh)
	}
	return l, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Name returns the source as logs and problems show it (secrets redacted).
func (l *Loader) Name() string { return l.name }

// Load reads and parses the rules for the first time. A missing or unreadable file, or one
// with problems (a *Problems error), is an error: the process should refuse to start.
func (l *Loader) Load(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.check(ctx, true)
}

// Current returns the rules to use now, or nil if none were ever loaded. When the refresh
// interval has passed it first checks the source for a change, within ctx; a caller that
// finds another one checking gets the current rules at once.
func (l *Loader) Current(ctx context.Context) *Set {
	set := l.cur.Load()
	if set != nil && l.interval <= 0 {
		return set
	}
	if l.now().UnixNano() < l.next.Load() {
		return set
	}
	if !l.mu.TryLock() {
		return set
	}
	defer l.mu.Unlock()
	if l.now().UnixNano() < l.next.Load() { // another caller has just checked
		return l.cur.Load()
	}
	_ = l.check(ctx, false) // logged
	return l.cur.Load()
}

// check fetches the source if it changed and swaps in the new rules if they are valid. It
// logs what happens, except on the first load, whose errors the caller handles. l.mu is held.
func (l *Loader) check(ctx context.Context, first bool) error {
	l.next.Store(l.now().Add(l.interval).UnixNano())
	etag := l.etag
	if l.cur.Load() == nil {
		etag = "" // nothing good yet: read it whole
	}
	obj, err := l.fetch(ctx, l.src, etag)
	switch {
	case errors.Is(err, store.ErrNotModified):
		l.log.Debug("rules unchanged", "source", l.name, "etag", etag)
		return nil
	case err != nil:
		err = fmt.Errorf("rules: reading %s: %w", l.name, err)
		if !first {
			l.log.Warn("rules: cannot check for a change; keeping the current rules", "source", l.name, "err", err)
		}
		return err
	}
	l.etag = obj.ETag
	sum := sha256.Sum256(obj.Body)
	if l.seen && sum == l.sum && l.cur.Load() != nil {
		l.log.Debug("rules unchanged", "source", l.name, "etag", obj.ETag)
		return nil // the same bytes again (no ETag, or a new one): nothing to parse or log
	}
	l.sum, l.seen = sum, true
	set, err := Parse(l.name, obj.Body, l.parse)
	if err != nil {
		if !first {
			var ps *Problems
			if errors.As(err, &ps) {
				for _, p := range ps.List {
					l.log.Error("rules: update refused; keeping the last good rules", "source", l.name, "etag", obj.ETag, "problem", p.String())
				}
			}
		}
		return err
	}
	for _, w := range set.Warnings() {
		l.log.Warn("rules: warning", "source", l.name, "problem", w.String())
	}
	l.cur.Store(set)
	l.log.Info("rules loaded", "source", l.name, "etag", obj.ETag, "rules", set.Len())
	return nil
}
