package rules

import (
	"errors"
	"strings"
	"testing"
)

// head is a valid start for test files; rules follow from line 4.
const head = "version: 1\nfallback: [{text: 您好}]\nrules:\n"

// TestProblems has one case per kind of problem, with the exact "file:line: what" lines.
func TestProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each "line: what"
	}{
		{"syntax", "version: 1\nrules: [\n", []string{"2: YAML: did not find expected node content"}},
		{"empty file", "", []string{"1: the file is empty: want version, fallback and rules"}},
		{"not a mapping", "- a\n", []string{"1: want a mapping, got a list"}},
		{"two documents", "version: 1\nfallback: [{text: a}]\n---\nversion: 1\n", []string{"3: a second YAML document: the file holds one"}},
		{"version missing", "fallback: [{text: a}]\n", []string{"1: version: missing (write version: 1 at the top)"}},
		{"version 2", "version: 2\nfallback: [{text: a}]\n", []string{`1: version: want 1, got "2"`}},
		{"unknown top key", head + "rule: []\n", []string{`4: unknown key "rule" (did you mean "rules"?)`}},
		{"duplicate top key", head + "version: 1\n", []string{`4: duplicate key "version" (first at line 1)`}},
		{"rules not a list", "version: 1\nrules: {a: b}\n", []string{"2: rules: want a list, got a mapping"}},
		{"alias", "version: 1\nfallback: [&t {text: a}]\nrules:\n  - name: a\n    when: {}\n    reply: [*t]\n",
			[]string{`6: aliases (*t) are not supported: write the value out`}},
		{"fallback empty", "version: 1\nfallback: []\n", []string{"2: fallback: empty (remove it to send nothing to unmatched messages)"}},
		{"fallback too many", "version: 1\nfallback: [{text: a}, {text: b}, {text: c}, {text: d}, {text: e}, {text: f}]\n",
			[]string{"2: fallback: 6 reply items, but WeChat allows at most 5 messages after a user message"}},
		{"fallback capture", "version: 1\nfallback: [{text: '订单 {{1}}'}]\n", []string{"2: fallback: reply 1: {{1}}: the fallback has no regex to capture from"}},

		{"missing name", head + "  - when: {}\n    reply: [{text: a}]\n", []string{"4: rule 1: missing name"}},
		{"empty name", head + "  - name: ''\n    when: {}\n    reply: [{text: a}]\n", []string{"4: rule 1: name: empty"}},
		{"duplicate name", head + "  - name: a\n    when: {}\n    reply: [{text: a}]\n  - name: a\n    when: {}\n    reply: [{text: b}]\n",
			[]string{`7: rule "a": duplicate name (first at line 4)`}},
		{"reserved name", head + "  - name: fallback\n    when: {}\n    reply: [{text: a}]\n", []string{`4: rule "fallback": the name "fallback" is reserved for the fallback`}},
		{"name not a string", head + "  - name: [a]\n    when: {}\n    reply: [{text: a}]\n", []string{"4: rule 1: name: want a string, got a list"}},
		{"unknown rule key", head + "  - name: a\n    when: {}\n    replies: [{text: a}]\n",
			[]string{`4: rule "a": nothing to do: give reply items or transfer: true`, `6: rule "a": unknown key "replies" (did you mean "reply"?)`}},
		{"missing when", head + "  - name: a\n    reply: [{text: a}]\n", []string{`4: rule "a": missing when (write when: {} to match every user message)`}},
		{"null when", head + "  - name: a\n    when:\n    reply: [{text: a}]\n", []string{`5: rule "a": when: empty (write when: {} to match every user message)`}},
		{"empty reply", head + "  - name: a\n    when: {}\n    reply: []\n", []string{`6: rule "a": nothing to do: give reply items or transfer: true`}},
		{"no reply", head + "  - name: a\n    when: {}\n", []string{`4: rule "a": nothing to do: give reply items or transfer: true`}},
		{"typing without replies", head + "  - name: a\n    when: {contains: x}\n    transfer: true\n    typing: true\n", []string{`7: rule "a": typing needs reply items`}},
		{"wrong type bool", head + "  - name: a\n    when: {}\n    reply: [{text: a}]\n    typing: yes\n", []string{`7: rule "a": typing: want true or false, got a string`}},

		{"unknown when key", head + "  - name: a\n    when:\n      contians: [x]\n    reply: [{text: a}]\n",
			[]string{`6: rule "a": when: unknown key "contians" (did you mean "contains"?)`}},
		{"unknown when key far", head + "  - name: a\n    when: {keyword: x}\n    reply: [{text: a}]\n", []string{`5: rule "a": when: unknown key "keyword"`}},
		{"duplicate when key", head + "  - name: a\n    when:\n      contains: x\n      contains: y\n    reply: [{text: a}]\n",
			[]string{`7: rule "a": when: duplicate key "contains" (first at line 6)`}},
		{"when not a mapping", head + "  - name: a\n    when: [contains]\n    reply: [{text: a}]\n", []string{`5: rule "a": when: want a mapping, got a list`}},
		{"empty list", head + "  - name: a\n    when: {exact: []}\n    reply: [{text: a}]\n", []string{`5: rule "a": when: exact: empty list`}},
		{"empty string", head + "  - name: a\n    when: {contains: ['']}\n    reply: [{text: a}]\n", []string{`5: rule "a": when: contains: empty string`}},
		{"list of lists", head + "  - name: a\n    when: {prefix: [[a]]}\n    reply: [{text: a}]\n", []string{`5: rule "a": when: prefix: want a string, got a list`}},
		{"bad regex", head + "  - name: a\n    when: {regex: ['订单(']}\n    reply: [{text: a}]\n",
			[]string{"5: rule \"a\": when: regex \"订单(\": error parsing regexp: missing closing ): `订单(`"}},
		{"unknown msg_type", head + "  - name: a\n    when: {msg_type: voice}\n    reply: [{text: a}]\n",
			[]string{`5: rule "a": when: msg_type: unknown type "voice" (want text, image, miniprogrampage or event)`}},
		{"misspelt msg_type", head + "  - name: a\n    when: {msg_type: imgae}\n    reply: [{text: a}]\n",
			[]string{`5: rule "a": when: msg_type: unknown type "imgae" (did you mean "image"?) (want text, image, miniprogrampage or event)`}},
		{"msg_type contradicts contains", head + "  - name: a\n    when:\n      contains: x\n      msg_type: image\n    reply: [{text: a}]\n",
			[]string{`7: rule "a": when: msg_type [image] contradicts contains, which matches text messages only`}},
		{"msg_type contradicts event", head + "  - name: a\n    when:\n      event: user_enter_tempsession\n      msg_type: [text]\n    reply: [{text: a}]\n",
			[]string{`7: rule "a": when: msg_type [text] contradicts event, which matches events only`}},
		{"event contradicts session_from", head + "  - name: a\n    when:\n      event: subscribe_msg_popup_event\n      session_from: x\n    reply: [{text: a}]\n",
			[]string{`6: rule "a": when: event [subscribe_msg_popup_event] contradicts session_from, which matches the user_enter_tempsession event only`}},
		{"text key and event", head + "  - name: a\n    when:\n      exact: x\n      event: user_enter_tempsession\n    reply: [{text: a}]\n",
			[]string{`7: rule "a": when: event contradicts exact: exact matches text messages, event matches events`}},
		{"transfer on events", head + "  - name: a\n    when: {event: user_enter_tempsession}\n    transfer: true\n",
			[]string{`6: rule "a": transfer applies to user messages only, and this rule matches only events`}},
		{"too many after message", head + "  - name: a\n    when: {contains: x}\n    reply: [{text: a}, {text: b}, {text: c}, {text: d}, {text: e}, {text: f}]\n",
			[]string{`6: rule "a": 6 reply items, but WeChat allows at most 5 messages after a user message`}},
		{"too many after enter", head + "  - name: a\n    when: {session_from: x}\n    reply: [{text: a}, {text: b}, {text: c}]\n",
			[]string{`6: rule "a": 3 reply items, but WeChat allows at most 2 messages after the user enters the session (user_enter_tempsession)`}},

		{"bad zone", head + "  - name: a\n    when:\n      schedule: {zone: Asia/Shanghia}\n    reply: [{text: a}]\n",
			[]string{`6: rule "a": when: schedule: unknown zone "Asia/Shanghia" (want an IANA name like Asia/Shanghai)`}},
		{"local zone", head + "  - name: a\n    when:\n      schedule: {zone: Local}\n    reply: [{text: a}]\n",
			[]string{`6: rule "a": when: schedule: unknown zone "Local" (want an IANA name like Asia/Shanghai)`}},
		{"bad day", head + "  - name: a\n    when:\n      schedule: {days: [mon, monday]}\n    reply: [{text: a}]\n",
			[]string{`6: rule "a": when: schedule: unknown day "monday" (want mon, tue, wed, thu, fri, sat or sun)`}},
		{"bad hours", head + "  - name: a\n    when:\n      schedule: {hours: [9-18]}\n    reply: [{text: a}]\n",
			[]string{`6: rule "a": when: schedule: bad hours "9-18" (want "HH:MM-HH:MM", like "09:00-18:00")`}},
		{"hours out of range", head + "  - name: a\n    when:\n      schedule: {hours: [\"09:00-24:30\"]}\n    reply: [{text: a}]\n",
			[]string{`6: rule "a": when: schedule: bad hours "09:00-24:30" (want "HH:MM-HH:MM", like "09:00-18:00")`}},
		{"hours start after end", head + "  - name: a\n    when:\n      schedule: {hours: [\"18:00-09:00\"]}\n    reply: [{text: a}]\n",
			[]string{`6: rule "a": when: schedule: hours "18:00-09:00": the start must be before the end (a range ends at 24:00 at the latest)`}},
		{"hours empty range", head + "  - name: a\n    when:\n      schedule: {hours: [\"09:00-09:00\"]}\n    reply: [{text: a}]\n",
			[]string{`6: rule "a": when: schedule: hours "09:00-09:00": the start must be before the end (a range ends at 24:00 at the latest)`}},
		{"unknown schedule key", head + "  - name: a\n    when:\n      schedule: {zone: UTC, inside: true}\n    reply: [{text: a}]\n",
			[]string{`6: rule "a": when: schedule: unknown key "inside"`}},

		{"item not a mapping", head + "  - name: a\n    when: {}\n    reply: [你好]\n",
			[]string{`6: rule "a": reply 1: want one of text, image, link or miniprogrampage (like text: 您好), got a string`}},
		{"item two kinds", head + "  - name: a\n    when: {}\n    reply:\n      - text: a\n        image: media/a.png\n",
			[]string{`8: rule "a": reply 1: one item holds one of text, image, link or miniprogrampage, not both text and image (make them two items)`}},
		{"item unknown kind", head + "  - name: a\n    when: {}\n    reply: [{imgae: a.png}]\n",
			[]string{`6: rule "a": reply 1: unknown key "imgae" (did you mean "image"?)`}},
		{"empty text", head + "  - name: a\n    when: {}\n    reply: [{text: ' '}]\n", []string{`6: rule "a": reply 1: text is empty`}},
		{"text too long", head + "  - name: a\n    when: {}\n    reply: [{text: " + strings.Repeat("长", 683) + "}]\n",
			[]string{`6: rule "a": reply 1: text is 2049 bytes, but WeChat allows at most 2048`}},
		{"capture without regex", head + "  - name: a\n    when: {contains: 订单}\n    reply: [{text: '订单 {{1}}'}]\n",
			[]string{`6: rule "a": reply 1: {{1}} needs a regex in when`}},
		{"capture out of range", head + "  - name: a\n    when: {regex: ['订单(\\d+)', '单号']}\n    reply: [{text: '订单 {{1}}'}]\n",
			[]string{`6: rule "a": reply 1: {{1}} is beyond the 0 group(s) of regex "单号"`}},
		{"bad image source", head + "  - name: a\n    when: {}\n    reply: [{image: 's3://bucket'}]\n",
			[]string{`6: rule "a": reply 1: image: bad source: "s3://bucket": want s3://bucket/key`}},
		{"link without url", head + "  - name: a\n    when: {}\n    reply:\n      - link: {title: t, thumb_url: 'https://example.com/t.png'}\n",
			[]string{`7: rule "a": reply 1: link: missing url`}},
		{"link without thumb_url", head + "  - name: a\n    when: {}\n    reply:\n      - link: {title: t, url: 'https://example.com/'}\n",
			[]string{`7: rule "a": reply 1: link: missing thumb_url (a public http(s) image WeChat shows on the card)`}},
		{"link without title", head + "  - name: a\n    when: {}\n    reply:\n      - link: {url: 'https://example.com/', thumb_url: 'https://example.com/t.png'}\n",
			[]string{`7: rule "a": reply 1: link: missing title`}},
		{"link bad url", head + "  - name: a\n    when: {}\n    reply:\n      - link: {title: t, url: 'ftp://example.com/', thumb_url: 'https://example.com/t.png'}\n",
			[]string{`7: rule "a": reply 1: link: url "ftp://example.com/" is not an http(s) URL`}},
		{"link bad thumb_url", head + "  - name: a\n    when: {}\n    reply:\n      - link: {title: t, url: 'https://example.com/', thumb_url: media/t.png}\n",
			[]string{`7: rule "a": reply 1: link: thumb_url "media/t.png" is not an http(s) URL (WeChat downloads the thumbnail itself)`}},
		{"link capture in host", head + "  - name: a\n    when: {regex: '(\\w+)'}\n    reply:\n      - link: {title: t, url: 'https://{{1}}.example.com/', thumb_url: 'https://example.com/t.png'}\n",
			[]string{`7: rule "a": reply 1: link: url "https://{{1}}.example.com/": a capture cannot stand in the scheme or host`}},
		{"card without pagepath and thumb", head + "  - name: a\n    when: {}\n    reply:\n      - miniprogrampage: {title: t}\n",
			[]string{`7: rule "a": reply 1: miniprogrampage: missing pagepath`, `7: rule "a": reply 1: miniprogrampage: missing thumb (an image source, like media/card.png)`}},
		{"card without title", head + "  - name: a\n    when: {}\n    reply:\n      - miniprogrampage: {pagepath: pages/index/index, thumb: media/c.png}\n",
			[]string{`7: rule "a": reply 1: miniprogrampage: missing title`}},
		{"card bad thumb", head + "  - name: a\n    when: {}\n    reply:\n      - miniprogrampage: {title: t, pagepath: p, thumb: 'ftp://x/y.png'}\n",
			[]string{`7: rule "a": reply 1: miniprogrampage: thumb: bad source: "ftp://x/y.png": unknown scheme "ftp" (use a path, file://, https://, s3:// or embed://)`}},
		{"mini-program link without path", head + "  - name: a\n    when: {}\n    reply:\n      - text: '<a href=\"https://x/\" data-miniprogram-appid=\"wx1\">看看</a>'\n",
			[]string{`7: rule "a": reply 1: the mini-program link to wx1 needs data-miniprogram-path (a page as in app.json)`}},
		{"mini-program path without appid", head + "  - name: a\n    when: {}\n    reply:\n      - text: '<a data-miniprogram-path=\"pages/a\">看看</a>'\n",
			[]string{`7: rule "a": reply 1: a link with data-miniprogram-path needs data-miniprogram-appid`}},
		{"every problem at once", "version: 3\nrules:\n  - name: a\n    when: {contians: x}\n  - name: a\n    when: {}\n    reply: [{text: ''}]\n",
			[]string{`1: version: want 1, got "3"`, `3: rule "a": nothing to do: give reply items or transfer: true`,
				`4: rule "a": when: unknown key "contians" (did you mean "contains"?)`, `5: rule "a": duplicate name (first at line 3)`,
				`7: rule "a": reply 1: text is empty`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Parse("r.yaml", []byte(tc.yaml), Options{})
			if err == nil {
				t.Fatalf("Parse succeeded (%d rules); want problems", set.Len())
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false")
			}
			var ps *Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %T is not *Problems: %v", err, err)
			}
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = "r.yaml:" + w
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}

// TestWarnings: allowed but likely wrong.
func TestWarnings(t *testing.T) {
	tests := []struct {
		name, yaml, appid string
		want              []string
	}{
		{"link to another app", head + "  - name: a\n    when: {}\n    reply:\n      - text: '<a href=\"https://x/\" data-miniprogram-appid=\"wx2\" data-miniprogram-path=\"pages/a\">看看</a>'\n", "wx1",
			[]string{`7: rule "a": reply 1: the mini-program link goes to wx2, not to this mini program (wx1): WeChat opens only mini programs of the same owner or linked ones`}},
		{"link to this app", head + "  - name: a\n    when: {}\n    reply:\n      - text: '<a href=\"https://x/\" data-miniprogram-appid=\"wx1\" data-miniprogram-path=\"pages/a\">看看</a>'\n", "wx1", nil},
		{"no AppID to check", head + "  - name: a\n    when: {}\n    reply:\n      - text: '<a data-miniprogram-appid=\"wx2\" data-miniprogram-path=\"pages/a\">看看</a>'\n", "", nil},
		{"other events", head + "  - name: a\n    when: {event: subscribe_msg_popup_event}\n    reply: [{text: 谢谢}]\n", "",
			[]string{`6: rule "a": events other than user_enter_tempsession give no permission to send: these replies succeed only within 48 hours of the user's last message`}},
		{"shadowed by a catch-all", head + "  - name: all\n    when: {}\n    reply: [{text: a}]\n  - name: late\n    when: {contains: x}\n    reply: [{text: b}]\n", "",
			[]string{`7: rule "late" never fires: rule "all" (line 4) before it answers every message it could match`}},
		{"shadowed by a type", head + "  - name: img\n    when: {msg_type: image}\n    reply: [{text: a}]\n  - name: night\n    when: {msg_type: image, schedule: {hours: '00:00-06:00'}}\n    reply: [{text: b}]\n  - name: text\n    when: {msg_type: text}\n    reply: [{text: c}]\n", "",
			[]string{`7: rule "night" never fires: rule "img" (line 4) before it answers every message it could match`}},
		{"ignore_case alone", head + "  - name: a\n    when: {msg_type: image, ignore_case: true}\n    reply: [{text: 谢谢}]\n", "",
			[]string{`5: rule "a": when: ignore_case has nothing to apply to (exact, contains, prefix, regex or session_from)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Parse("r.yaml", []byte(tc.yaml), Options{AppID: tc.appid})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range set.Warnings() {
				got = append(got, w.String())
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, "r.yaml:"+w)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestProblemsNoEcho: a when that is not a mapping gives that one problem, not others that
// follow from it.
func TestProblemsNoEcho(t *testing.T) {
	_, err := Parse("r.yaml", []byte(head+"  - name: a\n    when: contains\n    transfer: true\n"), Options{})
	want := `r.yaml:5: rule "a": when: want a mapping, got a string`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
