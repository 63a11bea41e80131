package media

import (
	"net/url"
	"path"
	"strings"
)

// filenameFor returns the upload filename for an image from src: the base name of the
// source's path (for URLs, without host, query or fragment) with its extension replaced by
// ext, the one that matches the bytes. "s3://b/kefu/qr.jpeg" holding a PNG is "qr.png"; a
// source without a usable name gives "image" plus ext.
func filenameFor(src, ext string) string {
	p := src
	if strings.Contains(src, "://") {
		p = ""
		if u, err := url.Parse(src); err == nil {
			p = u.Path
		}
	}
	p = strings.ReplaceAll(p, `\`, "/")
	base := ""
	if p != "" && !strings.HasSuffix(p, "/") {
		base = path.Base(p)
	}
	base = strings.TrimSuffix(base, path.Ext(base))
	if base == "" || base == "." {
		base = "image"
	}
	return base + ext
}
