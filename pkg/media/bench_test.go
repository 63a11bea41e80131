package media

import (
	"context"
	"testing"
)

// BenchmarkMediaIDHit is a cache hit within the revalidation window.
func BenchmarkMediaIDHit(b *testing.B) {
	e := newEnv(b, func(o *Options) { o.Now = nil })
	e.store.put(testSrc, pngOf(b, 1))
	ctx := context.Background()
	if _, err := e.cache.MediaID(ctx, testSrc); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.cache.MediaID(ctx, testSrc); err != nil {
			b.Fatal(err)
		}
	}
}
