package rules

import (
	"unicode"
	"unicode/utf8"
)

// Case folding for ignore_case.
//
// Two runes are equal under Unicode simple case folding when they lie on the same orbit of
// unicode.SimpleFold (K, k and the Kelvin sign K; Σ, σ and ς). foldRune maps every rune to
// the smallest member of its orbit, so that folded strings can be compared, hashed and
// searched byte for byte: fold(a) == fold(b) exactly when strings.EqualFold(a, b). Folding
// may change a string's length in bytes (the Kelvin sign is 3 bytes, K is 1); kefu only
// asks whether a folded pattern occurs in the folded content, never where.

// foldRune returns the canonical member of r's simple-folding orbit.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	// CJK punctuation, kana, CJK ideographs, Yi, Vai and Hangul have no case: skip the
	// table look-ups for the common Chinese text (fold_test.go checks these ranges).
	if (0x3000 <= r && r < 0xA640) || (0xAC00 <= r && r < 0xD800) {
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < m {
			m = f
		}
	}
	return m
}

// appendFold appends the folded form of s to dst. Bytes that are not valid UTF-8 are copied
// as they are, so they never equal a folded pattern (patterns are valid UTF-8).
func appendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		// Three-byte runes from U+3000 to U+9FFF and from U+B000 to U+CFFF (CJK, kana,
		// Hangul) have no case: copy them without decoding.
		if (0xE3 <= c && c <= 0xE9 || c == 0xEB || c == 0xEC) && i+2 < len(s) &&
			s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			dst = append(dst, c, s[i+1], s[i+2])
			i += 3
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, c)
			i++
			continue
		}
		if f := foldRune(r); f != r {
			dst = utf8.AppendRune(dst, f)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

// fold returns the folded form of s.
func fold(s string) string { return string(appendFold(make([]byte, 0, len(s)), s)) }
