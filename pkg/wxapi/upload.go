package wxapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
)

// uploadAnswer is the answer of the temporary media upload. created_at is a number in the
// documentation's table and a string in some examples; it is not read.
type uploadAnswer struct {
	Type    string `json:"type"`
	MediaID string `json:"media_id"`
}

// UploadImage uploads data as a temporary image (POST /cgi-bin/media/upload?type=image,
// multipart/form-data with the file in the field "media") and returns its media_id, which
// WeChat keeps for three days. The bytes are checked first with CheckImage; contentType, if
// given, must agree with them, and an empty filename becomes "image" plus the extension. An
// upload is harmless to repeat, so it is retried after transport failures as well as -1 and
// 45011 while the deadline allows.
func (c *Client) UploadImage(ctx context.Context, filename, contentType string, data []byte) (string, error) {
	ct, ext, err := CheckImage(data)
	if err != nil {
		return "", err
	}
	if contentType != "" && normalType(contentType) != ct {
		return "", fmt.Errorf("%w: declared %s but the bytes are %s", ErrImageRefused, contentType, ct)
	}
	filename = safeFilename(filename)
	if filename == "" {
		filename = "image" + ext
	}
	body, boundary, err := multipartBody(filename, ct, data)
	if err != nil {
		return "", err
	}
	var a uploadAnswer
	err = c.do(ctx, &call{
		api:         UploadPath,
		method:      http.MethodPost,
		url:         c.uploadURL,
		suffix:      "&type=image",
		body:        body,
		contentType: "multipart/form-data; boundary=" + boundary,
		payload:     fmt.Appendf(nil, "multipart/form-data: media filename=%q content-type=%s, %d bytes", filename, ct, len(data)),
		auth:        true,
		replayable:  true,
	}, func(body []byte) error {
		if err := json.Unmarshal(body, &a); err != nil || a.MediaID == "" {
			return &Error{API: UploadPath, Msg: "answer holds no media_id"}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return a.MediaID, nil
}

// multipartBody returns the upload's body: one part, the field "media", with a filename and
// the part's Content-Type.
func multipartBody(filename, contentType string, data []byte) ([]byte, string, error) {
	var buf bytes.Buffer
	buf.Grow(len(data) + 512)
	w := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader, 2)
	h.Set("Content-Disposition", `form-data; name="media"; filename="`+filename+`"`)
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := part.Write(data); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.Boundary(), nil
}

// normalType returns the media type of a Content-Type value in lower case, with image/jpg
// (a common misspelling) read as image/jpeg.
func normalType(v string) string {
	t, _, err := mime.ParseMediaType(v)
	if err != nil {
		t = strings.ToLower(strings.TrimSpace(v))
	}
	if t == "image/jpg" || t == "image/pjpeg" {
		return "image/jpeg"
	}
	return t
}

// safeFilename keeps the characters of name that need no quoting in a Content-Disposition
// header (ASCII letters, digits, '.', '-', '_') and turns the others into '_'.
func safeFilename(name string) string {
	if name == "" {
		return ""
	}
	b := []byte(name)
	if len(b) > 128 {
		b = b[len(b)-128:]
	}
	for i, ch := range b {
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '-' || ch == '_'
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
