package storetest_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/kefuhq/kefu/pkg/store"
	"github.com/kefuhq/kefu/pkg/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestFake(t *testing.T) {
	opts := storetest.Options(storetest.NewFake(t, "one", "two"))
	if opts.Region != storetest.Region || !opts.PathStyle || opts.AccessKeyID == "" {
		t.Errorf("Options = %+v", opts)
	}
	storetest.Put(t, opts, "two", "a/b.png", []byte("png"))
	if body, ok := storetest.Get(t, opts, "two", "a/b.png"); !ok || string(body) != "png" {
		t.Errorf("Get = %q, %v", body, ok)
	}
	if _, ok := storetest.Get(t, opts, "one", "a/b.png"); ok {
		t.Error("Get of a missing key reports it present")
	}
	s, err := store.New(store.Options{S3: opts})
	if err != nil {
		t.Fatal(err)
	}
	defer s.CloseIdleConnections()
	obj, err := s.Get(context.Background(), "s3://two/a/b.png", "")
	if err != nil || obj.ContentType != "image/png" {
		t.Errorf("store Get = %v, ContentType %q (Put sets the type of the extension)", err, obj.ContentType)
	}
	bucket := storetest.NewBucket(t, opts)
	if err := s.PutIfAbsent(context.Background(), "s3://"+bucket+"/k", []byte("x"), ""); err != nil {
		t.Errorf("PutIfAbsent in NewBucket's bucket: %v", err)
	}
	if err := s.PutIfAbsent(context.Background(), "s3://"+bucket+"/k", []byte("x"), ""); !errors.Is(err, store.ErrExists) {
		t.Errorf("second PutIfAbsent on gofakes3 = %v, want ErrExists (gofakes3 honours If-None-Match: *)", err)
	}
}

func TestNewBucketNames(t *testing.T) {
	opts := storetest.Options(storetest.NewFake(t))
	t.Run("A very long sub-test name, with UPPER case and punctuation!! that goes on", func(t *testing.T) {
		a, b := storetest.NewBucket(t, opts), storetest.NewBucket(t, opts)
		for _, name := range []string{a, b} {
			if len(name) < 3 || len(name) > 63 || strings.ToLower(name) != name || strings.Contains(name, "--") {
				t.Errorf("bucket name %q is not a valid S3 name", name)
			}
		}
		if a == b {
			t.Errorf("two buckets named %q", a)
		}
	})
}

func TestFakeIgnoringConditions(t *testing.T) {
	opts := storetest.Options(storetest.NewFakeIgnoringConditions(t, "b"))
	s, err := store.New(store.Options{S3: opts})
	if err != nil {
		t.Fatal(err)
	}
	defer s.CloseIdleConnections()
	for _, body := range []string{"first", "second"} {
		if err := s.PutIfAbsent(context.Background(), "s3://b/probe", []byte(body), ""); err != nil {
			t.Fatalf("PutIfAbsent(%s) = %v, want nil on a store ignoring conditions", body, err)
		}
	}
	if body, _ := storetest.Get(t, opts, "b", "probe"); string(body) != "second" {
		t.Errorf("object holds %q, want the overwrite", body)
	}
}

func TestTLSFake(t *testing.T) {
	endpoint, client := storetest.NewTLSFake(t, "b")
	if !strings.HasPrefix(endpoint, "https://127.0.0.1:") {
		t.Errorf("endpoint %q", endpoint)
	}
	opts := storetest.Options(endpoint)
	opts.HTTPClient = client
	storetest.Put(t, opts, "b", "k", []byte("hello"))
	if body, ok := storetest.Get(t, opts, "b", "k"); !ok || !bytes.Equal(body, []byte("hello")) {
		t.Errorf("Get over TLS = %q", body)
	}
}

func TestStartMoto(t *testing.T) {
	endpoint := storetest.StartMoto(t)
	if again := storetest.StartMoto(t); again != endpoint {
		t.Errorf("second StartMoto = %s, want the shared %s", again, endpoint)
	}
	opts := storetest.Options(endpoint)
	bucket := storetest.NewBucket(t, opts)
	storetest.Put(t, opts, bucket, "k.txt", []byte("moto"))
	if body, ok := storetest.Get(t, opts, bucket, "k.txt"); !ok || string(body) != "moto" {
		t.Errorf("Get from moto = %q, %v", body, ok)
	}
}
