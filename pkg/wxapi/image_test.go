package wxapi

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kefuhq/kefu/internal/testkit"
)

func TestCheckImage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		data     []byte
		ct, ext  string
		errWords string
	}{
		{"png", testkit.PNG(), "image/png", ".png", ""},
		{"jpeg", testkit.JPEG(), "image/jpeg", ".jpg", ""},
		{"gif89a", testkit.GIF(), "image/gif", ".gif", ""},
		{"gif87a", []byte("GIF87a\x01\x00"), "image/gif", ".gif", ""},
		{"at the limit", append([]byte("\xff\xd8\xff"), make([]byte, MaxImageSize-3)...), "image/jpeg", ".jpg", ""},
		{"over the limit", append([]byte("\xff\xd8\xff"), make([]byte, MaxImageSize-2)...), "", "", "2 MiB limit"},
		{"empty", nil, "", "", "empty"},
		{"webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 "), "", "", "WebP"},
		{"bmp", []byte("BM\x00\x00\x00\x00"), "", "", "BMP"},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00"), "", "", "HEIF"},
		{"svg", []byte("\xef\xbb\xbf <svg/>"), "", "", "SVG"},
		{"html", []byte("<!DOCTYPE html>"), "", "", "HTML"},
		{"tiff", []byte("II*\x00"), "", "", "TIFF"},
		{"truncated png", []byte("\x89PNG\r\n"), "", "", "unknown format (starts 89 50 4e 47 0d 0a)"},
		{"text", []byte("hello"), "", "", "not JPEG, PNG or GIF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, ext, err := CheckImage(tc.data)
			if tc.errWords == "" {
				if err != nil || ct != tc.ct || ext != tc.ext {
					t.Fatalf("got %q %q %v", ct, ext, err)
				}
				return
			}
			if !errors.Is(err, ErrImageRefused) || !strings.Contains(err.Error(), tc.errWords) || ct != "" || ext != "" {
				t.Fatalf("got %q %q %v, want an error saying %q", ct, ext, err, tc.errWords)
			}
		})
	}
}

// FuzzCheckImage: CheckImage never panics, accepts only the three formats within the limit,
// and its verdict agrees with the magic bytes.
func FuzzCheckImage(f *testing.F) {
	f.Add(testkit.PNG())
	f.Add(testkit.JPEG())
	f.Add(testkit.GIF())
	f.Add([]byte("RIFF0000WEBP"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ct, ext, err := CheckImage(data)
		if err != nil {
			if !errors.Is(err, ErrImageRefused) || ct != "" || ext != "" {
				t.Fatalf("error %v with %q %q", err, ct, ext)
			}
			return
		}
		want := map[string]string{"image/jpeg": "\xff\xd8\xff", "image/png": "\x89PNG\r\n\x1a\n", "image/gif": "GIF8"}[ct]
		if want == "" || !bytes.HasPrefix(data, []byte(want)) || len(data) > MaxImageSize || ext == "" {
			t.Fatalf("accepted %q as %q %q", data[:min(len(data), 16)], ct, ext)
		}
	})
}
