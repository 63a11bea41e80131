package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kefuhq/kefu/pkg/store"
)

// newStore returns a Store for opts whose idle connections are closed when the test ends.
func newStore(t *testing.T, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.CloseIdleConnections)
	return s
}

// wantErr fails the test unless err matches target and its message holds every part.
func wantErr(t *testing.T, err, target error, parts ...string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not say %q", err, p)
		}
	}
}

func TestNewChecksOptions(t *testing.T) {
	tests := []struct {
		name string
		opts store.Options
		want string
	}{
		{"negative size", store.Options{MaxSize: -1}, "negative"},
		{"endpoint without scheme", store.Options{S3: store.S3Options{Endpoint: "cos.ap-guangzhou.myqcloud.com"}}, "endpoint"},
		{"endpoint with another scheme", store.Options{S3: store.S3Options{Endpoint: "ftp://example.com"}}, "endpoint"},
		{"endpoint with user", store.Options{S3: store.S3Options{Endpoint: "https://id:secret@example.com"}}, "endpoint"},
		{"key without secret", store.Options{S3: store.S3Options{Region: "us-east-1", AccessKeyID: "AKID"}}, "secret access key"},
		{"secret without key", store.Options{S3: store.S3Options{Region: "us-east-1", SecretAccessKey: "shh"}}, "access key ID"},
		{"token without key", store.Options{S3: store.S3Options{Region: "us-east-1", SessionToken: "tok"}}, "session token"},
	}
	for _, tt := range tests {
		_, err := store.New(tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New = %v, want an error about %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret@") {
			t.Errorf("%s: New = %q shows the credentials", tt.name, err)
		}
	}
	if _, err := store.New(store.Options{}); err != nil {
		t.Errorf("New(zero Options) = %v, want a usable Store", err)
	}
}

func TestGetFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "rules.yaml")
	writeFile(t, name, "version: 1\n")
	s := newStore(t, store.Options{MaxSize: 64})
	ctx := context.Background()

	for _, src := range []string{name, "file://" + filepath.ToSlash(name)} {
		obj, err := s.Get(ctx, src, "")
		if err != nil {
			t.Fatalf("Get(%q): %v", src, err)
		}
		if string(obj.Body) != "version: 1\n" || obj.ETag == "" || obj.ModTime.IsZero() {
			t.Errorf("Get(%q) = %q, ETag %q, ModTime %v", src, obj.Body, obj.ETag, obj.ModTime)
		}
		if !strings.Contains(obj.ContentType, "yaml") && !strings.HasPrefix(obj.ContentType, "text/plain") {
			t.Errorf("Get(%q).ContentType = %q", src, obj.ContentType)
		}
		_, err = s.Get(ctx, src, obj.ETag)
		wantErr(t, err, store.ErrNotModified, "store: get ")
	}

	// The ETag is decided by a stat: a new modification time gives a new ETag.
	first, err := s.Get(ctx, name, "")
	if err != nil {
		t.Fatal(err)
	}
	later := first.ModTime.Add(time.Second)
	if err := os.Chtimes(name, later, later); err != nil {
		t.Fatal(err)
	}
	second, err := s.Get(ctx, name, first.ETag)
	if err != nil {
		t.Fatalf("Get after touching the file: %v", err)
	}
	if second.ETag == first.ETag || string(second.Body) != "version: 1\n" {
		t.Errorf("after touching: ETag %q (was %q), body %q", second.ETag, first.ETag, second.Body)
	}
	// A different size gives a new ETag too, even with the same time.
	writeFile(t, name, "version: 11\n")
	if err := os.Chtimes(name, later, later); err != nil {
		t.Fatal(err)
	}
	third, err := s.Get(ctx, name, second.ETag)
	if err != nil || third.ETag == second.ETag || string(third.Body) != "version: 11\n" {
		t.Errorf("after rewriting: %v, ETag %q (was %q)", err, third.ETag, second.ETag)
	}

	png := filepath.Join(dir, "card.png")
	writeFile(t, png, "\x89PNG\r\n\x1a\n")
	if obj, err := s.Get(ctx, png, ""); err != nil || obj.ContentType != "image/png" {
		t.Errorf("Get(card.png) = %v, ContentType %q; want image/png", err, obj.ContentType)
	}
}

func TestGetFileNotModifiedWithoutReading(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their permissions")
	}
	name := filepath.Join(t.TempDir(), "rules.yaml")
	writeFile(t, name, "version: 1\n")
	s := newStore(t, store.Options{})
	obj, err := s.Get(context.Background(), name, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(name, 0); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(context.Background(), name, obj.ETag)
	wantErr(t, err, store.ErrNotModified)
	_, err = s.Get(context.Background(), name, "")
	wantErr(t, err, store.ErrDenied, name)
}

func TestGetFileErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.bin")
	writeFile(t, big, strings.Repeat("x", 11))
	exact := filepath.Join(dir, "exact.bin")
	writeFile(t, exact, strings.Repeat("x", 10))
	s := newStore(t, store.Options{MaxSize: 10})
	ctx := context.Background()

	missing := filepath.Join(dir, "missing.yaml")
	_, err := s.Get(ctx, missing, "")
	wantErr(t, err, store.ErrNotFound, "store: get "+missing+": object not found")
	_, err = s.Get(ctx, "file://"+filepath.ToSlash(missing), "")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.Get(ctx, big, "")
	wantErr(t, err, store.ErrTooLarge, big, "10 bytes")
	if obj, err := s.Get(ctx, exact, ""); err != nil || len(obj.Body) != 10 {
		t.Errorf("Get(a file of exactly MaxSize) = %v", err)
	}
	if _, err := s.Get(ctx, dir, ""); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("Get(a directory) = %v, want an error about a directory", err)
	}
	_, err = s.Get(ctx, "s3:bad", "")
	wantErr(t, err, store.ErrBadSource)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Get(cancelled, exact, "")
	wantErr(t, err, context.Canceled)
}

func TestPutIfAbsentFile(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, store.Options{})
	ctx := context.Background()
	name := filepath.Join(dir, "claims", "deep", "k1")
	body := []byte("claimed\x00\xff")

	if err := s.PutIfAbsent(ctx, name, body, "text/plain"); err != nil {
		t.Fatalf("first PutIfAbsent: %v", err)
	}
	err := s.PutIfAbsent(ctx, name, []byte("other"), "")
	wantErr(t, err, store.ErrExists, name)
	if got, _ := os.ReadFile(name); !bytes.Equal(got, body) {
		t.Errorf("file holds %q, want %q", got, body)
	}

	url := "file://" + filepath.ToSlash(filepath.Join(dir, "claims", "k2"))
	if err := s.PutIfAbsent(ctx, url, body, ""); err != nil {
		t.Fatalf("PutIfAbsent(%q): %v", url, err)
	}
	wantErr(t, s.PutIfAbsent(ctx, url, body, ""), store.ErrExists)
	obj, err := s.Get(ctx, url, "")
	if err != nil || !bytes.Equal(obj.Body, body) {
		t.Errorf("Get(%q) = %v, %q", url, err, obj.Body)
	}

	// Of concurrent claims, exactly one wins.
	if n := claimConcurrently(t, s, filepath.Join(dir, "claims", "race"), 10); n != 1 {
		t.Errorf("%d concurrent claims succeeded, want 1", n)
	}
}

func TestPutIfAbsentUnsupported(t *testing.T) {
	s := newStore(t, store.Options{Embedded: fstest.MapFS{}})
	for _, dst := range []string{"https://example.com/x", "http://127.0.0.1:1/x", "embed:///x"} {
		err := s.PutIfAbsent(context.Background(), dst, []byte("x"), "")
		if err == nil || !strings.Contains(err.Error(), "not supported") || errors.Is(err, store.ErrExists) {
			t.Errorf("PutIfAbsent(%q) = %v, want a clear 'not supported' error", dst, err)
		}
	}
	wantErr(t, s.PutIfAbsent(context.Background(), "s3://b", nil, ""), store.ErrBadSource)
}

func TestGetEmbed(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fsys := fstest.MapFS{
		"rules.yaml":     {Data: []byte("version: 1\n"), ModTime: mod},
		"copy.yaml":      {Data: []byte("version: 1\n")},
		"media/card.png": {Data: []byte("\x89PNG\r\n\x1a\nrest")},
		"media/big.bin":  {Data: bytes.Repeat([]byte("x"), 13)},
	}
	s := newStore(t, store.Options{Embedded: fsys, MaxSize: 12})
	ctx := context.Background()

	obj, err := s.Get(ctx, "embed:///rules.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if string(obj.Body) != "version: 1\n" || obj.ETag == "" || !obj.ModTime.Equal(mod) {
		t.Errorf("Get(embed:///rules.yaml) = %q, ETag %q, ModTime %v", obj.Body, obj.ETag, obj.ModTime)
	}
	_, err = s.Get(ctx, "embed:///rules.yaml", obj.ETag)
	wantErr(t, err, store.ErrNotModified, "embed:///rules.yaml")
	// The ETag is a hash of the content: the same bytes, the same ETag.
	cp, err := s.Get(ctx, "embed:///copy.yaml", "")
	if err != nil || cp.ETag != obj.ETag {
		t.Errorf("ETag of identical content: %q vs %q (%v)", cp.ETag, obj.ETag, err)
	}
	card, err := s.Get(ctx, "embed:///media/card.png", obj.ETag)
	if err != nil || card.ContentType != "image/png" || card.ETag == obj.ETag {
		t.Errorf("Get(card.png) = %v, ContentType %q, ETag %q", err, card.ContentType, card.ETag)
	}
	_, err = s.Get(ctx, "embed:///missing.png", "")
	wantErr(t, err, store.ErrNotFound, "embed:///missing.png")
	_, err = s.Get(ctx, "embed:///media/big.bin", "")
	wantErr(t, err, store.ErrTooLarge)
	if _, err := s.Get(ctx, "embed:///media", ""); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("Get(embed:///media) = %v, want an error about a directory", err)
	}

	none := newStore(t, store.Options{})
	if _, err := none.Get(ctx, "embed:///rules.yaml", ""); err == nil || !strings.Contains(err.Error(), "no embedded file system") {
		t.Errorf("Get(embed) without Embedded = %v", err)
	}
}

// httpOrigin serves /rules.yaml with an ETag and If-None-Match, and a few failures.
func httpOrigin(t *testing.T, tls bool) *httptest.Server {
	t.Helper()
	mod := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	mux := http.NewServeMux()
	mux.HandleFunc("/rules.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/yaml")
		w.Header().Set("Last-Modified", mod.Format(http.TimeFormat))
		fmt.Fprint(w, "version: 1\n")
	})
	mux.HandleFunc("/deaf.yaml", func(w http.ResponseWriter, r *http.Request) { // ignores If-None-Match
		w.Header().Set("ETag", `"d1"`)
		fmt.Fprint(w, "x")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, strings.Repeat("x", 100)) })
	mux.HandleFunc("/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 100 {
			fmt.Fprint(w, "x")
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/secret", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		// Give up without an answer: returning would send a 200 with an empty body, which
		// over HTTP/2 can reach the client before its own deadline does.
		panic(http.ErrAbortHandler)
	})
	var ts *httptest.Server
	if tls {
		ts = httptest.NewTLSServer(mux)
	} else {
		ts = httptest.NewServer(mux)
	}
	t.Cleanup(ts.Close)
	return ts
}

func TestGetHTTPS(t *testing.T) {
	ts := httpOrigin(t, true)
	client := ts.Client()
	t.Cleanup(client.CloseIdleConnections)
	s := newStore(t, store.Options{HTTPClient: client, MaxSize: 50})
	ctx := context.Background()

	obj, err := s.Get(ctx, ts.URL+"/rules.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if string(obj.Body) != "version: 1\n" || obj.ETag != `"v1"` || obj.ContentType != "application/yaml" || obj.ModTime.IsZero() {
		t.Errorf("Get = %+v", obj)
	}
	_, err = s.Get(ctx, ts.URL+"/rules.yaml", obj.ETag)
	wantErr(t, err, store.ErrNotModified, ts.URL+"/rules.yaml")
	if obj, err := s.Get(ctx, ts.URL+"/rules.yaml", `"v0"`); err != nil || obj.ETag != `"v1"` {
		t.Errorf("Get with a stale ETag = %v", err)
	}
	_, err = s.Get(ctx, ts.URL+"/deaf.yaml", `"d1"`)
	wantErr(t, err, store.ErrNotModified)

	_, err = s.Get(ctx, ts.URL+"/missing", "")
	wantErr(t, err, store.ErrNotFound, "404")
	_, err = s.Get(ctx, ts.URL+"/gone", "")
	wantErr(t, err, store.ErrNotFound, "410")
	_, err = s.Get(ctx, ts.URL+"/secret", "")
	wantErr(t, err, store.ErrDenied, "403")
	_, err = s.Get(ctx, ts.URL+"/login", "")
	wantErr(t, err, store.ErrDenied, "401")
	_, err = s.Get(ctx, ts.URL+"/big", "")
	wantErr(t, err, store.ErrTooLarge)
	_, err = s.Get(ctx, ts.URL+"/big-chunked", "")
	wantErr(t, err, store.ErrTooLarge)
	_, err = s.Get(ctx, ts.URL+"/broken", "")
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("Get(/broken) = %v, want the status", err)
	}
	for _, kind := range []error{store.ErrNotFound, store.ErrDenied, store.ErrNotModified} {
		if errors.Is(err, kind) {
			t.Errorf("Get(/broken) = %v matches %v", err, kind)
		}
	}

	// A deadline stops a slow origin.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.Get(short, ts.URL+"/slow", "")
	wantErr(t, err, context.DeadlineExceeded)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Get(/slow) took %v after a 50ms deadline", d)
	}
}

func TestGetHTTPErrorsHideSecrets(t *testing.T) {
	ts := httpOrigin(t, false)
	s := newStore(t, store.Options{})
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, src := range []string{
		"http://user:s3cret@" + host + "/broken?X-Amz-Signature=s3cret",
		"http://s3cret@" + host + "/missing?token=s3cret",
		"http://user:s3cret@127.0.0.1:1/refused?token=s3cret", // the transport's error names the URL
	} {
		_, err := s.Get(context.Background(), src, "")
		if err == nil {
			t.Fatalf("Get(%q) succeeded", src)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Get(%q) = %q: the error shows a secret", src, err)
		}
		if !strings.Contains(err.Error(), "REDACTED") {
			t.Errorf("Get(%q) = %q: want the source, redacted", src, err)
		}
	}
}

// claimConcurrently has n goroutines claim dst at once and returns how many succeeded; any
// error other than ErrExists fails the test.
func claimConcurrently(t *testing.T, s *store.Store, dst string, n int) int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.PutIfAbsent(context.Background(), dst, fmt.Appendf(nil, "claim %d", i), "text/plain")
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrExists):
			t.Errorf("claim of %s: %v, want nil or ErrExists", dst, err)
		}
	}
	return won
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
