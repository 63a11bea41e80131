// Package storetest provides S3 servers for the tests of kefu's packages: gofakes3 in-process
// (NewFake, NewTLSFake, NewFakeIgnoringConditions) and moto_server, a separate process
// (StartMoto), with helpers to seed and inspect buckets.
//
// The servers differ in what they prove:
//
//   - gofakes3 v1.2.0 (s3mem) honours If-None-Match: * on PutObject (412 PreconditionFailed
//     when the key exists), atomically: the check and the write share the backend's lock, so
//     of concurrent claims exactly one wins. It honours If-None-Match on GetObject too (304).
//     It starts in microseconds: use it by default.
//   - NewFakeIgnoringConditions is gofakes3 with the conditional headers of PutObject
//     removed: a store that does not honour conditional writes, for the probe that must
//     detect one (DESIGN.md, "Retries").
//   - moto_server (moto 5.2.1) is a second, independent implementation of S3, run as a
//     process. It honours If-None-Match: * (412) and If-None-Match on GetObject (304), but
//     checks and writes without a lock in a threaded server: about one 10-way race in 150
//     lets two claims through. Do not use it to prove that exactly one concurrent claim wins.
//     It took 1.1 to 1.6 s to start on an idle build machine, and up to 9 s on a busy one,
//     so one process serves the whole test binary.
//   - NewTLSFake serves gofakes3 over TLS, where the SDK would send an aws-chunked body if
//     checksums were not "when required"; gofakes3 then stores the framing as the object,
//     which makes the mistake visible.
//
// Every server listens on the loopback interface only.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/kefuhq/kefu/pkg/store"
)

// Region is the region of the Options this package returns.
const Region = "us-east-1"

// Options returns S3 options for a local server at endpoint: dummy credentials, Region and
// path-style addressing.
func Options(endpoint string) store.S3Options {
	return store.S3Options{
		Region:          Region,
		Endpoint:        endpoint,
		AccessKeyID:     "AKIDSTORETEST",
		SecretAccessKey: "storetest-secret",
		PathStyle:       true,
	}
}

// NewFake starts gofakes3 (in memory) on a loopback HTTP server, creates the buckets named,
// and returns the server's URL, to pass to Options. The server is closed when the test ends.
func NewFake(t testing.TB, bucket ...string) (endpoint string) {
	t.Helper()
	ts := httptest.NewServer(newFake(t, bucket))
	t.Cleanup(ts.Close)
	return ts.URL
}

// NewTLSFake is NewFake over TLS: it returns the server's https URL and a client that trusts
// the server's certificate, to put in S3Options.HTTPClient.
func NewTLSFake(t testing.TB, bucket ...string) (endpoint string, client *http.Client) {
	t.Helper()
	ts := httptest.NewTLSServer(newFake(t, bucket))
	t.Cleanup(ts.Close)
	client = ts.Client()
	t.Cleanup(client.CloseIdleConnections)
	return ts.URL, client
}

// NewFakeIgnoringConditions is NewFake with a server that ignores the conditions of a
// PutObject (If-None-Match, If-Match and COS's x-cos-forbid-overwrite) and overwrites: a
// store that does not honour conditional writes.
func NewFakeIgnoringConditions(t testing.TB, bucket ...string) (endpoint string) {
	t.Helper()
	fake := newFake(t, bucket)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			r.Header.Del("If-None-Match")
			r.Header.Del("If-Match")
			r.Header.Del("X-Cos-Forbid-Overwrite")
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// newFake returns the handler of an in-memory gofakes3 holding the buckets named.
func newFake(t testing.TB, buckets []string) http.Handler {
	t.Helper()
	be := s3mem.New()
	for _, b := range buckets {
		if err := be.CreateBucket(b); err != nil {
			t.Fatalf("storetest: create bucket %q: %v", b, err)
		}
	}
	return gofakes3.New(be).Server()
}

// client returns an S3 client for opts, and a function that closes its idle connections.
func client(opts store.S3Options) (*s3.Client, func()) {
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	}
	region := opts.Region
	if region == "" {
		region = Region
	}
	c := s3.New(s3.Options{
		Region:                     region,
		BaseEndpoint:               aws.String(opts.Endpoint),
		UsePathStyle:               opts.PathStyle,
		HTTPClient:                 hc,
		Credentials:                staticCredentials(opts),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	return c, hc.CloseIdleConnections
}

// staticCredentials is opts' key pair as a credentials provider.
func staticCredentials(opts store.S3Options) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: opts.AccessKeyID, SecretAccessKey: opts.SecretAccessKey, SessionToken: opts.SessionToken}, nil
	})
}

// CreateBucket creates bucket on the server of opts.
func CreateBucket(t testing.TB, opts store.S3Options, bucket string) {
	t.Helper()
	c, done := client(opts)
	defer done()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("storetest: create bucket %q: %v", bucket, err)
	}
}

// bucketSeq numbers the buckets NewBucket names in this test binary.
var bucketSeq atomic.Uint64

// NewBucket creates a bucket with a name of its own, derived from the test's name, on the
// server of opts, and returns the name. Tests that share a server (moto) use it to stay apart.
func NewBucket(t testing.TB, opts store.S3Options) string {
	t.Helper()
	var sb strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			sb.WriteRune(r)
		case sb.Len() > 0 && !strings.HasSuffix(sb.String(), "-"):
			sb.WriteByte('-')
		}
	}
	name := strings.Trim(sb.String(), "-")
	if len(name) > 40 {
		sum := sha256.Sum256([]byte(name))
		name = strings.Trim(name[:31], "-") + "-" + hex.EncodeToString(sum[:4])
	}
	name = fmt.Sprintf("t-%s-%d-%d", name, os.Getpid(), bucketSeq.Add(1))
	CreateBucket(t, opts, name)
	return name
}

// Put writes body at bucket/key on the server of opts, unconditionally, with the content type
// of key's extension (if it has a known one).
func Put(t testing.TB, opts store.S3Options, bucket, key string, body []byte) {
	t.Helper()
	c, done := client(opts)
	defer done()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}
	if ct := mime.TypeByExtension(path.Ext(key)); ct != "" {
		in.ContentType = aws.String(ct)
	}
	if _, err := c.PutObject(context.Background(), in); err != nil {
		t.Fatalf("storetest: put s3://%s/%s: %v", bucket, key, err)
	}
}

// Get reads bucket/key from the server of opts; ok is false when there is no such object.
func Get(t testing.TB, opts store.S3Options, bucket, key string) (body []byte, ok bool) {
	t.Helper()
	c, done := client(opts)
	defer done()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return nil, false
	}
	if err != nil {
		t.Fatalf("storetest: get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	body, err = io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("storetest: get s3://%s/%s: %v", bucket, key, err)
	}
	return body, true
}

// moto is the moto_server process shared by the tests of this binary. It is package state on
// purpose: starting moto costs one to two seconds, too much to pay per test.
var moto struct {
	once     sync.Once
	endpoint string
	took     time.Duration
	err      error
	// stdin is the write end of the process's standard input, held for the life of the test
	// binary: when the binary exits, however it exits, the pipe closes and the wrapper kills
	// moto_server. It must stay referenced, or its finalizer would close it early.
	stdin *os.File
}

// motoWrapper runs moto_server ($1) on 127.0.0.1:$2, its output going to the file $3, and
// kills it, and removes $3, when its own standard input reaches end of file.
const motoWrapper = `"$1" -H 127.0.0.1 -p "$2" </dev/null >"$3" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null; wait $pid; rm -f "$3"' EXIT HUP INT TERM
read -r _ || true`

// StartMoto returns the endpoint of a moto_server (moto 5.x, a Python implementation of the
// AWS APIs) listening on a free loopback port, started on the first call in this test binary
// and shared by every later call (use NewBucket to keep tests apart). It stops when the test
// binary exits, whether or not the tests end cleanly; no t.Cleanup is involved.
//
// When moto_server is not on PATH, the test is skipped, unless the environment variable CI is
// "true": then it fails, because in CI a skipped test proves nothing. A moto_server that is
// present but does not start fails the test.
func StartMoto(t testing.TB) (endpoint string) {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("storetest: moto_server is not on PATH (CI=true, where a skip proves nothing): %v", err)
		}
		t.Skipf("storetest: moto_server is not on PATH: %v", err)
	}
	first := false
	moto.once.Do(func() {
		first = true
		start := time.Now()
		moto.endpoint, moto.stdin, moto.err = startMoto(bin)
		moto.took = time.Since(start)
	})
	if moto.err != nil {
		t.Fatalf("storetest: %v", moto.err)
	}
	if first {
		t.Logf("storetest: moto_server started in %v at %s (shared by this test binary)", moto.took.Round(time.Millisecond), moto.endpoint)
	}
	return moto.endpoint
}

// startMoto starts moto_server through motoWrapper and waits until it answers.
func startMoto(bin string) (endpoint string, stdin *os.File, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("find a free port: %w", err)
	}
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	endpoint = "http://127.0.0.1:" + port

	logf, err := os.CreateTemp("", "moto-server-*.log")
	if err != nil {
		return "", nil, err
	}
	logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	defer r.Close()
	cmd := exec.Command("/bin/sh", "-c", motoWrapper, "moto-wrapper", bin, port, logf.Name())
	// A file, not a reader, and no output: exec starts no copying goroutine, so goleak stays
	// quiet; and the process is never waited for (it ends with the binary).
	cmd.Stdin = r
	if err := cmd.Start(); err != nil {
		w.Close()
		return "", nil, fmt.Errorf("start moto_server: %w", err)
	}
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := hc.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return endpoint, w, nil
			}
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logf.Name())
			w.Close() // stops the wrapper and moto_server
			if len(out) > 2000 {
				out = out[len(out)-2000:]
			}
			return "", nil, fmt.Errorf("moto_server did not answer on %s within 30s (last error: %v); its output:\n%s", endpoint, err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
