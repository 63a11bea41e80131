package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kefuhq/kefu/pkg/store"
	"github.com/kefuhq/kefu/pkg/store/storetest"
)

func TestS3Get(t *testing.T) {
	opts := storetest.Options(storetest.NewFake(t, "bucket"))
	storetest.Put(t, opts, "bucket", "kefu/media/card.png", []byte("\x89PNG card"))
	storetest.Put(t, opts, "bucket", "kefu/big.bin", bytes.Repeat([]byte("x"), 33))
	storetest.Put(t, opts, "bucket", "kefu/exact.bin", bytes.Repeat([]byte("x"), 32))
	s := newStore(t, store.Options{S3: opts, MaxSize: 32})
	ctx := context.Background()

	obj, err := s.Get(ctx, "s3://bucket/kefu/media/card.png", "")
	if err != nil {
		t.Fatal(err)
	}
	if string(obj.Body) != "\x89PNG card" || obj.ContentType != "image/png" || obj.ETag == "" || obj.ModTime.IsZero() {
		t.Errorf("Get = %q, ContentType %q, ETag %q, ModTime %v", obj.Body, obj.ContentType, obj.ETag, obj.ModTime)
	}
	_, err = s.Get(ctx, "s3://bucket/kefu/media/card.png", obj.ETag)
	wantErr(t, err, store.ErrNotModified, "store: get s3://bucket/kefu/media/card.png")
	if again, err := s.Get(ctx, "s3://bucket/kefu/media/card.png", `"stale"`); err != nil || !bytes.Equal(again.Body, obj.Body) {
		t.Errorf("Get with a stale ETag = %v", err)
	}

	_, err = s.Get(ctx, "s3://bucket/kefu/missing.png", "")
	wantErr(t, err, store.ErrNotFound, "store: get s3://bucket/kefu/missing.png: object not found: NoSuchKey")
	t.Logf("missing key: %v", err)
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("error %v does not unwrap to *types.NoSuchKey", err)
	}
	_, err = s.Get(ctx, "s3://no-such-bucket/kefu/rules.yaml", "")
	wantErr(t, err, store.ErrNotFound, "store: get s3://no-such-bucket/kefu/rules.yaml: object not found: NoSuchBucket")
	t.Logf("missing bucket: %v", err)

	_, err = s.Get(ctx, "s3://bucket/kefu/big.bin", "")
	wantErr(t, err, store.ErrTooLarge, "s3://bucket/kefu/big.bin", "32 bytes")
	if obj, err := s.Get(ctx, "s3://bucket/kefu/exact.bin", ""); err != nil || len(obj.Body) != 32 {
		t.Errorf("Get(an object of exactly MaxSize) = %v", err)
	}
}

func TestS3PutIfAbsent(t *testing.T) {
	opts := storetest.Options(storetest.NewFake(t, "bucket"))
	s := newStore(t, store.Options{S3: opts})
	ctx := context.Background()
	body := []byte("claimed \x00\xff\r\n")

	if err := s.PutIfAbsent(ctx, "s3://bucket/dedup/k1", body, "application/octet-stream"); err != nil {
		t.Fatalf("first claim: %v", err)
	}
	err := s.PutIfAbsent(ctx, "s3://bucket/dedup/k1", []byte("other"), "")
	wantErr(t, err, store.ErrExists, "store: put s3://bucket/dedup/k1: object already exists", "412")
	if got, _ := storetest.Get(t, opts, "bucket", "dedup/k1"); !bytes.Equal(got, body) {
		t.Errorf("stored %q, want %q", got, body)
	}
	if n := claimConcurrently(t, s, "s3://bucket/dedup/race", 10); n != 1 {
		t.Errorf("%d of 10 concurrent claims succeeded on gofakes3, want 1", n)
	}
	err = s.PutIfAbsent(ctx, "s3://no-such-bucket/dedup/k1", body, "")
	wantErr(t, err, store.ErrNotFound, "NoSuchBucket")
}

// TestS3PutIfAbsentIgnoredConditions shows what a store that ignores conditional writes does:
// the second claim succeeds too. kefu's dedup must detect such a store with a probe.
func TestS3PutIfAbsentIgnoredConditions(t *testing.T) {
	opts := storetest.Options(storetest.NewFakeIgnoringConditions(t, "bucket"))
	s := newStore(t, store.Options{S3: opts})
	for i := range 2 {
		if err := s.PutIfAbsent(context.Background(), "s3://bucket/probe", []byte("x"), ""); err != nil {
			t.Fatalf("claim %d on a store ignoring conditions: %v, want nil", i+1, err)
		}
	}
}

// TestS3OverTLS writes and reads back over TLS, where an SDK computing checksums "when
// supported" sends the body in aws-chunked framing, which gofakes3 (like COS) does not decode:
// the object would then hold the framing. Checksums "when required" keep the body as it is.
func TestS3OverTLS(t *testing.T) {
	endpoint, client := storetest.NewTLSFake(t, "bucket")
	opts := storetest.Options(endpoint)
	opts.HTTPClient = client
	s := newStore(t, store.Options{S3: opts})
	ctx := context.Background()
	body := []byte("hello world, 你好\n")

	if err := s.PutIfAbsent(ctx, "s3://bucket/kefu/hello.txt", body, "text/plain"); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Get(ctx, "s3://bucket/kefu/hello.txt", "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(obj.Body, body) {
		t.Fatalf("read back %q, want exactly %q (aws-chunked framing stored as the body?)", obj.Body, body)
	}
	_, err = s.Get(ctx, "s3://bucket/kefu/hello.txt", obj.ETag)
	wantErr(t, err, store.ErrNotModified)
	wantErr(t, s.PutIfAbsent(ctx, "s3://bucket/kefu/hello.txt", body, ""), store.ErrExists)
}

// roundTripper answers S3 requests without a network, and records them.
type roundTripper struct {
	mu     sync.Mutex
	reqs   []*http.Request
	bodies [][]byte
	answer func(*http.Request) *http.Response
}

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, req)
	rt.bodies = append(rt.bodies, body)
	rt.mu.Unlock()
	resp := rt.answer(req)
	resp.Request = req
	return resp, nil
}

func (rt *roundTripper) last(t *testing.T) (*http.Request, []byte) {
	t.Helper()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.reqs) == 0 {
		t.Fatal("no request was sent")
	}
	return rt.reqs[len(rt.reqs)-1], rt.bodies[len(rt.bodies)-1]
}

func response(status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{
		StatusCode:    status,
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		ContentLength: int64(len(body)),
		Body:          io.NopCloser(strings.NewReader(body)),
	}
}

func s3ErrorBody(code, msg string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message><RequestId>r1</RequestId></Error>`
}

// TestS3COSAddressing checks, without a network, the requests sent to Tencent COS through its
// S3 API: virtual-hosted addressing, SigV4 for the COS region, no checksum headers, and the
// conditional write in both S3's and COS's form with a plain body.
func TestS3COSAddressing(t *testing.T) {
	rt := &roundTripper{answer: func(req *http.Request) *http.Response {
		if req.Method == http.MethodGet {
			h := http.Header{"Etag": {`"abc"`}, "Content-Type": {"application/yaml"}, "Last-Modified": {"Mon, 02 Jan 2026 15:04:05 GMT"}}
			return response(http.StatusOK, h, "version: 1\n")
		}
		return response(http.StatusOK, http.Header{"Etag": {`"def"`}}, "")
	}}
	const id, secret = "AKIDEXAMPLE", "cos-secret-key"
	s := newStore(t, store.Options{S3: store.S3Options{
		Region:          "ap-guangzhou",
		Endpoint:        "https://cos.ap-guangzhou.myqcloud.com",
		AccessKeyID:     id,
		SecretAccessKey: secret,
		HTTPClient:      &http.Client{Transport: rt},
	}})
	ctx := context.Background()

	obj, err := s.Get(ctx, "s3://examplebucket-1250000000/kefu/rules.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if string(obj.Body) != "version: 1\n" || obj.ETag != `"abc"` || obj.ContentType != "application/yaml" || obj.ModTime.IsZero() {
		t.Errorf("Get = %+v", obj)
	}
	req, _ := rt.last(t)
	if req.URL.Scheme != "https" || req.URL.Host != "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com" || req.URL.Path != "/kefu/rules.yaml" {
		t.Errorf("GET %s, want https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/kefu/rules.yaml (virtual-hosted)", req.URL)
	}
	checkSigV4(t, req, id, "ap-guangzhou")
	for _, h := range []string{"X-Amz-Checksum-Mode", "If-None-Match"} {
		if v := req.Header.Get(h); v != "" {
			t.Errorf("GetObject sent %s: %s", h, v)
		}
	}

	_, _ = s.Get(ctx, "s3://examplebucket-1250000000/kefu/rules.yaml", `"abc"`)
	req, _ = rt.last(t)
	if got := req.Header.Get("If-None-Match"); got != `"abc"` {
		t.Errorf("conditional GetObject sent If-None-Match %q", got)
	}

	body := []byte("claim \x00\xff")
	if err := s.PutIfAbsent(ctx, "s3://examplebucket-1250000000/dedup/k1", body, "text/plain"); err != nil {
		t.Fatal(err)
	}
	req, sent := rt.last(t)
	if req.Method != http.MethodPut || req.URL.Host != "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com" || req.URL.Path != "/dedup/k1" {
		t.Errorf("%s %s, want PUT on the virtual host", req.Method, req.URL)
	}
	checkSigV4(t, req, id, "ap-guangzhou")
	want := map[string]string{"If-None-Match": "*", "X-Cos-Forbid-Overwrite": "true", "Content-Type": "text/plain", "Content-Length": fmt.Sprint(len(body))}
	for h, v := range want {
		got := req.Header.Get(h)
		if h == "Content-Length" && req.ContentLength >= 0 {
			got = fmt.Sprint(req.ContentLength)
		}
		if got != v {
			t.Errorf("PutObject header %s = %q, want %q", h, got, v)
		}
	}
	for _, h := range []string{"Content-Encoding", "X-Amz-Trailer", "X-Amz-Decoded-Content-Length", "X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Checksum-Crc32"} {
		if v := req.Header.Get(h); v != "" {
			t.Errorf("PutObject sent %s: %s (checksums must be 'when required')", h, v)
		}
	}
	if sha := req.Header.Get("X-Amz-Content-Sha256"); strings.HasPrefix(sha, "STREAMING") {
		t.Errorf("PutObject X-Amz-Content-Sha256 = %s: an aws-chunked body", sha)
	}
	if !bytes.Equal(sent, body) {
		t.Errorf("PutObject body = %q, want exactly %q", sent, body)
	}
	if !strings.Contains(signedHeaders(req), "x-cos-forbid-overwrite") {
		t.Errorf("x-cos-forbid-overwrite is not signed: %s", req.Header.Get("Authorization"))
	}
}

var credentialRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$`)

// checkSigV4 checks that req is signed with SigV4 for the access key id and region, today.
func checkSigV4(t *testing.T, req *http.Request, id, region string) {
	t.Helper()
	auth := req.Header.Get("Authorization")
	m := credentialRE.FindStringSubmatch(auth)
	if m == nil {
		t.Fatalf("Authorization = %q, want AWS4-HMAC-SHA256 Credential=%s/<yyyymmdd>/%s/s3/aws4_request", auth, id, region)
	}
	if m[1] != id || m[3] != region {
		t.Errorf("Authorization credential %s/%s/%s, want %s/<date>/%s", m[1], m[2], m[3], id, region)
	}
	if date := req.Header.Get("X-Amz-Date"); !strings.HasPrefix(date, m[2]) {
		t.Errorf("credential date %s, X-Amz-Date %s", m[2], date)
	}
	if d, err := time.Parse("20060102", m[2]); err != nil || time.Since(d) > 48*time.Hour || time.Until(d) > 24*time.Hour {
		t.Errorf("credential date %s is not today", m[2])
	}
}

func signedHeaders(req *http.Request) string {
	if m := credentialRE.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		return m[4]
	}
	return ""
}

// TestS3IgnoresEnvironment checks that the AWS SDK's variables (and AWS_CA_BUNDLE, which
// these machines export) change nothing: only S3Options count.
func TestS3IgnoresEnvironment(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_REGION":                       "xx-env-1",
		"AWS_DEFAULT_REGION":               "xx-env-2",
		"AWS_ENDPOINT_URL":                 "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_S3":              "http://127.0.0.1:1",
		"AWS_ACCESS_KEY_ID":                "AKIDFROMENV",
		"AWS_SECRET_ACCESS_KEY":            "env-secret",
		"AWS_CA_BUNDLE":                    "/nonexistent/ca.pem",
		"AWS_REQUEST_CHECKSUM_CALCULATION": "when_supported",
		"AWS_RESPONSE_CHECKSUM_VALIDATION": "when_supported",
		"AWS_S3_USE_ARN_REGION":            "true",
		"AWS_MAX_ATTEMPTS":                 "1",
		"KEFU_S3_PATH_STYLE":               "true",
	} {
		t.Setenv(k, v)
	}
	rt := &roundTripper{answer: func(*http.Request) *http.Response { return response(http.StatusOK, nil, "x") }}
	s := newStore(t, store.Options{S3: store.S3Options{
		Endpoint: "https://cos.ap-guangzhou.myqcloud.com", AccessKeyID: "AKIDOPTS", SecretAccessKey: "s",
		HTTPClient: &http.Client{Transport: rt},
	}})
	if _, err := s.Get(context.Background(), "s3://examplebucket-1250000000/k", ""); err != nil {
		t.Fatal(err)
	}
	req, _ := rt.last(t)
	if req.URL.Host != "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com" || req.Header.Get("X-Amz-Checksum-Mode") != "" {
		t.Errorf("GET %s with X-Amz-Checksum-Mode %q: the environment leaked in", req.URL, req.Header.Get("X-Amz-Checksum-Mode"))
	}
	checkSigV4(t, req, "AKIDOPTS", "ap-guangzhou")
}

func TestS3RegionAndAddressing(t *testing.T) {
	ok := func(*http.Request) *http.Response { return response(http.StatusOK, nil, "x") }
	tests := []struct {
		name       string
		opts       store.S3Options
		host, path string
		region     string
	}{
		{"COS region from the endpoint", store.S3Options{Endpoint: "https://cos.ap-shanghai.myqcloud.com"}, "bkt-1250000000.cos.ap-shanghai.myqcloud.com", "/k/x", "ap-shanghai"},
		{"COS region given", store.S3Options{Endpoint: "https://cos.accelerate.myqcloud.com", Region: "ap-beijing"}, "bkt-1250000000.cos.accelerate.myqcloud.com", "/k/x", "ap-beijing"},
		{"IP endpoint is path-style", store.S3Options{Endpoint: "http://127.0.0.1:9000"}, "127.0.0.1:9000", "/bkt-1250000000/k/x", "us-east-1"},
		{"IPv6 endpoint is path-style", store.S3Options{Endpoint: "http://[::1]:9000", Region: "eu-west-1"}, "[::1]:9000", "/bkt-1250000000/k/x", "eu-west-1"},
		{"path style on request", store.S3Options{Endpoint: "https://minio.example.com", PathStyle: true}, "minio.example.com", "/bkt-1250000000/k/x", "us-east-1"},
		{"virtual-hosted by default", store.S3Options{Endpoint: "https://s3.example.com", Region: "r1"}, "bkt-1250000000.s3.example.com", "/k/x", "r1"},
		{"Amazon S3", store.S3Options{Region: "eu-central-1"}, "bkt-1250000000.s3.eu-central-1.amazonaws.com", "/k/x", "eu-central-1"},
	}
	for _, tt := range tests {
		rt := &roundTripper{answer: ok}
		tt.opts.AccessKeyID, tt.opts.SecretAccessKey = "AKID", "secret"
		tt.opts.HTTPClient = &http.Client{Transport: rt}
		s := newStore(t, store.Options{S3: tt.opts})
		if _, err := s.Get(context.Background(), "s3://bkt-1250000000/k/x", ""); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		req, _ := rt.last(t)
		if req.URL.Host != tt.host || req.URL.Path != tt.path {
			t.Errorf("%s: GET %s, want host %s path %s", tt.name, req.URL, tt.host, tt.path)
		}
		checkSigV4(t, req, "AKID", tt.region)
	}

	// Amazon S3 without a region: a clear error on use, not a guess.
	s := newStore(t, store.Options{S3: store.S3Options{AccessKeyID: "AKID", SecretAccessKey: "secret"}})
	_, err := s.Get(context.Background(), "s3://b/k", "")
	if err == nil || !strings.Contains(err.Error(), "AWS_REGION") || !strings.Contains(err.Error(), "s3://b/k") {
		t.Errorf("Get without a region = %v, want an error naming AWS_REGION", err)
	}
	err = s.PutIfAbsent(context.Background(), "s3://b/k", nil, "")
	if err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("PutIfAbsent without a region = %v", err)
	}

	// Without credentials, requests are unsigned.
	rt := &roundTripper{answer: func(*http.Request) *http.Response {
		return response(http.StatusForbidden, nil, s3ErrorBody("AccessDenied", "Access Denied"))
	}}
	anon := newStore(t, store.Options{S3: store.S3Options{Region: "us-east-1", HTTPClient: &http.Client{Transport: rt}}})
	_, err = anon.Get(context.Background(), "s3://b/k", "")
	wantErr(t, err, store.ErrDenied, "AccessDenied", "unsigned")
	if req, _ := rt.last(t); req.Header.Get("Authorization") != "" {
		t.Errorf("anonymous request sent Authorization %q", req.Header.Get("Authorization"))
	}
}

func TestS3ErrorKinds(t *testing.T) {
	const secret = "very-secret-key"
	tests := []struct {
		name   string
		put    bool
		status int
		body   string
		kind   error
		says   string
	}{
		{"304", false, http.StatusNotModified, "", store.ErrNotModified, ""},
		{"404 NoSuchKey", false, http.StatusNotFound, s3ErrorBody("NoSuchKey", "The specified key does not exist."), store.ErrNotFound, "NoSuchKey: The specified key does not exist."},
		{"404 NoSuchBucket", false, http.StatusNotFound, s3ErrorBody("NoSuchBucket", "The specified bucket does not exist"), store.ErrNotFound, "NoSuchBucket"},
		{"403", false, http.StatusForbidden, s3ErrorBody("AccessDenied", "Access Denied"), store.ErrDenied, "AccessDenied"},
		{"403 COS path style", false, http.StatusForbidden, s3ErrorBody("PathStyleDomainForbidden", "path style is forbidden"), store.ErrDenied, "PathStyleDomainForbidden"},
		{"401", false, http.StatusUnauthorized, "", store.ErrDenied, "401"},
		{"412 on put", true, http.StatusPreconditionFailed, s3ErrorBody("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"), store.ErrExists, "PreconditionFailed"},
		{"409 on put", true, http.StatusConflict, s3ErrorBody("ConditionalRequestConflict", "A conflicting conditional operation is currently in progress"), store.ErrExists, "ConditionalRequestConflict"},
		{"409 COS", true, http.StatusConflict, s3ErrorBody("FileAlreadyExists", "file already exists"), store.ErrExists, "FileAlreadyExists"},
		{"403 on put", true, http.StatusForbidden, s3ErrorBody("AccessDenied", "Access Denied"), store.ErrDenied, "AccessDenied"},
		{"400", false, http.StatusBadRequest, s3ErrorBody("InvalidRequest", "bad"), nil, "InvalidRequest"},
	}
	for _, tt := range tests {
		rt := &roundTripper{answer: func(*http.Request) *http.Response { return response(tt.status, nil, tt.body) }}
		s := newStore(t, store.Options{S3: store.S3Options{
			Endpoint: "https://cos.ap-guangzhou.myqcloud.com", AccessKeyID: "AKID", SecretAccessKey: secret,
			HTTPClient: &http.Client{Transport: rt},
		}})
		var err error
		if tt.put {
			err = s.PutIfAbsent(context.Background(), "s3://b-1250000000/k", []byte("x"), "")
		} else {
			_, err = s.Get(context.Background(), "s3://b-1250000000/k", `"e"`)
		}
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, kind := range []error{store.ErrNotModified, store.ErrNotFound, store.ErrDenied, store.ErrExists, store.ErrTooLarge} {
			if errors.Is(err, kind) != (kind == tt.kind) {
				t.Errorf("%s: error %q: errors.Is(%v) = %v", tt.name, err, kind, !(kind == tt.kind))
			}
		}
		if !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "s3://b-1250000000/k") {
			t.Errorf("%s: error %q, want it to name the source and say %q", tt.name, err, tt.says)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "Signature=") {
			t.Errorf("%s: error %q shows credentials", tt.name, err)
		}
	}
}

func TestS3RetriesAndContext(t *testing.T) {
	var (
		mu    sync.Mutex
		calls int
	)
	rt := &roundTripper{answer: func(*http.Request) *http.Response {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls < 3 {
			return response(http.StatusServiceUnavailable, nil, s3ErrorBody("SlowDown", "slow down"))
		}
		return response(http.StatusOK, nil, "ok")
	}}
	opts := storetest.Options("http://127.0.0.1:9")
	opts.HTTPClient = &http.Client{Transport: rt}
	s := newStore(t, store.Options{S3: opts})
	if obj, err := s.Get(context.Background(), "s3://b/k", ""); err != nil || string(obj.Body) != "ok" || calls != 3 {
		t.Errorf("Get after two 503s = %v after %d calls", err, calls)
	}

	// A request that hangs ends with the context.
	hang := &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		<-req.Context().Done()
		return nil, req.Context().Err()
	})}
	opts.HTTPClient = hang
	s = newStore(t, store.Options{S3: opts})
	for _, op := range []string{"get", "put"} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		var err error
		if op == "get" {
			_, err = s.Get(ctx, "s3://b/k", "")
		} else {
			err = s.PutIfAbsent(ctx, "s3://b/k", []byte("x"), "")
		}
		cancel()
		wantErr(t, err, context.DeadlineExceeded, "s3://b/k")
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s took %v after a 100ms deadline", op, d)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Get(ctx, "s3://b/k", "")
	wantErr(t, err, context.Canceled)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// TestS3ConcurrentFirstUse builds the lazy S3 client from many goroutines at once (run with
// -race).
func TestS3ConcurrentFirstUse(t *testing.T) {
	opts := storetest.Options(storetest.NewFake(t, "bucket"))
	storetest.Put(t, opts, "bucket", "k", []byte("v"))
	s := newStore(t, store.Options{S3: opts})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if obj, err := s.Get(context.Background(), "s3://bucket/k", ""); err != nil || string(obj.Body) != "v" {
				t.Errorf("Get = %v", err)
			}
		})
	}
	wg.Wait()
}

// TestMoto runs the S3 cases against moto_server, a second implementation of S3.
func TestMoto(t *testing.T) {
	opts := storetest.Options(storetest.StartMoto(t))
	bucket := storetest.NewBucket(t, opts)
	s := newStore(t, store.Options{S3: opts, MaxSize: 1 << 10})
	ctx := context.Background()
	dst := "s3://" + bucket + "/dedup/k1"

	if err := s.PutIfAbsent(ctx, dst, []byte("first"), "text/plain"); err != nil {
		t.Fatalf("first claim: %v", err)
	}
	err := s.PutIfAbsent(ctx, dst, []byte("second"), "text/plain")
	wantErr(t, err, store.ErrExists, dst, "PreconditionFailed")

	// moto 5.2.1 checks If-None-Match and then writes, without a lock, in a threaded server:
	// about one 10-way race in 150 lets two claims through (2 of 300 when measured). So a race
	// with a second winner is run again on a new key; a store that ignored the condition would
	// let all ten through every time. gofakes3 (TestS3PutIfAbsent) is held to exactly one.
	for attempt := 1; ; attempt++ {
		n := claimConcurrently(t, s, fmt.Sprintf("s3://%s/dedup/race%d", bucket, attempt), 10)
		if n == 1 {
			break
		}
		if n == 0 || attempt == 3 {
			t.Fatalf("%d of 10 concurrent claims succeeded on moto (attempt %d), want 1", n, attempt)
		}
		t.Logf("moto let %d of 10 concurrent claims through (its check is not atomic); again", n)
	}

	obj, err := s.Get(ctx, dst, "")
	if err != nil {
		t.Fatal(err)
	}
	if string(obj.Body) != "first" || obj.ContentType != "text/plain" || obj.ETag == "" || obj.ModTime.IsZero() {
		t.Errorf("Get = %q, ContentType %q, ETag %q, ModTime %v", obj.Body, obj.ContentType, obj.ETag, obj.ModTime)
	}
	_, err = s.Get(ctx, dst, obj.ETag)
	wantErr(t, err, store.ErrNotModified)
	_, err = s.Get(ctx, "s3://"+bucket+"/missing", "")
	wantErr(t, err, store.ErrNotFound, "NoSuchKey")
	_, err = s.Get(ctx, "s3://no-such-bucket-kefu/missing", "")
	wantErr(t, err, store.ErrNotFound, "NoSuchBucket")
	storetest.Put(t, opts, bucket, "big.bin", bytes.Repeat([]byte("x"), 1<<10+1))
	_, err = s.Get(ctx, "s3://"+bucket+"/big.bin", "")
	wantErr(t, err, store.ErrTooLarge)
}
