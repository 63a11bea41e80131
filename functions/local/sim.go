package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// maxSimBody bounds the page's requests: an image of up to wxsim.MaxImageSize in base64,
// with room for the rest.
const maxSimBody = wxsim.MaxImageSize*4/3 + 64<<10

// pushSettings are the console settings a page action is pushed with.
type pushSettings struct {
	OpenID string `json:"openid"`
	// Mode is safe (the default), compatible or plaintext; Format is json (the default) or
	// xml.
	Mode   string `json:"mode"`
	Format string `json:"format"`
}

// enterRequest is the body of POST /sim/enter: the user taps a contact button.
type enterRequest struct {
	pushSettings
	SessionFrom string `json:"session_from"`
}

// sendRequest is the body of POST /sim/send: the user sends a text, an image or a
// mini-program card.
type sendRequest struct {
	pushSettings
	// Type is text, image or card.
	Type string `json:"type"`
	Text string `json:"text"`
	// Image is the image's bytes in standard base64 (a data: URL is accepted too).
	Image string `json:"image"`
	// Title and PagePath describe the card; empty means the demo mini program's home page.
	Title    string `json:"title"`
	PagePath string `json:"pagepath"`
}

// serveConfig answers GET /sim/config: what the page shows of the settings.
func (h *host) serveConfig(w http.ResponseWriter, r *http.Request) {
	var modes []string
	for _, m := range []push.Mode{push.Safe, push.Compatible, push.Plaintext} {
		if h.pushers[pusherKey{m, push.JSON}] != nil {
			modes = append(modes, m.String())
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"appid":              h.cfg.AppID,
		"original_id":        h.pushers[pusherKey{push.Plaintext, push.JSON}].Options().OriginalID,
		"function_url":       h.baseURL + functionPath,
		"api_base":           h.cfg.APIBase,
		"api_simulated":      h.cfg.APIBase == simAPIBase(h.baseURL),
		"rules":              h.app.Rules.Name(),
		"modes":              modes,
		"mode":               modes[0],
		"format":             push.JSON.String(),
		"require_encryption": h.cfg.RequireEncryption,
	})
}

// serveEnter answers POST /sim/enter: it pushes the user_enter_tempsession event of a
// button's session-from, and answers with the exchange.
func (h *host) serveEnter(w http.ResponseWriter, r *http.Request) {
	var req enterRequest
	if !readJSON(w, r, &req) {
		return
	}
	key, err := h.settings(req.pushSettings)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	h.push(w, r, req.OpenID, "enter", key, func(p *wxsim.Pusher) (*push.Message, error) {
		return p.Enter(req.OpenID, req.SessionFrom), nil
	})
}

// serveSend answers POST /sim/send: it pushes a message from the user, and answers with the
// exchange.
func (h *host) serveSend(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	if !readJSON(w, r, &req) {
		return
	}
	key, err := h.settings(req.pushSettings)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	var build func(p *wxsim.Pusher) (*push.Message, error)
	switch req.Type {
	case "text":
		if req.Text == "" {
			httpError(w, http.StatusBadRequest, errors.New("empty text"))
			return
		}
		build = func(p *wxsim.Pusher) (*push.Message, error) { return p.Text(req.OpenID, req.Text), nil }
	case "image":
		data, ct, err := decodeImage(req.Image)
		if err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		build = func(p *wxsim.Pusher) (*push.Message, error) {
			// The user's image stays with the host: the push carries its URL (PicUrl) and an
			// id in place of WeChat's MediaId.
			id := h.journal.addImage(data, ct)
			return p.Image(req.OpenID, h.baseURL+"/sim/media/"+id, id), nil
		}
	case "card":
		title, path := req.Title, req.PagePath
		if title == "" {
			title = "kefu 示例小程序"
		}
		if path == "" {
			path = "pages/index/index"
		}
		build = func(p *wxsim.Pusher) (*push.Message, error) {
			return p.Card(req.OpenID, title, h.cfg.AppID, path), nil
		}
	default:
		httpError(w, http.StatusBadRequest, fmt.Errorf("type %q: want text, image or card", req.Type))
		return
	}
	h.push(w, r, req.OpenID, req.Type, key, build)
}

// settings checks a page action's user and console settings and returns its pusher's key.
func (h *host) settings(s pushSettings) (pusherKey, error) {
	if !validOpenID(s.OpenID) {
		return pusherKey{}, fmt.Errorf("openid %q: want 1 to 64 of A-Z a-z 0-9 _ -", s.OpenID)
	}
	key := pusherKey{push.Safe, push.JSON}
	if s.Mode != "" {
		m, err := push.ParseMode(s.Mode)
		if err != nil {
			return pusherKey{}, err
		}
		key.mode = m
	}
	switch s.Format {
	case "", "json":
	case "xml":
		key.format = push.XML
	default:
		return pusherKey{}, fmt.Errorf("format %q: want json or xml", s.Format)
	}
	if h.pushers[key] == nil {
		return pusherKey{}, fmt.Errorf("%s mode needs WECHAT_ENCODING_AES_KEY", key.mode)
	}
	return key, nil
}

// push builds a push with the pusher of key, posts it to the function over HTTP as WeChat
// does, and answers with the exchange it made: the push as sent, the function's answer,
// kefu's report and the WeChat API calls kefu made meanwhile.
func (h *host) push(w http.ResponseWriter, r *http.Request, openid, action string, key pusherKey, build func(*wxsim.Pusher) (*push.Message, error)) {
	p := h.pushers[key]
	m, err := build(p)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	id := newExchangeID()
	h.journal.begin(&exchange{ID: id, OpenID: openid, Time: time.Now(), Action: action, Mode: key.mode, Format: key.format, Message: m})
	// WeChat finishes a push whatever the user does next: the page going away does not
	// cancel it (the pusher's own 5-second timeout bounds it).
	ctx := withExchange(context.WithoutCancel(r.Context()), id)
	res, err := p.Post(ctx, m)
	h.journal.finish(id, res, err, h.lastSeq(openid))
	if err != nil {
		h.log.Warn("simulator: the push got no answer", "exchange", id, "err", err)
	}
	h.trimSimulator()
	e, _ := h.journal.get(id)
	writeJSON(w, http.StatusOK, h.exchangeView(&e))
}

// serveVerify answers POST /sim/verify: the console's 提交 button, a GET with a signed
// echostr, and whether the function echoed it.
func (h *host) serveVerify(w http.ResponseWriter, r *http.Request) {
	p := h.pushers[pusherKey{push.Plaintext, push.JSON}]
	n, err := rand.Int(rand.Reader, big.NewInt(1e18))
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	echostr := n.String()
	res, err := p.Verify(context.WithoutCancel(r.Context()), echostr)
	if err != nil {
		httpError(w, http.StatusBadGateway, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"echostr":     echostr,
		"status":      res.Status,
		"body":        string(res.Body),
		"ok":          res.Status == http.StatusOK && string(res.Body) == echostr,
		"duration_ms": ms(res.Duration),
	})
}

// serveEvents answers GET /sim/events?openid=&after=: a long poll for what WeChat delivered
// to the user after sequence number after (messages, typing), at most pollTimeout long.
func (h *host) serveEvents(w http.ResponseWriter, r *http.Request) {
	openid := r.URL.Query().Get("openid")
	if !validOpenID(openid) {
		httpError(w, http.StatusBadRequest, errors.New("bad openid"))
		return
	}
	after, err := strconv.Atoi(r.URL.Query().Get("after"))
	if err != nil || after < 0 {
		httpError(w, http.StatusBadRequest, errors.New("after: want a sequence number"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), pollTimeout)
	defer cancel()
	stop := context.AfterFunc(h.life, cancel) // a shutdown ends the poll at once
	defer stop()
	evs := h.api.Wait(ctx, openid, after)
	out := struct {
		Events []eventView `json:"events"`
		Next   int         `json:"next"`
	}{Events: []eventView{}, Next: after}
	for _, e := range evs {
		out.Events = append(out.Events, eventOf(e))
		out.Next = max(out.Next, e.Seq)
	}
	writeJSON(w, http.StatusOK, out)
}

// serveHistory answers GET /sim/history?openid=: the user's latest exchanges and what WeChat
// delivered meanwhile, in order, for a page that was reloaded.
func (h *host) serveHistory(w http.ResponseWriter, r *http.Request) {
	openid := r.URL.Query().Get("openid")
	if !validOpenID(openid) {
		httpError(w, http.StatusBadRequest, errors.New("bad openid"))
		return
	}
	exs := h.journal.forUser(openid, maxHistory)
	evs := h.api.Events(openid, 0)
	type item struct {
		Kind     string        `json:"kind"` // user or event
		Time     time.Time     `json:"time"`
		Exchange *exchangeView `json:"exchange,omitempty"`
		Event    *eventView    `json:"event,omitempty"`
	}
	var items []item
	var since time.Time
	if len(exs) == maxHistory {
		since = exs[0].Time // older messages of the user are gone: so are their replies
	}
	for i := range exs {
		v := h.exchangeView(&exs[i])
		items = append(items, item{Kind: "user", Time: exs[i].Time, Exchange: &v})
	}
	next := 0
	for _, e := range evs {
		next = max(next, e.Seq)
		if e.Time.Before(since) {
			continue
		}
		v := eventOf(e)
		items = append(items, item{Kind: "event", Time: e.Time, Event: &v})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Time.Before(items[j].Time) })
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": next})
}

// serveExchange answers GET /sim/exchanges/{id}: one exchange, for the panel.
func (h *host) serveExchange(w http.ResponseWriter, r *http.Request) {
	e, ok := h.journal.get(r.PathValue("id"))
	if !ok {
		httpError(w, http.StatusNotFound, errors.New("no such exchange (the host keeps the latest ones)"))
		return
	}
	writeJSON(w, http.StatusOK, h.exchangeView(&e))
}

// serveMedia answers GET /sim/media/{id}: the bytes of a temporary media WeChat received from
// kefu (an image, a card's thumbnail), or of an image a user sent.
func (h *host) serveMedia(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	data, ct, ok := h.journal.image(id)
	if !ok {
		data, ct, ok = h.api.Media(id)
	}
	if !ok {
		httpError(w, http.StatusNotFound, errors.New("no such media (expired, or from before a restart)"))
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}

// lastSeq returns the sequence number of openid's latest conversation step, or 0.
func (h *host) lastSeq(openid string) int {
	evs := h.api.Events(openid, 0)
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Seq
}

// trimSimulator makes the simulated API forget its records once they grow past resetCalls
// (it keeps every call and conversation step until then). Issued tokens and media stay.
func (h *host) trimSimulator() {
	n := 0
	for _, p := range []string{wxsim.PathStableToken, wxsim.PathToken, wxsim.PathSend, wxsim.PathBusinessSend,
		wxsim.PathTyping, wxsim.PathBusinessTyping, wxsim.PathUpload, wxsim.PathMediaGet} {
		n += h.api.Count(p)
	}
	if n > resetCalls {
		h.log.Info("simulator: forgetting old records", "calls", n)
		h.api.Reset()
	}
}

// decodeImage reads the base64 image of a send request (a data: URL is accepted) and checks
// it is a JPEG, PNG or GIF within WeChat's size limit.
func decodeImage(s string) ([]byte, string, error) {
	if strings.HasPrefix(s, "data:") {
		_, rest, ok := strings.Cut(s, ",")
		if !ok {
			return nil, "", errors.New("image: a data URL without data")
		}
		s = rest
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, "", fmt.Errorf("image: not base64: %w", err)
	}
	if len(data) == 0 {
		return nil, "", errors.New("image: empty")
	}
	if len(data) > wxsim.MaxImageSize {
		return nil, "", fmt.Errorf("image: %d bytes, more than WeChat's %d", len(data), wxsim.MaxImageSize)
	}
	ct := http.DetectContentType(data)
	switch ct {
	case "image/jpeg", "image/png", "image/gif":
		return data, ct, nil
	}
	return nil, "", fmt.Errorf("image: %s; want JPEG, PNG or GIF", ct)
}

// validOpenID reports whether s can be an OpenID: 1 to 64 of A-Z a-z 0-9 _ -.
func validOpenID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// readJSON decodes the request's JSON body into v, answering 400 or 413 itself when it
// cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSimBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		status := http.StatusBadRequest
		if errors.As(err, new(*http.MaxBytesError)) {
			status = http.StatusRequestEntityTooLarge
		}
		httpError(w, status, fmt.Errorf("request body: %w", err))
		return false
	}
	return true
}

// writeJSON answers v as JSON, with <, > and & left as they are (the page escapes what it
// shows).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// httpError answers {"error": "..."} with status.
func httpError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// ms returns d in milliseconds, to a tenth.
func ms(d time.Duration) float64 {
	return float64(d.Microseconds()/100) / 10
}
