package examples_test

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/kefuhq/kefu/examples"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/rules"
	"github.com/kefuhq/kefu/pkg/store"
)

func parse(t *testing.T) *rules.Set {
	t.Helper()
	data, err := fs.ReadFile(examples.FS, examples.RulesPath)
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Parse(examples.RulesPath, data, rules.Options{AppID: examples.DemoAppID, Source: examples.Source})
	if err != nil {
		t.Fatalf("the example rules do not pass validation:\n%v", err)
	}
	return set
}

// TestRulesValid: no problems and, with the demo AppID, no warnings.
func TestRulesValid(t *testing.T) {
	set := parse(t)
	for _, w := range set.Warnings() {
		t.Errorf("warning: %s", w)
	}
	t.Log("\n" + set.Summary())
}

// TestMedia: every image the rules send is embedded, and is a PNG or JPEG WeChat accepts.
func TestMedia(t *testing.T) {
	set := parse(t)
	var sources []string
	for _, r := range set.Fallback() {
		if r.Kind == rules.Image {
			sources = append(sources, r.Image)
		}
	}
	for _, m := range []*push.Message{
		{MsgType: push.TypeText, Content: "下载"},
		{MsgType: push.TypeText, Content: "订单 20240101123456"},
		{MsgType: push.TypeMiniProgramPage},
	} {
		for _, r := range set.Match(m, time.Now()).Replies {
			switch r.Kind {
			case rules.Image:
				sources = append(sources, r.Image)
			case rules.MiniProgramPage:
				sources = append(sources, r.Page.Thumb)
			}
		}
	}
	if len(sources) < 3 {
		t.Fatalf("found only %v", sources)
	}
	for _, src := range sources {
		name, ok := strings.CutPrefix(src, "embed:///")
		if !ok {
			t.Errorf("%s: the example media must be embedded", src)
			continue
		}
		data, err := fs.ReadFile(examples.FS, name)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if len(data) > 2<<20 {
			t.Errorf("%s: %d bytes; WeChat takes images up to 2 MiB", src, len(data))
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || (format != "png" && format != "jpeg") {
			t.Errorf("%s: not a PNG or JPEG: %v %s", src, err, format)
			continue
		}
		if strings.Contains(name, "card") && (cfg.Width != 520 || cfg.Height != 416) {
			t.Errorf("%s: %dx%d, WeChat suggests 520x416 for cards", src, cfg.Width, cfg.Height)
		}
	}
	// The link thumbnail is shipped for users to host (thumb_url must be a public URL).
	if _, err := fs.Stat(examples.FS, "media/link-thumb.png"); err != nil {
		t.Error(err)
	}
}

// TestRulesAnswer: the example rules answer what a support team expects.
func TestRulesAnswer(t *testing.T) {
	set := parse(t)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	workday := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai) // Monday 10:00
	night := time.Date(2026, 3, 2, 22, 0, 0, 0, shanghai)
	text := func(s string) *push.Message { return &push.Message{MsgType: push.TypeText, Content: s} }
	enter := func(from string) *push.Message {
		return &push.Message{MsgType: push.TypeEvent, Event: push.EventUserEnterTempSession, SessionFrom: from}
	}
	tests := []struct {
		m     *push.Message
		now   time.Time
		rule  string
		check func(p rules.Plan) bool
	}{
		{enter("文章详情的客服按钮"), workday, "from-article", nil},
		{enter(""), workday, "welcome", func(p rules.Plan) bool {
			return strings.Contains(p.Replies[0].Text, `data-miniprogram-appid="`+examples.DemoAppID+`"`)
		}},
		{text("转人工"), workday, "human", func(p rules.Plan) bool { return p.Transfer && len(p.Replies) == 1 }},
		{text("训练营怎么报名"), workday, "camp", func(p rules.Plan) bool { return p.Replies[0].Kind == rules.Link }},
		{text("下载APP"), workday, "download", func(p rules.Plan) bool {
			return p.Typing && p.Replies[1].Image == "embed:///media/download-qr.png"
		}},
		{text("订单：20240101123456"), workday, "order", func(p rules.Plan) bool {
			return strings.Contains(p.Replies[0].Text, "20240101123456") && p.Replies[1].Page.PagePath == "pages/order/detail?id=20240101123456"
		}},
		{text("我的快递到哪了"), workday, "order-help", nil},
		{text("退款"), workday, "refund", nil},
		{text("Help"), workday, "help", nil},
		{&push.Message{MsgType: push.TypeMiniProgramPage}, workday, "card-received", nil},
		{&push.Message{MsgType: push.TypeImage}, night, "image-received", nil},
		{text("你们几点上班"), workday, "fallback", nil},
		{text("你们几点上班"), night, "after-hours", nil},
		{text("下载"), night, "download", nil}, // keywords still answer after hours
		{&push.Message{MsgType: push.TypeEvent, Event: "subscribe_msg_popup_event"}, workday, "", nil},
	}
	for _, tc := range tests {
		p := set.Match(tc.m, tc.now)
		if p.Rule != tc.rule {
			t.Errorf("%s %q at %v: rule %q, want %q", tc.m.MsgType, tc.m.Content+tc.m.SessionFrom, tc.now.Format("15:04"), p.Rule, tc.rule)
			continue
		}
		if tc.check != nil && !tc.check(p) {
			t.Errorf("%q: unexpected plan %+v", tc.m.Content, p)
		}
	}
}

// TestLoadEmbedded loads the examples as a deployment without KEFU_RULES does: through a
// store that embeds FS.
func TestLoadEmbedded(t *testing.T) {
	st, err := store.New(store.Options{Embedded: examples.FS})
	if err != nil {
		t.Fatal(err)
	}
	l, err := rules.NewLoader(rules.LoaderOptions{Source: examples.Source, Fetch: st.Get, Parse: rules.Options{AppID: examples.DemoAppID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := l.Current(context.Background()); s == nil || s.Len() == 0 {
		t.Fatal("no rules")
	}
}
