package kefu_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// TestSoak is a bounded loopback soak: 20,000 pushes, 16 at a time, 5% of them retries of
// earlier pushes and 1% with a bad signature. It ends with exactly one send per unique valid
// push, every bad one refused, no errors, and no goroutine left behind. It counts; it does
// not time.
func TestSoak(t *testing.T) {
	total := 20000
	if testing.Short() {
		total = 2000
	}
	h := newHarness(t, harnessOptions{mode: push.Safe, format: push.JSON})
	before := runtime.NumGoroutine()

	type job struct {
		sealed push.Sealed
		bad    bool
		retry  bool
	}
	r := rand.New(rand.NewPCG(7, 8))
	var sealedSoFar []push.Sealed
	jobs := make([]job, 0, total)
	unique := 0
	bad := 0
	for i := range total {
		switch p := r.IntN(100); {
		case p < 5 && len(sealedSoFar) > 0:
			jobs = append(jobs, job{sealed: sealedSoFar[r.IntN(len(sealedSoFar))], retry: true})
		case p == 5:
			s, err := h.pusher.Seal(h.pusher.Text(fmt.Sprintf("o%027d", i), "你好"))
			must(t, err)
			q := map[string][]string{}
			for k, v := range s.Query {
				q[k] = v
			}
			sig := []byte(s.Query.Get("msg_signature"))
			sig[0] = "10"[min(1, int(sig[0]-'0'))] // any other first digit
			q["msg_signature"] = []string{string(sig)}
			jobs = append(jobs, job{sealed: push.Sealed{Query: q, Body: s.Body}, bad: true})
			bad++
		default:
			s, err := h.pusher.Seal(h.pusher.Text(fmt.Sprintf("o%027d", i), "你好"))
			must(t, err)
			sealedSoFar = append(sealedSoFar, s)
			jobs = append(jobs, job{sealed: s})
			unique++
		}
	}

	var refused, errors, wrong atomic.Int64
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) {
					return
				}
				j := jobs[i]
				res, err := h.pusher.Repost(context.Background(), j.sealed)
				switch {
				case err != nil:
					errors.Add(1)
				case j.bad && res.Status == http.StatusUnauthorized:
					refused.Add(1)
				case !j.bad && res.Success:
				default:
					if wrong.Add(1) <= 3 {
						t.Logf("job %d (bad %v, retry %v): %d %q", i, j.bad, j.retry, res.Status, res.Body)
					}
				}
			}
		})
	}
	wg.Wait()

	if errors.Load() != 0 || wrong.Load() != 0 {
		t.Fatalf("%d transport errors, %d wrong answers", errors.Load(), wrong.Load())
	}
	if int(refused.Load()) != bad {
		t.Fatalf("%d of %d bad pushes refused", refused.Load(), bad)
	}
	if sends := h.api.Count(wxsim.PathSend); sends != unique {
		t.Fatalf("%d sends for %d unique valid pushes", sends, unique)
	}
	// No goroutine growth: once idle keep-alive connections are closed, the count returns to
	// where it started.
	http.DefaultClient.CloseIdleConnections()
	h.app.API.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines grew from %d to %d\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	t.Logf("%d pushes: %d unique valid, %d retries, %d bad; %d sends", total, unique, total-unique-bad, bad, h.api.Count(wxsim.PathSend))
}
