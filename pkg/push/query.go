package push

import (
	"net/url"
	"strings"
)

// Query gives the value of a URL query parameter. url.Values satisfies it; so does RawQuery,
// which reads a raw query string without building a map.
type Query interface {
	Get(name string) string
}

// RawQuery is a URL's raw query string ("signature=...&timestamp=..."). Its Get scans the
// string and allocates only for values that need unescaping.
type RawQuery string

// Get returns the first value of the parameter, unescaped as url.ParseQuery would, or "".
func (q RawQuery) Get(name string) string {
	s := string(q)
	for s != "" {
		var pair string
		if i := strings.IndexByte(s, '&'); i >= 0 {
			pair, s = s[:i], s[i+1:]
		} else {
			pair, s = s, ""
		}
		k, v, _ := strings.Cut(pair, "=")
		if k != name {
			if !escaped(k) {
				continue
			}
			if uk, err := url.QueryUnescape(k); err != nil || uk != name {
				continue
			}
		}
		if escaped(v) {
			uv, err := url.QueryUnescape(v)
			if err != nil {
				return ""
			}
			return uv
		}
		return v
	}
	return ""
}

// escaped reports whether a query component needs unescaping.
func escaped(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '+' {
			return true
		}
	}
	return false
}
