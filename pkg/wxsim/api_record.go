package wxsim

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Call is one request the fake received.
type Call struct {
	// Method and Path are the request's method and URL path.
	Method string
	Path   string
	// Query is the query string with access_token and secret redacted.
	Query string
	// Body is the JSON body as received (the secret of a token request redacted), or a
	// one-line summary of an upload. It is shared with the fake's records: do not modify it.
	Body []byte
	// ErrCode is the errcode answered (0 for success and non-JSON answers).
	ErrCode int
	// Status is the HTTP status answered, or 0 when the client went away first.
	Status int
	// Duration is how long the fake took to answer, injected delay included.
	Duration time.Duration
	// Time is when the call was recorded, by the API's clock.
	Time time.Time
}

// EventKind tells what an Event is.
type EventKind string

// The kinds of Event.
const (
	EventMessage EventKind = "message" // a message sent to the user
	EventTyping  EventKind = "typing"  // the typing state set or cleared
)

// Event is one step of a user's conversation as WeChat saw it.
type Event struct {
	// Seq orders events; it grows across all users and is never reused.
	Seq int
	// Time is when the fake accepted the call, by the API's clock.
	Time time.Time
	// OpenID is the user the event concerns.
	OpenID string
	// Path is the endpoint called (the plain or business variant).
	Path string
	Kind EventKind
	// Message is the message sent (EventMessage).
	Message *Message
	// Typing is true when typing was switched on, false when cancelled (EventTyping).
	Typing bool
	// Raw is the request body as received.
	Raw json.RawMessage
}

// addEvent appends e to u's conversation and wakes Wait. The caller holds a.mu.
func (a *API) addEvent(u *user, e Event) {
	a.seq++
	e.Seq = a.seq
	u.events = append(u.events, e)
	close(a.changed)
	a.changed = make(chan struct{})
}

// record keeps a Call.
func (a *API) record(r *http.Request, path string, body []byte, rep reply, start time.Time) {
	shown := body
	switch {
	case len(body) == 0:
		shown = nil
	case path == PathUpload:
		shown = uploadSummary(r.Header.Get("Content-Type"), body)
	case path == PathStableToken:
		shown = redactSecret(body)
	}
	c := Call{
		Method:   r.Method,
		Path:     path,
		Query:    redactQuery(r.URL.Query()),
		Body:     shown,
		ErrCode:  rep.code,
		Status:   rep.status,
		Duration: time.Since(start),
	}
	a.mu.Lock()
	c.Time = a.opt.Now()
	a.calls = append(a.calls, c)
	a.mu.Unlock()
}

// redactSecret returns a token request body with the secret's value replaced; a body that is
// not a JSON object is not shown at all, since it may hold the secret.
func redactSecret(body []byte) []byte {
	if len(body) == 0 {
		return body
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return []byte("(not a JSON object; not shown)")
	}
	if _, ok := m["secret"]; ok {
		m["secret"] = json.RawMessage(`"REDACTED"`)
	}
	out, _ := json.Marshal(m)
	return out
}

// Calls returns the calls received so far, oldest first.
func (a *API) Calls() []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Call(nil), a.calls...)
}

// Count returns how many requests arrived for path (counted on arrival, whatever the answer).
func (a *API) Count(path string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.counts[path]
}

// ForceRefreshes returns how many stable_token requests asked for force_refresh true.
func (a *API) ForceRefreshes() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.forceRefreshes
}

// Reset forgets the records (calls, counts, conversations, the force-refresh count) and the
// pending faults and delays. Issued tokens, media and the users' quota state stay, and Seq
// keeps growing.
func (a *API) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = nil
	a.counts = make(map[string]int)
	a.faults = make(map[string][]fault)
	a.delays = make(map[string]time.Duration)
	a.forceRefreshes = 0
	for _, u := range a.users {
		u.events = nil
	}
	close(a.changed)
	a.changed = make(chan struct{})
}

// Events returns openid's events with Seq greater than after, in order.
func (a *API) Events(openid string, after int) []Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.eventsLocked(openid, after)
}

func (a *API) eventsLocked(openid string, after int) []Event {
	u := a.users[openid]
	if u == nil {
		return nil
	}
	var out []Event
	for _, e := range u.events {
		if e.Seq > after {
			out = append(out, e)
		}
	}
	return out
}

// Wait returns openid's events after after as soon as there is at least one, or nil when ctx
// ends first (a long poll for the local chat page). It starts no goroutine.
func (a *API) Wait(ctx context.Context, openid string, after int) []Event {
	for {
		a.mu.Lock()
		evs := a.eventsLocked(openid, after)
		changed := a.changed
		a.mu.Unlock()
		if len(evs) > 0 {
			return evs
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil
		}
	}
}
