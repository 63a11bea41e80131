package testkit

import (
	"bytes"
	"image/png"
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

func TestPNG(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(PNG()))
	if err != nil || img.Bounds().Dx() != 1 || img.Bounds().Dy() != 1 {
		t.Fatal(err)
	}
}

func TestMedianMillis(t *testing.T) {
	ms := time.Millisecond
	if MedianMillis(nil) != 0 || MedianMillis([]time.Duration{3 * ms, 1 * ms, 2 * ms}) != 2 || MedianMillis([]time.Duration{4 * ms, 1 * ms, 2 * ms, 3 * ms}) != 2.5 {
		t.Fatal("median")
	}
}
