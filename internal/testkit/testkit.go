// Package testkit holds the small helpers kefu's tests share: a log buffer that several
// goroutines (or a child process's output pipe) may write while the test reads it, valid
// images to serve as reply media, and a median for benchmarks.
package testkit

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
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

// PNG returns a small (4×4, two-colour) PNG image, valid temporary media for WeChat.
func PNG() []byte { return encode(func(w io.Writer, m image.Image) error { return png.Encode(w, m) }) }

// JPEG returns the same image as PNG, encoded as JPEG.
func JPEG() []byte {
	return encode(func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) })
}

// GIF returns the same image as PNG, encoded as GIF.
func GIF() []byte {
	return encode(func(w io.Writer, m image.Image) error { return gif.Encode(w, m, nil) })
}

func encode(enc func(io.Writer, image.Image) error) []byte {
	img := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.White, color.Black})
	img.SetColorIndex(1, 1, 1)
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		panic(err) // encoding an in-memory image into a buffer does not fail
	}
	return b.Bytes()
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

// Rules is a rules file the service tests share: a text, a text and an image, a missing image
// before a text, three texts, a card with typing, a transfer, the welcome on entering the
// session, and the fallback. Its images are relative (media/qr.png): put an image there.
const Rules = `version: 1
fallback:
  - text: 收到
rules:
  - name: hello
    when: { exact: [你好] }
    reply:
      - text: 你好！
  - name: picture
    when: { exact: [图片] }
    reply:
      - text: 看图
      - image: media/qr.png
  - name: broken-picture
    when: { exact: [坏图] }
    reply:
      - image: media/missing.png
      - text: 后面这条照发
  - name: three
    when: { exact: [三条] }
    reply:
      - text: 一
      - text: 二
      - text: 三
  - name: card
    when: { exact: [卡片] }
    typing: true
    reply:
      - miniprogrampage: { title: 首页, pagepath: pages/index/index, thumb: media/qr.png }
  - name: human
    when: { contains: [人工] }
    transfer: true
  - name: enter
    when: { event: user_enter_tempsession }
    reply:
      - text: 欢迎
`
