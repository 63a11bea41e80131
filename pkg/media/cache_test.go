package media

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/store"
	"github.com/kefuhq/kefu/pkg/wxapi"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

func TestNewValidates(t *testing.T) {
	up := func(context.Context, string, string, []byte) (string, error) { return "", nil }
	fetch := func(context.Context, string, string) (*store.Object, error) { return nil, nil }
	for name, opt := range map[string]Options{
		"no upload":           {Fetch: fetch},
		"no fetch":            {Upload: up},
		"TTL of three days":   {Upload: up, Fetch: fetch, TTL: 72 * time.Hour},
		"negative TTL":        {Upload: up, Fetch: fetch, TTL: -time.Hour},
		"negative revalidate": {Upload: up, Fetch: fetch, Revalidate: -time.Second},
	} {
		if _, err := New(opt); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := New(Options{Upload: up, Fetch: fetch})
	if err != nil || c.ttl != DefaultTTL || c.revalidate != DefaultRevalidate {
		t.Fatalf("defaults: %v %+v", err, c)
	}
}

func TestFilenameFor(t *testing.T) {
	for _, tc := range []struct{ src, ext, want string }{
		{"s3://b/kefu/media/download-qr.png", ".png", "download-qr.png"},
		{"s3://b/kefu/media/qr.jpeg", ".png", "qr.png"},
		{"media/card", ".jpg", "card.jpg"},
		{"https://cdn.example.com/img/a.b.gif?v=3#x", ".gif", "a.b.gif"},
		{"https://cdn.example.com/", ".png", "image.png"},
		{"https://cdn.example.com", ".png", "image.png"},
		{"embed:///card.png", ".png", "card.png"},
		{`C:\media\card.png`, ".png", "card.png"},
		{".png", ".png", "image.png"},
	} {
		if got := filenameFor(tc.src, tc.ext); got != tc.want {
			t.Errorf("filenameFor(%q, %q) = %q, want %q", tc.src, tc.ext, got, tc.want)
		}
	}
}

// TestConcurrentRepliesOneUpload: 50 concurrent replies with one image make one read and one
// upload.
func TestConcurrentRepliesOneUpload(t *testing.T) {
	e := newEnv(t, nil)
	e.store.put(testSrc, pngOf(t, 1))
	e.sim.Delay(wxsim.PathUpload, 20*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.sendImagesAtOnce(t, ctx, testSrc, 50)
	if n := e.sim.Count(wxsim.PathUpload); n != 1 {
		t.Fatalf("%d uploads, want 1", n)
	}
	if f, _ := e.store.counts(); f != 1 {
		t.Fatalf("%d storage reads, want 1", f)
	}
	evs := e.sim.Events(testUser, 0)
	if len(evs) != 50 {
		t.Fatalf("%d images delivered, want 50", len(evs))
	}
	for _, ev := range evs {
		if ev.Message.Image.MediaID != evs[0].Message.Image.MediaID {
			t.Fatal("replies used different media_ids")
		}
	}
	calls := e.sim.Calls()
	for _, c := range calls {
		if c.Path == wxsim.PathUpload && !bytes.Contains(c.Body, []byte(`filename="download-qr.png" content-type=image/png`)) {
			t.Fatalf("upload %s", c.Body)
		}
	}
}

// TestWarmImageReplyOneRequest: with the token and the media_id warm, an image reply is one
// request to WeChat and none to storage.
func TestWarmImageReplyOneRequest(t *testing.T) {
	e := newEnv(t, nil)
	e.store.put(testSrc, pngOf(t, 1))
	ctx := context.Background()
	if err := e.sendImage(ctx, testSrc); err != nil {
		t.Fatal(err)
	}
	e.sim.Reset()
	f0, _ := e.store.counts()
	e.clock.Add(DefaultRevalidate - time.Second)
	if err := e.sendImage(ctx, testSrc); err != nil {
		t.Fatal(err)
	}
	if calls := e.sim.Calls(); len(calls) != 1 || calls[0].Path != wxsim.PathSend {
		t.Fatalf("calls %+v, want one send", calls)
	}
	if f, _ := e.store.counts(); f != f0 {
		t.Fatalf("%d storage reads on a warm reply", f-f0)
	}
}

// TestRevalidation: after Revalidate, a conditional read; unchanged keeps the media_id.
func TestRevalidation(t *testing.T) {
	e := newEnv(t, nil)
	e.store.put(testSrc, pngOf(t, 1))
	ctx := context.Background()
	id, err := e.cache.MediaID(ctx, testSrc)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(DefaultRevalidate)
	for range 3 {
		again, err := e.cache.MediaID(ctx, testSrc)
		if err != nil || again != id {
			t.Fatalf("after revalidation: %q, %v", again, err)
		}
	}
	if f, c := e.store.counts(); f != 2 || c != 1 {
		t.Fatalf("%d reads (%d conditional), want 2 (1)", f, c)
	}
	if n := e.sim.Count(wxsim.PathUpload); n != 1 {
		t.Fatalf("%d uploads, want 1", n)
	}
	// The next window starts from the revalidation.
	e.clock.Add(DefaultRevalidate - time.Second)
	e.cache.MediaID(ctx, testSrc)
	if f, _ := e.store.counts(); f != 2 {
		t.Fatalf("%d reads within the new window, want 2", f)
	}
}

// TestChangedContentUploadsAgain, with ETags and with content hashes.
func TestChangedContentUploadsAgain(t *testing.T) {
	for _, noETag := range []bool{false, true} {
		e := newEnv(t, nil)
		e.store.noETag = noETag
		e.store.put(testSrc, pngOf(t, 1))
		ctx := context.Background()
		id1, err := e.cache.MediaID(ctx, testSrc)
		if err != nil {
			t.Fatal(err)
		}
		// The same bytes written again: a new ETag, or the same hash.
		e.store.put(testSrc, pngOf(t, 1))
		e.clock.Add(DefaultRevalidate)
		id2, err := e.cache.MediaID(ctx, testSrc)
		if err != nil {
			t.Fatal(err)
		}
		wantUploads := 2
		if noETag {
			wantUploads = 1 // same content hash: same version
			if id2 != id1 {
				t.Fatal("no ETag: same content uploaded again")
			}
		}
		if n := e.sim.Count(wxsim.PathUpload); n != wantUploads {
			t.Fatalf("noETag=%v, same bytes rewritten: %d uploads, want %d", noETag, n, wantUploads)
		}
		e.store.put(testSrc, pngOf(t, 2))
		e.clock.Add(DefaultRevalidate)
		id3, err := e.cache.MediaID(ctx, testSrc)
		if err != nil || id3 == id2 {
			t.Fatalf("noETag=%v, changed content: %q %v", noETag, id3, err)
		}
		if n := e.sim.Count(wxsim.PathUpload); n != wantUploads+1 {
			t.Fatalf("noETag=%v, changed content: %d uploads", noETag, n)
		}
		if data, _, _ := e.sim.Media(id3); !bytes.Equal(data, pngOf(t, 2)) {
			t.Fatal("uploaded the old bytes")
		}
		if _, c := e.store.counts(); noETag && c != 0 {
			t.Fatalf("conditional reads without an ETag: %d", c)
		}
	}
}

// TestTTLExpiry: an entry older than TTL is uploaded again, even though storage says unchanged.
func TestTTLExpiry(t *testing.T) {
	e := newEnv(t, nil)
	e.store.put(testSrc, pngOf(t, 1))
	ctx := context.Background()
	id1, _ := e.cache.MediaID(ctx, testSrc)
	e.clock.Add(DefaultTTL - time.Minute)
	if id, _ := e.cache.MediaID(ctx, testSrc); id != id1 || e.sim.Count(wxsim.PathUpload) != 1 {
		t.Fatal("uploaded again before TTL")
	}
	e.clock.Add(time.Minute)
	id2, err := e.cache.MediaID(ctx, testSrc)
	if err != nil || id2 == id1 {
		t.Fatalf("after TTL: %q, %v", id2, err)
	}
	if n := e.sim.Count(wxsim.PathUpload); n != 2 {
		t.Fatalf("%d uploads, want 2", n)
	}
	if err := e.sendImage(ctx, testSrc); err != nil {
		t.Fatal(err)
	}
}

// TestDoReuploadsOn40007: a media_id WeChat no longer knows makes one new upload and one
// resend.
func TestDoReuploadsOn40007(t *testing.T) {
	e := newEnv(t, nil)
	e.store.put(testSrc, pngOf(t, 1))
	ctx := context.Background()
	if err := e.sendImage(ctx, testSrc); err != nil {
		t.Fatal(err)
	}
	e.sim.ExpireMedia()
	e.sim.Reset()
	if err := e.sendImage(ctx, testSrc); err != nil {
		t.Fatal(err)
	}
	if u, s := e.sim.Count(wxsim.PathUpload), e.sim.Count(wxsim.PathSend); u != 1 || s != 2 {
		t.Fatalf("%d uploads and %d sends, want 1 and 2", u, s)
	}
	// The new media_id is cached.
	e.sim.Reset()
	if err := e.sendImage(ctx, testSrc); err != nil || e.sim.Count(wxsim.PathUpload) != 0 {
		t.Fatalf("after the re-upload: %v, %d uploads", err, e.sim.Count(wxsim.PathUpload))
	}
	// Only once: a second 40007 is returned.
	e.sim.Fail(wxsim.PathSend, 40007, 2)
	err := e.sendImage(ctx, testSrc)
	if !errors.Is(err, wxapi.ErrInvalidMedia) {
		t.Fatalf("40007 twice: %v", err)
	}
	if u, s := e.sim.Count(wxsim.PathUpload), e.sim.Count(wxsim.PathSend); u != 1 || s != 3 {
		t.Fatalf("%d uploads and %d sends, want 1 and 3", u, s)
	}
	// Other errors are returned as they are, without an upload.
	e.sim.Reset()
	e.sim.Fail(wxsim.PathSend, 45047, 1)
	if err := e.sendImage(ctx, testSrc); !errors.Is(err, wxapi.ErrQuota) || e.sim.Count(wxsim.PathUpload) != 0 {
		t.Fatalf("45047: %v", err)
	}
}

// TestConcurrent40007OneUpload: many replies finding the media_id expired share one upload.
func TestConcurrent40007OneUpload(t *testing.T) {
	e := newEnv(t, nil)
	e.store.put(testSrc, pngOf(t, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.cache.MediaID(ctx, testSrc); err != nil {
		t.Fatal(err)
	}
	e.sim.ExpireMedia()
	e.sim.Reset()
	e.sim.Delay(wxsim.PathUpload, 20*time.Millisecond)
	e.sendImagesAtOnce(t, ctx, testSrc, 20)
	if n := e.sim.Count(wxsim.PathUpload); n != 1 {
		t.Fatalf("%d uploads, want 1", n)
	}
}

// TestFailureCachesNothing: a failed read, a refused image or a failed upload leaves nothing
// behind, and the next request tries again.
func TestFailureCachesNothing(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()

	if _, err := e.cache.MediaID(ctx, testSrc); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}
	e.store.put(testSrc, []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"))
	if _, err := e.cache.MediaID(ctx, testSrc); !errors.Is(err, wxapi.ErrImageRefused) {
		t.Fatalf("svg: %v", err)
	}
	e.store.put(testSrc, pngOf(t, 1))
	e.sim.Fail(wxsim.PathUpload, 45009, 1)
	if _, err := e.cache.MediaID(ctx, testSrc); !errors.Is(err, wxapi.ErrDailyLimit) {
		t.Fatalf("upload refused: %v", err)
	}
	storageDown := errors.New("storage down")
	e.store.setFail(storageDown)
	if _, err := e.cache.MediaID(ctx, testSrc); !errors.Is(err, storageDown) {
		t.Fatalf("storage down: %v", err)
	}
	e.store.setFail(nil)
	if _, err := e.cache.MediaID(ctx, testSrc); err != nil {
		t.Fatal(err)
	}
	if f, _ := e.store.counts(); f != 5 {
		t.Fatalf("%d reads, want 5 (one per request)", f)
	}
	if n := e.sim.Count(wxsim.PathUpload); n != 2 {
		t.Fatalf("%d uploads, want 2 (refused, then good)", n)
	}
}

// TestStorageTrouble: when storage fails at revalidation the cached media_id (still within
// TTL) is used and checked again next time; when the object is gone the entry is dropped.
func TestStorageTrouble(t *testing.T) {
	e := newEnv(t, nil)
	e.store.put(testSrc, pngOf(t, 1))
	ctx := context.Background()
	id, _ := e.cache.MediaID(ctx, testSrc)
	e.clock.Add(DefaultRevalidate)
	e.store.setFail(errors.New("503 slow down"))
	for range 2 {
		if got, err := e.cache.MediaID(ctx, testSrc); err != nil || got != id {
			t.Fatalf("storage failing: %q, %v", got, err)
		}
	}
	if f, _ := e.store.counts(); f != 3 {
		t.Fatalf("%d reads, want 3 (each request asks again)", f)
	}
	e.store.setFail(nil)
	e.store.mu.Lock()
	delete(e.store.objects, testSrc)
	e.store.mu.Unlock()
	if _, err := e.cache.MediaID(ctx, testSrc); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("object deleted: %v", err)
	}
	e.cache.mu.Lock()
	_, kept := e.cache.entries[testSrc]
	e.cache.mu.Unlock()
	if kept {
		t.Fatal("entry of a deleted object kept")
	}
}

// TestWaiterStopsOnItsContext: a request waiting for another's upload stops when its context
// ends; the upload completes for the one that started it.
func TestWaiterStopsOnItsContext(t *testing.T) {
	e := newEnv(t, nil)
	e.store.put(testSrc, pngOf(t, 1))
	if _, err := e.client.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.sim.Delay(wxsim.PathUpload, time.Second)
	var wg sync.WaitGroup
	var leaderErr error
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, leaderErr = e.cache.MediaID(ctx, testSrc)
	})
	for deadline := time.Now().Add(5 * time.Second); e.sim.Count(wxsim.PathUpload) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("upload never started")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := e.cache.MediaID(ctx, testSrc); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("waiter: %v after %v", err, time.Since(start))
	}
	wg.Wait()
	if leaderErr != nil {
		t.Fatal(leaderErr)
	}
	if n := e.sim.Count(wxsim.PathUpload); n != 1 {
		t.Fatalf("%d uploads", n)
	}
}
