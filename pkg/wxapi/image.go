package wxapi

import (
	"bytes"
	"errors"
	"fmt"
)

// MaxImageSize is the largest image CheckImage accepts: 2 MiB. WeChat's pages disagree
// between 2 MB and 10 MB for temporary images, so kefu keeps to the smaller.
const MaxImageSize = 2 << 20

// ErrImageRefused is matched by every error of CheckImage: the bytes are not an image WeChat
// takes as temporary media (JPEG, PNG or GIF of at most MaxImageSize bytes).
var ErrImageRefused = errors.New("image refused")

// CheckImage returns the content type ("image/jpeg", "image/png" or "image/gif") and file
// extension (".jpg", ".png", ".gif") of data, judged by its first bytes, or an error matching
// ErrImageRefused that says why WeChat would refuse it.
func CheckImage(data []byte) (contentType, ext string, err error) {
	switch {
	case len(data) == 0:
		return "", "", fmt.Errorf("%w: empty", ErrImageRefused)
	case len(data) > MaxImageSize:
		return "", "", fmt.Errorf("%w: %d bytes (%.1f MiB) is over the %d MiB limit for temporary media",
			ErrImageRefused, len(data), float64(len(data))/(1<<20), MaxImageSize>>20)
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return "image/jpeg", ".jpg", nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", ".png", nil
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "image/gif", ".gif", nil
	}
	return "", "", fmt.Errorf("%w: %s, not JPEG, PNG or GIF", ErrImageRefused, sniffName(data))
}

// sniffName names a few formats people try to send, or shows the first bytes.
func sniffName(data []byte) string {
	switch {
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "WebP"
	case bytes.HasPrefix(data, []byte("BM")):
		return "BMP"
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		return "HEIF/AVIF or MP4"
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "TIFF"
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\xef\xbb\xbf")
	if len(trimmed) > 0 && trimmed[0] == '<' {
		return "SVG, XML or HTML"
	}
	n := min(len(data), 8)
	return fmt.Sprintf("unknown format (starts % x)", data[:n])
}
