// Package dedup drops WeChat's retries of a push: WeChat resends a push it got no answer to
// within 5 seconds, up to three times, and a reply must still be sent once only.
//
// A push's key is remembered in process memory for a TTL (in flight included). Where several
// instances serve one mini program, the key is also claimed in shared object storage with a
// conditional write (S3 If-None-Match: *, COS x-cos-forbid-overwrite), so two instances never
// both reply.
package dedup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/store"
)

// Key returns the dedup key of a message: the AppID and MsgId (the exact digits, never a
// float) for what a user sent; FromUserName, CreateTime and Event for an event.
func Key(appID string, m *push.Message) string {
	if m.MsgID != "" {
		return "m|" + appID + "|" + m.MsgID
	}
	return "e|" + m.FromUserName + "|" + strconv.FormatInt(m.CreateTime, 10) + "|" + m.Event
}

// Memory remembers keys for a TTL. It is the in-process warm cache of recent pushes and is
// safe for concurrent use. It keeps a 64-bit seeded hash of each key, not the key: a busy
// instance remembers a minute of pushes, and small fixed-size entries keep that cheap (two
// keys colliding within one TTL is a chance of about n²/2⁶⁵).
type Memory struct {
	ttl  time.Duration
	now  func() time.Time
	seed maphash.Seed

	mu    sync.Mutex
	seen  map[uint64]int64 // key hash -> expiry, Unix nanoseconds
	queue []queued         // keys in claim order; with one TTL, also in expiry order
	head  int              // queue[:head] have expired
}

type queued struct {
	hash    uint64
	expires int64
}

// NewMemory returns an empty Memory; now may be nil (time.Now).
func NewMemory(ttl time.Duration, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{ttl: ttl, now: now, seed: maphash.MakeSeed(), seen: make(map[uint64]int64)}
}

// Claim records key and reports whether it is new: false means the key was claimed within
// the TTL, and the push is a retry (or a concurrent copy) of one already handled.
func (m *Memory) Claim(key string) bool {
	h := maphash.String(m.seed, key)
	now := m.now().UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	if exp, ok := m.seen[h]; ok && now < exp {
		return false
	}
	exp := now + int64(m.ttl)
	m.seen[h] = exp
	m.queue = append(m.queue, queued{h, exp})
	return true
}

// Forget removes key, so the next Claim of it is new again.
func (m *Memory) Forget(key string) {
	h := maphash.String(m.seed, key)
	m.mu.Lock()
	delete(m.seen, h)
	m.mu.Unlock()
}

// Len returns the number of keys remembered.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

// expire drops the keys whose time is up. The queue is compacted only once its expired
// head is at least half of it, so a claim costs amortised O(1).
func (m *Memory) expire(now int64) {
	for m.head < len(m.queue) && now >= m.queue[m.head].expires {
		q := m.queue[m.head]
		if exp, ok := m.seen[q.hash]; ok && exp == q.expires {
			delete(m.seen, q.hash)
		}
		m.head++
	}
	if m.head > 0 && m.head >= len(m.queue)/2 {
		m.queue = append(m.queue[:0], m.queue[m.head:]...)
		m.head = 0
	}
}

// Claimer writes an object only where none exists: store.Store is one.
type Claimer interface {
	PutIfAbsent(ctx context.Context, dst string, body []byte, contentType string) error
}

// Options configures a Deduper.
type Options struct {
	// TTL is how long a key is remembered in memory.
	TTL time.Duration
	// Shared is s3://bucket/prefix for claims shared by instances; empty: memory only.
	Shared string
	// Store makes the shared claims; required with Shared.
	Store Claimer
	// Logger receives the shared store's problems; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Deduper drops retries in memory and, when configured, across instances. It is safe for
// concurrent use.
type Deduper struct {
	mem    *Memory
	shared string
	store  Claimer
	log    *slog.Logger
	now    func() time.Time

	mu     sync.Mutex // held while probing
	probed bool
	honest bool // the shared store honours conditional writes
}

// New returns a Deduper.
func New(opts Options) (*Deduper, error) {
	if opts.TTL <= 0 {
		return nil, fmt.Errorf("dedup: TTL must be positive")
	}
	d := &Deduper{mem: NewMemory(opts.TTL, opts.Now), log: opts.Logger, now: opts.Now}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	if opts.Shared != "" {
		if opts.Store == nil {
			return nil, fmt.Errorf("dedup: a shared prefix needs a store")
		}
		loc, err := store.Parse(strings.TrimRight(opts.Shared, "/") + "/x")
		if err != nil || loc.Scheme != store.S3 {
			return nil, fmt.Errorf("dedup: %q: want s3://bucket/prefix", opts.Shared)
		}
		d.shared = strings.TrimRight(opts.Shared, "/") + "/"
		d.store = opts.Store
	}
	return d, nil
}

// Memory returns the in-memory part.
func (d *Deduper) Memory() *Memory { return d.mem }

// Shared reports whether claims are shared through object storage (after the probe, whether
// the store honours conditional writes).
func (d *Deduper) Shared() bool {
	if d.shared == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.probed || d.honest
}

// Seen claims key in memory only and reports whether it was already there. It is the cheap
// first check; Claim adds the shared one.
func (d *Deduper) Seen(key string) bool { return !d.mem.Claim(key) }

// ClaimShared claims key in the shared store, after Seen said it was new. It reports false
// when another instance has the key. When the store cannot be reached in time, or does not
// honour conditional writes, it logs why and reports true: a reply is better than silence.
func (d *Deduper) ClaimShared(ctx context.Context, key string) bool {
	if d.shared == "" || !d.ready(ctx) {
		return true
	}
	err := d.store.PutIfAbsent(ctx, d.objectName(key), d.claimBody(), "text/plain")
	switch {
	case err == nil:
		return true
	case errors.Is(err, store.ErrExists):
		return false
	default:
		d.log.Warn("dedup: shared claim failed; relying on memory for this push", "err", err)
		return true
	}
}

// Claim reports whether the push with this key is new here and, when shared, everywhere.
func (d *Deduper) Claim(ctx context.Context, key string) bool {
	if d.Seen(key) {
		return false
	}
	return d.ClaimShared(ctx, key)
}

// ready probes the shared store once: it claims one fresh key twice, and the second claim must
// be refused. A store that accepts it is not trusted (logged at error level); a store that
// cannot be reached is probed again on a later push.
func (d *Deduper) ready(ctx context.Context) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.probed {
		return d.honest
	}
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	name := d.shared + "probe-" + hex.EncodeToString(nonce[:])
	if err := d.store.PutIfAbsent(ctx, name, d.claimBody(), "text/plain"); err != nil {
		d.log.Warn("dedup: probing the shared store failed; relying on memory until it answers", "prefix", d.shared, "err", err)
		return false
	}
	err := d.store.PutIfAbsent(ctx, name, d.claimBody(), "text/plain")
	switch {
	case errors.Is(err, store.ErrExists):
		d.probed, d.honest = true, true
	case err == nil:
		d.probed, d.honest = true, false
		d.log.Error("dedup: the shared store does not honour conditional writes (a second claim of one key succeeded); KEFU_DEDUP is ignored and retries are dropped in memory only", "prefix", d.shared)
	default:
		d.log.Warn("dedup: probing the shared store failed; relying on memory until it answers", "prefix", d.shared, "err", err)
		return false
	}
	return d.honest
}

// objectName names a key's claim without revealing it (keys hold OpenIDs).
func (d *Deduper) objectName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return d.shared + hex.EncodeToString(sum[:20])
}

func (d *Deduper) claimBody() []byte {
	return []byte(d.now().UTC().Format(time.RFC3339Nano))
}
