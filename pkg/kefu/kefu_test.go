package kefu_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefuhq/kefu/internal/testkit"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

func TestReplyEveryModeAndFormat(t *testing.T) {
	for _, mode := range []push.Mode{push.Plaintext, push.Compatible, push.Safe} {
		for _, f := range []push.Format{push.XML, push.JSON} {
			t.Run(mode.String()+"/"+f.String(), func(t *testing.T) {
				h := newHarness(t, harnessOptions{mode: mode, format: f})
				r := h.post(h.pusher.Text(user, "图片"))
				if !r.Success || r.ContentType != "text/plain; charset=utf-8" {
					t.Fatalf("answer %d %q %s", r.Status, r.Body, r.ContentType)
				}
				if got := h.sent(user); !equal(got, []string{"text:看图", "image"}) {
					t.Fatalf("sent %v", got)
				}
			})
		}
	}
}

func TestRetryAndConcurrentCopiesSendOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: push.Safe, format: push.JSON})
	m := h.pusher.Text(user, "三条")
	sealed, err := h.pusher.Seal(m)
	must(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			r, err := h.pusher.Repost(context.Background(), sealed)
			if err != nil || !r.Success {
				t.Errorf("%v %+v", err, r)
			}
		})
	}
	wg.Wait()
	r, err := h.pusher.Repost(context.Background(), sealed)
	if err != nil || !r.Success {
		t.Fatalf("retry: %v %+v", err, r)
	}
	if got := h.sent(user); !equal(got, []string{"text:一", "text:二", "text:三"}) {
		t.Fatalf("sent %v", got)
	}
}

func TestTransferReplyAndItsRetry(t *testing.T) {
	for _, f := range []push.Format{push.XML, push.JSON} {
		h := newHarness(t, harnessOptions{mode: push.Safe, format: f})
		m := h.pusher.Text(user, "转人工")
		r := h.post(m)
		if r.Status != http.StatusOK || r.Answer == nil || r.AnswerErr != nil {
			t.Fatalf("%s: %d %q %v", f, r.Status, r.Body, r.AnswerErr)
		}
		if r.Answer.MsgType != push.MsgTypeTransfer || r.Answer.ToUserName != user || r.Answer.FromUserName != m.ToUserName || r.Answer.Format != f {
			t.Fatalf("%s: %+v", f, r.Answer)
		}
		again, err := h.pusher.Repost(context.Background(), r.Sealed)
		must(t, err)
		if again.Answer == nil || again.Answer.MsgType != push.MsgTypeTransfer {
			t.Fatalf("%s: the retry of a transferred push must get the transfer reply again: %q", f, again.Body)
		}
		if len(h.sent(user)) != 0 {
			t.Fatal("a transfer sends nothing")
		}
	}
}

func TestFallbackAndEvents(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: push.Safe})
	h.post(h.pusher.Text(user, "随便说点什么"))
	h.post(h.pusher.Image(user, "https://mmbiz.qpic.cn/x", "media1"))
	h.post(h.pusher.Enter(user, "任意按钮"))
	other := h.pusher.Enter(user, "x")
	other.Event = "subscribe_msg_popup_event"
	other.SessionFrom = ""
	h.post(other)
	if got := h.sent(user); !equal(got, []string{"text:收到", "text:收到", "text:欢迎"}) {
		t.Fatalf("sent %v", got)
	}
}

func TestRefusalsSendNothing(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: push.Safe, format: push.XML, require: true})
	m := h.pusher.Text(user, "你好")
	good, err := h.pusher.Seal(m)
	must(t, err)
	plain, err := h.pusher.Sealer().Seal(m, push.SealOptions{Mode: push.Plaintext})
	must(t, err)

	cases := []struct {
		name   string
		mutate func(q map[string][]string)
		body   []byte
		status int
	}{
		{"bad msg_signature", func(q map[string][]string) { q["msg_signature"] = []string{strings.Repeat("0", 40)} }, good.Body, 401},
		{"stale", func(q map[string][]string) { q["timestamp"] = []string{fmt.Sprint(time.Now().Add(-time.Hour).Unix())} }, good.Body, 401},
		{"malformed", nil, []byte("<xml><oops></xml>"), 400},
		{"plaintext while encryption is required", nil, plain.Body, 401},
		{"too large", nil, make([]byte, push.MaxBodySize+1), 413},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := map[string][]string{}
			src := good.Query
			if c.name == "plaintext while encryption is required" {
				src = plain.Query
			}
			for k, v := range src {
				q[k] = v
			}
			if c.mutate != nil {
				c.mutate(q)
			}
			r, err := h.pusher.Repost(context.Background(), push.Sealed{Query: q, Body: c.body})
			must(t, err)
			if r.Status != c.status || r.ContentType != "text/plain; charset=utf-8" || len(r.Body) == 0 || len(r.Body) > 80 {
				t.Fatalf("got %d %q %s, want %d with a short reason", r.Status, r.Body, r.ContentType, c.status)
			}
		})
	}
	resp := h.request(http.MethodPut, h.url, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, POST" {
		t.Fatalf("PUT: %d %v", resp.StatusCode, resp.Header)
	}
	if n := h.api.Count(wxsim.PathSend) + h.api.Count(wxsim.PathTyping) + h.api.Count(wxsim.PathUpload); n != 0 {
		t.Fatalf("refusals made %d API calls", n)
	}
	if c := strings.Count(h.logs.String(), `"outcome":"refused"`); c != len(cases)+1 {
		t.Fatalf("every refusal is logged once: %d lines\n%s", c, h.logs)
	}
}

// A reply WeChat refuses for the conversation (45015, 45047, 40003) stops the remaining
// replies without retries; the answer is still success.
func TestConversationRefusalsStopWithoutRetries(t *testing.T) {
	for _, code := range []int{45015, 45047, 40003, 48001} {
		h := newHarness(t, harnessOptions{mode: push.Safe})
		h.api.Fail(wxsim.PathSend, code, 1)
		r := h.post(h.pusher.Text(user, "三条"))
		if !r.Success {
			t.Fatalf("%d: %d %q", code, r.Status, r.Body)
		}
		if n := h.api.Count(wxsim.PathSend); n != 1 {
			t.Fatalf("%d: %d send calls, want 1 and no retry storm", code, n)
		}
		if !strings.Contains(h.logs.String(), fmt.Sprintf(`"errcode":%d`, code)) || !strings.Contains(h.logs.String(), `"outcome":"abandoned"`) {
			t.Fatalf("%d: not logged:\n%s", code, h.logs)
		}
	}
}

func TestMissingImageStillSendsTheRest(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: push.Safe})
	r := h.post(h.pusher.Text(user, "坏图"))
	if !r.Success {
		t.Fatalf("%d %q", r.Status, r.Body)
	}
	if got := h.sent(user); !equal(got, []string{"text:后面这条照发"}) {
		t.Fatalf("sent %v", got)
	}
	if !strings.Contains(h.logs.String(), `"outcome":"partial"`) || !strings.Contains(h.logs.String(), "missing.png") {
		t.Fatalf("not logged:\n%s", h.logs)
	}
}

func TestTypingBeforeTheFirstReply(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: push.Safe})
	h.post(h.pusher.Text(user, "卡片"))
	ev := h.api.Events(user, 0)
	if len(ev) != 2 || ev[0].Kind != wxsim.EventTyping || !ev[0].Typing || ev[1].Kind != wxsim.EventMessage || ev[1].Message.MiniProgramPage == nil {
		t.Fatalf("events %+v", ev)
	}
}

// The deadline: WeChat's API hangs, the push is still answered in time, and the work is
// abandoned and logged; its retry sends nothing.
func TestDeadline(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: push.Safe, deadline: 800 * time.Millisecond})
	h.api.Delay(wxsim.PathSend, 5*time.Second)
	start := time.Now()
	r := h.post(h.pusher.Text(user, "三条"))
	took := time.Since(start)
	if !r.Success || took > 800*time.Millisecond+600*time.Millisecond { // the deadline, plus slack for a loaded CI machine
		t.Fatalf("answered %d after %v", r.Status, took)
	}
	if !strings.Contains(h.logs.String(), `"outcome":"abandoned"`) {
		t.Fatalf("not logged:\n%s", h.logs)
	}
	h.api.Delay(wxsim.PathSend, 0)
	again, err := h.pusher.Repost(context.Background(), r.Sealed)
	must(t, err)
	if !again.Success || h.api.Count(wxsim.PathSend) != 1 {
		t.Fatalf("the retry sent again: %d sends", h.api.Count(wxsim.PathSend))
	}
}

func TestGETVerification(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	r, err := h.pusher.Verify(context.Background(), "4375120948345356249")
	must(t, err)
	if r.Status != 200 || string(r.Body) != "4375120948345356249" || r.ContentType != "text/plain; charset=utf-8" {
		t.Fatalf("%d %q %s", r.Status, r.Body, r.ContentType)
	}
}

// No secret, token, full OpenID or decrypted text in the logs at info.
func TestLogsHoldNoSecret(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: push.Safe})
	h.post(h.pusher.Text(user, "你好 秘密内容"))
	h.post(h.pusher.Text(user, "图片"))
	h.post(h.pusher.Text(user, "转人工"))
	tok, err := h.app.API.Token(context.Background())
	must(t, err)
	logs := h.logs.String()
	for _, secret := range []string{appSecret, token, aesKey, tok, user, "秘密内容"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, `"user":"o9Ag…bGY"`) {
		t.Errorf("the OpenID is not masked:\n%s", logs)
	}
}

func TestRulesReloadOnEdit(t *testing.T) {
	h := newHarness(t, harnessOptions{mode: push.Safe})
	must(t, writeFile(h.dir+"/rules.yaml", strings.Replace(testkit.Rules, "你好！", "您好，有什么可以帮您？", 1)))
	time.Sleep(1100 * time.Millisecond)
	h.post(h.pusher.Text(user, "你好"))
	if got := h.sent(user); !equal(got, []string{"text:您好，有什么可以帮您？"}) {
		t.Fatalf("sent %v", got)
	}
}
