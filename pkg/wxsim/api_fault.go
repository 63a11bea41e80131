package wxsim

import "time"

// fault is an injected errcode for the next times calls to a path.
type fault struct {
	code  int
	times int
}

// Fail makes the next times calls to path answer errcode (after the method and access-token
// checks, before the endpoint's own). Faults queue up: Fail(p, -1, 2) then Fail(p, 45047, 1)
// answers -1, -1, 45047. times <= 0 clears the queue of path.
func (a *API) Fail(path string, errcode, times int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if times <= 0 {
		delete(a.faults, path)
		return
	}
	a.faults[path] = append(a.faults[path], fault{code: errcode, times: times})
}

// popFault takes the next injected errcode for path. The caller holds a.mu.
func (a *API) popFault(path string) (int, bool) {
	q := a.faults[path]
	if len(q) == 0 {
		return 0, false
	}
	code := q[0].code
	if q[0].times--; q[0].times == 0 {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(a.faults, path)
	} else {
		a.faults[path] = q
	}
	return code, true
}

// Delay makes every call to path wait d before it is handled, or until the request's context
// ends (then nothing is answered). d <= 0 removes the delay.
func (a *API) Delay(path string, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if d <= 0 {
		delete(a.delays, path)
		return
	}
	a.delays[path] = d
}

// ExpireTokens makes every access token issued so far expired (42001), as if their two hours
// had passed; the next token request gets a new one.
func (a *API) ExpireTokens() {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.opt.Now()
	for _, t := range a.tokens {
		if now.Before(t.expires) {
			t.expires = now
		}
	}
}

// ExpireMedia makes every media_id issued so far expired (40007), as if their three days had
// passed.
func (a *API) ExpireMedia() {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.opt.Now()
	for _, it := range a.media {
		if now.Before(it.expires) {
			it.expires = now
		}
	}
}
