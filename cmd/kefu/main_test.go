package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/app"
	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

func runKefu(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := run(context.Background(), args, &out, &errOut, lookup)
	return code, out.String(), errOut.String()
}

func TestCheckBundledExamples(t *testing.T) {
	code, out, errOut := runKefu(t, nil, "check")
	if code != 0 || !strings.HasPrefix(out, "rules.yaml: 12 rules, fallback: 1 message") || errOut != "" {
		t.Fatalf("%d\n%s\n%s", code, out, errOut)
	}
}

func TestCheckReportsEveryProblem(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(file, []byte("version: 1\nrules:\n  - name: a\n    when: { contians: [x] }\n    reply:\n      - text: hi\n  - name: a\n    when: { regex: ['('] }\n    reply:\n      - text: hi\n"), 0o644)
	code, out, errOut := runKefu(t, nil, "check", file)
	if code != 1 || out != "" {
		t.Fatalf("%d %q %q", code, out, errOut)
	}
	for _, want := range []string{file + ":4:", file + ":7:", file + ":8:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("no %q in:\n%s", want, errOut)
		}
	}
}

func TestTry(t *testing.T) {
	code, out, _ := runKefu(t, nil, "try", "下载")
	if code != 0 || !strings.Contains(out, `rule "download"`) || !strings.Contains(out, `{"touser":"oUSERoOPENIDoFORoTRYING0000","command":"Typing"}`) ||
		!strings.Contains(out, `"msgtype":"image"`) {
		t.Fatalf("%d\n%s", code, out)
	}
	code, out, _ = runKefu(t, nil, "try", "-enter", "文章详情的客服按钮")
	if code != 0 || !strings.Contains(out, `rule "from-article"`) {
		t.Fatalf("%d\n%s", code, out)
	}
	code, out, _ = runKefu(t, nil, "try", "-event", "subscribe_msg_popup_event")
	if code != 0 || !strings.Contains(out, "no rule applies") {
		t.Fatalf("%d\n%s", code, out)
	}
	code, out, _ = runKefu(t, nil, "try", "-at", "2026-12-05T22:00:00+08:00", "随便问问")
	if code != 0 || !strings.Contains(out, `rule "after-hours"`) {
		t.Fatalf("%d\n%s", code, out)
	}
}

// kefu push against a real function: the settings match (success, transfer) or not (refused).
func TestPush(t *testing.T) {
	const (
		appID  = "wx0000000000kefu0"
		secret = "push-test-secret"
		token  = "pushToken"
		key    = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	)
	api := httptest.NewServer(wxsim.NewAPI(wxsim.APIOptions{AppID: appID, AppSecret: secret}))
	defer api.Close()
	cfg := &config.Config{AppID: appID, AppSecret: secret, Token: token, EncodingAESKey: key, APIBase: api.URL,
		MaxClockSkew: time.Minute, RulesRefresh: time.Minute, Deadline: 4 * time.Second, DedupTTL: time.Minute, MediaTTL: time.Hour}
	a, err := app.New(context.Background(), cfg, app.Options{Logger: slog.New(slog.DiscardHandler), Local: true})
	if err != nil {
		t.Fatal(err)
	}
	fn := httptest.NewServer(a.Service)
	defer fn.Close()
	env := map[string]string{"WECHAT_APPID": appID, "WECHAT_TOKEN": token, "WECHAT_ENCODING_AES_KEY": key}

	if code, out, errOut := runKefu(t, env, "push", "-url", fn.URL, "-verify"); code != 0 || !strings.Contains(out, "HTTP 200") {
		t.Fatalf("verify: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runKefu(t, env, "push", "-url", fn.URL, "-format", "xml", "你好"); code != 0 || !strings.Contains(out, "answered success") {
		t.Fatalf("push: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runKefu(t, env, "push", "-url", fn.URL, "转人工"); code != 0 || !strings.Contains(out, "answered transfer_customer_service") {
		t.Fatalf("transfer: %d %s %s", code, out, errOut)
	}
	env["WECHAT_TOKEN"] = "wrong"
	if code, _, errOut := runKefu(t, env, "push", "-url", fn.URL, "你好"); code != 1 || !strings.Contains(errOut, "refused") {
		t.Fatalf("wrong token: %d %s", code, errOut)
	}
}

func TestUsage(t *testing.T) {
	if code, _, errOut := runKefu(t, nil); code != 2 || !strings.Contains(errOut, "usage") {
		t.Fatal(code, errOut)
	}
	if code, _, _ := runKefu(t, nil, "frobnicate"); code != 2 {
		t.Fatal(code)
	}
}

// Every reply the bundled example rules can send is a message WeChat's send API accepts.
func TestExamplesSendOnlyValidPayloads(t *testing.T) {
	for _, args := range [][]string{
		{"1"}, {"下载"}, {"APP"}, {"训练营"}, {"订单 20240101123456"}, {"物流"}, {"退款"}, {"帮助"}, {"转人工"}, {"随便"},
		{"-type", "image"}, {"-type", "miniprogrampage"}, {"-enter", "文章详情的客服按钮"}, {"-enter", "首页"},
		{"-at", "2026-12-05T22:00:00+08:00", "在吗"},
	} {
		code, out, errOut := runKefu(t, nil, append([]string{"try"}, args...)...)
		if code != 0 || strings.Contains(out, "would refuse") || !strings.Contains(out, "then the push is answered") {
			t.Errorf("try %v: %d\n%s%s", args, code, out, errOut)
		}
	}
}
