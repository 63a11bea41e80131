package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kefuhq/kefu/examples"
	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/rules"
	"github.com/kefuhq/kefu/pkg/store"
	"github.com/kefuhq/kefu/pkg/wxapi"
)

// load reads and parses the rules at src (the bundled examples when empty).
func load(ctx context.Context, src, appID string, lookup func(string) (string, bool)) (*rules.Set, error) {
	if src == "" {
		src = examples.Source
	}
	s3opts, err := config.ObjectStorage(lookup)
	if err != nil {
		return nil, err
	}
	st, err := store.New(store.Options{S3: s3opts, Embedded: examples.FS})
	if err != nil {
		return nil, err
	}
	obj, err := st.Get(ctx, src, "")
	if err != nil {
		return nil, err
	}
	name := src
	if loc, err := store.Parse(src); err == nil {
		name = loc.Redacted()
		if loc.Scheme == store.Embed {
			name = loc.Key
		}
	}
	return rules.Parse(name, obj.Body, rules.Options{AppID: appID, Source: src})
}

// check validates a rules file: every problem as file:line: what, or a summary.
func check(ctx context.Context, args []string, out io.Writer, lookup func(string) (string, bool)) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	appID := fs.String("appid", env(lookup, config.AppID), "this mini program's AppID, to check mini-program links")
	if err := fs.Parse(args); err != nil {
		return err
	}
	src := env(lookup, config.Rules)
	if fs.NArg() > 0 {
		src = fs.Arg(0)
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("check takes one rules file")
	}
	set, err := load(ctx, src, *appID, lookup)
	var probs *rules.Problems
	if errors.As(err, &probs) {
		return &findingError{msg: strings.TrimRight(probs.Error(), "\n")}
	}
	if err != nil {
		return err
	}
	fmt.Fprint(out, set.Summary())
	return nil
}

// try shows what kefu would do with one message, without sending anything.
func try(ctx context.Context, args []string, out io.Writer, lookup func(string) (string, bool)) error {
	fs := flag.NewFlagSet("try", flag.ContinueOnError)
	src := fs.String("rules", env(lookup, config.Rules), "the rules file (default: $KEFU_RULES, else the bundled examples)")
	appID := fs.String("appid", env(lookup, config.AppID), "this mini program's AppID")
	msgType := fs.String("type", push.TypeText, "the message type: text, image or miniprogrampage")
	enter := fs.String("enter", "", "try the user_enter_tempsession event with this session-from instead of a message")
	event := fs.String("event", "", "try this event instead of a message")
	at := fs.String("at", "", `the time to match schedules at, RFC 3339 ("2026-12-01T20:00:00+08:00"); default now`)
	openid := fs.String("openid", "oUSERoOPENIDoFORoTRYING0000", "the user's OpenID in the payloads")
	if err := fs.Parse(args); err != nil {
		return err
	}
	now := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("-at: %w", err)
		}
		now = t
	}
	m := &push.Message{ToUserName: "gh_0000000000", FromUserName: *openid, CreateTime: now.Unix(), MsgType: *msgType}
	switch {
	case *enter != "" || *event == push.EventUserEnterTempSession:
		m.MsgType, m.Event, m.SessionFrom = push.TypeEvent, push.EventUserEnterTempSession, *enter
	case *event != "":
		m.MsgType, m.Event = push.TypeEvent, *event
	case *msgType == push.TypeText:
		m.Content = strings.Join(fs.Args(), " ")
	}
	set, err := load(ctx, *src, *appID, lookup)
	var probs *rules.Problems
	if errors.As(err, &probs) {
		return &findingError{msg: strings.TrimRight(probs.Error(), "\n")}
	}
	if err != nil {
		return err
	}
	describe(out, m, set.Match(m, now), set)
	return nil
}

// describe prints a plan: the rule, then each API call kefu would make, with its payload.
func describe(out io.Writer, m *push.Message, plan rules.Plan, set *rules.Set) {
	what := m.MsgType
	switch {
	case m.IsEvent():
		what = "event " + m.Event
		if m.SessionFrom != "" {
			what += fmt.Sprintf(" (session-from %q)", m.SessionFrom)
		}
	case m.MsgType == push.TypeText:
		what = fmt.Sprintf("text %q", m.Content)
	}
	switch plan.Rule {
	case "":
		fmt.Fprintf(out, "%s: no rule applies; kefu answers \"success\" and sends nothing\n", what)
		return
	case rules.FallbackName:
		fmt.Fprintf(out, "%s: no rule matches; the fallback answers\n", what)
	default:
		line := 0
		for _, r := range set.Rules() {
			if r.Name == plan.Rule {
				line = r.Line
			}
		}
		fmt.Fprintf(out, "%s: rule %q (%s:%d)\n", what, plan.Rule, set.Name(), line)
	}
	step := 0
	call := func(path string, payload []byte) {
		step++
		fmt.Fprintf(out, "%d. POST %s\n   %s\n", step, path, payload)
	}
	if plan.Typing {
		call(wxapi.TypingPath, mustJSON(struct {
			ToUser  string `json:"touser"`
			Command string `json:"command"`
		}{m.FromUserName, "Typing"}))
	}
	for _, r := range plan.Replies {
		var msg *wxapi.Message
		switch r.Kind {
		case rules.Text:
			msg = wxapi.NewText(m.FromUserName, r.Text)
		case rules.Link:
			msg = wxapi.NewLink(m.FromUserName, wxapi.Link{Title: r.Link.Title, Description: r.Link.Description, URL: r.Link.URL, ThumbURL: r.Link.ThumbURL})
		case rules.Image:
			step++
			fmt.Fprintf(out, "%d. POST %s?type=image  (upload %s, unless its media_id is cached)\n", step, wxapi.UploadPath, r.Image)
			msg = wxapi.NewImage(m.FromUserName, "<media_id of "+r.Image+">")
		case rules.MiniProgramPage:
			step++
			fmt.Fprintf(out, "%d. POST %s?type=image  (upload %s, unless its media_id is cached)\n", step, wxapi.UploadPath, r.Page.Thumb)
			msg = wxapi.NewMiniProgramPage(m.FromUserName, wxapi.MiniProgramPage{Title: r.Page.Title, PagePath: r.Page.PagePath, ThumbMediaID: "<media_id of " + r.Page.Thumb + ">"})
		}
		payload, err := msg.Payload()
		if err != nil {
			fmt.Fprintf(out, "%d. (WeChat would refuse this message: %v)\n", step+1, err)
			step++
			continue
		}
		call(wxapi.SendPath, payload)
	}
	if plan.Transfer {
		fmt.Fprintf(out, "then the push is answered with transfer_customer_service: the session goes to the human agents\n")
	} else {
		fmt.Fprintf(out, "then the push is answered \"success\"\n")
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	return b
}
