// Package testkit holds the small helpers kefu's tests share: a log buffer that several
// goroutines (or a child process's output pipe) may write while the test reads it, and a
// valid image to serve as reply media.
package testkit

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"time"
)

// Buffer is a bytes.Buffer safe for concurrent writes and reads: give it to a slog handler
// or a process's Stdout and read it from the test.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Count returns how many times s occurs in what was written.
func (b *Buffer) Count(s string) int { return strings.Count(b.String(), s) }

// PNG returns a valid 1×1 PNG image: the smallest reply image WeChat accepts.
func PNG() []byte {
	return []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\b\x02\x00\x00\x00\x90wS\xde" +
		"\x00\x00\x00\x10IDATx\x9cbb?\x98\x00\b\x00\x00\xff\xff\x02\x03\x01+g\xb1-Z\x00\x00\x00\x00IEND\xaeB`\x82")
}

// MedianMillis returns the median of ds in milliseconds (the mean of the two middle values
// for an even count), for benchmarks that report cold starts with b.ReportMetric.
func MedianMillis(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return float64(m) / float64(time.Millisecond)
}
