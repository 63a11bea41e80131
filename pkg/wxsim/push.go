package wxsim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
)

// PusherOptions configures a Pusher: the function's URL and the settings of the WeChat
// console's 消息推送 page.
type PusherOptions struct {
	// URL is where pushes go: the function's URL as pasted into the WeChat console.
	URL string
	// AppID, Token and EncodingAESKey are the mini program's push settings.
	AppID, Token, EncodingAESKey string
	// OriginalID is the mini program's original id (gh_...), the ToUserName of every push;
	// empty means "gh_" followed by the end of the AppID.
	OriginalID string
	// Mode is the encryption mode; the zero value is plaintext. WeChat's console and kefu
	// recommend Safe.
	Mode push.Mode
	// Format is the data format; the zero value is XML, the console's default.
	Format push.Format
	// HTTPClient posts the pushes; nil means a client with a 5-second timeout, the time
	// WeChat waits for an answer.
	HTTPClient *http.Client
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// API, when set, is told about each user action (a message, entering the session), so
	// its reply quota follows the conversation.
	API *API
}

// Pusher plays WeChat's push side: it builds pushes like WeChat (signed, encrypted in the
// compatible and safe modes, XML or JSON) and posts them to a function over HTTP. It is safe
// for concurrent use.
type Pusher struct {
	opts   PusherOptions
	sealer *push.Sealer
	msgID  atomic.Uint64
}

// NewPusher checks opts and returns a Pusher.
func NewPusher(opts PusherOptions) (*Pusher, error) {
	if opts.URL == "" {
		return nil, fmt.Errorf("wxsim: a Pusher needs the function's URL")
	}
	s, err := push.NewSealer(opts.AppID, opts.Token, opts.EncodingAESKey)
	if err != nil {
		return nil, fmt.Errorf("wxsim: %w", err)
	}
	if opts.Mode != push.Plaintext && opts.EncodingAESKey == "" {
		return nil, fmt.Errorf("wxsim: %s mode needs an EncodingAESKey", opts.Mode)
	}
	if opts.OriginalID == "" {
		id := opts.AppID
		if len(id) > 12 {
			id = id[len(id)-12:]
		}
		opts.OriginalID = "gh_" + id
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &Pusher{opts: opts, sealer: s}
	// MsgIds as WeChat's look: 17 digits, beyond 2^53.
	p.msgID.Store(23637352235060880 + uint64(opts.Now().UnixNano()%1_000_000)*1000)
	return p, nil
}

// Sealer returns the Sealer the Pusher builds pushes with.
func (p *Pusher) Sealer() *push.Sealer { return p.sealer }

// Options returns the Pusher's options, with the defaults filled in.
func (p *Pusher) Options() PusherOptions { return p.opts }

func (p *Pusher) base(openid, msgType string) *push.Message {
	return &push.Message{ToUserName: p.opts.OriginalID, FromUserName: openid, CreateTime: p.opts.Now().Unix(), MsgType: msgType}
}

func (p *Pusher) nextID() string { return strconv.FormatUint(p.msgID.Add(1), 10) }

// Text returns a text message from openid, with a fresh MsgId.
func (p *Pusher) Text(openid, content string) *push.Message {
	m := p.base(openid, push.TypeText)
	m.Content, m.MsgID = content, p.nextID()
	return m
}

// Image returns an image message from openid.
func (p *Pusher) Image(openid, picURL, mediaID string) *push.Message {
	m := p.base(openid, push.TypeImage)
	m.PicURL, m.MediaID, m.MsgID = picURL, mediaID, p.nextID()
	return m
}

// Card returns a miniprogrampage message: the user sent a mini-program card.
func (p *Pusher) Card(openid, title, appID, pagePath string) *push.Message {
	m := p.base(openid, push.TypeMiniProgramPage)
	m.Title, m.AppID, m.PagePath, m.MsgID = title, appID, pagePath, p.nextID()
	return m
}

// Enter returns the user_enter_tempsession event of openid opening the chat through a
// button whose session-from is sessionFrom.
func (p *Pusher) Enter(openid, sessionFrom string) *push.Message {
	m := p.base(openid, push.TypeEvent)
	m.Event, m.SessionFrom = push.EventUserEnterTempSession, sessionFrom
	return m
}

// Result is what the function answered to a push or a verification.
type Result struct {
	// Status, ContentType and Body are the HTTP answer.
	Status      int
	ContentType string
	Body        []byte
	// Success reports a 200 with "success" or an empty body: what WeChat takes as "no
	// passive reply".
	Success bool
	// Answer is the passive reply decoded as WeChat would (decrypted and checked when
	// encrypted), or nil for success or a refusal.
	Answer *push.Message
	// AnswerErr says why a 200 answer that is not success could not be read; WeChat would
	// show the user "该小程序提供的服务出现故障".
	AnswerErr error
	// Duration is the time from sending the request to reading the whole answer.
	Duration time.Duration
	// Sealed is the push as sent; post it again with Repost to play WeChat's retry.
	Sealed push.Sealed
}

// Seal builds the push for m in the Pusher's mode and format, stamped now.
func (p *Pusher) Seal(m *push.Message) (push.Sealed, error) {
	return p.sealer.Seal(m, push.SealOptions{Mode: p.opts.Mode, Format: p.opts.Format, Time: p.opts.Now()})
}

// Post seals m and posts it, as WeChat does when a user writes or enters the session.
func (p *Pusher) Post(ctx context.Context, m *push.Message) (*Result, error) {
	sealed, err := p.Seal(m)
	if err != nil {
		return nil, err
	}
	if p.opts.API != nil {
		if m.MsgType == push.TypeEvent {
			if m.Event == push.EventUserEnterTempSession {
				p.opts.API.UserEntered(m.FromUserName, p.opts.Now())
			}
		} else {
			p.opts.API.UserMessage(m.FromUserName, p.opts.Now())
		}
	}
	return p.Repost(ctx, sealed)
}

// Repost posts a push exactly as sealed before: WeChat's retry of a push it got no answer to.
func (p *Pusher) Repost(ctx context.Context, sealed push.Sealed) (*Result, error) {
	u := p.opts.URL + "?" + sealed.Query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(sealed.Body))
	if err != nil {
		return nil, fmt.Errorf("wxsim: %w", err)
	}
	// WeChat is known to send JSON pushes labelled text/xml; kefu must not care.
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	res, err := p.do(req)
	if err != nil {
		return nil, err
	}
	res.Sealed = sealed
	if res.Status == http.StatusOK && !res.Success {
		res.Answer, res.AnswerErr = p.sealer.OpenAnswer(res.Body)
	}
	return res, nil
}

// Verify plays the console's "提交": a GET with a signed echostr.
func (p *Pusher) Verify(ctx context.Context, echostr string) (*Result, error) {
	q, err := p.sealer.Verification(echostr, push.SealOptions{Time: p.opts.Now()})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.opts.URL+"?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("wxsim: %w", err)
	}
	return p.do(req)
}

func (p *Pusher) do(req *http.Request) (*Result, error) {
	start := time.Now()
	resp, err := p.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wxsim: %s %s: %w", req.Method, p.opts.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("wxsim: reading the answer: %w", err)
	}
	r := &Result{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: body, Duration: time.Since(start)}
	r.Success = r.Status == http.StatusOK && (len(body) == 0 || string(body) == push.Success)
	return r, nil
}
