package wxapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kefuhq/kefu/internal/testkit"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// TestSendShapes sends each message type and reads it back from the fake, which checks the
// shapes as WeChat does.
func TestSendShapes(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	media, err := e.c.UploadImage(ctx, "card.png", "image/png", testkit.PNG())
	if err != nil {
		t.Fatal(err)
	}
	text := `订单 <a href="https://example.com" data-miniprogram-appid="` + testAppID + `" data-miniprogram-path="pages/order/index?id=1&x=2">查看</a>`
	msgs := []*Message{
		NewText(testUser, text),
		NewImage(testUser, media),
		NewLink(testUser, Link{Title: "训练营", Description: "十天学会", URL: "https://cloud.tencent.com/", ThumbURL: "https://example.com/love.png"}),
		NewMiniProgramPage(testUser, MiniProgramPage{Title: "首页", PagePath: "pages/index/index?from=kefu", ThumbMediaID: media}),
	}
	for _, m := range msgs {
		if err := e.c.Send(ctx, m); err != nil {
			t.Fatalf("%s: %v", m.MsgType, err)
		}
	}
	evs := e.sim.Events(testUser, 0)
	if len(evs) != 4 {
		t.Fatalf("%d events", len(evs))
	}
	if got := evs[0].Message.Text.Content; got != text {
		t.Fatalf("text arrived as %q", got)
	}
	if !bytes.Contains(evs[0].Raw, []byte(`<a href=`)) || bytes.Contains(evs[0].Raw, []byte(`\u003c`)) {
		t.Fatalf("text was HTML-escaped on the wire: %s", evs[0].Raw)
	}
	if evs[1].Message.Image.MediaID != media || evs[2].Message.Link.ThumbURL != "https://example.com/love.png" ||
		evs[3].Message.MiniProgramPage.PagePath != "pages/index/index?from=kefu" {
		t.Fatalf("events %+v %+v %+v", evs[1].Message, evs[2].Message, evs[3].Message)
	}
}

func TestSendBusinessPath(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.SendPath = BusinessSendPath; c.TypingPath = BusinessTypingPath })
	ctx := context.Background()
	if err := e.c.Typing(ctx, testUser, true); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Send(ctx, NewText(testUser, "x")); err != nil {
		t.Fatal(err)
	}
	if e.sim.Count(wxsim.PathBusinessSend) != 1 || e.sim.Count(wxsim.PathBusinessTyping) != 1 || e.sim.Count(wxsim.PathSend) != 0 {
		t.Fatal("business paths not used")
	}
}

// TestBusyRetried: -1 twice then success; 45011 once then success.
func TestBusyRetried(t *testing.T) {
	for _, tc := range []struct {
		code, times int
	}{{-1, 2}, {45011, 1}} {
		e := newEnv(t, nil, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := e.c.Token(ctx); err != nil {
			t.Fatal(err)
		}
		var attempts []int
		var mu sync.Mutex
		e.c.onCall = func(c Call) {
			mu.Lock()
			attempts = append(attempts, c.Code)
			mu.Unlock()
		}
		e.sim.Fail(wxsim.PathSend, tc.code, tc.times)
		start := time.Now()
		if err := e.c.Send(ctx, NewText(testUser, "x")); err != nil {
			t.Fatalf("errcode %d ×%d: %v", tc.code, tc.times, err)
		}
		if n := e.sim.Count(wxsim.PathSend); n != tc.times+1 {
			t.Fatalf("errcode %d: %d sends, want %d", tc.code, n, tc.times+1)
		}
		if len(attempts) != tc.times+1 || attempts[len(attempts)-1] != 0 {
			t.Fatalf("attempts %v", attempts)
		}
		// Back-off: at least half of 100 ms, then half of 200 ms.
		if min := 50 * time.Millisecond * time.Duration(1<<tc.times-1); time.Since(start) < min {
			t.Fatalf("retried after %v, want at least %v of back-off", time.Since(start), min)
		}
		if n := len(e.sim.Events(testUser, 0)); n != 1 {
			t.Fatalf("%d messages delivered, want 1", n)
		}
	}
}

// TestNeverRetried: codes that can never succeed are returned at once, typed.
func TestNeverRetried(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		code int
		kind error
	}{
		{45015, ErrOutOfWindow},
		{45047, ErrQuota},
		{40003, ErrInvalidOpenID},
		{48001, ErrUnauthorized},
		{47001, ErrBadRequest},
		{45162, ErrBadRequest},
		{40007, ErrInvalidMedia},
		{45002, ErrTooLong},
		{45009, ErrDailyLimit},
		{99999, nil},
	} {
		e.sim.Reset()
		e.sim.Fail(wxsim.PathSend, tc.code, 1)
		err := e.c.Send(ctx, NewText(testUser, "x"))
		var we *Error
		if !errors.As(err, &we) || we.Code != tc.code || we.API != SendPath {
			t.Fatalf("errcode %d: err %v", tc.code, err)
		}
		if tc.kind != nil && !errors.Is(err, tc.kind) {
			t.Fatalf("errcode %d: %v does not match %v", tc.code, err, tc.kind)
		}
		if errors.Is(err, ErrBusy) || errors.Is(err, ErrTransport) {
			t.Fatalf("errcode %d matches a retryable kind", tc.code)
		}
		if n := e.sim.Count(wxsim.PathSend); n != 1 {
			t.Fatalf("errcode %d: %d sends, want 1", tc.code, n)
		}
	}
}

// TestBusyStopsBeforeDeadline: retries stop when less than one call's time is left, and
// return the busy error rather than waiting out the deadline.
func TestBusyStopsBeforeDeadline(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	if _, err := e.c.Token(ctx); err != nil {
		t.Fatal(err)
	}
	e.sim.Delay(wxsim.PathSend, 200*time.Millisecond)
	e.sim.Fail(wxsim.PathSend, -1, 100)
	start := time.Now()
	err := e.c.Send(ctx, NewText(testUser, "x"))
	took := time.Since(start)
	if !errors.Is(err, ErrBusy) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want ErrBusy", err)
	}
	dl, _ := ctx.Deadline()
	if time.Until(dl) < 0 {
		t.Fatalf("returned after the deadline (took %v)", took)
	}
	if n := e.sim.Count(wxsim.PathSend); n < 1 || n >= maxAttempts {
		t.Fatalf("%d attempts: not stopped by the deadline", n)
	}
}

// TestDeadline: a call slower than the deadline returns promptly with the context's error and
// makes no further attempt.
func TestDeadline(t *testing.T) {
	e := newEnv(t, nil, nil)
	if _, err := e.c.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.sim.Delay(wxsim.PathSend, 3*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := e.c.Send(ctx, NewText(testUser, "x"))
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTransport) {
		t.Fatalf("err %v, want the deadline", err)
	}
	if took > 1500*time.Millisecond {
		t.Fatalf("returned %v after a 500 ms deadline, with WeChat answering after 3 s", took)
	}
	var te *TransportError
	if !errors.As(err, &te) || !te.Sent {
		t.Fatalf("a timed-out send must count as possibly delivered: %#v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := e.sim.Count(wxsim.PathSend); n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
	// A cold Client whose token fetch is slower than the deadline fails the same way.
	e2 := newEnv(t, nil, nil)
	e2.sim.Delay(wxsim.PathStableToken, 3*time.Second)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	start = time.Now()
	if err := e2.c.Send(ctx2, NewText(testUser, "x")); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("slow token: %v after %v", err, time.Since(start))
	}
}

// TestSendCutAfterWriteNotRetried: the connection dies after WeChat read the send; the
// message may have been delivered, so it is not sent again.
func TestSendCutAfterWriteNotRetried(t *testing.T) {
	sim := wxsim.NewAPI(wxsim.APIOptions{AppID: testAppID, AppSecret: testSecret})
	var sends atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wxsim.PathSend {
			sim.ServeHTTP(w, r)
			return
		}
		sends.Add(1)
		io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, AppID: testAppID, AppSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	err = c.Send(ctx, NewText(testUser, "x"))
	var te *TransportError
	if !errors.As(err, &te) || !te.Sent || !errors.Is(err, ErrTransport) {
		t.Fatalf("err %v, want a TransportError after sending", err)
	}
	if n := sends.Load(); n != 1 {
		t.Fatalf("%d sends, want 1", n)
	}
}

// failDial fails the first request to one path as if the connection could not be made.
type failDial struct {
	base   *http.Transport
	path   string
	failed atomic.Bool
}

func (f *failDial) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == f.path && f.failed.CompareAndSwap(false, true) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return f.base.RoundTrip(r)
}

func (f *failDial) CloseIdleConnections() { f.base.CloseIdleConnections() }

// TestSendDialFailureRetried: nothing was sent, so the send is tried again.
func TestSendDialFailureRetried(t *testing.T) {
	tr := &failDial{base: &http.Transport{}, path: wxsim.PathSend}
	e := newEnv(t, nil, func(c *Config) { c.HTTPClient = &http.Client{Transport: tr} })
	var calls []Call
	e.c.onCall = func(c Call) { calls = append(calls, c) }
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	if err := e.c.Send(ctx, NewText(testUser, "x")); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Count(wxsim.PathSend); n != 1 {
		t.Fatalf("%d sends reached WeChat, want 1", n)
	}
	if len(calls) != 3 || calls[1].Err == nil || calls[1].Status != 0 || calls[2].Attempt != 2 {
		t.Fatalf("calls %+v", calls)
	}
	var te *TransportError
	if !errors.As(calls[1].Err, &te) || te.Sent {
		t.Fatalf("dial failure: %#v", calls[1].Err)
	}
}

// TestUnreachable: with WeChat unreachable a call retries the connection while time allows,
// then fails with a TransportError that shows no secret.
func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, api := range []string{TokenStable, TokenClassic} {
		var attempts int
		c, err := New(Config{BaseURL: "http://" + addr, AppID: testAppID, AppSecret: testSecret, TokenAPI: api,
			OnCall: func(Call) { attempts++ }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = c.Send(ctx, NewText(testUser, "x"))
		cancel()
		var te *TransportError
		if !errors.As(err, &te) || te.Sent {
			t.Fatalf("%s: err %v", api, err)
		}
		if strings.Contains(err.Error(), testSecret) || !strings.Contains(err.Error(), "/cgi-bin/") {
			t.Fatalf("%s: error %q", api, err)
		}
		if api == TokenStable && attempts < 2 {
			t.Fatalf("%s: %d attempts, want retries of the connection", api, attempts)
		}
		c.CloseIdleConnections()
	}
}

// TestNoSecretsShown checks errors, logs and Calls for the token and the AppSecret.
func TestNoSecretsShown(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	var shown []string
	e := newEnv(t, nil, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.OnCall = func(call Call) {
			mu.Lock()
			defer mu.Unlock()
			shown = append(shown, string(call.Payload))
			if call.Err != nil {
				shown = append(shown, call.Err.Error())
			}
		}
	})
	ctx := context.Background()
	tok, err := e.c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.sim.Fail(wxsim.PathSend, 40001, 2)
	errs := []error{e.c.Send(ctx, NewText(testUser, "x"))}
	e.sim.Delay(wxsim.PathSend, time.Second)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	errs = append(errs, e.c.Send(short, NewText(testUser, "x")))
	cancel()
	e.sim.Delay(wxsim.PathSend, 0)
	_, upErr := e.c.UploadImage(ctx, "a.png", "", testkit.PNG())
	errs = append(errs, upErr)
	tok2, _ := e.c.Token(ctx)
	for _, err := range errs {
		if err != nil {
			shown = append(shown, err.Error())
		}
	}
	shown = append(shown, logs.String())
	if len(shown) < 6 {
		t.Fatalf("too little shown to check: %q", shown)
	}
	for _, s := range shown {
		for _, secret := range []string{testSecret, tok, tok2} {
			if strings.Contains(s, secret) {
				t.Fatalf("shown: %q", s)
			}
		}
	}
	if !strings.Contains(logs.String(), "api=/cgi-bin/message/custom/send") {
		t.Fatalf("no debug log of calls: %s", logs.String())
	}
}

// TestWarmTextReplyOneRequest: on a warm Client a text reply is exactly one request.
func TestWarmTextReplyOneRequest(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	if err := e.c.Send(ctx, NewText(testUser, "warm up")); err != nil {
		t.Fatal(err)
	}
	e.sim.Reset()
	if err := e.c.Send(ctx, NewText(testUser, "reply")); err != nil {
		t.Fatal(err)
	}
	if calls := e.sim.Calls(); len(calls) != 1 || calls[0].Path != wxsim.PathSend {
		t.Fatalf("calls %+v, want one send", calls)
	}
}

func TestTyping(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	if err := e.c.Typing(ctx, testUser, true); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Typing(ctx, testUser, true); !errors.Is(err, ErrTypingRefused) {
		t.Fatalf("typing twice: %v, want ErrTypingRefused (45081)", err)
	}
	if err := e.c.Typing(ctx, testUser, false); err != nil {
		t.Fatal(err)
	}
	evs := e.sim.Events(testUser, 0)
	if len(evs) != 2 || evs[0].Kind != wxsim.EventTyping || !evs[0].Typing || evs[1].Typing {
		t.Fatalf("events %+v", evs)
	}
	if err := e.c.Typing(ctx, "", true); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("typing without a user: %v", err)
	}
	// Best effort: busy is not retried.
	e.sim.Reset()
	e.sim.Fail(wxsim.PathTyping, -1, 1)
	if err := e.c.Typing(ctx, testUser, true); !errors.Is(err, ErrBusy) {
		t.Fatalf("typing while busy: %v", err)
	}
	if n := e.sim.Count(wxsim.PathTyping); n != 1 {
		t.Fatalf("%d typing attempts, want 1", n)
	}
	// ... but a stale token is still replaced.
	e.sim.Fail(wxsim.PathTyping, 42001, 1)
	if err := e.c.Typing(ctx, testUser, true); err != nil {
		t.Fatalf("typing after 42001: %v", err)
	}
}

// TestBadAnswers: answers that are not WeChat's JSON are ErrBadResponse; a send is not
// repeated after one.
func TestBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"502", http.StatusBadGateway, "<html>bad gateway for /cgi-bin/message/custom/send?access_token=SECRETTOKEN</html>"},
		{"not JSON", http.StatusOK, "<html>hi</html>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := wxsim.NewAPI(wxsim.APIOptions{AppID: testAppID, AppSecret: testSecret})
			var sends atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != wxsim.PathSend {
					sim.ServeHTTP(w, r)
					return
				}
				sends.Add(1)
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c, _ := New(Config{BaseURL: srv.URL, AppID: testAppID, AppSecret: testSecret})
			defer c.CloseIdleConnections()
			err := c.Send(context.Background(), NewText(testUser, "x"))
			if !errors.Is(err, ErrBadResponse) || strings.Contains(err.Error(), "SECRETTOKEN") {
				t.Fatalf("err %v", err)
			}
			if sends.Load() != 1 {
				t.Fatalf("%d sends", sends.Load())
			}
		})
	}
}

// TestNoGoroutineOutlivesCalls runs calls of every kind, successes and failures, and checks
// that once the idle connections are closed nothing of theirs is left running.
func TestNoGoroutineOutlivesCalls(t *testing.T) {
	e := newEnv(t, nil, nil)
	before := goleak.IgnoreCurrent()
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			switch i % 4 {
			case 0:
				e.c.Send(ctx, NewText(testUser, "x"))
			case 1:
				e.c.Typing(ctx, testUser, i%8 == 1)
			case 2:
				e.c.UploadImage(ctx, "", "", testkit.PNG())
			case 3:
				short, cancel := context.WithTimeout(ctx, time.Millisecond)
				e.c.Send(short, NewText(testUser, "x"))
				cancel()
			}
		})
	}
	wg.Wait()
	e.c.CloseIdleConnections()
	goleak.VerifyNone(t, before)
}
