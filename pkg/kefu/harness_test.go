package kefu_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kefuhq/kefu/internal/testkit"
	"github.com/kefuhq/kefu/pkg/app"
	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/kefu"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

const (
	appID     = "wx0000000000kefu0"
	appSecret = "kefu-test-secret-0123456789abcdef"
	token     = "kefuTestToken"
	aesKey    = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	user      = "o9AgO5Kd5ggOC-bXrbNODIiE3bGY"
)

// harness is kefu wired by pkg/app, served over loopback, with wxsim playing WeChat on both
// sides.
type harness struct {
	t      testing.TB
	api    *wxsim.API
	apiURL string
	app    *app.App
	url    string
	pusher *wxsim.Pusher
	logs   *testkit.Buffer
	dir    string
}

type harnessOptions struct {
	mode     push.Mode
	format   push.Format
	rules    string
	deadline time.Duration
	require  bool
	level    slog.Level
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	h := &harness{t: t, logs: &testkit.Buffer{}, dir: t.TempDir()}
	h.api = wxsim.NewAPI(wxsim.APIOptions{AppID: appID, AppSecret: appSecret})
	apiSrv := httptest.NewServer(h.api)
	t.Cleanup(apiSrv.Close)
	h.apiURL = apiSrv.URL

	if o.rules == "" {
		o.rules = testkit.Rules
	}
	if err := os.MkdirAll(filepath.Join(h.dir, "media"), 0o755); err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(h.dir, "rules.yaml"), []byte(o.rules), 0o644))
	must(t, os.WriteFile(filepath.Join(h.dir, "media", "qr.png"), testkit.PNG(), 0o644))
	if o.deadline == 0 {
		o.deadline = 4 * time.Second
	}
	cfg := &config.Config{
		AppID: appID, AppSecret: appSecret, Token: token, EncodingAESKey: aesKey,
		APIBase: apiSrv.URL, Rules: filepath.Join(h.dir, "rules.yaml"), RequireEncryption: o.require,
		MaxClockSkew: 5 * time.Minute, RulesRefresh: time.Minute, Deadline: o.deadline,
		DedupTTL: time.Minute, MediaTTL: time.Hour, TokenAPI: "stable",
	}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: o.level}))
	a, err := app.New(context.Background(), cfg, app.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h.app = a
	srv := httptest.NewServer(a.Service)
	t.Cleanup(func() {
		srv.Close()
		if a.API != nil {
			a.API.CloseIdleConnections()
		}
		a.Store.CloseIdleConnections()
	})
	h.url = srv.URL + "/wechat"
	h.pusher, err = wxsim.NewPusher(wxsim.PusherOptions{URL: h.url, AppID: appID, Token: token, EncodingAESKey: aesKey,
		Mode: o.mode, Format: o.format, API: h.api})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// post posts m and fails the test on a transport error.
func (h *harness) post(m *push.Message) *wxsim.Result {
	h.t.Helper()
	r, err := h.pusher.Post(context.Background(), m)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// sent returns the messages WeChat accepted for the user, in order, as "type:content".
func (h *harness) sent(openid string) []string {
	var out []string
	for _, e := range h.api.Events(openid, 0) {
		if e.Kind != wxsim.EventMessage {
			continue
		}
		m := e.Message
		switch {
		case m.Text != nil:
			out = append(out, "text:"+m.Text.Content)
		case m.Image != nil:
			out = append(out, "image")
		case m.MiniProgramPage != nil:
			out = append(out, "miniprogrampage:"+m.MiniProgramPage.Title)
		case m.Link != nil:
			out = append(out, "link:"+m.Link.Title)
		}
	}
	return out
}

func (h *harness) request(method, rawURL string, body []byte) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	must(h.t, err)
	resp, err := http.DefaultClient.Do(req)
	must(h.t, err)
	return resp
}

func equal(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

var _ = kefu.OutcomeReplied

func writeFile(name, content string) error { return os.WriteFile(name, []byte(content), 0o644) }

// opener returns an Opener with the harness's settings.
func (h *harness) opener(t testing.TB) *push.Opener {
	t.Helper()
	o, err := push.NewOpener(h.app.Config.PushConfig())
	if err != nil {
		t.Fatal(err)
	}
	return o
}
