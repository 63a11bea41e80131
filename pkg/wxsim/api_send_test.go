package wxsim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kefuhq/kefu/internal/testkit"
)

func TestSendChecks(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token()
	media := f.upload(tok, testkit.PNG(), "image/png")
	for _, tc := range []struct {
		name string
		body string
		want int
	}{
		{"text", textMsg(testUser, `看这里 <a href="https://x" data-miniprogram-appid="wx1" data-miniprogram-path="pages/a?b=1">点我</a>`), 0},
		{"image", `{"touser":"` + testUser + `","msgtype":"image","image":{"media_id":"` + media + `"}}`, 0},
		{"link", `{"touser":"` + testUser + `","msgtype":"link","link":{"title":"t","description":"","url":"https://e.com","thumb_url":"https://e.com/a.png"}}`, 0},
		{"miniprogrampage", `{"touser":"` + testUser + `","msgtype":"miniprogrampage","miniprogrampage":{"title":"t","pagepath":"pages/index/index?x=1","thumb_media_id":"` + media + `"}}`, 0},
		{"extra object of another type", `{"touser":"` + testUser + `","msgtype":"text","text":{"content":"a"},"image":{"media_id":"x"}}`, 0},
		{"empty body", ``, 44002},
		{"not JSON", `touser=x`, 47001},
		{"truncated", `{"touser":"` + testUser + `"`, 47001},
		{"unknown field", `{"touser":"` + testUser + `","msgtype":"text","text":{"content":"a","color":"red"}}`, 47001},
		{"wrong type", `{"touser":"` + testUser + `","msgtype":"text","text":{"content":1}}`, 47001},
		{"trailing data", textMsg(testUser, "a") + `{}`, 47001},
		{"no touser", `{"msgtype":"text","text":{"content":"a"}}`, 40003},
		{"bad touser", textMsg("not an openid!", "a"), 40003},
		{"no msgtype", `{"touser":"` + testUser + `","text":{"content":"a"}}`, 47001},
		{"unknown msgtype", `{"touser":"` + testUser + `","msgtype":"voice","voice":{"media_id":"x"}}`, 45162},
		{"unknown msgtype alone", `{"touser":"` + testUser + `","msgtype":"news"}`, 45162},
		{"no text object", `{"touser":"` + testUser + `","msgtype":"text"}`, 47001},
		{"empty content", textMsg(testUser, ""), 44004},
		{"content too long", textMsg(testUser, strings.Repeat("长", MaxTextContent/3+1)), 45002},
		{"content at the limit", textMsg(testUser, strings.Repeat("a", MaxTextContent)), 0},
		{"no media_id", `{"touser":"` + testUser + `","msgtype":"image","image":{}}`, 41006},
		{"unknown media_id", `{"touser":"` + testUser + `","msgtype":"image","image":{"media_id":"nope"}}`, 40007},
		{"link without description", `{"touser":"` + testUser + `","msgtype":"link","link":{"title":"t","url":"https://e.com","thumb_url":"https://e.com/a.png"}}`, 47001},
		{"link without url", `{"touser":"` + testUser + `","msgtype":"link","link":{"title":"t","description":"d","thumb_url":"https://e.com/a.png"}}`, 47001},
		{"card without pagepath", `{"touser":"` + testUser + `","msgtype":"miniprogrampage","miniprogrampage":{"title":"t","thumb_media_id":"` + media + `"}}`, 47001},
		{"card with unknown thumb", `{"touser":"` + testUser + `","msgtype":"miniprogrampage","miniprogrampage":{"title":"t","pagepath":"p","thumb_media_id":"nope"}}`, 40007},
		{"card with appid (not in the mini program API)", `{"touser":"` + testUser + `","msgtype":"miniprogrampage","miniprogrampage":{"title":"t","appid":"wx1","pagepath":"p","thumb_media_id":"` + media + `"}}`, 47001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := f.send(tok, tc.body); code != tc.want {
				t.Fatalf("errcode %d, want %d", code, tc.want)
			}
		})
	}
	if code, _ := f.call("GET", PathSend+"?access_token="+tok, "", nil); code != 43002 {
		t.Fatalf("GET send: errcode %d, want 43002", code)
	}
	code, _ := f.call("POST", PathBusinessSend+"?access_token="+tok, "application/json",
		[]byte(`{"touser":"`+testUser+`","msgtype":"text","text":{"content":"a"},"businessid":"b1"}`))
	if code != 0 {
		t.Fatalf("business send: errcode %d", code)
	}
}

func TestSendRecordsConversation(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token()
	f.send(tok, textMsg(testUser, "one"))
	f.send(tok, textMsg("other-user", "x"))
	f.clock.Add(time.Second)
	f.send(tok, textMsg(testUser, "<b>two</b>"))
	evs := f.api.Events(testUser, 0)
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	if evs[0].Message.Text.Content != "one" || evs[1].Message.Text.Content != "<b>two</b>" || evs[0].Seq >= evs[1].Seq {
		t.Fatalf("events out of order or wrong: %+v", evs)
	}
	if evs[1].Kind != EventMessage || evs[1].Path != PathSend || !evs[1].Time.Equal(epoch.Add(time.Second)) {
		t.Fatalf("event fields: %+v", evs[1])
	}
	var raw map[string]any
	if err := json.Unmarshal(evs[1].Raw, &raw); err != nil || raw["msgtype"] != "text" {
		t.Fatalf("raw %s", evs[1].Raw)
	}
	if got := f.api.Events(testUser, evs[0].Seq); len(got) != 1 || got[0].Seq != evs[1].Seq {
		t.Fatalf("Events after %d: %+v", evs[0].Seq, got)
	}
}

func TestMediaExpiry(t *testing.T) {
	f := newFixture(t, func(o *APIOptions) { o.MediaTTL = time.Hour; o.TokenTTL = 3 * time.Hour })
	tok := f.token()
	id := f.upload(tok, testkit.PNG(), "image/png")
	img := `{"touser":"` + testUser + `","msgtype":"image","image":{"media_id":"` + id + `"}}`
	if code := f.send(tok, img); code != 0 {
		t.Fatalf("fresh media: errcode %d", code)
	}
	f.clock.Add(time.Hour)
	if code := f.send(tok, img); code != 40007 {
		t.Fatalf("expired media: errcode %d, want 40007", code)
	}
	id = f.upload(tok, testkit.PNG(), "image/png")
	f.api.ExpireMedia()
	img = `{"touser":"` + testUser + `","msgtype":"image","image":{"media_id":"` + id + `"}}`
	if code := f.send(tok, img); code != 40007 {
		t.Fatalf("after ExpireMedia: errcode %d, want 40007", code)
	}
}

func TestTyping(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token()
	typing := func(cmd string) int {
		code, _ := f.call("POST", PathTyping+"?access_token="+tok, "application/json",
			[]byte(`{"touser":"`+testUser+`","command":"`+cmd+`"}`))
		return code
	}
	steps := []struct {
		cmd  string
		want int
	}{
		{"Typing", 0},
		{"Typing", 45081}, // already typing
		{"CancelTyping", 0},
		{"Typing", 0},
		{"typing", 45072},
	}
	for i, s := range steps {
		if code := typing(s.cmd); code != s.want {
			t.Fatalf("step %d %s: errcode %d, want %d", i, s.cmd, code, s.want)
		}
	}
	f.send(tok, textMsg(testUser, "reply")) // a message clears typing
	if code := typing("Typing"); code != 0 {
		t.Fatalf("Typing after a message: errcode %d", code)
	}
	f.clock.Add(16 * time.Second) // typing lasts 15 s
	if code := typing("Typing"); code != 0 {
		t.Fatalf("Typing after 16 s: errcode %d", code)
	}
	var kinds []string
	for _, e := range f.api.Events(testUser, 0) {
		k := string(e.Kind)
		if e.Kind == EventTyping {
			k += map[bool]string{true: ":on", false: ":off"}[e.Typing]
		}
		kinds = append(kinds, k)
	}
	if got := strings.Join(kinds, " "); got != "typing:on typing:off typing:on message typing:on typing:on" {
		t.Fatalf("events %s", got)
	}
	if code, _ := f.call("POST", PathTyping+"?access_token="+tok, "", []byte(`{"touser":"`+testUser+`"}`)); code != 45072 {
		t.Fatalf("no command: errcode %d, want 45072", code)
	}
	if code, _ := f.call("POST", PathBusinessTyping+"?access_token="+tok, "", []byte(`{"touser":"`+testUser+`","command":"CancelTyping"}`)); code != 0 {
		t.Fatalf("business typing: errcode %d", code)
	}
}

func TestQuota(t *testing.T) {
	f := newFixture(t, func(o *APIOptions) { o.EnforceQuota = true; o.TokenTTL = 100 * time.Hour })
	tok := f.token()
	msg := textMsg(testUser, "hi")
	if code := f.send(tok, msg); code != 45015 {
		t.Fatalf("no user action: errcode %d, want 45015", code)
	}
	typing := func() int {
		code, _ := f.call("POST", PathTyping+"?access_token="+tok, "", []byte(`{"touser":"`+testUser+`","command":"Typing"}`))
		return code
	}
	if code := typing(); code != 45080 {
		t.Fatalf("typing without an exchange: errcode %d, want 45080", code)
	}

	f.api.UserMessage(testUser, f.clock.Now())
	if code := typing(); code != 0 {
		t.Fatalf("typing after a user message: errcode %d", code)
	}
	for i := range QuotaAfterMessage {
		if code := f.send(tok, msg); code != 0 {
			t.Fatalf("send %d after a message: errcode %d", i+1, code)
		}
	}
	if code := f.send(tok, msg); code != 45047 {
		t.Fatalf("sixth send: errcode %d, want 45047", code)
	}
	// A new action resets the count; counts do not add up.
	f.clock.Add(time.Hour)
	f.api.UserMessage(testUser, f.clock.Now())
	for range QuotaAfterMessage {
		f.send(tok, msg)
	}
	if code := f.send(tok, msg); code != 45047 {
		t.Fatalf("after the second message's quota: errcode %d, want 45047", code)
	}
	f.clock.Add(WindowAfterMessage)
	if code := f.send(tok, msg); code != 45015 {
		t.Fatalf("48 h later: errcode %d, want 45015", code)
	}

	// Entering the session: 2 within one minute.
	other := "oEnteredUser0000000000000000"
	f.api.UserEntered(other, f.clock.Now())
	for i := range QuotaAfterEnter {
		if code := f.send(tok, textMsg(other, "welcome")); code != 0 {
			t.Fatalf("send %d after entering: errcode %d", i+1, code)
		}
	}
	if code := f.send(tok, textMsg(other, "more")); code != 45047 {
		t.Fatalf("third send after entering: errcode %d, want 45047", code)
	}
	f.api.UserEntered(other, f.clock.Now())
	f.clock.Add(WindowAfterEnter)
	if code := f.send(tok, textMsg(other, "late")); code != 45015 {
		t.Fatalf("a minute after entering: errcode %d, want 45015", code)
	}
	f.clock.Add(31 * time.Second)
	code, _ := f.call("POST", PathTyping+"?access_token="+tok, "", []byte(`{"touser":"`+other+`","command":"Typing"}`))
	if code != 45080 {
		t.Fatalf("typing 91 s after the last exchange: errcode %d, want 45080", code)
	}
}
