package wxsim

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/kefuhq/kefu/internal/testkit"
)

func TestUpload(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token()
	target := PathUpload + "?access_token=" + tok + "&type=image"
	png := testkit.PNG()

	body, ct := multipartBody(t, "media", "qr.png", "image/png", png)
	code, m := f.call("POST", target, ct, body)
	if code != 0 || m["type"] != "image" {
		t.Fatalf("upload: %v", m)
	}
	if at, ok := m["created_at"].(float64); !ok || int64(at) != epoch.Unix() {
		t.Fatalf("created_at %v, want %d", m["created_at"], epoch.Unix())
	}
	id := m["media_id"].(string)
	data, mct, ok := f.api.Media(id)
	if !ok || !bytes.Equal(data, png) || mct != "image/png" {
		t.Fatalf("Media(%q) = %d bytes, %q, %v", id, len(data), mct, ok)
	}
	rec := f.do("GET", PathMediaGet+"?access_token="+tok+"&media_id="+id, "", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" || !bytes.Equal(rec.Body.Bytes(), png) ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), `filename="qr.png"`) {
		t.Fatalf("media/get: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Content-Disposition"))
	}
	if code, _ := f.call("GET", PathMediaGet+"?access_token="+tok+"&media_id=nope", "", nil); code != 40007 {
		t.Fatalf("media/get unknown: errcode %d, want 40007", code)
	}
	if code, _ := f.call("GET", PathMediaGet+"?access_token="+tok, "", nil); code != 41006 {
		t.Fatalf("media/get without media_id: errcode %d, want 41006", code)
	}
	for _, img := range []struct {
		data []byte
		ct   string
	}{{testkit.JPEG(), "image/jpeg"}, {testkit.JPEG(), "image/jpg"}, {testkit.GIF(), "image/gif"}} {
		body, ct := multipartBody(t, "media", "x", img.ct, img.data)
		if code, _ := f.call("POST", target, ct, body); code != 0 {
			t.Errorf("%s: errcode %d", img.ct, code)
		}
	}
}

func TestUploadRefusals(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token()
	png := testkit.PNG()
	target := PathUpload + "?access_token=" + tok + "&type=image"
	good, goodCT := multipartBody(t, "media", "a.png", "image/png", png)
	for _, tc := range []struct {
		name        string
		target      string
		contentType string
		body        []byte
		want        int
	}{
		{"type voice", PathUpload + "?access_token=" + tok + "&type=voice", goodCT, good, 40004},
		{"no type", PathUpload + "?access_token=" + tok, goodCT, good, 40004},
		{"no token", PathUpload + "?type=image", goodCT, good, 41001},
		{"not multipart", target, "image/png", png, 41005},
		{"no boundary", target, "multipart/form-data", good, 41005},
		{"wrong boundary", target, "multipart/form-data; boundary=nope", good, 41005},
		{"field file", target, "", nil, 41005},
		{"no filename", target, "", nil, 41005},
		{"empty file", target, "", nil, 44001},
		{"too large", target, "", nil, 40009},
		{"not an image", target, "", nil, 40004},
		{"declared type disagrees", target, "", nil, 40004},
		{"no part type", target, "", nil, 40004},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := tc.body, tc.contentType
			switch tc.name {
			case "field file":
				body, ct = multipartBody(t, "file", "a.png", "image/png", png)
			case "no filename":
				body, ct = multipartBody(t, "media", "", "image/png", png)
			case "empty file":
				body, ct = multipartBody(t, "media", "a.png", "image/png", nil)
			case "too large":
				big := append(append([]byte(nil), png...), make([]byte, MaxImageSize)...)
				body, ct = multipartBody(t, "media", "a.png", "image/png", big)
			case "not an image":
				body, ct = multipartBody(t, "media", "a.png", "image/png", []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"))
			case "declared type disagrees":
				body, ct = multipartBody(t, "media", "a.png", "image/png", testkit.GIF())
			case "no part type":
				body, ct = multipartBody(t, "media", "a.png", "", png)
			}
			if code, _ := f.call("POST", tc.target, ct, body); code != tc.want {
				t.Fatalf("errcode %d, want %d", code, tc.want)
			}
		})
	}
	if code, _ := f.call("GET", target, "", nil); code != 43002 {
		t.Fatalf("GET upload: errcode %d, want 43002", code)
	}
	huge := make([]byte, maxUploadBody+1)
	if code, _ := f.call("POST", target, goodCT, huge); code != 45001 {
		t.Fatalf("body over %d bytes: errcode %d, want 45001", maxUploadBody, code)
	}
}
