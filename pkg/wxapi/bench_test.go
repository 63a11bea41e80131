package wxapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkSend is a warm text send over loopback to the fake WeChat (the fake's own work,
// which runs in the same process, is included in the figures).
func BenchmarkSend(b *testing.B) {
	e := newEnv(b, nil, nil)
	ctx := context.Background()
	m := NewText(testUser, "您好，已收到您的消息，客服稍后回复您。")
	if err := e.c.Send(ctx, m); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := e.c.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
		if b.N%1024 == 0 {
			e.sim.Reset()
		}
	}
}

// BenchmarkSendBare is a warm text send over loopback to a server that only answers ok: the
// client's own cost plus net/http's.
func BenchmarkSendBare(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == pathStableToken {
			io.WriteString(w, `{"access_token":"TOKEN","expires_in":7200}`)
			return
		}
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, AppID: testAppID, AppSecret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseIdleConnections()
	ctx := context.Background()
	m := NewText(testUser, "您好，已收到您的消息，客服稍后回复您。")
	if err := c.Send(ctx, m); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPayload is the JSON encoding of a text reply.
func BenchmarkPayload(b *testing.B) {
	m := NewText(testUser, `订单 <a href="https://e/" data-miniprogram-appid="wx1" data-miniprogram-path="pages/o?id=1">查看</a>`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Payload(); err != nil {
			b.Fatal(err)
		}
	}
}
