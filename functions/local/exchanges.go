package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"sync"
	"time"

	"github.com/kefuhq/kefu/pkg/kefu"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// Bounds of the host's memory: everything it keeps is a ring that drops the oldest.
const (
	maxExchanges       = 256 // exchanges kept for the panel and the history
	maxCallsPerRequest = 32  // WeChat API calls kept per exchange
	maxUserImages      = 16  // images users sent from the page
	maxHistory         = 60  // exchanges a reloaded page gets back
	// resetCalls is how many WeChat API calls the simulator records before the host makes it
	// forget its records (wxsim.API keeps every call and conversation step until Reset).
	resetCalls = 20000
)

// exchange is one push and everything it caused: the push as the simulator sealed and
// posted it, the function's answer, kefu's report and the WeChat API calls kefu made while
// handling it. Pushes that did not come from the page (a `kefu push`, curl) are exchanges
// too, with only the report and the calls.
type exchange struct {
	ID     string
	OpenID string
	Time   time.Time
	// Action is what the user did: enter, text, image or card; empty for pushes from
	// elsewhere.
	Action string
	Mode   push.Mode
	Format push.Format
	// Message is the push's plaintext message as the simulator built it (nil from elsewhere).
	Message *push.Message
	// Result is the function's answer as the simulator read it (nil from elsewhere).
	Result *wxsim.Result
	// Seq is the sequence number of the user's latest conversation step once the function
	// answered: the replies this push caused are at or before it.
	Seq int
	// PostErr says why the push could not be posted at all.
	PostErr string
	Report  *kefu.Report
	Calls   []apiCall
	// DroppedCalls counts calls beyond maxCallsPerRequest.
	DroppedCalls int
}

// apiCall is one HTTP request kefu made to the WeChat API, as the host's transport saw it.
type apiCall struct {
	Time     time.Time
	Method   string
	Path     string
	Query    string // access_token and secret redacted
	Payload  []byte // the body sent, secrets redacted; an upload is summarised
	Status   int    // 0: no answer
	ErrCode  int
	Response []byte // the answer body (JSON), or a summary of a binary one
	Duration time.Duration
	Err      string
}

// userImage is an image a user sent from the page: the bytes a push's PicUrl points at.
type userImage struct {
	id          string
	data        []byte
	contentType string
}

// journal keeps the exchanges and the users' images in rings. It is safe for concurrent
// use.
type journal struct {
	mu     sync.Mutex
	order  []string // exchange IDs, oldest first, at most maxExchanges
	byID   map[string]*exchange
	images []userImage // oldest first, at most maxUserImages
}

func newJournal() *journal {
	return &journal{byID: make(map[string]*exchange)}
}

// getOrAdd returns the exchange with id, adding it (and dropping the oldest beyond the
// bound) when it is new. The caller holds j.mu.
func (j *journal) getOrAdd(id string) *exchange {
	if e := j.byID[id]; e != nil {
		return e
	}
	e := &exchange{ID: id}
	j.byID[id] = e
	j.order = append(j.order, id)
	if len(j.order) > maxExchanges {
		old := j.order[0]
		j.order = j.order[1:]
		delete(j.byID, old)
	}
	return e
}

// begin records an exchange the page starts, before its push is posted.
func (j *journal) begin(e *exchange) {
	j.mu.Lock()
	defer j.mu.Unlock()
	x := j.getOrAdd(e.ID)
	x.OpenID, x.Time, x.Action, x.Mode, x.Format, x.Message = e.OpenID, e.Time, e.Action, e.Mode, e.Format, e.Message
}

// finish records the simulator's view of the exchange once the function has answered.
func (j *journal) finish(id string, res *wxsim.Result, postErr error, seq int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e := j.getOrAdd(id)
	e.Result, e.Seq = res, seq
	if postErr != nil {
		e.PostErr = postErr.Error()
	}
}

// observe records kefu's report of a request (app.Options.Observe).
func (j *journal) observe(r *kefu.Report) {
	if r.Method != "POST" {
		return // URL verifications are no exchange
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	e := j.getOrAdd(r.ID)
	e.Report = r
	if e.OpenID == "" {
		e.OpenID, e.Time = r.User, r.Arrived
	}
}

// addCall records an API call made while handling exchange id.
func (j *journal) addCall(id string, c apiCall) {
	if id == "" {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	e := j.getOrAdd(id)
	if len(e.Calls) >= maxCallsPerRequest {
		e.DroppedCalls++
		return
	}
	e.Calls = append(e.Calls, c)
}

// get returns a copy of the exchange with id, or false. The copy shares the report and the
// byte slices, which are never modified once recorded.
func (j *journal) get(id string) (exchange, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e := j.byID[id]
	if e == nil {
		return exchange{}, false
	}
	c := *e
	c.Calls = append([]apiCall(nil), e.Calls...)
	return c, true
}

// forUser returns copies of openid's latest exchanges that the page started, oldest first,
// at most max.
func (j *journal) forUser(openid string, max int) []exchange {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []exchange
	for i := len(j.order) - 1; i >= 0 && len(out) < max; i-- {
		e := j.byID[j.order[i]]
		if e.OpenID != openid || e.Message == nil {
			continue
		}
		c := *e
		c.Calls = append([]apiCall(nil), e.Calls...)
		out = append(out, c)
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out
}

// addImage keeps an image a user sent and returns its id.
func (j *journal) addImage(data []byte, contentType string) string {
	id := "u_" + randomToken(24)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.images = append(j.images, userImage{id: id, data: data, contentType: contentType})
	if len(j.images) > maxUserImages {
		j.images = j.images[1:]
	}
	return id
}

// image returns an image a user sent, or false.
func (j *journal) image(id string) ([]byte, string, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, im := range j.images {
		if im.id == id {
			return im.data, im.contentType, true
		}
	}
	return nil, "", false
}

// exchangeKey is the context key of the exchange a request belongs to.
type exchangeKey struct{}

// withExchange returns ctx tagged with exchange id.
func withExchange(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, exchangeKey{}, id)
}

// exchangeOf returns the exchange ctx is tagged with, or "".
func exchangeOf(ctx context.Context) string {
	id, _ := ctx.Value(exchangeKey{}).(string)
	return id
}

// newExchangeID returns a fresh exchange id.
func newExchangeID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// randomToken returns n random bytes in unpadded URL-safe base64.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
