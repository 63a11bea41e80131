package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// pushCmd sends one signed push to a function, as WeChat would, and prints its answer: the
// way to check a deployment's Token and EncodingAESKey without WeChat.
func pushCmd(ctx context.Context, args []string, out io.Writer, lookup func(string) (string, bool)) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	u := fs.String("url", "", "the function's URL, as pasted into the WeChat console (required)")
	appID := fs.String("appid", env(lookup, config.AppID), "the mini program's AppID")
	token := fs.String("token", env(lookup, config.Token), "the push Token")
	key := fs.String("aes-key", env(lookup, config.EncodingAESKey), "the EncodingAESKey (safe and compatible modes)")
	modeName := fs.String("mode", "", "safe, compatible or plaintext (default: safe with a key, else plaintext)")
	format := fs.String("format", "json", "json or xml")
	openid := fs.String("openid", "oKEFUoPUSHoCHECK000000000000", "the sender's OpenID")
	verify := fs.Bool("verify", false, "send the console's GET URL verification instead of a message")
	enter := fs.String("enter", "", "send the user_enter_tempsession event with this session-from")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *u == "" || *appID == "" || *token == "" {
		return fmt.Errorf("push needs -url, -appid and -token (or WECHAT_APPID and WECHAT_TOKEN)")
	}
	mode := push.Plaintext
	if *key != "" {
		mode = push.Safe
	}
	if *modeName != "" {
		m, err := push.ParseMode(*modeName)
		if err != nil {
			return err
		}
		mode = m
	}
	f := push.JSON
	switch *format {
	case "json":
	case "xml":
		f = push.XML
	default:
		return fmt.Errorf("-format %q: want json or xml", *format)
	}
	p, err := wxsim.NewPusher(wxsim.PusherOptions{URL: *u, AppID: *appID, Token: *token, EncodingAESKey: *key, Mode: mode, Format: f})
	if err != nil {
		return err
	}
	var r *wxsim.Result
	if *verify {
		const echo = "4375120948345356249"
		r, err = p.Verify(ctx, echo)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "GET verification: HTTP %d %q (%v)\n", r.Status, r.Body, r.Duration.Round(1e6))
		if r.Status != 200 || string(r.Body) != echo {
			return &findingError{msg: "the function did not echo echostr: check the URL and WECHAT_TOKEN"}
		}
		return nil
	}
	m := p.Text(*openid, strings.Join(fs.Args(), " "))
	if *enter != "" {
		m = p.Enter(*openid, *enter)
	} else if m.Content == "" {
		m.Content = "你好"
	}
	r, err = p.Post(ctx, m)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s %s push: HTTP %d %q (%v)\n", mode, f, r.Status, truncate(r.Body), r.Duration.Round(1e6))
	switch {
	case r.Success:
		fmt.Fprintln(out, "answered success: the function verified and decrypted the push")
	case r.Answer != nil:
		fmt.Fprintf(out, "answered %s (decrypted and verified)\n", r.Answer.MsgType)
	case r.Status == 200:
		return &findingError{msg: fmt.Sprintf("WeChat could not read this answer (%v): users would see an error", r.AnswerErr)}
	default:
		return &findingError{msg: "refused: check WECHAT_TOKEN, WECHAT_ENCODING_AES_KEY and WECHAT_APPID on both sides"}
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
