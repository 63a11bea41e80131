package app

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

	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// BenchmarkNew is the work of a cold start after the runtime's init: reading the
// configuration, wiring every part and loading a local rules file.
func BenchmarkNew(b *testing.B) {
	dir := b.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rules, []byte("version: 1\nrules:\n  - name: hello\n    when: { exact: [你好] }\n    reply:\n      - text: 你好！\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	env := map[string]string{"WECHAT_APPID": "wx0000000000kefu0", "WECHAT_TOKEN": "t", "WECHAT_APPSECRET": "s", "KEFU_RULES": rules}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	log := slog.New(slog.DiscardHandler)
	b.ReportAllocs()
	for b.Loop() {
		cfg, err := config.Load(lookup, 9000)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if _, err := New(ctx, cfg, Options{Logger: log}); err != nil {
			b.Fatal(err)
		}
		cancel()
	}
}

// The access token is fetched at start, while the rules load; a WeChat that refuses it does
// not stop the start. The local host, whose simulated API is not listening yet, skips it.
func TestNewWarmsTheToken(t *testing.T) {
	api := wxsim.NewAPI(wxsim.APIOptions{AppID: "wx0000000000kefu0", AppSecret: "s"})
	srv := httptest.NewServer(api)
	defer srv.Close()
	load := func(secret string) *config.Config {
		cfg, err := config.Load(func(k string) (string, bool) {
			v, ok := map[string]string{"WECHAT_APPID": "wx0000000000kefu0", "WECHAT_TOKEN": "t", "WECHAT_APPSECRET": secret, "WECHAT_API_BASE": srv.URL}[k]
			return v, ok
		}, 9000)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	for _, secret := range []string{"s", "wrong"} {
		cfg := load(secret)
		var logs bytes.Buffer
		a, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatalf("secret %q: %v", secret, err)
		}
		a.API.CloseIdleConnections()
		if secret == "wrong" && !strings.Contains(logs.String(), "could not fetch the WeChat access token at start") {
			t.Fatalf("not logged: %s", logs.String())
		}
	}
	if n := api.Count(wxsim.PathStableToken); n != 2 {
		t.Fatalf("%d token fetches, want one per start", n)
	}
	if _, err := New(context.Background(), load("s"), Options{Logger: slog.New(slog.DiscardHandler), Local: true}); err != nil {
		t.Fatal(err)
	}
	if n := api.Count(wxsim.PathStableToken); n != 2 {
		t.Fatalf("the local host fetched the token at start (%d fetches in all)", n)
	}
}
