package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// examplesDir is the repository's examples folder, seen from this package.
const examplesDir = "../../examples"

// testHost is a local host on a loopback port, as run() builds it.
type testHost struct {
	*host
	URL    string
	t      *testing.T
	client *http.Client
}

// startHost starts a host configured by env alone (nil: nothing set, as on a fresh clone).
func startHost(t *testing.T, env map[string]string) *testHost {
	t.Helper()
	lookup := func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
	cfg, _, err := loadConfig(lookup)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, simulated, err := newLocalHost(t.Context(), cfg, lookup, base, log)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	if simulated != !apiBaseSet(lookup) {
		t.Fatalf("simulated = %v", simulated)
	}
	srv.Config.Handler = h
	srv.Start()
	th := &testHost{host: h, URL: base, t: t, client: &http.Client{Timeout: 40 * time.Second}}
	t.Cleanup(func() {
		h.Close()
		srv.Close()
		th.client.CloseIdleConnections()
	})
	return th
}

// do makes a request and returns the status, the body and the headers.
func (th *testHost) do(method, path string, body any) (int, []byte, http.Header) {
	th.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			th.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(th.t.Context(), method, th.URL+path, rd)
	if err != nil {
		th.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := th.client.Do(req)
	if err != nil {
		th.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		th.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// act posts a page action and returns the exchange it made.
func (th *testHost) act(path string, body map[string]any) exchangeView {
	th.t.Helper()
	status, b, _ := th.do("POST", path, body)
	if status != http.StatusOK {
		th.t.Fatalf("POST %s: %d %s", path, status, b)
	}
	var x exchangeView
	if err := json.Unmarshal(b, &x); err != nil {
		th.t.Fatal(err)
	}
	return x
}

func (th *testHost) enter(openid, sessionFrom string) exchangeView {
	return th.act("/sim/enter", map[string]any{"openid": openid, "session_from": sessionFrom})
}

func (th *testHost) text(openid, text string) exchangeView {
	return th.act("/sim/send", map[string]any{"openid": openid, "type": "text", "text": text})
}

// events returns what WeChat delivered to openid after seq after (one long poll).
func (th *testHost) events(openid string, after int) ([]eventView, int) {
	th.t.Helper()
	status, b, _ := th.do("GET", fmt.Sprintf("/sim/events?openid=%s&after=%d", openid, after), nil)
	if status != http.StatusOK {
		th.t.Fatalf("events: %d %s", status, b)
	}
	var out struct {
		Events []eventView `json:"events"`
		Next   int         `json:"next"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		th.t.Fatal(err)
	}
	return out.Events, out.Next
}

// messagesOf returns the messages among evs.
func messagesOf(evs []eventView) []*chatMessage {
	var out []*chatMessage
	for _, e := range evs {
		if e.Kind == "message" {
			out = append(out, e.Message)
		}
	}
	return out
}

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDemoEnv(t *testing.T) {
	env := map[string]string{
		config.AppID:          "wx1234567890abcdef",
		config.EncodingAESKey: "", // empty counts as unset, as config.Load reads it
		config.Deadline:       "3s",
	}
	lookup, used := demoEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	want := map[string]string{
		config.AppID:          "wx1234567890abcdef",
		config.Token:          demoToken,
		config.EncodingAESKey: demoAESKey,
		config.AppSecret:      demoAppSecret,
		config.Deadline:       "3s",
	}
	for k, v := range want {
		if got, ok := lookup(k); !ok || got != v {
			t.Errorf("%s = %q, %v; want %q", k, got, ok, v)
		}
	}
	if _, ok := lookup(config.Rules); ok {
		t.Errorf("%s is filled in; the bundled rules are the contract's default", config.Rules)
	}
	if len(used) != 4 || used[0].Demo || !used[1].Demo || !used[2].Demo || !used[3].Demo {
		t.Errorf("settings = %+v", used)
	}
	if err := push.ParseKey(demoAESKey); err != nil {
		t.Errorf("the demo EncodingAESKey: %v", err)
	}
}

func TestLoadConfig(t *testing.T) {
	t.Run("nothing set", func(t *testing.T) {
		cfg, used, err := loadConfig(func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		if cfg.AppID != demoAppID || cfg.Token != demoToken || cfg.EncodingAESKey != demoAESKey || cfg.AppSecret != demoAppSecret {
			t.Errorf("config = %+v", cfg)
		}
		if cfg.Port != defaultPort || cfg.Rules != "" || cfg.APIBase != config.DefaultAPIBase {
			t.Errorf("port %d, rules %q, api %q", cfg.Port, cfg.Rules, cfg.APIBase)
		}
		for _, s := range used {
			if !s.Demo || !strings.Contains(s.describe(), s.Value) {
				t.Errorf("%+v: %s", s, s.describe())
			}
		}
	})
	t.Run("set ones honoured", func(t *testing.T) {
		env := map[string]string{
			config.Token:             "myToken",
			config.AppSecret:         "my-real-secret",
			config.RequireEncryption: "true",
			config.Deadline:          "2s",
			config.MaxClockSkew:      "0",
			config.Port:              "9999",
			config.Rules:             "examples/rules.yaml",
			config.TokenAPI:          "classic",
		}
		cfg, used, err := loadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Token != "myToken" || cfg.AppSecret != "my-real-secret" || !cfg.RequireEncryption || cfg.Deadline != 2*time.Second ||
			cfg.MaxClockSkew != 0 || cfg.Port != 9999 || cfg.Rules != "examples/rules.yaml" || cfg.TokenAPI != "classic" {
			t.Errorf("config = %+v", cfg)
		}
		for _, s := range used {
			if s.Name == config.AppSecret && strings.Contains(s.describe(), "my-real-secret") {
				t.Errorf("the banner would print a secret from the environment: %s", s.describe())
			}
		}
	})
	t.Run("bad value stops", func(t *testing.T) {
		_, _, err := loadConfig(func(k string) (string, bool) {
			if k == config.Deadline {
				return "soon", true
			}
			return "", false
		})
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Variable != config.Deadline {
			t.Fatalf("err = %v; want one naming %s", err, config.Deadline)
		}
	})
}

// TestRun runs the host as `make dev` does, on a free port with nothing configured: the
// banner says where to open the page and prints the demo values, the page is served, and
// cancelling (Ctrl-C) stops it at once although a long poll is open.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	env := map[string]string{config.Port: "0"}
	stdout := newLineWriter()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "127.0.0.1", stdout, &syncWriter{w: &stderr})
	}()
	var base string
	select {
	case <-stdout.lines:
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("no banner")
	}
	banner := stdout.String()
	for _, want := range []string{"Open the chat page", "WECHAT_APPID=" + demoAppID, "WECHAT_TOKEN=" + demoToken,
		"WECHAT_ENCODING_AES_KEY=" + demoAESKey, "WECHAT_APPSECRET=" + demoAppSecret, "the bundled example rules", "/sim/api"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, banner)
		}
	}
	for _, f := range strings.Fields(banner) {
		if strings.HasPrefix(f, "http://127.0.0.1:") && strings.HasSuffix(f, "/") {
			base = strings.TrimSuffix(f, "/")
			break
		}
	}
	if base == "" {
		t.Fatalf("no page URL in the banner:\n%s", banner)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte(`data-session-from="文章详情的客服按钮"`)) {
		t.Fatalf("GET /: %d\n%.300s", resp.StatusCode, page)
	}

	// A long poll is open when the user presses Ctrl-C.
	polled := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		resp, err := client.Get(base + "/sim/events?openid=okefuRun&after=0")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		polled <- time.Since(start)
	}()
	time.Sleep(200 * time.Millisecond)
	stopped := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop within 5 s of Ctrl-C")
	}
	if d := time.Since(stopped); d > 2*time.Second {
		t.Errorf("stopping took %v", d)
	}
	if d := <-polled; d > 5*time.Second {
		t.Errorf("the long poll lasted %v after Ctrl-C", d)
	}
}

func TestRunPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	err = run(t.Context(), func(k string) (string, bool) {
		if k == config.Port {
			return port, true
		}
		return "", false
	}, "127.0.0.1", io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "PORT=") {
		t.Fatalf("err = %v; want a clear message about the port", err)
	}
}

func TestPageServed(t *testing.T) {
	th := startHost(t, nil)
	status, body, hdr := th.do("GET", "/", nil)
	if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", status, hdr.Get("Content-Type"))
	}
	for _, want := range []string{`data-session-from="文章详情的客服按钮"`, `data-session-from="首页客服"`, `data-session-from="订单页客服"`,
		`id="chat-title">客服<`, `id="send-image"`, `id="send-card"`, `/assets/app.js`, `/assets/app.css`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	// Nothing is loaded from elsewhere: no CDN, no web font.
	for _, f := range []string{"index.html", "app.css", "app.js"} {
		path := "/assets/" + f
		if f == "index.html" {
			path = "/"
		}
		status, body, _ := th.do("GET", path, nil)
		if status != http.StatusOK || len(body) < 100 {
			t.Fatalf("GET %s: %d", path, status)
		}
		text := strings.ReplaceAll(string(body), "http://www.w3.org/2000/svg", "")
		for _, bad := range []string{"http://", "https://", "//cdn", "@import", "@font-face"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s holds %q: the page must load nothing from elsewhere", f, bad)
			}
		}
	}
	if status, _, _ := th.do("GET", "/nothing-here", nil); status != http.StatusNotFound {
		t.Errorf("GET /nothing-here: %d", status)
	}
}

// TestEnterWelcome: the user taps the article's contact button; WeChat pushes the event
// (safe mode, JSON, signed) to the function over HTTP; the function sends the welcome through
// the simulated API, and the user's conversation holds it.
func TestEnterWelcome(t *testing.T) {
	th := startHost(t, nil)
	const user = "okefuEnter"
	x := th.enter(user, "文章详情的客服按钮")
	if x.Answer == nil || x.Answer.Status != 200 || !x.Answer.Success {
		t.Fatalf("answer = %+v (%s)", x.Answer, x.Error)
	}
	if x.Report == nil || x.Report.Rule != "from-article" || x.Report.Outcome != "replied" || x.Report.Sent != 1 {
		t.Fatalf("report = %+v", x.Report)
	}
	if x.Mode != "safe" || x.Format != "json" || x.Report.Mode != "encrypted" || x.Report.Event != push.EventUserEnterTempSession {
		t.Errorf("mode %s, format %s, report %+v", x.Mode, x.Format, x.Report)
	}
	q := map[string]string{}
	for _, nv := range x.Push.Query {
		q[nv.Name] = nv.Value
	}
	if q["encrypt_type"] != "aes" || q["msg_signature"] == "" || q["signature"] == "" || q["openid"] != user {
		t.Errorf("push query = %v", q)
	}
	if !strings.Contains(x.Push.Body, `"Encrypt"`) || strings.Contains(x.Push.Body, "SessionFrom") {
		t.Errorf("a safe-mode push body shows only the ciphertext: %s", x.Push.Body)
	}
	if !strings.Contains(x.Push.Plaintext, `"SessionFrom": "文章详情的客服按钮"`) {
		t.Errorf("plaintext = %s", x.Push.Plaintext)
	}
	evs, next := th.events(user, 0)
	msgs := messagesOf(evs)
	if len(msgs) != 1 || msgs[0].Type != "text" || !strings.HasPrefix(msgs[0].Text, "欢迎！看完文章有疑问？") {
		t.Fatalf("conversation = %+v", evs)
	}
	if next != x.Seq || next == 0 {
		t.Errorf("next %d, exchange seq %d", next, x.Seq)
	}

	// Another entry button gets the generic welcome, with a mini-program link. (Another
	// user: an event's dedup key is the user, the second and the event, so the same user
	// entering twice within a second is WeChat retrying.)
	x = th.enter(user+"2", "首页客服")
	if x.Report.Rule != "welcome" || x.Report.Outcome != "replied" {
		t.Fatalf("report %+v", x.Report)
	}
	msgs = messagesOf(first(th.events(user+"2", 0)))
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, `data-miniprogram-appid="`+demoAppID+`"`) {
		t.Fatalf("conversation = %+v", msgs)
	}
}

func first[A, B any](a A, _ B) A { return a }

func TestSendLinkCard(t *testing.T) {
	th := startHost(t, nil)
	const user = "okefuCamp"
	x := th.text(user, "训练营")
	if x.Report.Rule != "camp" || x.Report.Outcome != "replied" {
		t.Fatalf("report = %+v", x.Report)
	}
	msgs := messagesOf(first(th.events(user, 0)))
	if len(msgs) != 1 || msgs[0].Type != "link" || msgs[0].Link == nil {
		t.Fatalf("conversation = %+v", msgs)
	}
	l := msgs[0].Link
	if l.Title != "快来加入云开发技术训练营" || l.URL != "https://cloud.tencent.com/" || !strings.HasPrefix(l.ThumbURL, "https://") {
		t.Errorf("link = %+v", l)
	}
	var send *callView
	for i := range x.Calls {
		if x.Calls[i].Path == wxsim.PathSend {
			send = &x.Calls[i]
		}
	}
	if send == nil || !strings.Contains(send.Payload, `"msgtype": "link"`) || send.ErrCode != 0 || send.Status != 200 {
		t.Fatalf("calls = %+v", x.Calls)
	}
}

// TestImageFromStorage: the image WeChat received, served to the page, is the example PNG
// byte for byte; so is the card's thumbnail.
func TestImageFromStorage(t *testing.T) {
	th := startHost(t, nil)
	const user = "okefuImage"
	x := th.text(user, "下载")
	if x.Report.Rule != "download" || x.Report.Sent != 2 {
		t.Fatalf("report = %+v", x.Report)
	}
	evs, next := th.events(user, 0)
	if len(evs) != 3 || evs[0].Kind != "typing" || !evs[0].Typing {
		t.Fatalf("conversation = %+v; want typing, text, image", evs)
	}
	msgs := messagesOf(evs)
	if msgs[0].Type != "text" || msgs[1].Type != "image" {
		t.Fatalf("messages = %+v", msgs)
	}
	status, body, hdr := th.do("GET", msgs[1].ImageURL, nil)
	if status != 200 || hdr.Get("Content-Type") != "image/png" || !bytes.Equal(body, readExample(t, "media/download-qr.png")) {
		t.Fatalf("GET %s: %d %s, %d bytes; want the bytes of examples/media/download-qr.png", msgs[1].ImageURL, status, hdr.Get("Content-Type"), len(body))
	}

	th.text(user, "订单 123456")
	msgs = messagesOf(first(th.events(user, next)))
	if len(msgs) != 2 || msgs[1].Type != "miniprogrampage" || msgs[1].Card.PagePath != "pages/order/detail?id=123456" {
		t.Fatalf("messages = %+v", msgs)
	}
	status, body, _ = th.do("GET", msgs[1].Card.ThumbURL, nil)
	if status != 200 || !bytes.Equal(body, readExample(t, "media/card.png")) {
		t.Fatalf("the card's thumbnail is not examples/media/card.png: %d, %d bytes", status, len(body))
	}
	if status, _, _ := th.do("GET", "/sim/media/no-such-id", nil); status != http.StatusNotFound {
		t.Errorf("unknown media: %d", status)
	}
}

// TestPanel: the exchange shows the push, the rule and each API call with its payload,
// errcode and timing, with no secret in it; GET /sim/exchanges/{id} gives it again.
func TestPanel(t *testing.T) {
	th := startHost(t, nil)
	const user = "okefuPanel"
	x := th.text(user, "下载")
	if x.Push == nil || x.Push.Method != "POST" || x.Push.Path != functionPath || len(x.Push.Query) != 6 || x.Push.Query[0].Name != "signature" {
		t.Fatalf("push = %+v", x.Push)
	}
	if !strings.Contains(x.Push.Plaintext, `"Content": "下载"`) {
		t.Errorf("plaintext = %s", x.Push.Plaintext)
	}
	var paths []string
	for _, c := range x.Calls {
		paths = append(paths, c.Path)
		if c.Status != 200 || c.ErrCode != 0 || c.DurationMS < 0 || c.Time.IsZero() {
			t.Errorf("call %+v", c)
		}
	}
	// The token first (a fresh host), typing, the upload running alongside, then the sends.
	want := map[string]int{wxsim.PathStableToken: 1, wxsim.PathTyping: 1, wxsim.PathUpload: 1, wxsim.PathSend: 2}
	got := map[string]int{}
	for _, p := range paths {
		got[p]++
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("calls %v; want %v", paths, want)
	}
	raw, _ := json.Marshal(x)
	for _, secret := range []string{demoAppSecret, demoToken, demoAESKey} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the panel shows the secret %q", secret)
		}
	}
	for _, c := range x.Calls {
		switch c.Path {
		case wxsim.PathStableToken:
			if !strings.Contains(c.Payload, `"secret": "REDACTED"`) || !strings.Contains(c.Response, `"access_token":"REDACTED"`) {
				t.Errorf("token call not redacted: %s / %s", c.Payload, c.Response)
			}
		case wxsim.PathUpload:
			if !strings.Contains(c.Payload, `filename="download-qr.png"`) || !strings.Contains(c.Response, "media_id") {
				t.Errorf("upload shown as %q / %q", c.Payload, c.Response)
			}
		default:
			if c.Query != "access_token=REDACTED" {
				t.Errorf("query %q", c.Query)
			}
		}
	}
	status, b, _ := th.do("GET", "/sim/exchanges/"+x.ID, nil)
	var again exchangeView
	if status != 200 || json.Unmarshal(b, &again) != nil || again.ID != x.ID || len(again.Calls) != len(x.Calls) || again.Report.Rule != "download" {
		t.Fatalf("GET /sim/exchanges/%s: %d %s", x.ID, status, b)
	}
	if status, _, _ := th.do("GET", "/sim/exchanges/nope", nil); status != http.StatusNotFound {
		t.Errorf("unknown exchange: %d", status)
	}
}

func TestTransfer(t *testing.T) {
	th := startHost(t, nil)
	for _, format := range []string{"json", "xml"} {
		t.Run(format, func(t *testing.T) {
			user := "okefuHuman" + format
			x := th.act("/sim/send", map[string]any{"openid": user, "type": "text", "text": "转人工", "format": format})
			if !x.Answer.Transfer || x.Answer.Success || x.Answer.Status != 200 || x.Report.Rule != "human" || !x.Report.Transfer {
				t.Fatalf("answer %+v, report %+v", x.Answer, x.Report)
			}
			if !strings.Contains(x.Answer.Decoded, push.MsgTypeTransfer) || !strings.Contains(x.Answer.Body, "Encrypt") {
				t.Errorf("answer body %s, decoded %s", x.Answer.Body, x.Answer.Decoded)
			}
			msgs := messagesOf(first(th.events(user, 0)))
			if len(msgs) != 1 || msgs[0].Text != "正在为您转接人工客服，请稍候……" {
				t.Errorf("messages %+v", msgs)
			}
		})
	}
}

// TestModes: every console mode and data format reaches the function and is answered.
func TestModes(t *testing.T) {
	th := startHost(t, nil)
	for _, mode := range []string{"safe", "compatible", "plaintext"} {
		for _, format := range []string{"json", "xml"} {
			x := th.act("/sim/send", map[string]any{"openid": "okefuModes", "type": "text", "text": "帮助", "mode": mode, "format": format})
			if x.Answer.Status != 200 || x.Report.Rule != "help" || x.Report.Format != format {
				t.Errorf("%s/%s: answer %+v, report %+v", mode, format, x.Answer, x.Report)
				continue
			}
			encrypted := strings.Contains(x.Push.Body, "Encrypt")
			if encrypted != (mode != "plaintext") || (x.Report.Mode == "plaintext") != (mode == "plaintext") {
				t.Errorf("%s/%s: body %s, report mode %s", mode, format, x.Push.Body, x.Report.Mode)
			}
			if strings.HasPrefix(x.Push.Body, "<xml>") != (format == "xml") {
				t.Errorf("%s/%s: body %s", mode, format, x.Push.Body)
			}
			if mode == "plaintext" && format == "json" {
				// The MsgId (beyond 2^53) is shown with its exact digits.
				_, rest, _ := strings.Cut(x.Push.Body, `"MsgId":`)
				digits := rest[:strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })]
				if len(digits) < 17 || !strings.Contains(x.Push.Plaintext, `"MsgId": `+digits) {
					t.Errorf("MsgId %q of %s shown as %s", digits, x.Push.Body, x.Push.Plaintext)
				}
			}
		}
	}
	status, _, _ := th.do("POST", "/sim/send", map[string]any{"openid": "okefuModes", "type": "text", "text": "x", "mode": "secret"})
	if status != http.StatusBadRequest {
		t.Errorf("unknown mode: %d", status)
	}
}

// TestRequireEncryption: set variables are honoured; a plaintext push is refused with 401,
// and the page learns what WeChat would show.
func TestRequireEncryption(t *testing.T) {
	th := startHost(t, map[string]string{config.RequireEncryption: "true"})
	x := th.act("/sim/send", map[string]any{"openid": "okefuStrict", "type": "text", "text": "帮助", "mode": "plaintext"})
	if x.Answer.Status != http.StatusUnauthorized || x.Report.Outcome != "refused" || len(x.Calls) != 0 {
		t.Fatalf("answer %+v, report %+v, calls %d", x.Answer, x.Report, len(x.Calls))
	}
	if x.Push.Plaintext == "" {
		t.Error("a refused push still shows the message the simulator built")
	}
	if x = th.text("okefuStrict", "帮助"); x.Answer.Status != 200 {
		t.Fatalf("safe mode refused: %+v", x.Answer)
	}
}

// TestSetSettingsHonoured: an AppID, Token and key set in the environment are used by both
// the function and the simulator; the page's config shows the AppID.
func TestSetSettingsHonoured(t *testing.T) {
	env := map[string]string{
		config.AppID:          "wx1234567890abcdef",
		config.Token:          "anotherToken",
		config.EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		config.AppSecret:      "another-secret",
	}
	th := startHost(t, env)
	if th.cfg.AppID != env[config.AppID] || th.cfg.Token != env[config.Token] {
		t.Fatalf("config %+v", th.cfg)
	}
	x := th.text("okefuSet", "帮助")
	if x.Answer.Status != 200 || x.Report.Outcome != "replied" {
		t.Fatalf("answer %+v, report %+v", x.Answer, x.Report)
	}
	status, b, _ := th.do("GET", "/sim/config", nil)
	var c map[string]any
	if status != 200 || json.Unmarshal(b, &c) != nil || c["appid"] != env[config.AppID] || c["api_simulated"] != true {
		t.Fatalf("config: %d %s", status, b)
	}
	if bytes.Contains(b, []byte(env[config.AppSecret])) || bytes.Contains(b, []byte(env[config.Token])) {
		t.Errorf("/sim/config shows a secret: %s", b)
	}
}

// TestAPIBaseSet: with WECHAT_API_BASE set, the function calls that API, not the host's.
func TestAPIBaseSet(t *testing.T) {
	other := wxsim.NewAPI(wxsim.APIOptions{AppID: demoAppID, AppSecret: demoAppSecret})
	srv := httptest.NewServer(other)
	defer srv.Close()
	th := startHost(t, map[string]string{config.APIBase: srv.URL})
	x := th.text("okefuElsewhere", "帮助")
	if x.Report.Outcome != "replied" || other.Count(wxsim.PathSend) != 1 {
		t.Fatalf("report %+v; sends to the other API: %d", x.Report, other.Count(wxsim.PathSend))
	}
	if evs := th.api.Events("okefuElsewhere", 0); len(evs) != 0 {
		t.Errorf("the host's simulator got %d events", len(evs))
	}
	// The token was fetched once from the other API (the local host fetches it at the first
	// push), and the push's last call is the send.
	if other.Count(wxsim.PathStableToken) != 1 || len(x.Calls) == 0 || x.Calls[len(x.Calls)-1].Path != wxsim.PathSend {
		t.Errorf("token fetches %d, calls %+v", other.Count(wxsim.PathStableToken), x.Calls)
	}
}

// TestRulesReload: a support person edits the rules file on disk; the next message within
// about a second gets the new reply, without a restart.
func TestRulesReload(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(examplesDir)); err != nil {
		t.Fatal(err)
	}
	rulesPath := filepath.Join(dir, "rules.yaml")
	th := startHost(t, map[string]string{config.Rules: rulesPath})
	const user = "okefuReload"
	x := th.text(user, "下载") // a relative image, resolved next to the file on disk
	if x.Report.Outcome != "replied" || x.Report.Sent != 2 {
		t.Fatalf("report %+v", x.Report)
	}
	before := readExample(t, "rules.yaml")
	const oldText, newText = "扫描下方二维码下载 App：", "扫码下载 App（规则已更新）："
	if !bytes.Contains(before, []byte(oldText)) {
		t.Fatalf("examples/rules.yaml no longer holds %q: update this test", oldText)
	}
	edited := bytes.Replace(before, []byte(oldText), []byte(newText), 1)
	if err := os.WriteFile(rulesPath, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	edit := time.Now()
	_, next := th.events(user, 0)
	for {
		x = th.text(user, "下载")
		evs, n := th.events(user, next)
		next = n
		msgs := messagesOf(evs)
		if len(msgs) > 0 && msgs[0].Text == newText {
			break
		}
		if time.Since(edit) > 2500*time.Millisecond {
			t.Fatalf("the edited rules were not served within 2.5 s: %+v", msgs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d := time.Since(edit); d > 2*time.Second {
		t.Errorf("the edit took %v to be served; want about a second", d)
	}

	// A broken edit is refused; the last good rules stay in service.
	if err := os.WriteFile(rulesPath, []byte("version: 1\nrules:\n  - name: a\n    when: { contians: [x] }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	if x = th.text(user, "下载"); x.Report.Rule != "download" {
		t.Fatalf("after a broken edit: %+v", x.Report)
	}
}

// TestUserImageAndCard: the user sends an image and a mini-program card from the page.
func TestUserImageAndCard(t *testing.T) {
	th := startHost(t, nil)
	const user = "okefuUpload"
	png := readExample(t, "media/link-thumb.png")
	x := th.act("/sim/send", map[string]any{"openid": user, "type": "image",
		"image": "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)})
	if x.Report.Rule != "image-received" || x.User.Type != "image" || !strings.Contains(x.Push.Plaintext, `"PicUrl": "`+th.URL+"/sim/media/") {
		t.Fatalf("exchange %+v / %s", x.Report, x.Push.Plaintext)
	}
	status, body, _ := th.do("GET", x.User.ImageURL, nil)
	if status != 200 || !bytes.Equal(body, png) {
		t.Fatalf("the user's image: %d, %d bytes", status, len(body))
	}
	x = th.act("/sim/send", map[string]any{"openid": user, "type": "card"})
	if x.Report.Rule != "card-received" || x.User.Card == nil || x.User.Card.AppID != demoAppID {
		t.Fatalf("card: %+v %+v", x.Report, x.User)
	}
	status, _, _ = th.do("POST", "/sim/send", map[string]any{"openid": user, "type": "image", "image": base64.StdEncoding.EncodeToString([]byte("not an image"))})
	if status != http.StatusBadRequest {
		t.Errorf("a text file as image: %d", status)
	}
}

// TestHistory: a reloaded page gets the user's actions and the replies back, in order.
func TestHistory(t *testing.T) {
	th := startHost(t, nil)
	const user = "okefuHistory"
	th.enter(user, "文章详情的客服按钮")
	th.text(user, "训练营")
	th.text("okefuSomeoneElse", "训练营")
	status, b, _ := th.do("GET", "/sim/history?openid="+user, nil)
	var h struct {
		Items []struct {
			Kind     string        `json:"kind"`
			Exchange *exchangeView `json:"exchange"`
			Event    *eventView    `json:"event"`
		} `json:"items"`
		Next int `json:"next"`
	}
	if status != 200 || json.Unmarshal(b, &h) != nil {
		t.Fatalf("history: %d %s", status, b)
	}
	var got []string
	for _, it := range h.Items {
		switch it.Kind {
		case "user":
			got = append(got, "user:"+it.Exchange.User.Type)
		case "event":
			got = append(got, "kefu:"+it.Event.Message.Type)
		}
	}
	if want := "[user:event kefu:text user:text kefu:link]"; fmt.Sprint(got) != want {
		t.Fatalf("history %v; want %s", got, want)
	}
	if h.Next == 0 {
		t.Error("no next sequence number")
	}
}

func TestBadRequests(t *testing.T) {
	th := startHost(t, nil)
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/sim/send", map[string]any{"openid": "bad id!", "type": "text", "text": "x"}, 400},
		{"POST", "/sim/send", map[string]any{"openid": "okefuBad", "type": "voice"}, 400},
		{"POST", "/sim/send", map[string]any{"openid": "okefuBad", "type": "text", "text": ""}, 400},
		{"POST", "/sim/send", map[string]any{"openid": "okefuBad", "type": "text", "text": "x", "extra": 1}, 400},
		{"POST", "/sim/send", map[string]any{"openid": "okefuBad", "type": "text", "text": strings.Repeat("x", maxSimBody)}, 413},
		{"GET", "/sim/send", nil, 405},
		{"GET", "/sim/events?openid=okefuBad&after=-1", nil, 400},
		{"GET", "/sim/events?after=0", nil, 400},
		{"GET", "/sim/history", nil, 400},
	} {
		if status, b, _ := th.do(c.method, c.path, c.body); status != c.want {
			t.Errorf("%s %s: %d %s; want %d", c.method, c.path, status, b, c.want)
		}
	}
}

// TestFunctionRoute: /wechat is the function, answering WeChat's GET verification and
// refusing what it must; a push from elsewhere (kefu push, curl) is recorded with its calls.
func TestFunctionRoute(t *testing.T) {
	th := startHost(t, nil)
	status, b, _ := th.do("POST", "/sim/verify", map[string]any{})
	var v map[string]any
	if status != 200 || json.Unmarshal(b, &v) != nil || v["ok"] != true {
		t.Fatalf("verify: %d %s", status, b)
	}
	if status, _, _ := th.do("POST", functionPath, nil); status != http.StatusUnauthorized {
		t.Errorf("unsigned POST /wechat: %d", status)
	}
	if status, _, _ := th.do("PUT", functionPath, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("PUT /wechat: %d", status)
	}

	p, err := wxsim.NewPusher(wxsim.PusherOptions{URL: th.URL + functionPath, AppID: demoAppID, Token: demoToken,
		EncodingAESKey: demoAESKey, Mode: push.Safe, HTTPClient: th.client})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Post(t.Context(), p.Text("okefuOutside", "帮助"))
	if err != nil || !res.Success {
		t.Fatalf("push from elsewhere: %v %+v", err, res)
	}
	th.journal.mu.Lock()
	var found *exchange
	for _, id := range th.journal.order {
		if e := th.journal.byID[id]; e.OpenID == "okefuOutside" {
			found = e
		}
	}
	th.journal.mu.Unlock()
	if found == nil || found.Report == nil || found.Report.Rule != "help" || len(found.Calls) == 0 || found.Message != nil {
		t.Fatalf("exchange %+v", found)
	}
	v2 := th.exchangeView(found)
	if v2.Push == nil || !strings.Contains(v2.Push.Plaintext, "帮助") {
		t.Errorf("view %+v", v2.Push)
	}
}

// TestLongPoll: a poll waits for the next step, and ends at once when the host closes.
func TestLongPoll(t *testing.T) {
	th := startHost(t, nil)
	const user = "okefuPoll"
	got := make(chan []eventView, 1)
	go func() {
		evs, _ := th.events(user, 0)
		got <- evs
	}()
	time.Sleep(100 * time.Millisecond)
	th.text(user, "帮助")
	select {
	case evs := <-got:
		if len(evs) == 0 {
			t.Fatal("the poll returned nothing")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the poll did not return the reply")
	}

	go func() {
		evs, _ := th.events(user, 1000)
		got <- evs
	}()
	time.Sleep(100 * time.Millisecond)
	th.Close()
	select {
	case evs := <-got:
		if len(evs) != 0 {
			t.Errorf("events %+v", evs)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not end the poll")
	}
}

func TestJournalBounds(t *testing.T) {
	j := newJournal()
	for i := range maxExchanges + 10 {
		id := fmt.Sprint(i)
		j.begin(&exchange{ID: id, OpenID: "o", Message: &push.Message{}})
		for range maxCallsPerRequest + 3 {
			j.addCall(id, apiCall{Path: "/x"})
		}
	}
	if len(j.order) != maxExchanges || len(j.byID) != maxExchanges {
		t.Errorf("%d exchanges kept", len(j.order))
	}
	if _, ok := j.get("0"); ok {
		t.Error("the oldest exchange is still there")
	}
	e, ok := j.get(fmt.Sprint(maxExchanges + 9))
	if !ok || len(e.Calls) != maxCallsPerRequest || e.DroppedCalls != 3 {
		t.Errorf("calls %d, dropped %d", len(e.Calls), e.DroppedCalls)
	}
	if n := len(j.forUser("o", maxHistory)); n != maxHistory {
		t.Errorf("history of %d", n)
	}
	var first string
	for i := range maxUserImages + 2 {
		id := j.addImage([]byte{byte(i)}, "image/png")
		if i == 0 {
			first = id
		}
	}
	if _, _, ok := j.image(first); ok || len(j.images) != maxUserImages {
		t.Errorf("%d images kept", len(j.images))
	}
	j.addCall("", apiCall{}) // a call outside any exchange is not kept
}

func TestConcurrentUsers(t *testing.T) {
	th := startHost(t, nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			user := fmt.Sprintf("okefuMany%d", i)
			x := th.text(user, "下载")
			for _, c := range x.Calls {
				if strings.Contains(c.Payload, `"touser"`) && !strings.Contains(c.Payload, user) {
					t.Errorf("%s's exchange holds a call for another user: %s", user, c.Payload)
				}
			}
			if x.Report.Sent != 2 {
				t.Errorf("%s: %+v", user, x.Report)
			}
		})
	}
	wg.Wait()
}

// lineWriter collects the banner and signals its first write.
type lineWriter struct {
	mu    sync.Mutex
	b     strings.Builder
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 16)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	select {
	case w.lines <- string(p):
	default:
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
