package wxapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

func TestPayload(t *testing.T) {
	for _, tc := range []struct {
		m    *Message
		want string
	}{
		{NewText("u1", `a <a href="https://x/?a=1&b=2" data-miniprogram-appid="wx1" data-miniprogram-path="pages/a?b=1">点</a>`),
			`{"touser":"u1","msgtype":"text","text":{"content":"a <a href=\"https://x/?a=1&b=2\" data-miniprogram-appid=\"wx1\" data-miniprogram-path=\"pages/a?b=1\">点</a>"}}`},
		{NewImage("u1", "MEDIA"), `{"touser":"u1","msgtype":"image","image":{"media_id":"MEDIA"}}`},
		{NewLink("u1", Link{Title: "T", URL: "https://e/", ThumbURL: "https://e/t.png"}),
			`{"touser":"u1","msgtype":"link","link":{"title":"T","description":"","url":"https://e/","thumb_url":"https://e/t.png"}}`},
		{NewMiniProgramPage("u1", MiniProgramPage{Title: "T", PagePath: "pages/i?x=1", ThumbMediaID: "M"}),
			`{"touser":"u1","msgtype":"miniprogrampage","miniprogrampage":{"title":"T","pagepath":"pages/i?x=1","thumb_media_id":"M"}}`},
	} {
		got, err := tc.m.Payload()
		if err != nil || string(got) != tc.want {
			t.Errorf("Payload:\n got %s (%v)\nwant %s", got, err, tc.want)
		}
	}
}

func TestPayloadRefusals(t *testing.T) {
	for name, m := range map[string]*Message{
		"nil":              nil,
		"no touser":        NewText("", "x"),
		"empty text":       NewText("u", ""),
		"no text object":   {ToUser: "u", MsgType: MsgText},
		"unknown type":     {ToUser: "u", MsgType: "voice"},
		"empty media_id":   NewImage("u", ""),
		"link no url":      NewLink("u", Link{Title: "t", ThumbURL: "x"}),
		"link no title":    NewLink("u", Link{URL: "u", ThumbURL: "x"}),
		"link no thumb":    NewLink("u", Link{Title: "t", URL: "u"}),
		"card no pagepath": NewMiniProgramPage("u", MiniProgramPage{Title: "t", ThumbMediaID: "m"}),
		"card no thumb":    NewMiniProgramPage("u", MiniProgramPage{Title: "t", PagePath: "p"}),
		"card no title":    NewMiniProgramPage("u", MiniProgramPage{PagePath: "p", ThumbMediaID: "m"}),
		"two objects":      {ToUser: "u", MsgType: MsgText, Text: &Text{Content: "x"}, Image: &Image{MediaID: "m"}},
	} {
		if _, err := m.Payload(); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", name, err)
		}
	}
}

// FuzzPayload: any text round-trips through Payload exactly, and Payload never escapes HTML.
func FuzzPayload(f *testing.F) {
	f.Add("hello", "o9AgO5Kd5ggOC-bXrbNODIiE3bGY")
	f.Add(`<a href="x" data-miniprogram-appid="wx">&</a>`, "u")
	f.Add("\u2028\x00\"\\", "u\"")
	f.Fuzz(func(t *testing.T, content, to string) {
		b, err := NewText(to, content).Payload()
		if content == "" || to == "" {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("empty field: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		// Byte for byte what encoding/json writes with HTML escaping off.
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(NewText(to, content)); err != nil {
			t.Fatal(err)
		}
		if got := string(b) + "\n"; got != want.String() {
			t.Fatalf("Payload differs from encoding/json:\n got %s\nwant %s", got, want.String())
		}
		var m Message
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if utf8.ValidString(content) && m.Text.Content != content || utf8.ValidString(to) && m.ToUser != to {
			t.Fatalf("round trip: %q %q -> %s", to, content, b)
		}
		for _, esc := range []string{`\u003c`, `\u003e`, `\u0026`} {
			if bytes.Contains(b, []byte(esc)) {
				t.Fatalf("HTML escaped: %s", b)
			}
		}
	})
}
