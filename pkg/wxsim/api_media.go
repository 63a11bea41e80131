package wxsim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"
)

// MaxImageSize is the largest temporary image the fake accepts (40009 above it): 2 MiB, the
// stricter of the two limits WeChat's pages give.
const MaxImageSize = 2 << 20

// mediaItem is an uploaded temporary image.
type mediaItem struct {
	data        []byte
	contentType string
	filename    string
	created     time.Time
	expires     time.Time
}

// uploadReply is the answer of a successful upload.
type uploadReply struct {
	Type      string `json:"type"`
	MediaID   string `json:"media_id"`
	CreatedAt int64  `json:"created_at"`
}

// upload answers POST /cgi-bin/media/upload?type=image: multipart/form-data with the file in
// the field "media", with a filename and a Content-Type that agrees with the bytes. Codes:
// 40004 for a type other than image or a file that is not JPEG, PNG or GIF (or whose part
// Content-Type says otherwise); 41005 ("media data missing") for a body that is not multipart
// or lacks the media file; 44001 for an empty file; 40009 for one over MaxImageSize.
func (a *API) upload(r *http.Request, body []byte, now time.Time) reply {
	if r.URL.Query().Get("type") != "image" {
		return a.fail(40004)
	}
	name, ct, data, code := readMedia(r.Header.Get("Content-Type"), body)
	if code != 0 {
		return a.fail(code)
	}
	id := newID(48)
	a.media[id] = &mediaItem{data: data, contentType: ct, filename: name, created: now, expires: now.Add(a.opt.MediaTTL)}
	return ok(uploadReply{Type: "image", MediaID: id, CreatedAt: now.Unix()})
}

// readMedia finds the "media" file in a multipart body and checks it, returning its filename,
// content type and bytes, or an errcode.
func readMedia(contentType string, body []byte) (name, ct string, data []byte, code int) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return "", "", nil, 41005
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", "", nil, 41005
		}
		if err != nil {
			return "", "", nil, 41005
		}
		if part.FormName() != "media" {
			continue
		}
		name = part.FileName()
		if name == "" {
			return "", "", nil, 41005 // a form value, not a file
		}
		data, err = io.ReadAll(io.LimitReader(part, MaxImageSize+1))
		if err != nil {
			return "", "", nil, 41005
		}
		switch {
		case len(data) == 0:
			return "", "", nil, 44001
		case len(data) > MaxImageSize:
			return "", "", nil, 40009
		}
		sniffed := sniffImage(data)
		declared, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if declared == "image/jpg" {
			declared = "image/jpeg"
		}
		if sniffed == "" || declared != sniffed {
			return "", "", nil, 40004
		}
		return name, sniffed, data, 0
	}
}

// sniffImage returns the type of a JPEG, PNG or GIF by its magic bytes, or "".
func sniffImage(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "image/gif"
	}
	return ""
}

// mediaGet answers GET /cgi-bin/media/get?media_id=: the bytes with their content type and an
// attachment filename, or 40007 (41006 without media_id).
func (a *API) mediaGet(r *http.Request, _ []byte, now time.Time) reply {
	id := r.URL.Query().Get("media_id")
	if code := a.checkMedia(id, now); code != 0 {
		return a.fail(code)
	}
	it := a.media[id]
	return reply{body: it.data, contentType: it.contentType, filename: strings.ReplaceAll(it.filename, `"`, "")}
}

// Media returns the bytes and content type of a live media_id this fake issued.
func (a *API) Media(mediaID string) (data []byte, contentType string, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	it := a.media[mediaID]
	if it == nil || !a.opt.Now().Before(it.expires) {
		return nil, "", false
	}
	return it.data, it.contentType, true
}

// uploadSummary describes an upload body for the records, without its bytes.
func uploadSummary(contentType string, body []byte) []byte {
	name, ct, data, code := readMedia(contentType, body)
	if code != 0 {
		return fmt.Appendf(nil, "%s, %d bytes (refused: %d)", contentType, len(body), code)
	}
	return fmt.Appendf(nil, "multipart/form-data: media filename=%q content-type=%s, %d bytes", name, ct, len(data))
}
