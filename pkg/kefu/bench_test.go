package kefu_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/kefu"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxapi"
)

// sealMany seals n distinct text pushes (distinct MsgIds, so dedup lets each through).
func sealMany(b *testing.B, h *harness, n int) []push.Sealed {
	out := make([]push.Sealed, n)
	for i := range out {
		s, err := h.pusher.Seal(h.pusher.Text(fmt.Sprintf("o%027d", i%1000), "你好"))
		if err != nil {
			b.Fatal(err)
		}
		out[i] = s
	}
	return out
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPush is one warm safe-mode JSON text push end to end over loopback: WeChat's side
// posts it, kefu opens it, matches the rules and sends the reply to the fake API, and answers.
// Everything runs in this process, so cpu-ns/push counts WeChat's side too.
func BenchmarkPush(b *testing.B) {
	h := newHarness(b, harnessOptions{mode: push.Safe, format: push.JSON})
	pushes := sealMany(b, h, b.N+1)
	if _, err := h.pusher.Repost(context.Background(), pushes[b.N]); err != nil { // warm: token, connections
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := h.pusher.Repost(context.Background(), pushes[i])
		if err != nil || !r.Success {
			b.Fatal(err, r)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/push")
}

// BenchmarkPushParallel is the same under concurrent load (GOMAXPROCS × 4 senders).
func BenchmarkPushParallel(b *testing.B) {
	h := newHarness(b, harnessOptions{mode: push.Safe, format: push.JSON})
	pushes := sealMany(b, h, b.N+1)
	if _, err := h.pusher.Repost(context.Background(), pushes[b.N]); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4)
	cpu := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			r, err := h.pusher.Repost(context.Background(), pushes[i])
			if err != nil || !r.Success {
				b.Error(err, r)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/push")
}

// nopAPI accepts every call at once: BenchmarkHandle measures kefu's own work without the
// HTTP round trips to WeChat.
type nopAPI struct{}

func (nopAPI) Send(context.Context, *wxapi.Message) error { return nil }
func (nopAPI) Typing(context.Context, string, bool) error { return nil }

// BenchmarkHandle is kefu's own work for one safe-mode JSON text push, everything but
// net/http in and out: open, dedup, match, build and hand over the send, the answer, and the
// log line (written to /dev/null, a real write per push as on a platform).
func BenchmarkHandle(b *testing.B) {
	h := newHarness(b, harnessOptions{mode: push.Safe, format: push.JSON})
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	svc, err := kefu.New(kefu.Options{AppID: appID, Opener: h.opener(b), Rules: h.app.Rules, API: nopAPI{},
		Media: h.app.Media, Dedup: h.app.Dedup, Deadline: 4 * time.Second, Logger: slog.New(slog.NewJSONHandler(devnull, nil))})
	if err != nil {
		b.Fatal(err)
	}
	pushes := sealMany(b, h, b.N)
	reqs := make([]kefu.Request, b.N)
	for i, s := range pushes {
		reqs[i] = kefu.Request{Method: "POST", Query: push.RawQuery(s.Query.Encode()), Body: s.Body}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := svc.Handle(context.Background(), reqs[i]); r.Status != 200 {
			b.Fatal(r.Status, string(r.Body))
		}
	}
}
