package testkit

import (
	"bytes"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"sync"
	"testing"
	"time"
)

func TestBuffer(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { b.Write([]byte("ab")) })
	}
	wg.Wait()
	if b.String() != "abababababababababab" || b.Count("ab") != 10 {
		t.Fatal(b.String())
	}
}

func TestImages(t *testing.T) {
	for name, b := range map[string][]byte{"png": PNG(), "jpeg": JPEG(), "gif": GIF()} {
		img, format, err := image.Decode(bytes.NewReader(b))
		if err != nil || format != name || img.Bounds().Dx() != 4 {
			t.Errorf("%s: %v %s", name, err, format)
		}
	}
}

func TestMedianMillis(t *testing.T) {
	ms := time.Millisecond
	if MedianMillis(nil) != 0 || MedianMillis([]time.Duration{3 * ms, 1 * ms, 2 * ms}) != 2 || MedianMillis([]time.Duration{4 * ms, 1 * ms, 2 * ms, 3 * ms}) != 2.5 {
		t.Fatal("median")
	}
}
