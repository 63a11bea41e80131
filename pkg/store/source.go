package store

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// Scheme is the kind of place a source names.
type Scheme string

// The schemes a source can use. A source without a scheme is a local file path.
const (
	File  Scheme = "file"  // a path, or file:///abs/path
	HTTPS Scheme = "https" // https://host/path
	HTTP  Scheme = "http"  // http://host/path, for loopback tests and local fakes
	S3    Scheme = "s3"    // s3://bucket/key: Amazon S3, or Tencent COS through its S3 API
	Embed Scheme = "embed" // embed:///path: a file of the embedded fs.FS the Store was given
)

// ErrBadSource is matched (with errors.Is) by every error about a source that does not parse.
var ErrBadSource = errors.New("bad source")

// Location is a parsed source.
type Location struct {
	Scheme Scheme
	// Bucket is the S3 bucket (s3 only).
	Bucket string
	// Key is the S3 object key (s3), the file path (file), the path inside the embedded
	// file system without a leading slash (embed), or empty (http, https).
	Key string
	// URL is the full URL (http, https); for the other schemes, the canonical source string.
	URL string
}

// String returns the canonical form of the source.
func (l Location) String() string { return l.URL }

// Parse reads a source: a local path, file:///abs/path, https://host/path, http://host/path,
// s3://bucket/key or embed:///path. It checks only the form; it never touches storage.
func Parse(src string) (Location, error) {
	if src == "" {
		return Location{}, fmt.Errorf("%w: empty", ErrBadSource)
	}
	if strings.ContainsAny(src, "\x00\r\n") {
		return Location{}, fmt.Errorf("%w: %q holds a control character", ErrBadSource, src)
	}
	i := strings.Index(src, "://")
	if i < 0 {
		if strings.HasPrefix(src, "embed:") || strings.HasPrefix(src, "s3:") {
			return Location{}, fmt.Errorf("%w: %q: expected scheme://", ErrBadSource, src)
		}
		return Location{Scheme: File, Key: src, URL: src}, nil
	}
	u, err := url.Parse(src)
	if err != nil {
		return Location{}, fmt.Errorf("%w: %q: %v", ErrBadSource, src, err)
	}
	switch Scheme(strings.ToLower(u.Scheme)) {
	case S3:
		key := strings.TrimPrefix(u.Path, "/")
		if u.Host == "" || key == "" || strings.HasSuffix(key, "/") {
			return Location{}, fmt.Errorf("%w: %q: want s3://bucket/key", ErrBadSource, src)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return Location{}, fmt.Errorf("%w: %q: an s3 source has no query, fragment or user", ErrBadSource, src)
		}
		return Location{Scheme: S3, Bucket: u.Host, Key: key, URL: "s3://" + u.Host + "/" + key}, nil
	case HTTPS, HTTP:
		if u.Host == "" {
			return Location{}, fmt.Errorf("%w: %q: no host", ErrBadSource, src)
		}
		return Location{Scheme: Scheme(strings.ToLower(u.Scheme)), URL: u.String()}, nil
	case File:
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("%w: %q: file URLs name no host", ErrBadSource, src)
		}
		if u.Path == "" {
			return Location{}, fmt.Errorf("%w: %q: no path", ErrBadSource, src)
		}
		return Location{Scheme: File, Key: filepath.FromSlash(u.Path), URL: "file://" + u.Path}, nil
	case Embed:
		p := strings.TrimPrefix(path.Clean("/"+u.Path), "/")
		if u.Host != "" || p == "" || p == "." {
			return Location{}, fmt.Errorf("%w: %q: want embed:///path", ErrBadSource, src)
		}
		return Location{Scheme: Embed, Key: p, URL: "embed:///" + p}, nil
	default:
		return Location{}, fmt.Errorf("%w: %q: unknown scheme %q (use a path, file://, https://, s3:// or embed://)", ErrBadSource, src, u.Scheme)
	}
}

// Resolve returns the source that ref names when it appears in the file at base: a ref with a
// scheme stands for itself; a relative ref is resolved against base's own location and scheme,
// so "media/card.png" in "s3://b/kefu/rules.yaml" is "s3://b/kefu/media/card.png" and in
// "rules/kefu.yaml" is "rules/media/card.png".
func Resolve(base, ref string) (string, error) {
	if ref == "" {
		return "", fmt.Errorf("%w: empty", ErrBadSource)
	}
	if strings.Contains(ref, "://") {
		loc, err := Parse(ref)
		if err != nil {
			return "", err
		}
		return loc.URL, nil
	}
	if strings.ContainsAny(ref, "\x00\r\n") {
		return "", fmt.Errorf("%w: %q holds a control character", ErrBadSource, ref)
	}
	b, err := Parse(base)
	if err != nil {
		return "", err
	}
	switch b.Scheme {
	case File:
		if b.URL == b.Key { // a plain path: stay a plain path
			if filepath.IsAbs(ref) {
				return filepath.Clean(ref), nil
			}
			return filepath.Join(filepath.Dir(b.Key), filepath.FromSlash(ref)), nil
		}
		fallthrough
	default:
		r, err := url.Parse(ref)
		if err != nil || r.Scheme != "" || r.Host != "" {
			return "", fmt.Errorf("%w: %q: not a relative path", ErrBadSource, ref)
		}
		bu, err := url.Parse(b.URL)
		if err != nil {
			return "", fmt.Errorf("%w: %q: %v", ErrBadSource, base, err)
		}
		loc, err := Parse(bu.ResolveReference(r).String())
		if err != nil {
			return "", err
		}
		return loc.URL, nil
	}
}
