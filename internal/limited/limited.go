// Package limited reads bodies of bounded size: a push, an answer of WeChat's API, a stored
// object. Read allocates once when the size is known beforehand, and never reads more than one
// byte past the limit, so the caller can tell "exactly the limit" from "over it" without
// reading an oversized body whole.
package limited

import "io"

// Read reads r to its end, or until it holds limit+1 bytes: a result longer than limit means
// the body is over the limit. hint is the expected size (a Content-Length, a file's size);
// zero, negative or over limit means unknown, and the buffer then starts at 512 bytes and
// doubles. On an error Read returns what it read so far with the error.
func Read(r io.Reader, limit, hint int64) ([]byte, error) {
	if hint <= 0 || hint > limit {
		hint = min(512, limit)
	}
	b := make([]byte, 0, hint+1) // +1: room to see the end without growing
	for int64(len(b)) <= limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):min(int64(cap(b)), limit+1)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}
