package kefu_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
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
