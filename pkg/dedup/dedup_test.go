package dedup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/store"
)

func TestKey(t *testing.T) {
	msg := &push.Message{FromUserName: "o1", CreateTime: 7, MsgType: "text", MsgID: "23637352235060881"}
	near := &push.Message{FromUserName: "o1", CreateTime: 7, MsgType: "text", MsgID: "23637352235060880"}
	if Key("wx1", msg) == Key("wx1", near) {
		t.Fatal("MsgIds that a float64 cannot tell apart must give different keys")
	}
	if Key("wx1", msg) == Key("wx2", msg) {
		t.Fatal("the AppID is part of a message's key")
	}
	ev := &push.Message{FromUserName: "o1", CreateTime: 7, MsgType: "event", Event: "user_enter_tempsession"}
	ev2 := *ev
	ev2.CreateTime = 8
	ev3 := *ev
	ev3.Event = "other"
	if Key("wx1", ev) == Key("wx1", &ev2) || Key("wx1", ev) == Key("wx1", &ev3) {
		t.Fatal("an event's key is FromUserName + CreateTime + Event")
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestMemoryTTL(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	m := NewMemory(60*time.Second, c.now)
	if !m.Claim("a") || m.Claim("a") {
		t.Fatal("first claim new, second a retry")
	}
	c.add(59 * time.Second)
	if m.Claim("a") {
		t.Fatal("still within the TTL")
	}
	c.add(time.Second)
	if !m.Claim("a") {
		t.Fatal("after the TTL the key is new again")
	}
	for i := range 1000 {
		m.Claim(fmt.Sprint(i))
	}
	c.add(61 * time.Second)
	m.Claim("b")
	if m.Len() != 1 {
		t.Fatalf("expired keys are dropped: %d left", m.Len())
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := NewMemory(time.Minute, nil)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if m.Claim("same") {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims won", wins.Load())
	}
}

// fakeStore is a Claimer for the corner cases a real store does not show on demand: one that
// ignores the condition, one that fails.
type fakeStore struct {
	mu      sync.Mutex
	objects map[string]bool
	honest  bool
	fail    error
	calls   int
}

func (f *fakeStore) PutIfAbsent(ctx context.Context, dst string, body []byte, ct string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return f.fail
	}
	if f.objects == nil {
		f.objects = map[string]bool{}
	}
	if f.honest && f.objects[dst] {
		return fmt.Errorf("store: put %s: %w", dst, store.ErrExists)
	}
	f.objects[dst] = true
	return nil
}

func logger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}

func TestSharedDishonestStoreIsDetected(t *testing.T) {
	log, buf := logger()
	fs := &fakeStore{honest: false}
	d, err := New(Options{TTL: time.Minute, Shared: "s3://bucket/kefu/dedup", Store: fs, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Claim(context.Background(), "k1") {
		t.Fatal("first claim")
	}
	if !strings.Contains(buf.String(), "level=ERROR") || !strings.Contains(buf.String(), "does not honour conditional writes") {
		t.Fatalf("no error logged: %s", buf)
	}
	calls := fs.calls
	if d.Claim(context.Background(), "k1") {
		t.Fatal("memory still drops the retry")
	}
	d.Claim(context.Background(), "k2")
	if fs.calls != calls || d.Shared() {
		t.Fatal("a dishonest store is not used after the probe")
	}
}

func TestSharedHonestStore(t *testing.T) {
	fs := &fakeStore{honest: true}
	a, _ := New(Options{TTL: time.Minute, Shared: "s3://bucket/p", Store: fs})
	b, _ := New(Options{TTL: time.Minute, Shared: "s3://bucket/p/", Store: fs})
	if !a.Claim(context.Background(), "k") {
		t.Fatal("a claims first")
	}
	if b.Claim(context.Background(), "k") {
		t.Fatal("b must see a's claim")
	}
	for dst := range fs.objects {
		if !strings.HasPrefix(dst, "s3://bucket/p/") || strings.Contains(dst, "k") && !strings.Contains(dst, "probe") && len(dst) < 20 {
			t.Errorf("claim object %q", dst)
		}
	}
}

func TestSharedUnreachableRelyOnMemory(t *testing.T) {
	log, buf := logger()
	fs := &fakeStore{fail: errors.New("dial tcp: connection refused")}
	d, _ := New(Options{TTL: time.Minute, Shared: "s3://bucket/p", Store: fs, Logger: log})
	if !d.Claim(context.Background(), "k") {
		t.Fatal("an unreachable store must not stop the reply")
	}
	if d.Claim(context.Background(), "k") {
		t.Fatal("memory drops the retry")
	}
	if !strings.Contains(buf.String(), "relying on memory") {
		t.Fatalf("not logged: %s", buf)
	}
	// When the store comes back it is probed and used.
	fs.mu.Lock()
	fs.fail, fs.honest = nil, true
	fs.mu.Unlock()
	if !d.Claim(context.Background(), "k2") || !d.Shared() {
		t.Fatal("probe after recovery")
	}
}

func TestNewErrors(t *testing.T) {
	for _, o := range []Options{
		{TTL: 0},
		{TTL: time.Second, Shared: "s3://bucket/p"},
		{TTL: time.Second, Shared: "https://example.com/p", Store: &fakeStore{}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// BenchmarkMemoryClaim is a warm instance under steady load: every claim is new and one old
// key expires with it.
func BenchmarkMemoryClaim(b *testing.B) {
	c := &clock{t: time.Unix(1000, 0)}
	m := NewMemory(time.Minute, c.now)
	for i := range 60000 { // a minute of keys at 1,000 pushes a second
		m.Claim(fmt.Sprint("warm", i))
		c.add(time.Millisecond)
	}
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprint("m|wx|", 23637352235060880+i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.add(time.Millisecond)
		m.Claim(keys[i&(len(keys)-1)] + "x")
		i++
	}
}
