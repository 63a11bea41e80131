package wxapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kefuhq/kefu/internal/testkit"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// TestUploadImage uploads through the fake, which checks the multipart shape (field media,
// filename, part Content-Type agreeing with the bytes, type=image).
func TestUploadImage(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name, filename, contentType string
		data                        []byte
		wantType, wantName          string
	}{
		{"png", "qr.png", "image/png", testkit.PNG(), "image/png", "qr.png"},
		{"jpeg sniffed", "", "", testkit.JPEG(), "image/jpeg", "image.jpg"},
		{"jpg alias", "照片 1.jpg", "image/jpg", testkit.JPEG(), "image/jpeg", "_______1.jpg"},
		{"gif", "a\"b.gif", "IMAGE/GIF", testkit.GIF(), "image/gif", "a_b.gif"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.sim.Reset()
			id, err := e.c.UploadImage(ctx, tc.filename, tc.contentType, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			data, ct, ok := e.sim.Media(id)
			if !ok || ct != tc.wantType || !bytes.Equal(data, tc.data) {
				t.Fatalf("stored %d bytes as %q (%v)", len(data), ct, ok)
			}
			calls := e.sim.Calls()
			last := calls[len(calls)-1]
			if last.Path != wxsim.PathUpload || !strings.Contains(last.Query, "type=image") ||
				!strings.Contains(string(last.Body), `filename="`+tc.wantName+`"`) {
				t.Fatalf("upload call %+v body %s", last, last.Body)
			}
		})
	}
}

// TestUploadRefusedLocally: what WeChat would refuse is refused before any request.
func TestUploadRefusedLocally(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	for name, up := range map[string]func() error{
		"svg": func() error {
			_, err := e.c.UploadImage(ctx, "a.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`))
			return err
		},
		"too large": func() error {
			_, err := e.c.UploadImage(ctx, "a.png", "", append(testkit.PNG(), make([]byte, MaxImageSize)...))
			return err
		},
		"type disagrees": func() error {
			_, err := e.c.UploadImage(ctx, "a.png", "image/png", testkit.JPEG())
			return err
		},
	} {
		if err := up(); !errors.Is(err, ErrImageRefused) {
			t.Errorf("%s: %v, want ErrImageRefused", name, err)
		}
	}
	if n := len(e.sim.Calls()); n != 0 {
		t.Fatalf("%d calls made for refused images", n)
	}
}

// TestUploadAnswers: created_at may be a number or a string; an answer without media_id is
// ErrBadResponse; WeChat's refusal is typed; -1 is retried.
func TestUploadAnswers(t *testing.T) {
	sim := wxsim.NewAPI(wxsim.APIOptions{AppID: testAppID, AppSecret: testSecret})
	answer := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wxsim.PathUpload || answer == "" {
			sim.ServeHTTP(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, AppID: testAppID, AppSecret: testSecret})
	defer c.CloseIdleConnections()
	ctx := context.Background()
	for _, tc := range []struct {
		answer string
		wantID string
		kind   error
	}{
		{`{"type":"image","media_id":"m1","created_at":1714000000}`, "m1", nil},
		{`{"type":"image","media_id":"m2","created_at":"1714000000"}`, "m2", nil},
		{`{"errcode":0,"errmsg":"ok","type":"image","media_id":"m3","created_at":1714000000}`, "m3", nil},
		{`{"type":"image","created_at":1714000000}`, "", ErrBadResponse},
		{`{"errcode":40004,"errmsg":"invalid media type"}`, "", ErrMediaRefused},
	} {
		answer = tc.answer
		id, err := c.UploadImage(ctx, "a.png", "", testkit.PNG())
		if id != tc.wantID || (tc.kind == nil) != (err == nil) || tc.kind != nil && !errors.Is(err, tc.kind) {
			t.Errorf("answer %s: %q, %v", tc.answer, id, err)
		}
	}
	answer = ""
	sim.Fail(wxsim.PathUpload, -1, 1)
	if _, err := c.UploadImage(ctx, "a.png", "", testkit.PNG()); err != nil {
		t.Fatalf("upload after -1: %v", err)
	}
}
