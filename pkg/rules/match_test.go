package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
)

// shanghai is 2026-03-02 10:00, a Monday, in Asia/Shanghai.
var shanghai = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

func mustParse(t testing.TB, yaml string, opts Options) *Set {
	t.Helper()
	s, err := Parse("t.yaml", []byte(yaml), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func text(s string) *push.Message { return &push.Message{MsgType: push.TypeText, Content: s} }
func enter(from string) *push.Message {
	return &push.Message{MsgType: push.TypeEvent, Event: push.EventUserEnterTempSession, SessionFrom: from}
}

const matchRules = `version: 1
fallback:
  - text: 已收到
rules:
  - name: exact
    when: { exact: ["1", 下载] }
    reply: [{text: exact}]
  - name: exact-ci
    when: { exact: Hello训练营, ignore_case: true }
    reply: [{text: exact-ci}]
  - name: prefix
    when: { prefix: 查询 }
    reply: [{text: prefix}]
  - name: both
    when: { contains: 优惠, prefix: 请问 }
    reply: [{text: both}]
  - name: contains
    when: { contains: [训练营, 课程] }
    typing: true
    reply: [{text: contains}]
  - name: sigma
    when: { contains: ΟΔΟΣ, ignore_case: true }
    reply: [{text: sigma}]
  - name: kelvin
    when: { prefix: kelvin, ignore_case: true }
    reply: [{text: kelvin}]
  - name: order
    when: { regex: ['订单\s*(\d+)(?:-(\d+))?', '单号(\w+)()'] }
    reply:
      - text: "订单 {{1}} 第 {{2}} 件（{{0}}）"
      - link: {title: "订单 {{1}}", url: "https://example.com/o?q={{1}}", thumb_url: "https://example.com/t.png"}
      - miniprogrampage: {title: "订单 {{1}}", pagepath: "pages/order?id={{1}}", thumb: media/c.png}
  - name: vip-ci
    when: { regex: 'vip\d', ignore_case: true }
    reply: [{text: vip}]
  - name: refund-weekday
    when:
      contains: 退款
      schedule: { days: [mon, tue, wed, thu, fri], hours: ["09:00-18:00"] }
    reply: [{text: refund-weekday}]
  - name: human
    when: { contains: [人工, 转人工] }
    transfer: true
  - name: human-with-note
    when: { exact: 客服 }
    reply: [{text: 正在转接}]
    transfer: true
  - name: article
    when: { session_from: 文章详情 }
    reply: [{text: article}]
  - name: article-ci
    when: { session_from: [Banner-A], ignore_case: true }
    reply: [{text: article-ci}]
  - name: enter
    when: { event: user_enter_tempsession }
    reply: [{text: enter}]
  - name: popup
    when: { event: [subscribe_msg_popup_event] }
    reply: [{text: popup}]
  - name: card
    when: { msg_type: miniprogrampage }
    reply: [{text: card}]
  - name: image-night
    when:
      msg_type: image
      schedule: { hours: ["09:00-18:00"], outside: true }
    reply: [{text: image-night}]
  - name: late-keyword
    when: { contains: 训练 }
    reply: [{text: late}]
`

func TestMatch(t *testing.T) {
	s := mustParse(t, matchRules, Options{Source: "s3://b/kefu/rules.yaml"})
	night := shanghai.Add(10 * time.Hour) // 20:00 Monday
	tests := []struct {
		name     string
		m        *push.Message
		now      time.Time
		rule     string
		first    string // the first reply's text, when checked
		typing   bool
		transfer bool
	}{
		{"exact", text("1"), shanghai, "exact", "exact", false, false},
		{"exact Chinese", text("下载"), shanghai, "exact", "", false, false},
		{"exact is whole", text("12"), shanghai, "fallback", "已收到", false, false},
		{"exact untrimmed", text(" 1"), shanghai, "fallback", "", false, false},
		{"exact case-sensitive", text("1"), shanghai, "exact", "", false, false},
		{"exact ignore_case Latin and Chinese", text("hello训练营"), shanghai, "exact-ci", "", false, false},
		{"exact ignore_case upper", text("HELLO训练营"), shanghai, "exact-ci", "", false, false},
		{"prefix", text("查询物流"), shanghai, "prefix", "", false, false},
		{"prefix only at start", text("我要查询"), shanghai, "fallback", "", false, false},
		{"contains and prefix both hold", text("请问有优惠吗"), shanghai, "both", "", false, false},
		{"contains without prefix", text("有优惠吗"), shanghai, "fallback", "", false, false},
		{"prefix without contains", text("请问在吗"), shanghai, "fallback", "", false, false},
		{"contains", text("我想参加训练营"), shanghai, "contains", "contains", true, false},
		{"contains second keyword", text("有什么课程"), shanghai, "contains", "", true, false},
		{"first rule in file order wins", text("Hello训练营"), shanghai, "exact-ci", "", false, false},
		{"contains is case-sensitive", text("HELLO训练营!"), shanghai, "contains", "", true, false},
		{"final sigma folds", text("去οδος的路"), shanghai, "sigma", "", false, false},
		{"final sigma ς", text("ΟΔΟς"), shanghai, "sigma", "", false, false},
		{"Kelvin sign folds to k", text("\u212Aelvin 温度"), shanghai, "kelvin", "", false, false},
		{"Kelvin prefix only at start", text("温度 kelvin"), shanghai, "fallback", "", false, false},
		{"regex capture", text("查订单 12345 谢谢"), shanghai, "order", "订单 12345 第  件（订单 12345）", false, false},
		{"regex second group", text("订单7-2"), shanghai, "order", "订单 7 第 2 件（订单7-2）", false, false},
		{"regex second pattern", text("单号AB12"), shanghai, "order", "订单 AB12 第  件（单号AB12）", false, false},
		{"regex ignore_case", text("VIP3 会员"), shanghai, "vip-ci", "vip", false, false},
		{"schedule inside", text("我要退款"), shanghai, "refund-weekday", "", false, false},
		{"schedule outside", text("我要退款"), night, "fallback", "", false, false},
		{"transfer", text("转人工"), shanghai, "human", "", false, true},
		{"transfer with a note", text("客服"), shanghai, "human-with-note", "正在转接", false, true},
		{"session_from", enter("文章详情"), shanghai, "article", "article", false, false},
		{"session_from is whole", enter("文章详情页"), shanghai, "enter", "enter", false, false},
		{"session_from ignore_case", enter("banner-a"), shanghai, "article-ci", "", false, false},
		{"enter without session_from", enter(""), shanghai, "enter", "", false, false},
		{"other event", &push.Message{MsgType: "event", Event: "subscribe_msg_popup_event"}, shanghai, "popup", "", false, false},
		{"unknown event gets nothing", &push.Message{MsgType: "event", Event: "debug_demo"}, shanghai, "", "", false, false},
		{"card", &push.Message{MsgType: "miniprogrampage", Title: "x"}, shanghai, "card", "", false, false},
		{"image by day falls back", &push.Message{MsgType: "image"}, shanghai, "fallback", "", false, false},
		{"image at night", &push.Message{MsgType: "image"}, night, "image-night", "", false, false},
		{"other user type falls back", &push.Message{MsgType: "voice"}, shanghai, "fallback", "", false, false},
		{"later keyword", text("培训训练"), shanghai, "late-keyword", "", false, false},
		{"no trimming of keywords", text("训 练"), shanghai, "fallback", "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := s.Match(tc.m, tc.now)
			if p.Rule != tc.rule || p.Typing != tc.typing || p.Transfer != tc.transfer {
				t.Fatalf("Match = {Rule: %q, Typing: %v, Transfer: %v}, want {%q, %v, %v}", p.Rule, p.Typing, p.Transfer, tc.rule, tc.typing, tc.transfer)
			}
			if tc.first != "" && (len(p.Replies) == 0 || p.Replies[0].Text != tc.first) {
				t.Errorf("first reply = %+v, want text %q", p.Replies, tc.first)
			}
		})
	}
}

func TestMatchCapturesInCards(t *testing.T) {
	s := mustParse(t, matchRules, Options{Source: "s3://b/kefu/rules.yaml"})
	p := s.Match(text("订单 42"), shanghai)
	if len(p.Replies) != 3 {
		t.Fatalf("replies = %+v", p.Replies)
	}
	if got := p.Replies[1].Link; got.Title != "订单 42" || got.URL != "https://example.com/o?q=42" {
		t.Errorf("link = %+v", got)
	}
	if got := p.Replies[2].Page; got.Title != "订单 42" || got.PagePath != "pages/order?id=42" || got.Thumb != "s3://b/kefu/media/c.png" {
		t.Errorf("page = %+v", got)
	}
	// A capture in a URL is escaped as a query value.
	s2 := mustParse(t, "version: 1\nrules:\n  - name: q\n    when: {regex: '搜(.+)'}\n    reply: [{link: {title: '{{1}}', url: 'https://example.com/s?q={{1}}', thumb_url: 'https://example.com/t.png'}}]\n", Options{})
	p = s2.Match(text("搜a&b=c 你"), shanghai)
	if got := p.Replies[0].Link; got.URL != "https://example.com/s?q=a%26b%3Dc+%E4%BD%A0" || got.Title != "a&b=c 你" {
		t.Errorf("link = %+v", got)
	}
	// The compiled replies are not changed by a substitution.
	p = s.Match(text("订单 7"), shanghai)
	if p.Replies[0].Text != "订单 7 第  件（订单 7）" || s.rules[7].replies[0].Text != "订单 {{1}} 第 {{2}} 件（{{0}}）" {
		t.Errorf("got %q; compiled %q", p.Replies[0].Text, s.rules[7].replies[0].Text)
	}
}

func TestMatchLongCaptureIsCut(t *testing.T) {
	s := mustParse(t, "version: 1\nrules:\n  - name: echo\n    when: {regex: '(?s)echo(.*)'}\n    reply: [{text: '你说：{{1}}'}]\n", Options{})
	p := s.Match(text("echo"+strings.Repeat("长", 1000)), shanghai)
	if got := len(p.Replies[0].Text); got > MaxTextBytes || got < MaxTextBytes-3 {
		t.Errorf("text is %d bytes", got)
	}
}

func TestMatchTransferNeverOnEvents(t *testing.T) {
	s := mustParse(t, "version: 1\nrules:\n  - name: t\n    when: {msg_type: [text, event]}\n    reply: [{text: 稍等}]\n    transfer: true\n", Options{})
	if p := s.Match(text("x"), shanghai); !p.Transfer || p.Rule != "t" {
		t.Errorf("text: %+v", p)
	}
	if p := s.Match(enter(""), shanghai); p.Transfer || p.Rule != "t" {
		t.Errorf("event: %+v", p)
	}
}

func TestMatchWithoutFallback(t *testing.T) {
	s := mustParse(t, "version: 1\nrules:\n  - name: a\n    when: {exact: a}\n    reply: [{text: a}]\n", Options{})
	if p := s.Match(text("b"), shanghai); p.Rule != "" || p.Replies != nil {
		t.Errorf("Match = %+v, want nothing", p)
	}
	var nilSet *Set
	if p := nilSet.Match(text("b"), shanghai); p.Rule != "" {
		t.Errorf("nil set: %+v", p)
	}
	if p := s.Match(nil, shanghai); p.Rule != "" {
		t.Errorf("nil message: %+v", p)
	}
}

func TestMatchCatchAll(t *testing.T) {
	s := mustParse(t, "version: 1\nrules:\n  - name: all\n    when: {}\n    reply: [{text: a}]\n  - name: never\n    when: {contains: x}\n    reply: [{text: b}]\n", Options{})
	for _, m := range []*push.Message{text("x"), {MsgType: "image"}, {MsgType: "voice"}} {
		if p := s.Match(m, shanghai); p.Rule != "all" {
			t.Errorf("%s: %+v", m.MsgType, p)
		}
	}
	if p := s.Match(enter(""), shanghai); p.Rule != "" {
		t.Errorf("event: %+v (when: {} is for user messages)", p)
	}
}

func TestMatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	s := mustParse(t, matchRules, Options{Source: "s3://b/kefu/rules.yaml"})
	for _, m := range []*push.Message{text("我想参加训练营"), text("什么也不匹配的一句话 nothing"), text("hello训练营"), enter("文章详情"), {MsgType: "image"}} {
		if n := testing.AllocsPerRun(100, func() { s.Match(m, shanghai) }); n != 0 {
			t.Errorf("Match(%q) allocates %v times", m.Content, n)
		}
	}
}
