package rules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/kefuhq/kefu/internal/testkit"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/store"
	"github.com/kefuhq/kefu/pkg/store/storetest"
)

func rulesV(reply string) []byte {
	return []byte("version: 1\nrules:\n  - name: hello\n    when: {contains: 你好}\n    reply: [{text: " + reply + "}]\n")
}

// broken has two problems, on lines 4 and 6.
var broken = []byte("version: 1\nrules:\n  - name: hello\n    when: {contians: 你好}\n    reply:\n      - text: ''\n")

// clock is a settable clock for Loader.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newLogger(buf *testkit.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// counter counts the GET requests a server answers, its 304s, and the body bytes it sends.
type counter struct {
	gets, notModified, bodyBytes atomic.Int64
}

func (c *counter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			h.ServeHTTP(w, r)
			return
		}
		c.gets.Add(1)
		cw := &countingWriter{ResponseWriter: w, c: c}
		h.ServeHTTP(cw, r)
	})
}

type countingWriter struct {
	http.ResponseWriter
	c *counter
}

func (w *countingWriter) WriteHeader(code int) {
	if code == http.StatusNotModified {
		w.c.notModified.Add(1)
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write counts the bytes the server sends (none for a 304: net/http refuses a body there).
func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.c.bodyBytes.Add(int64(n))
	return n, err
}

func replyOf(t *testing.T, s *Set) string {
	t.Helper()
	if s == nil {
		t.Fatal("no rules in service")
	}
	p := s.Match(&push.Message{MsgType: push.TypeText, Content: "你好"}, time.Now())
	if len(p.Replies) == 0 {
		t.Fatalf("no reply: %+v", p)
	}
	return p.Replies[0].Text
}

// TestLoaderS3 reloads rules from S3 (gofakes3, over real HTTP, through pkg/store).
func TestLoaderS3(t *testing.T) {
	be := s3mem.New()
	if err := be.CreateBucket("kefu"); err != nil {
		t.Fatal(err)
	}
	var cnt counter
	ts := httptest.NewServer(cnt.wrap(gofakes3.New(be).Server()))
	defer ts.Close()
	s3opts := storetest.Options(ts.URL)
	st, err := store.New(store.Options{S3: s3opts})
	if err != nil {
		t.Fatal(err)
	}
	defer st.CloseIdleConnections()
	storetest.Put(t, s3opts, "kefu", "prod/rules.yaml", rulesV("v1"))

	var logs testkit.Buffer
	clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	l, err := NewLoader(LoaderOptions{Source: "s3://kefu/prod/rules.yaml", Fetch: st.Get, Logger: newLogger(&logs), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := l.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := replyOf(t, l.Current(ctx)); got != "v1" {
		t.Fatalf("reply %q", got)
	}
	if n := cnt.gets.Load(); n != 1 {
		t.Fatalf("%d GETs after the first load", n)
	}

	// Within the interval nothing is asked.
	clk.Add(59 * time.Second)
	storetest.Put(t, s3opts, "kefu", "prod/rules.yaml", rulesV("v2"))
	if got := replyOf(t, l.Current(ctx)); got != "v1" || cnt.gets.Load() != 1 {
		t.Fatalf("before the interval: reply %q, %d GETs", got, cnt.gets.Load())
	}
	// After it, the change is served.
	clk.Add(2 * time.Second)
	if got := replyOf(t, l.Current(ctx)); got != "v2" {
		t.Fatalf("after the interval: reply %q", got)
	}

	// Unchanged: a conditional GET answered 304, no body sent.
	bytesBefore := cnt.bodyBytes.Load()
	clk.Add(61 * time.Second)
	if got := replyOf(t, l.Current(ctx)); got != "v2" {
		t.Fatalf("reply %q", got)
	}
	if cnt.gets.Load() != 3 || cnt.notModified.Load() != 1 || cnt.bodyBytes.Load() != bytesBefore {
		t.Fatalf("unchanged object: %d GETs, %d 304s, %d new body bytes", cnt.gets.Load(), cnt.notModified.Load(), cnt.bodyBytes.Load()-bytesBefore)
	}

	// A broken change is refused and logged once, every problem; v2 stays.
	storetest.Put(t, s3opts, "kefu", "prod/rules.yaml", broken)
	clk.Add(61 * time.Second)
	if got := replyOf(t, l.Current(ctx)); got != "v2" {
		t.Fatalf("after a broken change: reply %q", got)
	}
	for _, want := range []string{
		`level=ERROR msg="rules: update refused; keeping the last good rules" source=s3://kefu/prod/rules.yaml`,
		`problem="s3://kefu/prod/rules.yaml:4: rule \"hello\": when: unknown key \"contians\" (did you mean \"contains\"?)"`,
		`problem="s3://kefu/prod/rules.yaml:6: rule \"hello\": reply 1: text is empty"`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s\n%s", want, logs.String())
		}
	}
	clk.Add(61 * time.Second)
	if got := replyOf(t, l.Current(ctx)); got != "v2" {
		t.Fatalf("reply %q", got)
	}
	if n := logs.Count("level=ERROR"); n != 2 {
		t.Errorf("%d error records, want the 2 problems once\n%s", n, logs.String())
	}
	if cnt.notModified.Load() != 2 {
		t.Errorf("the broken object was not asked for conditionally: %d 304s", cnt.notModified.Load())
	}

	// Fixed: served again.
	storetest.Put(t, s3opts, "kefu", "prod/rules.yaml", rulesV("v3"))
	clk.Add(61 * time.Second)
	if got := replyOf(t, l.Current(ctx)); got != "v3" {
		t.Fatalf("after the fix: reply %q", got)
	}
}

// TestLoaderHTTP reloads rules over https-like HTTP with ETags, and without them.
func TestLoaderHTTP(t *testing.T) {
	var mu sync.Mutex
	body, etags := rulesV("v1"), true
	var cnt counter
	ts := httptest.NewServer(cnt.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if etags {
			etag := fmt.Sprintf(`"%x"`, len(body)*31+int(body[len(body)-3]))
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Write(body)
	})))
	defer ts.Close()
	st, err := store.New(store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.CloseIdleConnections()
	var logs testkit.Buffer
	clk := &clock{t: time.Unix(1e9, 0)}
	l, err := NewLoader(LoaderOptions{Source: ts.URL + "/rules.yaml?token=secret", Fetch: st.Get, Logger: newLogger(&logs), Now: clk.Now, Refresh: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := l.Load(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Add(11 * time.Second)
	l.Current(ctx)
	if cnt.notModified.Load() != 1 {
		t.Errorf("%d 304s", cnt.notModified.Load())
	}
	if strings.Contains(logs.String(), "secret") {
		t.Errorf("the log shows the query:\n%s", logs.String())
	}

	// Without ETags the body comes again, but the same bytes are not parsed again.
	mu.Lock()
	etags = false
	mu.Unlock()
	loaded := logs.Count(`msg="rules loaded"`)
	clk.Add(11 * time.Second)
	l.Current(ctx)
	if n := logs.Count(`msg="rules loaded"`); n != loaded {
		t.Errorf("unchanged bytes were loaded again")
	}
	mu.Lock()
	body = rulesV("v2")
	mu.Unlock()
	clk.Add(11 * time.Second)
	if got := replyOf(t, l.Current(ctx)); got != "v2" {
		t.Errorf("reply %q", got)
	}
}

// TestLoaderLocalFile: an edited file is served after LocalRefresh (real clock, default 1 s).
func TestLoaderLocalFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(path, rulesV("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := store.New(store.Options{})
	var logs testkit.Buffer
	l, err := NewLoader(LoaderOptions{Source: path, Fetch: st.Get, Logger: newLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := l.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, rulesV("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, future, future); err != nil { // a new mtime whatever the clock's resolution
		t.Fatal(err)
	}
	edited := time.Now()
	deadline := edited.Add(5 * time.Second)
	for replyOf(t, l.Current(ctx)) != "v2" {
		if time.Now().After(deadline) {
			t.Fatalf("the edit was not served within 5 s\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if took := time.Since(edited); took > 1500*time.Millisecond {
		t.Errorf("the edit took %v to be served", took)
	}
}

func TestLoaderFirstLoad(t *testing.T) {
	st, _ := store.New(store.Options{})
	dir := t.TempDir()
	l, _ := NewLoader(LoaderOptions{Source: filepath.Join(dir, "missing.yaml"), Fetch: st.Get})
	if err := l.Load(context.Background()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
	if l.Current(context.Background()) != nil {
		t.Errorf("Current has rules")
	}
	path := filepath.Join(dir, "bad.yaml")
	os.WriteFile(path, broken, 0o644)
	l, _ = NewLoader(LoaderOptions{Source: path, Fetch: st.Get})
	err := l.Load(context.Background())
	var ps *Problems
	if !errors.As(err, &ps) || len(ps.List) != 2 || ps.List[0].File != path {
		t.Errorf("bad file: %v", err)
	}
	if _, err := NewLoader(LoaderOptions{Source: "s3://bucket", Fetch: st.Get}); !errors.Is(err, store.ErrBadSource) {
		t.Errorf("bad source: %v", err)
	}
	if _, err := NewLoader(LoaderOptions{Source: "rules.yaml"}); err == nil {
		t.Errorf("no Fetch: no error")
	}
}

// TestLoaderFetchError: a failed check is logged and the rules stay.
func TestLoaderFetchError(t *testing.T) {
	fail := false
	fetch := func(ctx context.Context, src, inm string) (*store.Object, error) {
		if fail {
			return nil, errors.New("connection refused")
		}
		return &store.Object{Body: rulesV("v1"), ETag: `"1"`}, nil
	}
	var logs testkit.Buffer
	clk := &clock{t: time.Unix(1e9, 0)}
	l, _ := NewLoader(LoaderOptions{Source: "https://example.com/rules.yaml", Fetch: fetch, Logger: newLogger(&logs), Now: clk.Now})
	ctx := context.Background()
	if err := l.Load(ctx); err != nil {
		t.Fatal(err)
	}
	fail = true
	clk.Add(time.Hour)
	if got := replyOf(t, l.Current(ctx)); got != "v1" {
		t.Errorf("reply %q", got)
	}
	if !strings.Contains(logs.String(), `level=WARN msg="rules: cannot check for a change; keeping the current rules"`) || !strings.Contains(logs.String(), "connection refused") {
		t.Errorf("log:\n%s", logs.String())
	}
}

// TestLoaderOneChecker: while one caller checks, the others get the current rules at once.
func TestLoaderOneChecker(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	fetch := func(ctx context.Context, src, inm string) (*store.Object, error) {
		if calls.Add(1) > 1 {
			entered <- struct{}{}
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return &store.Object{Body: rulesV("v2"), ETag: `"2"`}, nil
	}
	clk := &clock{t: time.Unix(1e9, 0)}
	l, _ := NewLoader(LoaderOptions{Source: "https://example.com/rules.yaml", Fetch: fetch, Now: clk.Now})
	ctx := context.Background()
	if err := l.Load(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	done := make(chan *Set)
	go func() { done <- l.Current(ctx) }()
	<-entered
	for range 10 {
		if s := l.Current(ctx); s == nil {
			t.Fatal("no rules while another caller checks")
		}
	}
	close(release)
	<-done
	if n := calls.Load(); n != 2 {
		t.Errorf("%d fetches, want 2 (the load and one check)", n)
	}
}

// TestLoaderContext: the check is bounded by the caller's context.
func TestLoaderContext(t *testing.T) {
	n := 0
	fetch := func(ctx context.Context, src, inm string) (*store.Object, error) {
		n++
		if n > 1 {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return &store.Object{Body: rulesV("v1"), ETag: `"1"`}, nil
	}
	clk := &clock{t: time.Unix(1e9, 0)}
	l, _ := NewLoader(LoaderOptions{Source: "https://example.com/rules.yaml", Fetch: fetch, Now: clk.Now})
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if got := replyOf(t, l.Current(ctx)); got != "v1" {
		t.Errorf("reply %q", got)
	}
}

// TestLoaderEmbedded: embedded rules never change and are not checked again.
func TestLoaderEmbedded(t *testing.T) {
	n := 0
	fetch := func(ctx context.Context, src, inm string) (*store.Object, error) {
		n++
		return &store.Object{Body: rulesV("v1"), ETag: `"1"`}, nil
	}
	clk := &clock{t: time.Unix(1e9, 0)}
	l, _ := NewLoader(LoaderOptions{Source: "embed:///rules.yaml", Fetch: fetch, Now: clk.Now})
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.Add(24 * time.Hour)
	l.Current(context.Background())
	if n != 1 {
		t.Errorf("%d fetches", n)
	}
}
