package wxsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// The API paths the fake answers.
const (
	PathStableToken    = "/cgi-bin/stable_token"
	PathToken          = "/cgi-bin/token"
	PathSend           = "/cgi-bin/message/custom/send"
	PathBusinessSend   = "/cgi-bin/message/custom/business/send"
	PathTyping         = "/cgi-bin/message/custom/typing"
	PathBusinessTyping = "/cgi-bin/message/custom/business/typing"
	PathUpload         = "/cgi-bin/media/upload"
	PathMediaGet       = "/cgi-bin/media/get"
)

// APIOptions configures an API. AppID and AppSecret are what the token APIs accept.
type APIOptions struct {
	AppID     string
	AppSecret string
	// TokenTTL is an access token's life: 7200 s unless set.
	TokenTTL time.Duration
	// MediaTTL is a media_id's life: 3 days unless set.
	MediaTTL time.Duration
	// Now tells the time for tokens, media, quotas and records; time.Now unless set.
	Now func() time.Time
	// EnforceQuota turns on the reply window and count (45015, 45047) and the typing rule
	// (45080), driven by UserMessage and UserEntered. Off, every well-formed send succeeds.
	EnforceQuota bool
}

// API is a fake of api.weixin.qq.com. Serve it with ServeHTTP (wrap it in httptest.NewServer,
// or mount it on a server). It is safe for concurrent use.
type API struct {
	opt APIOptions

	mu             sync.Mutex
	tokens         map[string]*token
	stable         *token // the current stable token
	classic        *token // the newest classic token
	lastForce      time.Time
	forceRefreshes int
	media          map[string]*mediaItem
	users          map[string]*user
	seq            int
	rid            uint64
	calls          []Call
	counts         map[string]int
	faults         map[string][]fault
	delays         map[string]time.Duration
	changed        chan struct{} // closed and replaced when an event is added
}

// token is an issued access token. A token dies at expires (42001) or, when another replaced
// it, at revoked (40001, "not latest").
type token struct {
	value   string
	expires time.Time
	revoked time.Time // zero: not revoked
}

// NewAPI returns a fake WeChat API.
func NewAPI(opt APIOptions) *API {
	if opt.TokenTTL <= 0 {
		opt.TokenTTL = 7200 * time.Second
	}
	if opt.MediaTTL <= 0 {
		opt.MediaTTL = 72 * time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &API{
		opt:     opt,
		tokens:  make(map[string]*token),
		media:   make(map[string]*mediaItem),
		users:   make(map[string]*user),
		counts:  make(map[string]int),
		faults:  make(map[string][]fault),
		delays:  make(map[string]time.Duration),
		changed: make(chan struct{}),
	}
}

// Limits of request bodies.
const (
	maxJSONBody   = 1 << 20
	maxUploadBody = 12 << 20
)

// reply is an answer, with the errcode it carries for the records.
type reply struct {
	status      int // 200 unless set
	code        int
	body        []byte
	contentType string
	filename    string // media/get: the Content-Disposition filename
}

// ServeHTTP answers one API call as WeChat would.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	path := r.URL.Path
	a.mu.Lock()
	a.counts[path]++
	delay := a.delays[path]
	a.mu.Unlock()

	limit := int64(maxJSONBody)
	if path == PathUpload {
		limit = maxUploadBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	// The delay comes after the body is read: only then does the server watch the connection,
	// so that a client giving up ends the request's context.
	if delay > 0 && !wait(r.Context(), delay) {
		a.record(r, path, body, reply{}, start) // the client went away
		return
	}
	var rep reply
	switch {
	case errors.As(err, new(*http.MaxBytesError)):
		code := 47001
		if path == PathUpload {
			code = 45001
		}
		a.mu.Lock()
		rep = a.fail(code)
		a.mu.Unlock()
	case err != nil:
		a.record(r, path, body, reply{}, start)
		return
	default:
		rep = a.handle(r, path, body)
	}
	h := w.Header()
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	if rep.contentType == "" {
		rep.contentType = "application/json; encoding=utf-8"
	}
	h.Set("Content-Type", rep.contentType)
	if rep.filename != "" {
		h.Set("Content-Disposition", `attachment; filename="`+rep.filename+`"`)
	}
	h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	w.WriteHeader(rep.status)
	w.Write(rep.body)
	a.record(r, path, body, rep, start)
}

// handle routes a call: method, access token, injected faults, then the endpoint's own checks.
func (a *API) handle(r *http.Request, path string, body []byte) reply {
	type endpoint struct {
		method string
		auth   bool
		serve  func(r *http.Request, body []byte, now time.Time) reply
	}
	var ep endpoint
	switch path {
	case PathStableToken:
		ep = endpoint{http.MethodPost, false, a.stableToken}
	case PathToken:
		ep = endpoint{http.MethodGet, false, a.classicToken}
	case PathSend, PathBusinessSend:
		ep = endpoint{http.MethodPost, true, a.send}
	case PathTyping, PathBusinessTyping:
		ep = endpoint{http.MethodPost, true, a.typing}
	case PathUpload:
		ep = endpoint{http.MethodPost, true, a.upload}
	case PathMediaGet:
		ep = endpoint{http.MethodGet, true, a.mediaGet}
	default:
		return reply{status: http.StatusNotFound, body: []byte("404 page not found\n"), contentType: "text/plain; charset=utf-8"}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.opt.Now()
	if r.Method != ep.method {
		if ep.method == http.MethodPost {
			return a.fail(43002)
		}
		return a.fail(43001)
	}
	if ep.auth {
		if code := a.checkToken(r.URL.Query().Get("access_token"), now); code != 0 {
			return a.fail(code)
		}
	}
	if code, ok := a.popFault(path); ok {
		return a.fail(code)
	}
	return ep.serve(r, body, now)
}

// checkToken returns 0 for a valid access token, else the errcode WeChat answers.
func (a *API) checkToken(v string, now time.Time) int {
	if v == "" {
		return 41001
	}
	t := a.tokens[v]
	switch {
	case t == nil:
		return 40001
	case !t.revoked.IsZero() && !now.Before(t.revoked):
		return 40001
	case !now.Before(t.expires):
		return 42001
	}
	return 0
}

// errmsgs are the errmsg texts the fake answers, as WeChat words them where known.
var errmsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40004: "invalid media type",
	40007: "invalid media_id",
	40009: "invalid image size",
	40013: "invalid appid",
	40014: "invalid access_token",
	40125: "invalid appsecret",
	41001: "access_token missing",
	41002: "appid missing",
	41004: "appsecret missing",
	41005: "media data missing",
	41006: "media_id missing",
	42001: "access_token expired",
	43001: "require GET method",
	43002: "require POST method",
	44001: "empty media data",
	44002: "empty post data",
	44004: "empty content",
	45001: "media size out of limit",
	45002: "content size out of limit",
	45009: "reach max api daily quota limit",
	45011: "api minute-quota reach limit",
	45015: "response out of time limit or subscription is canceled",
	45047: "out of response count limit",
	45072: "command invalid",
	45080: "need interaction in last 30 seconds",
	45081: "already typing",
	45162: "invalid type",
	47001: "data format error",
	48001: "api unauthorized",
}

// fail returns the answer for errcode code, with a request id as WeChat appends one. The
// caller holds a.mu.
func (a *API) fail(code int) reply {
	msg, ok := errmsgs[code]
	if !ok {
		msg = "injected error"
	}
	a.rid++
	body, _ := json.Marshal(struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}{code, fmt.Sprintf("%s rid: wxsim-%06d", msg, a.rid)})
	return reply{code: code, body: body}
}

// ok returns a successful JSON answer.
func ok(v any) reply {
	body, err := json.Marshal(v)
	if err != nil {
		panic(err) // the fake's own types always marshal
	}
	return reply{body: body}
}

// okBody is the answer of a successful send or typing.
var okBody = []byte(`{"errcode":0,"errmsg":"ok"}`)

// decodeStrict decodes one JSON value into v, refusing unknown fields and trailing data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// newID returns n random bytes in unpadded URL-safe base64, like WeChat's tokens and
// media_ids.
func newID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// wait sleeps d or until ctx ends; it reports whether it slept the whole time.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// redactQuery returns the query with the values of access_token and secret replaced.
func redactQuery(q url.Values) string {
	for _, k := range []string{"access_token", "secret"} {
		if _, ok := q[k]; ok {
			q.Set(k, "REDACTED")
		}
	}
	return q.Encode()
}
