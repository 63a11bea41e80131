// Package wxapi is the client for the WeChat API calls a customer-service bot makes: the access
// token, customerServiceMessage.send, setTyping and the temporary image upload.
//
// A Client is the warm cache of the access token: one per process, safe for concurrent use. It
// fetches the token with getStableAccessToken (force_refresh false, so instances never
// invalidate one another), keeps it until 5 minutes before it expires, and shares one fetch
// among concurrent callers. When a call answers 40001, 40014 or 42001 it drops that token,
// fetches another and retries the call once, never more. It never asks for force_refresh.
// Config.TokenAPI = TokenClassic uses /cgi-bin/token instead: read its warning first.
//
// Retries. -1 and 45011 (WeChat answered and delivered nothing) are retried with back-off
// starting at most 100 ms, with jitter, doubling, while the context's deadline leaves time for
// one more call (the Client keeps a deliberately high estimate of how long its calls take),
// and at most 6 attempts in all. A transport failure after the request may have reached
// WeChat (a timeout, a reset after writing), a 5xx status or an unreadable answer is never
// retried for a send, because the message may have been delivered and sending it twice is
// worse than once too few; a failure to connect (nothing sent) is retried like -1. Uploads and
// stable token fetches are harmless to repeat and are retried after any transport failure or
// 5xx (a classic token fetch is not: each one invalidates the last).
// Typing is best effort: one attempt. Errors that can never succeed (45015, 45047, 40003,
// 48001, 47001, ...) are returned at once. Nothing waits past the context's deadline (a call
// whose context has none gets 30 seconds), and no goroutine outlives a call.
//
// Errors are *Error (an errcode or HTTP status) or *TransportError (no answer); match their
// kind with errors.Is against the Err variables. Neither the access token nor the AppSecret
// ever appears in an error, a log record or a Call.
package wxapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/kefuhq/kefu/internal/limited"
)

const (
	// maxAnswer is the largest answer body read; WeChat's JSON answers are a few hundred bytes.
	maxAnswer = 64 << 10
	// answerHint is the buffer an answer is first read into: WeChat's usual answer,
	// {"errcode":0,"errmsg":"ok"}, is 27 bytes.
	answerHint = 128
	// maxCallTime bounds a call, retries included, whose context has no deadline.
	maxCallTime = 30 * time.Second
)

// okAnswer is WeChat's usual success answer, recognised without decoding.
var okAnswer = []byte(`{"errcode":0,"errmsg":"ok"}`)

// Client calls the WeChat API. It is safe for concurrent use, and it is the warm cache of the
// access token: create one per process and keep it.
type Client struct {
	base       string
	appID      string
	secret     string
	classic    bool
	sendPath   string
	typingPath string
	sendURL    string // base + send path + "?access_token="
	typingURL  string
	uploadURL  string
	hc         *http.Client
	log        *slog.Logger
	now        func() time.Time
	onCall     func(Call)

	est atomic.Int64 // estimated duration of one call, in nanoseconds; 0 before the first
	tok tokenCache
}

// CloseIdleConnections closes the Client's idle keep-alive connections (and their
// goroutines). Calls still work afterwards; they open new connections.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// call is one logical API call, possibly made in several attempts.
type call struct {
	api         string // the path, for errors, logs and Call
	method      string
	url         string // the URL up to the token (auth) or the whole URL
	suffix      string // appended after the token
	body        []byte
	contentType string
	payload     []byte // what Call shows: body, or a redacted form of it
	auth        bool   // needs an access token
	replayable  bool   // harmless to repeat after a transport failure
	once        bool   // best effort: no back-off retries (the token retry still applies)
}

// answer is the part every JSON answer of the API has.
type answer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// do makes cl, retrying as the package documentation describes, and passes the body of a
// successful answer to decode (if not nil).
func (c *Client) do(ctx context.Context, cl *call, decode func(body []byte) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxCallTime)
		defer cancel()
	}
	backoff := maxFirstBackoff
	tokenRetried := false
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return &TransportError{API: cl.api, Err: err} // nothing sent
		}
		var tok string
		var gen uint64
		if cl.auth {
			var err error
			if tok, gen, err = c.token(ctx); err != nil {
				return err
			}
		}
		status, body, dur, err := c.roundTrip(ctx, cl, tok)
		code := 0
		if err == nil {
			c.observe(dur)
			code, err = c.check(cl.api, status, body)
			if err == nil && decode != nil {
				err = decode(body)
			}
		}
		c.report(ctx, cl, attempt, status, code, dur, err)
		if err == nil {
			return nil
		}

		retry := false
		switch {
		case cl.auth && isTokenCode(code):
			if tokenRetried {
				return err // never a second refresh for one call
			}
			tokenRetried = true
			c.dropToken(gen)
			if !c.timeLeft(ctx, 0) {
				return err
			}
			continue // at once: the next attempt fetches a token first
		case isBusyCode(code):
			retry = !cl.once
		case code == 0 && status >= 500:
			retry = cl.replayable
		case status == 0:
			var te *TransportError
			retry = ctx.Err() == nil && errors.As(err, &te) && (cl.replayable || !te.Sent && !cl.once)
		}
		if !retry || attempt >= maxAttempts {
			return err
		}
		d := jitter(backoff)
		backoff *= 2
		if !c.timeLeft(ctx, d) || !sleep(ctx, d) {
			return err
		}
	}
}

// roundTrip makes one HTTP attempt and reads the whole answer. An error is a *TransportError;
// an answer of any status is returned as it is.
func (c *Client) roundTrip(ctx context.Context, cl *call, tok string) (status int, body []byte, d time.Duration, err error) {
	u := cl.url
	if cl.auth {
		u = cl.url + url.QueryEscape(tok) + cl.suffix
	}
	var rd io.Reader = http.NoBody
	if cl.body != nil {
		rd = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, rd)
	if err != nil {
		// The message of a URL parse error quotes the URL; keep only the path.
		return 0, nil, 0, &TransportError{API: cl.api, Err: errors.New("cannot build the request for " + cl.api)}
	}
	if cl.contentType != "" {
		req.Header.Set("Content-Type", cl.contentType)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, time.Since(start), c.transportError(cl.api, err)
	}
	body, err = limited.Read(resp.Body, maxAnswer, answerHint)
	resp.Body.Close()
	d = time.Since(start)
	if err != nil {
		return 0, nil, d, c.transportError(cl.api, err)
	}
	return resp.StatusCode, body, d, nil
}

// transportError wraps a failure of the HTTP client, with the URL in it (which holds the
// access token, or the AppSecret for a classic token fetch) replaced by the path.
func (c *Client) transportError(api string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = c.base + api
	}
	return &TransportError{API: api, Sent: !notSent(err), Err: err}
}

// notSent reports whether err proves that nothing was sent: the connection was never made.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// check reads the errcode of an answer: 0 and nil for success, else the errcode (0 for
// HTTP-level failures) and an *Error.
func (c *Client) check(api string, status int, body []byte) (int, error) {
	if status != http.StatusOK {
		// The body of an error page is not shown: a proxy's page may echo the URL.
		return 0, &Error{API: api, Status: status, Msg: http.StatusText(status)}
	}
	if bytes.Equal(body, okAnswer) {
		return 0, nil
	}
	if len(body) > maxAnswer {
		return 0, &Error{API: api, Msg: "answer larger than 64 KiB"}
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return 0, &Error{API: api, Msg: "answer is not a JSON object"}
	}
	if a.ErrCode != 0 {
		return a.ErrCode, &Error{API: api, Code: a.ErrCode, Msg: a.ErrMsg}
	}
	return 0, nil
}

// report logs an attempt at debug level and passes it to OnCall.
func (c *Client) report(ctx context.Context, cl *call, attempt, status, code int, d time.Duration, err error) {
	if c.log.Enabled(ctx, slog.LevelDebug) {
		attrs := []slog.Attr{
			slog.String("api", cl.api),
			slog.Int("attempt", attempt),
			slog.Int("status", status),
			slog.Int("errcode", code),
			slog.Duration("duration", d),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "wechat api call", attrs...)
	}
	if c.onCall != nil {
		c.onCall(Call{API: cl.api, Attempt: attempt, Status: status, Code: code, Duration: d, Payload: cl.payload, Err: err})
	}
}
