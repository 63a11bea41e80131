package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/kefuhq/kefu/pkg/store"
)

// BenchmarkNew measures what New costs at a cold start: the S3 client is not built here.
func BenchmarkNew(b *testing.B) {
	opts := store.Options{S3: store.S3Options{
		Region: "ap-guangzhou", Endpoint: "https://cos.ap-guangzhou.myqcloud.com",
		AccessKeyID: "AKID", SecretAccessKey: "secret",
	}}
	for b.Loop() {
		if _, err := store.New(opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetFileNotModified measures the check a local rules file gets about every second.
func BenchmarkGetFileNotModified(b *testing.B) {
	name := filepath.Join(b.TempDir(), "rules.yaml")
	s, err := store.New(store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.PutIfAbsent(context.Background(), name, []byte("version: 1\n"), ""); err != nil {
		b.Fatal(err)
	}
	obj, err := s.Get(context.Background(), name, "")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(context.Background(), name, obj.ETag); !errors.Is(err, store.ErrNotModified) {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetEmbed measures reading a bundled image (hashed for its ETag on every read).
func BenchmarkGetEmbed(b *testing.B) {
	s, err := store.New(store.Options{Embedded: fstest.MapFS{"media/card.png": {Data: make([]byte, 64<<10)}}})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(context.Background(), "embed:///media/card.png", ""); err != nil {
			b.Fatal(err)
		}
	}
}
