package rules

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
)

// FuzzParse: Parse never panics, every problem has the file's name and a line, and a set
// that parses matches any message without panicking.
func FuzzParse(f *testing.F) {
	f.Add([]byte(matchRules))
	f.Add([]byte(head + "  - name: a\n    when: {contians: x}\n    reply: [{text: '{{1}}'}]\n"))
	f.Add([]byte("version: 1\nrules:\n  - name: a\n    when: {schedule: {hours: ['09:00-18:00'], outside: true}}\n    reply: [{image: media/a.png}]\n"))
	f.Add([]byte("{\"version\": 1, \"rules\": [{\"name\": \"a\", \"when\": {}, \"transfer\": true}]}"))
	f.Add([]byte("version: 1\nfallback: &a [{text: x}]\nrules: *a\n"))
	if data, err := os.ReadFile("../../examples/rules.yaml"); err == nil {
		f.Add(data)
	}
	msgs := []*push.Message{
		{MsgType: push.TypeText, Content: "订单 123 训练营 Hello"},
		{MsgType: push.TypeText, Content: ""},
		{MsgType: push.TypeImage},
		{MsgType: push.TypeEvent, Event: push.EventUserEnterTempSession, SessionFrom: "x"},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Parse("f.yaml", data, Options{AppID: "wx1", Source: "s3://b/k/rules.yaml"})
		if err != nil {
			ps, ok := err.(*Problems)
			if !ok {
				t.Fatalf("error %T, not *Problems", err)
			}
			if len(ps.List) == 0 {
				t.Fatal("no problems in a *Problems")
			}
			for _, p := range ps.List {
				if p.Line < 1 || p.File != "f.yaml" || p.Msg == "" || strings.Contains(p.Msg, "\n") {
					t.Fatalf("bad problem %#v", p)
				}
			}
			return
		}
		for _, w := range set.Warnings() {
			if w.Line < 1 {
				t.Fatalf("bad warning %#v", w)
			}
		}
		for _, m := range msgs {
			set.Match(m, time.Unix(1e9, 0))
		}
		_ = set.Summary()
	})
}
