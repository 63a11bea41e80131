package gatewaytest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// WeChat is a mini program's push settings (safe mode) with a fake WeChat API (wxsim) that
// knows them, serving on loopback.
type WeChat struct {
	AppID, AppSecret, Token, EncodingAESKey string
	// API is the fake WeChat API; Server serves it.
	API    *wxsim.API
	Server *httptest.Server
	// Pusher builds pushes as WeChat does, in the chosen format.
	Pusher *wxsim.Pusher
}

// NewWeChat returns a WeChat with a fresh EncodingAESKey whose pushes are in format. Close it
// when done.
func NewWeChat(format push.Format) (*WeChat, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("gatewaytest: %w", err)
	}
	w := &WeChat{
		AppID:          "wx5f0c1a2b3c4d5e6f",
		AppSecret:      "0123456789abcdef0123456789abcdef",
		Token:          "kefuToken2024",
		EncodingAESKey: base64.RawStdEncoding.EncodeToString(raw)[:push.KeyLength],
	}
	w.API = wxsim.NewAPI(wxsim.APIOptions{AppID: w.AppID, AppSecret: w.AppSecret})
	p, err := wxsim.NewPusher(wxsim.PusherOptions{
		URL: "https://function.invalid/", AppID: w.AppID, Token: w.Token, EncodingAESKey: w.EncodingAESKey,
		Mode: push.Safe, Format: format,
	})
	if err != nil {
		return nil, fmt.Errorf("gatewaytest: %w", err)
	}
	w.Pusher = p
	w.Server = httptest.NewServer(w.API)
	return w, nil
}

// Close stops the fake API.
func (w *WeChat) Close() { w.Server.Close() }

// Env is a deployed function's configuration for this mini program, replies going to the
// fake API, encryption required and KEFU_RULES unset: the bundled example rules.
func (w *WeChat) Env() map[string]string {
	return map[string]string{
		config.AppID:             w.AppID,
		config.AppSecret:         w.AppSecret,
		config.Token:             w.Token,
		config.EncodingAESKey:    w.EncodingAESKey,
		config.APIBase:           w.Server.URL,
		config.RequireEncryption: "true",
	}
}

// Answer is the HTTP answer in an invocation's result, whatever the platform's shape.
type Answer struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// ParseAnswer reads an invocation's result.
func ParseAnswer(result []byte) (Answer, error) {
	var a Answer
	if err := json.Unmarshal(result, &a); err != nil {
		return a, fmt.Errorf("gatewaytest: the result %q: %w", result, err)
	}
	if a.StatusCode == 0 {
		return a, fmt.Errorf("gatewaytest: the result %q has no statusCode", result)
	}
	return a, nil
}

// ContentType returns the answer's Content-Type from whichever header map holds it.
func (a Answer) ContentType() string {
	if ct := a.Headers["Content-Type"]; ct != "" {
		return ct
	}
	if vs := a.MultiValueHeaders["Content-Type"]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Messages the bundled example rules (examples/rules.yaml) answer: HelpText with exactly one
// text reply (rule "help"), HumanText with a text and the transfer to human agents (rule
// "human").
const (
	HelpText  = "帮助"
	HumanText = "人工"
)

// Exercise runs the exchanges of the HTTP contract through send, which carries a request to
// the function in some platform's event and returns its answer:
//
//   - GET verification: 200 with the echostr, text/plain;
//   - a text push: 200 "success" after exactly one send to the WeChat API;
//   - the same push again (WeChat's retry): 200 "success", nothing sent;
//   - a push with a bad msg_signature: 401, nothing sent;
//   - a push asking for a human: 200 with the transfer reply, encrypted, to this user.
//
// base64 has send carry the push bodies base64-encoded.
func Exercise(t *testing.T, w *WeChat, base64 bool, send func(Request) Answer) {
	t.Helper()
	sealer := w.Pusher.Sealer()
	openid := "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
	sends := func() int { return w.API.Count(wxsim.PathSend) }

	q, err := sealer.Verification("5021862548163459105", push.SealOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := send(Request{Method: "GET", Query: q})
	if a.StatusCode != 200 || a.Body != "5021862548163459105" || a.ContentType() != push.ContentType {
		t.Errorf("verification: %+v", a)
	}

	before := sends()
	sealed, err := w.Pusher.Seal(w.Pusher.Text(openid, HelpText))
	if err != nil {
		t.Fatal(err)
	}
	first := Request{Method: "POST", Query: sealed.Query, Body: sealed.Body, Base64: base64}
	a = send(first)
	if a.StatusCode != 200 || a.Body != push.Success {
		t.Errorf("text push: %+v", a)
	}
	if n := sends() - before; n != 1 {
		t.Errorf("text push: %d sends, want 1", n)
	}

	a = send(first)
	if a.StatusCode != 200 || a.Body != push.Success {
		t.Errorf("retry: %+v", a)
	}
	if n := sends() - before; n != 1 {
		t.Errorf("retry: %d sends in all, want 1", n)
	}

	bad, err := w.Pusher.Seal(w.Pusher.Text(openid, HelpText))
	if err != nil {
		t.Fatal(err)
	}
	bad.Query.Set("msg_signature", strings.Repeat("0", 40))
	a = send(Request{Method: "POST", Query: bad.Query, Body: bad.Body, Base64: base64})
	if a.StatusCode != 401 {
		t.Errorf("bad signature: %+v", a)
	}
	if n := sends() - before; n != 1 {
		t.Errorf("bad signature: %d sends in all, want 1", n)
	}

	sealed, err = w.Pusher.Seal(w.Pusher.Text(openid, HumanText))
	if err != nil {
		t.Fatal(err)
	}
	a = send(Request{Method: "POST", Query: sealed.Query, Body: sealed.Body, Base64: base64})
	if a.StatusCode != 200 {
		t.Fatalf("transfer: %+v", a)
	}
	m, err := sealer.OpenAnswer([]byte(a.Body))
	if err != nil || m == nil || m.MsgType != push.MsgTypeTransfer || m.ToUserName != openid {
		t.Errorf("transfer: answer %q: %+v, %v", a.Body, m, err)
	}
}
