package wxsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kefuhq/kefu/internal/testkit"
)

// FuzzSend feeds arbitrary bodies to the send endpoint: it must answer 200 with an errcode,
// and accept only bodies that decode to a message of a known type.
func FuzzSend(f *testing.F) {
	f.Add([]byte(textMsg(testUser, "hi")))
	f.Add([]byte(`{"touser":"` + testUser + `","msgtype":"link","link":{"title":"t","description":"","url":"u","thumb_url":"v"}}`))
	f.Add([]byte(`{"touser":"x","msgtype":"image","image":{"media_id":""}}`))
	f.Add([]byte(`{"msgtype":"voice"}`))
	f.Add([]byte(`[1,2`))
	api := NewAPI(APIOptions{AppID: testAppID, AppSecret: testSecret})
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("POST", PathStableToken, strings.NewReader(string(stableBody(testAppID, testSecret, false)))))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, httptest.NewRequest("POST", PathSend+"?access_token="+tok.AccessToken, strings.NewReader(string(body))))
		var ans struct {
			ErrCode *int `json:"errcode"`
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &ans) != nil || ans.ErrCode == nil {
			t.Fatalf("answer %d %q", rec.Code, rec.Body.String())
		}
		if *ans.ErrCode == 0 {
			var m Message
			if err := decodeStrict(body, &m); err != nil || m.MsgType != "text" && m.MsgType != "link" {
				t.Fatalf("accepted %q (%v)", body, err)
			}
		}
		api.Reset()
	})
}

// FuzzUpload feeds arbitrary multipart bodies to the upload endpoint: it must answer 200 with
// an errcode, and accept only a "media" file that is a JPEG, PNG or GIF.
func FuzzUpload(f *testing.F) {
	png := testkit.PNG()
	body, ct := multipartBody(f, "media", "a.png", "image/png", png)
	f.Add(body, ct)
	body, ct = multipartBody(f, "file", "a.png", "image/png", png)
	f.Add(body, ct)
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a\"\r\n\r\nGIF89a\r\n--x--\r\n"), "multipart/form-data; boundary=x")
	api := NewAPI(APIOptions{AppID: testAppID, AppSecret: testSecret})
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("POST", PathStableToken, strings.NewReader(string(stableBody(testAppID, testSecret, false)))))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		req := httptest.NewRequest("POST", PathUpload+"?type=image&access_token="+tok.AccessToken, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		var ans struct {
			ErrCode *int   `json:"errcode"`
			MediaID string `json:"media_id"`
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &ans) != nil {
			t.Fatalf("answer %d %q", rec.Code, rec.Body.String())
		}
		if ans.ErrCode == nil {
			data, ct, ok := api.Media(ans.MediaID)
			if !ok || sniffImage(data) != ct || ct == "" {
				t.Fatalf("accepted a non-image: %q", data)
			}
		}
		api.Reset()
	})
}
