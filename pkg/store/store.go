package store

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kefuhq/kefu/internal/limited"
)

// DefaultMaxSize is the size limit, in bytes, of a Store whose Options leave MaxSize at zero.
const DefaultMaxSize = 10 << 20

// Options configures a Store. The zero value reads local files and http(s) sources with the
// default size limit; s3:// needs S3.Region or S3.Endpoint, and embed:// needs Embedded.
type Options struct {
	// S3 configures the client for s3:// sources and destinations. The client is built on
	// the first s3:// use, not by New, so that a process which never reaches S3 pays nothing
	// for it at start.
	S3 S3Options
	// HTTPClient fetches http:// and https:// sources. Nil means a client of the Store's own
	// that keeps connections alive, bounds connecting, the TLS handshake and the wait for the
	// response headers, and uses no proxy. The context given to Get bounds every request.
	HTTPClient *http.Client
	// Embedded is the file system that embed:///path sources are read from (usually an
	// embed.FS). Nil makes every embed:// source fail.
	Embedded fs.FS
	// MaxSize is the size, in bytes, of the largest object Get reads; zero means
	// DefaultMaxSize. A larger object fails with ErrTooLarge.
	MaxSize int64
}

// Store reads objects from files, http(s), S3 and an embedded file system, and writes objects
// only where none exists. It is safe for concurrent use by multiple goroutines.
type Store struct {
	http     *http.Client
	s3http   *http.Client
	embedded fs.FS
	max      int64
	// s3 builds the S3 client on first use, once.
	s3 func() (*s3.Client, error)
	// s3anonymous is set when no S3 credentials were given, to explain a refusal.
	s3anonymous bool
}

// New returns a Store for opts. It checks the options (a malformed S3 endpoint, half a key
// pair, a negative size) but connects to nothing.
func New(opts Options) (*Store, error) {
	if opts.MaxSize < 0 {
		return nil, fmt.Errorf("store: MaxSize %d is negative", opts.MaxSize)
	}
	cfg, err := resolveS3(opts.S3)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{
		http:        opts.HTTPClient,
		s3http:      opts.S3.HTTPClient,
		embedded:    opts.Embedded,
		max:         opts.MaxSize,
		s3anonymous: opts.S3.AccessKeyID == "",
	}
	if s.max == 0 {
		s.max = DefaultMaxSize
	}
	if s.http == nil || s.s3http == nil {
		own := defaultHTTPClient()
		if s.http == nil {
			s.http = own
		}
		if s.s3http == nil {
			s.s3http = own
		}
	}
	s.s3 = sync.OnceValues(func() (*s3.Client, error) { return newS3Client(cfg, s.s3http) })
	return s, nil
}

// defaultHTTPClient returns a keep-alive client with timeouts on each phase of a request
// before the body; the body is bounded by the caller's context and the overall Timeout.
func defaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          32,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 15 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
	}
}

// CloseIdleConnections closes the idle keep-alive connections of the Store's HTTP clients
// (the one for http(s) and the one for S3). The Store stays usable. Tests call it before
// checking for leaked goroutines.
func (s *Store) CloseIdleConnections() {
	s.http.CloseIdleConnections()
	s.s3http.CloseIdleConnections()
}

// Get reads the object at src (a path, file://, http://, https://, s3:// or embed:// source;
// see Parse) into memory.
//
// When ifNoneMatch is not empty and equals the object's current ETag, Get returns
// ErrNotModified and no body: S3 and http(s) are asked with If-None-Match (a 304 answer);
// a local file's ETag comes from its modification time and size, so a stat decides without
// reading it; an embedded file's ETag is a hash of its content.
//
// Errors wrap the source and match, with errors.Is, ErrNotFound (no such object, bucket or
// file), ErrDenied (401, 403, or a file permission), ErrTooLarge (larger than the size limit;
// at most that limit plus one byte is read), ErrNotModified, ErrBadSource, or the context's
// error. They never hold credentials, nor the query of an http(s) source.
func (s *Store) Get(ctx context.Context, src, ifNoneMatch string) (*Object, error) {
	loc, err := Parse(src)
	if err != nil {
		return nil, fmt.Errorf("store: get: %w", err)
	}
	var obj *Object
	switch loc.Scheme {
	case S3:
		obj, err = s.getS3(ctx, loc, ifNoneMatch)
	case HTTP, HTTPS:
		obj, err = s.getHTTP(ctx, loc, ifNoneMatch)
	case File:
		obj, err = s.getFile(ctx, loc, ifNoneMatch)
	case Embed:
		obj, err = s.getEmbed(ctx, loc, ifNoneMatch)
	default:
		err = fmt.Errorf("scheme %q is not supported", loc.Scheme)
	}
	if err != nil {
		return nil, wrap("get", loc, err)
	}
	return obj, nil
}

// PutIfAbsent writes body at dst (an s3:// destination, a path or a file:// URL) only if no
// object is there yet, and returns an error matching ErrExists if one is. It is the claim
// that shares retry dedup across instances: of several concurrent calls for one dst, at most
// one returns nil, provided the storage honours conditional writes.
//
// On S3 the write carries If-None-Match: * and COS's own x-cos-forbid-overwrite: true; a 412
// answer, or a 409 (S3's conflict between concurrent conditional writes), is ErrExists. The
// body is sent and stored byte for byte. The write is made once, without the SDK's retries:
// a retry of a write whose first answer was lost would meet the object the first attempt
// wrote and report ErrExists, silencing the push; a lost answer is an error instead.
//
// A local file is created with O_EXCL (with its parent directories). Other schemes are not
// supported.
func (s *Store) PutIfAbsent(ctx context.Context, dst string, body []byte, contentType string) error {
	loc, err := Parse(dst)
	if err != nil {
		return fmt.Errorf("store: put: %w", err)
	}
	switch loc.Scheme {
	case S3:
		err = s.putS3(ctx, loc, body, contentType)
	case File:
		err = putFile(ctx, loc, body)
	default:
		err = fmt.Errorf("conditional writes to %s:// are not supported (use s3:// or a file path)", loc.Scheme)
	}
	if err != nil {
		return wrap("put", loc, err)
	}
	return nil
}

// readLimited reads r to its end, or fails with ErrTooLarge after max+1 bytes. size is the
// length storage announced, or a negative number: a right one saves the buffer's regrowth.
func readLimited(r io.Reader, max, size int64) ([]byte, error) {
	b, err := limited.Read(r, max, size)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, tooLarge(max)
	}
	return b, nil
}

// tooLarge is the ErrTooLarge of an object over max bytes.
func tooLarge(max int64) error {
	return &kindError{kind: ErrTooLarge, detail: fmt.Sprintf("over the limit of %d bytes", max)}
}

// kindError is a failure of a known kind (one of the sentinel errors), with what storage said
// about it, and the underlying error (an SDK or file system error) for errors.As.
type kindError struct {
	kind   error
	detail string
	err    error
}

func (e *kindError) Error() string {
	switch {
	case e.detail != "":
		return e.kind.Error() + ": " + e.detail
	case e.err != nil:
		return e.kind.Error() + ": " + e.err.Error()
	}
	return e.kind.Error()
}

func (e *kindError) Unwrap() []error {
	if e.err == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.err}
}

// wrap adds the operation and the (redacted) source to err.
func wrap(op string, loc Location, err error) error {
	return fmt.Errorf("store: %s %s: %w", op, loc.Redacted(), err)
}
