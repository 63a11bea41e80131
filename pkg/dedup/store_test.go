package dedup

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/store"
	"github.com/kefuhq/kefu/pkg/store/storetest"
)

func newStore(t *testing.T, endpoint string) *store.Store {
	t.Helper()
	s, err := store.New(store.Options{S3: storetest.Options(endpoint)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.CloseIdleConnections)
	return s
}

// Two instances sharing one prefix on real S3 implementations: exactly one claims a key.
func TestSharedOverS3(t *testing.T) {
	for _, server := range []struct {
		name string
		ep   func(t *testing.T) (string, string)
	}{
		{"gofakes3", func(t *testing.T) (string, string) { return storetest.NewFake(t, "dedup"), "dedup" }},
		{"moto", func(t *testing.T) (string, string) {
			ep := storetest.StartMoto(t)
			return ep, storetest.NewBucket(t, storetest.Options(ep))
		}},
	} {
		t.Run(server.name, func(t *testing.T) {
			ep, bucket := server.ep(t)
			shared := "s3://" + bucket + "/kefu/dedup"
			a, _ := New(Options{TTL: time.Minute, Shared: shared, Store: newStore(t, ep)})
			b, _ := New(Options{TTL: time.Minute, Shared: shared, Store: newStore(t, ep)})
			ctx := context.Background()
			if !a.Claim(ctx, "m|wx1|1") || !a.Shared() {
				t.Fatal("a's first claim")
			}
			if b.Claim(ctx, "m|wx1|1") {
				t.Fatal("b must see a's claim")
			}
			if !b.Claim(ctx, "m|wx1|2") || a.Claim(ctx, "m|wx1|2") {
				t.Fatal("the other way round")
			}
		})
	}
}

// A store that ignores If-None-Match is found out by the probe and not trusted.
func TestProbeDetectsIgnoredConditions(t *testing.T) {
	ep := storetest.NewFakeIgnoringConditions(t, "dedup")
	log, buf := logger()
	d, _ := New(Options{TTL: time.Minute, Shared: "s3://dedup/p", Store: newStore(t, ep), Logger: log})
	if !d.Claim(context.Background(), "k") {
		t.Fatal("the first claim is new")
	}
	if d.Shared() || !strings.Contains(buf.String(), "does not honour conditional writes") || !strings.Contains(buf.String(), "level=ERROR") {
		t.Fatalf("the probe did not detect the store: shared=%v\n%s", d.Shared(), buf)
	}
}
