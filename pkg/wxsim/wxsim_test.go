package wxsim

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind. It serves the whole package: the
// push half adds its tests beside these, without a TestMain of its own.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testAppID  = "wx0123456789abcdef"
	testSecret = "0123456789abcdef0123456789abcdef"
	testUser   = "o9AgO5Kd5ggOC-bXrbNODIiE3bGY"
)

var epoch = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// fixture is an API with a fake clock, driven in-process through ServeHTTP.
type fixture struct {
	t     *testing.T
	api   *API
	clock *Clock
}

func newFixture(t *testing.T, mod func(*APIOptions)) *fixture {
	t.Helper()
	clock := NewClock(epoch)
	opt := APIOptions{AppID: testAppID, AppSecret: testSecret, Now: clock.Now}
	if mod != nil {
		mod(&opt)
	}
	return &fixture{t: t, api: NewAPI(opt), clock: clock}
}

// do makes one request and returns the recorded response.
func (f *fixture) do(method, target, contentType string, body []byte) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	f.api.ServeHTTP(rec, req)
	return rec
}

// call makes a request and decodes its JSON answer; it returns the errcode and the answer.
func (f *fixture) call(method, target, contentType string, body []byte) (int, map[string]any) {
	f.t.Helper()
	rec := f.do(method, target, contentType, body)
	if rec.Code != http.StatusOK {
		f.t.Fatalf("%s %s: HTTP %d", method, target, rec.Code)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		f.t.Fatalf("%s %s: answer %q is not JSON: %v", method, target, rec.Body.String(), err)
	}
	code, _ := m["errcode"].(float64)
	return int(code), m
}

// token returns a stable token.
func (f *fixture) token() string {
	f.t.Helper()
	code, m := f.call("POST", PathStableToken, "application/json", stableBody(testAppID, testSecret, false))
	if code != 0 {
		f.t.Fatalf("stable_token: errcode %d", code)
	}
	return m["access_token"].(string)
}

// send posts body to the send path with tok and returns the errcode.
func (f *fixture) send(tok, body string) int {
	f.t.Helper()
	code, _ := f.call("POST", PathSend+"?access_token="+tok, "application/json", []byte(body))
	return code
}

// upload uploads an image and returns its media_id.
func (f *fixture) upload(tok string, data []byte, ct string) string {
	f.t.Helper()
	body, mct := multipartBody(f.t, "media", "pic.png", ct, data)
	code, m := f.call("POST", PathUpload+"?access_token="+tok+"&type=image", mct, body)
	if code != 0 {
		f.t.Fatalf("upload: errcode %d", code)
	}
	return m["media_id"].(string)
}

func stableBody(appid, secret string, force bool) []byte {
	b, _ := json.Marshal(map[string]any{"grant_type": "client_credential", "appid": appid, "secret": secret, "force_refresh": force})
	return b
}

// multipartBody returns a multipart body with one file part and its Content-Type.
func multipartBody(t testing.TB, field, filename, ct string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	disp := `form-data; name="` + field + `"`
	if filename != "" {
		disp += `; filename="` + filename + `"`
	}
	h.Set("Content-Disposition", disp)
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	p, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	p.Write(data)
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func textMsg(to, content string) string {
	b, _ := json.Marshal(map[string]any{"touser": to, "msgtype": "text", "text": map[string]string{"content": content}})
	return string(b)
}

func TestClock(t *testing.T) {
	c := NewClock(epoch)
	c.Add(time.Hour)
	if got := c.Now(); !got.Equal(epoch.Add(time.Hour)) {
		t.Fatalf("Now = %v", got)
	}
	c.Set(epoch)
	if !c.Now().Equal(epoch) {
		t.Fatal("Set did not set")
	}
}

func TestUnknownPath(t *testing.T) {
	f := newFixture(t, nil)
	rec := f.do("GET", "/cgi-bin/nothing", "", nil)
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "not found") {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
	if f.api.Count("/cgi-bin/nothing") != 1 {
		t.Fatal("unknown path not counted")
	}
}
