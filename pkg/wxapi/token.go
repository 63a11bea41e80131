package wxapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// tokenMargin is how long before its expiry a cached token is replaced. getStableAccessToken
// hands out a new token when less than 5 minutes remain, and old and new overlap for 5 minutes.
const tokenMargin = 5 * time.Minute

// tokenCache is the Client's warm token: the token, a generation that counts fetches (so that
// "drop this token" drops only the fetch that produced it, even when the stable API hands the
// same string out again), and the fetch in flight, which concurrent callers share.
type tokenCache struct {
	mu        sync.Mutex
	tok       string
	gen       uint64
	refreshAt time.Time
	flight    *tokenFlight
}

// tokenFlight is a token fetch that callers wait for; done closes when the result is set.
type tokenFlight struct {
	done chan struct{}
	tok  string
	gen  uint64
	err  error
}

// Token returns a valid access token: the cached one, or a new one fetched with the Client's
// token API (force_refresh is never set). Concurrent callers share one fetch; a caller whose
// ctx ends stops waiting and gets ctx's error. Errors matching ErrConfig mean WeChat refused
// the AppID or AppSecret.
func (c *Client) Token(ctx context.Context) (string, error) {
	tok, _, err := c.token(ctx)
	return tok, err
}

// token is Token with the token's generation, for dropToken.
func (c *Client) token(ctx context.Context) (string, uint64, error) {
	for {
		c.tok.mu.Lock()
		if c.tok.tok != "" && c.now().Before(c.tok.refreshAt) {
			tok, gen := c.tok.tok, c.tok.gen
			c.tok.mu.Unlock()
			return tok, gen, nil
		}
		if f := c.tok.flight; f != nil {
			c.tok.mu.Unlock()
			select {
			case <-f.done:
				if f.err != nil && ctx.Err() == nil && isContextError(f.err) {
					continue // the caller that fetched gave up; fetch for ourselves
				}
				return f.tok, f.gen, f.err
			case <-ctx.Done():
				return "", 0, &TransportError{API: c.tokenAPI(), Err: ctx.Err()}
			}
		}
		f := &tokenFlight{done: make(chan struct{})}
		c.tok.flight = f
		c.tok.mu.Unlock()
		c.fetchInto(ctx, f)
		return f.tok, f.gen, f.err
	}
}

// fetchInto fetches a token for flight f, caches it, and releases f's waiters, even if the
// fetch panics.
func (c *Client) fetchInto(ctx context.Context, f *tokenFlight) {
	f.err = errors.New("wxapi: token fetch did not finish")
	var refreshAt time.Time
	defer func() {
		c.tok.mu.Lock()
		c.tok.flight = nil
		if f.err == nil {
			c.tok.gen++
			c.tok.tok = f.tok
			c.tok.refreshAt = refreshAt
			f.gen = c.tok.gen
		}
		c.tok.mu.Unlock()
		close(f.done)
	}()
	start := c.now()
	tok, keep, err := c.fetchToken(ctx)
	refreshAt = start.Add(keep)
	f.tok, f.err = tok, err
}

// tokenAPI returns the path of the Client's token API.
func (c *Client) tokenAPI() string {
	if c.classic {
		return pathClassicToken
	}
	return pathStableToken
}

// dropToken forgets the cached token if it is still the one of generation gen.
func (c *Client) dropToken(gen uint64) {
	c.tok.mu.Lock()
	if c.tok.gen == gen {
		c.tok.tok = ""
	}
	c.tok.mu.Unlock()
}

// isContextError reports whether err comes from a context ending.
func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// stableTokenRequest is the body of getStableAccessToken. ForceRefresh is always false and
// always written: force_refresh true invalidates every other instance's token and is limited
// to 20 a day.
type stableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

// tokenAnswer is the successful answer of both token APIs.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// fetchToken asks WeChat for a token and returns it with how long to keep it.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	var cl *call
	if c.classic {
		q := "grant_type=client_credential&appid=" + url.QueryEscape(c.appID) + "&secret="
		cl = &call{
			api:     pathClassicToken,
			method:  http.MethodGet,
			url:     c.base + pathClassicToken + "?" + q + url.QueryEscape(c.secret),
			payload: []byte("GET " + pathClassicToken + "?" + q + "REDACTED"),
			// Every fetch invalidates the previous token, so only a failure to connect is
			// repeated.
		}
	} else {
		body, err := json.Marshal(stableTokenRequest{GrantType: "client_credential", AppID: c.appID, Secret: c.secret})
		if err != nil {
			return "", 0, err
		}
		shown, _ := json.Marshal(stableTokenRequest{GrantType: "client_credential", AppID: c.appID, Secret: "REDACTED"})
		cl = &call{
			api:         pathStableToken,
			method:      http.MethodPost,
			url:         c.base + pathStableToken,
			body:        body,
			contentType: "application/json",
			payload:     shown,
			replayable:  true, // force_refresh false: asking again changes nothing
		}
	}
	var a tokenAnswer
	err := c.do(ctx, cl, func(body []byte) error {
		if err := json.Unmarshal(body, &a); err != nil || a.AccessToken == "" || a.ExpiresIn <= 0 {
			return &Error{API: cl.api, Msg: "answer holds no access_token and expires_in"}
		}
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	life := time.Duration(a.ExpiresIn) * time.Second
	keep := life - tokenMargin
	if keep < life/2 {
		keep = life / 2 // a token with less than 10 minutes left: keep it half its life
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "fetched access token", slog.String("api", cl.api), slog.Int64("expires_in", a.ExpiresIn))
	return a.AccessToken, keep, nil
}
