package store

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"
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
	// file system without a leading slash (embed), or empty (http, https). It is decoded:
	// "s3://b/a%20b" has the key "a b".
	Key string
	// URL is the full URL (http, https); for the other schemes, the canonical source string.
	// Parse(URL) gives this Location again.
	URL string
}

// String returns the canonical form of the source. For http and https it may hold a user
// name, a password or a signed query: log Redacted instead.
func (l Location) String() string { return l.URL }

// Redacted returns the source in a form fit for logs and errors: for http and https, the user
// information and the query (which may hold a signature or a token) are replaced by
// "REDACTED"; the other schemes hold no secrets and are returned as they are.
func (l Location) Redacted() string {
	if l.Scheme != HTTP && l.Scheme != HTTPS {
		return l.URL
	}
	u, err := url.Parse(l.URL)
	if err != nil {
		return string(l.Scheme) + "://REDACTED"
	}
	return redactURL(u)
}

// redactURL renders u without its user information and query.
func redactURL(u *url.URL) string {
	r := *u
	if r.User != nil {
		r.User = url.User("REDACTED")
	}
	if r.RawQuery != "" || r.ForceQuery {
		r.RawQuery, r.ForceQuery = "REDACTED", false
	}
	r.Fragment, r.RawFragment = "", ""
	return r.String()
}

// Parse reads a source: a local path, file:///abs/path, https://host/path, http://host/path,
// s3://bucket/key or embed:///path. It checks only the form; it never touches storage.
//
// A path that starts with a known scheme and a colon but not "://" (such as "s3:b/k") is
// refused rather than read as a file name. Percent escapes in URLs are decoded into Key;
// a fragment of an http or https URL is dropped (it is never sent).
func Parse(src string) (Location, error) {
	if src == "" {
		return Location{}, fmt.Errorf("%w: empty", ErrBadSource)
	}
	if strings.ContainsAny(src, "\x00\r\n") {
		return Location{}, fmt.Errorf("%w: %q holds a control character", ErrBadSource, safeSource(src))
	}
	if !strings.Contains(src, "://") {
		if s, ok := schemePrefix(src); ok {
			return Location{}, fmt.Errorf("%w: %q: expected %s://", ErrBadSource, safeSource(src), s)
		}
		return Location{Scheme: File, Key: src, URL: src}, nil
	}
	u, err := url.Parse(src)
	if err != nil {
		return Location{}, fmt.Errorf("%w: %q: %v", ErrBadSource, safeSource(src), unwrapURLError(err))
	}
	if u.Opaque != "" {
		return Location{}, fmt.Errorf("%w: %q: expected scheme://", ErrBadSource, safeSource(src))
	}
	switch Scheme(strings.ToLower(u.Scheme)) {
	case S3:
		key := strings.TrimPrefix(u.Path, "/")
		if u.Host == "" || key == "" || strings.HasSuffix(key, "/") {
			return Location{}, fmt.Errorf("%w: %q: want s3://bucket/key", ErrBadSource, safeSource(src))
		}
		if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
			return Location{}, fmt.Errorf("%w: %q: an s3 source has no query, fragment or user", ErrBadSource, safeSource(src))
		}
		if !validBucket(u.Host) {
			return Location{}, fmt.Errorf("%w: %q: bucket %q: want letters, digits, '.', '-' or '_'", ErrBadSource, safeSource(src), u.Host)
		}
		return Location{Scheme: S3, Bucket: u.Host, Key: key, URL: "s3://" + u.Host + "/" + escapePath(key)}, nil
	case HTTPS, HTTP:
		if u.Host == "" {
			return Location{}, fmt.Errorf("%w: %q: no host", ErrBadSource, safeSource(src))
		}
		u.Scheme = strings.ToLower(u.Scheme)
		u.Fragment, u.RawFragment = "", ""
		return Location{Scheme: Scheme(u.Scheme), URL: u.String()}, nil
	case File:
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("%w: %q: file URLs name no host", ErrBadSource, safeSource(src))
		}
		if u.Path == "" {
			return Location{}, fmt.Errorf("%w: %q: no path", ErrBadSource, safeSource(src))
		}
		if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
			return Location{}, fmt.Errorf("%w: %q: a file URL has no query, fragment or user", ErrBadSource, safeSource(src))
		}
		return Location{Scheme: File, Key: filepath.FromSlash(u.Path), URL: "file://" + escapePath(u.Path)}, nil
	case Embed:
		if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
			return Location{}, fmt.Errorf("%w: %q: an embed source has no query, fragment or user", ErrBadSource, safeSource(src))
		}
		p := strings.TrimPrefix(path.Clean("/"+u.Path), "/")
		if u.Host != "" || p == "" || p == "." {
			return Location{}, fmt.Errorf("%w: %q: want embed:///path", ErrBadSource, safeSource(src))
		}
		return Location{Scheme: Embed, Key: p, URL: "embed:///" + escapePath(p)}, nil
	default:
		return Location{}, fmt.Errorf("%w: %q: unknown scheme %q (use a path, file://, https://, s3:// or embed://)", ErrBadSource, safeSource(src), u.Scheme)
	}
}

// Resolve returns the source that ref names when it appears in the file at base: a ref with a
// scheme stands for itself; a relative ref is resolved against base's own location and scheme,
// so "media/card.png" in "s3://b/kefu/rules.yaml" is "s3://b/kefu/media/card.png" and in
// "rules/kefu.yaml" is "rules/media/card.png". Against a URL base (file://, s3://, embed://,
// https://) ref is a URL path: percent escapes are decoded and ".." stops at the root; against
// a plain path it is a file path, taken literally. The result is canonical: Parse accepts it
// and gives it back as Location.URL.
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
		return "", fmt.Errorf("%w: %q holds a control character", ErrBadSource, safeSource(ref))
	}
	if s, ok := schemePrefix(ref); ok {
		return "", fmt.Errorf("%w: %q: expected %s://", ErrBadSource, safeSource(ref), s)
	}
	b, err := Parse(base)
	if err != nil {
		return "", err
	}
	if b.Scheme == File && b.URL == b.Key { // a plain path: stay a plain path
		if filepath.IsAbs(ref) {
			return filepath.Clean(ref), nil
		}
		p := filepath.Join(filepath.Dir(b.Key), filepath.FromSlash(ref))
		if _, ok := schemePrefix(p); ok { // "./s3:/x" joined to "s3:/x" would read as a URL
			p = "." + string(filepath.Separator) + p
		}
		return p, nil
	}
	r, err := url.Parse(ref)
	if err != nil || r.Scheme != "" || r.Host != "" || r.User != nil || r.Opaque != "" {
		return "", fmt.Errorf("%w: %q: not a relative path", ErrBadSource, safeSource(ref))
	}
	bu, err := url.Parse(b.URL)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrBadSource, safeSource(base), unwrapURLError(err))
	}
	loc, err := Parse(bu.ResolveReference(r).String())
	if err != nil {
		return "", fmt.Errorf("%q relative to %q: %w", safeSource(ref), b.Redacted(), err)
	}
	return loc.URL, nil
}

// schemePrefix reports whether s starts with one of the known schemes and a colon (any case).
func schemePrefix(s string) (Scheme, bool) {
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return "", false
	}
	switch sc := Scheme(strings.ToLower(s[:i])); sc {
	case File, HTTPS, HTTP, S3, Embed:
		return sc, true
	}
	return "", false
}

// validBucket reports whether b can be a bucket name: S3's and COS's names (lower-case letters,
// digits, '.', '-'), plus upper case and '_' that some legacy buckets and local stores allow.
// It refuses what would change the meaning of a URL host (a port, user, or IPv6 brackets).
func validBucket(b string) bool {
	if b == "" || len(b) > 255 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// escapePath escapes the few bytes that would change the meaning of a decoded path inside a
// URL ('%', '?', '#', control characters and invalid UTF-8), and leaves the rest readable, so
// that "s3://b/图片/a b.png" stays as it is and still parses back to the same key.
func escapePath(p string) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(p[i:])
			if r != utf8.RuneError || n > 1 {
				sb.WriteString(p[i : i+n])
				i += n
				continue
			}
		} else if c > 0x20 && c != 0x7f && c != '%' && c != '?' && c != '#' || c == ' ' {
			sb.WriteByte(c)
			i++
			continue
		}
		sb.WriteByte('%')
		sb.WriteByte(hex[c>>4])
		sb.WriteByte(hex[c&15])
		i++
	}
	return sb.String()
}

// safeSource returns src fit for an error message: an http or https source loses what could
// be a secret (the user information, and the query, replaced by "REDACTED"), even when it
// does not parse.
func safeSource(src string) string {
	i := strings.Index(src, "://")
	if i < 0 {
		return src
	}
	if sc := Scheme(strings.ToLower(src[:i])); sc != HTTP && sc != HTTPS {
		return src
	}
	rest := src[i+3:]
	if j := strings.IndexAny(rest, "?#"); j >= 0 {
		if rest[j] == '?' {
			rest = rest[:j] + "?REDACTED"
		} else {
			rest = rest[:j]
		}
	}
	authority := rest
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		authority = rest[:j]
	}
	if j := strings.LastIndexByte(authority, '@'); j >= 0 {
		rest = "REDACTED@" + rest[j+1:]
	}
	return src[:i+3] + rest
}

// unwrapURLError returns the cause inside a *url.Error, whose own message repeats the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
