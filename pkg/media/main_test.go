package media

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kefuhq/kefu/pkg/store"
	"github.com/kefuhq/kefu/pkg/wxapi"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// TestMain checks that no test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testAppID  = "wx0123456789abcdef"
	testSecret = "0123456789abcdef0123456789abcdef"
	testUser   = "o9AgO5Kd5ggOC-bXrbNODIiE3bGY"
	testSrc    = "s3://bucket/kefu/media/download-qr.png"
)

var epoch = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// fakeStore is object storage in memory, with ETags (unless noETag), conditional reads, call
// counts and injected failures.
type fakeStore struct {
	mu          sync.Mutex
	objects     map[string]*store.Object
	noETag      bool
	fetches     int
	conditional int
	fail        error
	version     int
}

func newFakeStore() *fakeStore { return &fakeStore{objects: make(map[string]*store.Object)} }

func (s *fakeStore) put(src string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	etag := ""
	if !s.noETag {
		etag = fmt.Sprintf(`"v%d"`, s.version)
	}
	s.objects[src] = &store.Object{Body: body, ETag: etag, ContentType: "application/octet-stream"}
}

func (s *fakeStore) Fetch(ctx context.Context, src, ifNoneMatch string) (*store.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	if ifNoneMatch != "" {
		s.conditional++
	}
	if s.fail != nil {
		return nil, s.fail
	}
	o := s.objects[src]
	if o == nil {
		return nil, fmt.Errorf("%s: %w", src, store.ErrNotFound)
	}
	if ifNoneMatch != "" && ifNoneMatch == o.ETag {
		return nil, fmt.Errorf("%s: %w", src, store.ErrNotModified)
	}
	cp := *o
	return &cp, nil
}

func (s *fakeStore) counts() (fetches, conditional int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches, s.conditional
}

func (s *fakeStore) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

// env is a Cache uploading through a wxapi.Client to a wxsim fake, reading a fakeStore, with
// one fake clock for all.
type env struct {
	sim    *wxsim.API
	client *wxapi.Client
	store  *fakeStore
	clock  *wxsim.Clock
	cache  *Cache
}

func newEnv(t testing.TB, mod func(*Options)) *env {
	t.Helper()
	clock := wxsim.NewClock(epoch)
	sim := wxsim.NewAPI(wxsim.APIOptions{AppID: testAppID, AppSecret: testSecret, Now: clock.Now, TokenTTL: 1000 * time.Hour})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := wxapi.New(wxapi.Config{BaseURL: srv.URL, AppID: testAppID, AppSecret: testSecret, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	st := newFakeStore()
	opt := Options{Upload: client.UploadImage, Fetch: st.Fetch, Now: clock.Now}
	if mod != nil {
		mod(&opt)
	}
	cache, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, client: client, store: st, clock: clock, cache: cache}
}

// sendImage is a reply with the image at src, as the service makes it.
func (e *env) sendImage(ctx context.Context, src string) error {
	return e.cache.Do(ctx, src, func(id string) error { return e.client.Send(ctx, wxapi.NewImage(testUser, id)) })
}

// sendImagesAtOnce makes n replies with the image at src at the same time, and fails the
// test if any of them fails.
func (e *env) sendImagesAtOnce(t *testing.T, ctx context.Context, src string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() { errs <- e.sendImage(ctx, src) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// pngOf returns a distinct small PNG for each n.
func pngOf(t testing.TB, n int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.NRGBA{R: uint8(n), G: uint8(n >> 8), A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
