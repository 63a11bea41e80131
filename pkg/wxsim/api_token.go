package wxsim

import (
	"net/http"
	"time"
)

// Token rules (getAccessToken and getStableAccessToken documentation):
//   - stable_token with force_refresh false returns the same token while more than 5 minutes
//     of it remain, then a new one; the old one lives on until its own expiry (the overlap).
//   - stable_token with force_refresh true makes a new token and kills the previous one at
//     once, at most once per 30 s (a call within 30 s of the last refresh returns the current
//     token); every such request is counted (ForceRefreshes).
//   - /cgi-bin/token issues a new token on every call; the previous one dies 5 minutes later.
//   - the two APIs are isolated: neither touches the other's tokens.
const (
	stableRenewWithin = 5 * time.Minute
	classicOverlap    = 5 * time.Minute
	forceRefreshGap   = 30 * time.Second
)

// stableRequest is the body of getStableAccessToken; pointers tell absent from empty.
type stableRequest struct {
	GrantType    *string `json:"grant_type"`
	AppID        *string `json:"appid"`
	Secret       *string `json:"secret"`
	ForceRefresh *bool   `json:"force_refresh"`
}

// tokenAnswer is the answer of both token APIs.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// stableToken answers POST /cgi-bin/stable_token (JSON body only).
func (a *API) stableToken(r *http.Request, body []byte, now time.Time) reply {
	if len(body) == 0 {
		return a.fail(44002)
	}
	var req stableRequest
	if err := decodeStrict(body, &req); err != nil {
		return a.fail(47001)
	}
	if code := a.checkCredentials(deref(req.GrantType), deref(req.AppID), deref(req.Secret), 40125); code != 0 {
		return a.fail(code)
	}
	cur := a.stable
	live := cur != nil && cur.revoked.IsZero() && now.Before(cur.expires)
	if req.ForceRefresh != nil && *req.ForceRefresh {
		a.forceRefreshes++
		if live && !a.lastForce.IsZero() && now.Sub(a.lastForce) < forceRefreshGap {
			return a.tokenReply(cur, now)
		}
		a.lastForce = now
		if live {
			cur.revoked = now
		}
		a.stable = a.issue(now)
		return a.tokenReply(a.stable, now)
	}
	if live && cur.expires.Sub(now) > stableRenewWithin {
		return a.tokenReply(cur, now)
	}
	a.stable = a.issue(now)
	return a.tokenReply(a.stable, now)
}

// classicToken answers GET /cgi-bin/token?grant_type=client_credential&appid=&secret=.
func (a *API) classicToken(r *http.Request, _ []byte, now time.Time) reply {
	q := r.URL.Query()
	// getAccessToken documents 40001 for a wrong AppSecret (stable_token answers 40125).
	if code := a.checkCredentials(q.Get("grant_type"), q.Get("appid"), q.Get("secret"), 40001); code != 0 {
		return a.fail(code)
	}
	if prev := a.classic; prev != nil {
		dies := now.Add(classicOverlap)
		if prev.revoked.IsZero() || dies.Before(prev.revoked) {
			prev.revoked = dies
		}
	}
	a.classic = a.issue(now)
	return a.tokenReply(a.classic, now)
}

// checkCredentials returns the errcode for a token request's grant type and credentials, with
// badSecret as the code for a wrong AppSecret, or 0.
func (a *API) checkCredentials(grantType, appID, secret string, badSecret int) int {
	switch {
	case grantType != "client_credential":
		return 40002
	case appID == "":
		return 41002
	case secret == "":
		return 41004
	case appID != a.opt.AppID:
		return 40013
	case secret != a.opt.AppSecret:
		return badSecret
	}
	return 0
}

// issue makes a new token valid for TokenTTL.
func (a *API) issue(now time.Time) *token {
	t := &token{value: newID(96), expires: now.Add(a.opt.TokenTTL)}
	a.tokens[t.value] = t
	return t
}

// tokenReply answers t with its remaining life in whole seconds.
func (a *API) tokenReply(t *token, now time.Time) reply {
	return ok(tokenAnswer{AccessToken: t.value, ExpiresIn: int64(t.expires.Sub(now) / time.Second)})
}

// deref returns *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
