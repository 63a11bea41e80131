package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// The JSON the page reads. Times are RFC 3339, durations milliseconds.

// chatMessage is one bubble of the chat: what the user sent, or what WeChat delivered.
type chatMessage struct {
	// Type is text, image, link, miniprogrampage or event (the user entered the session).
	Type        string    `json:"type"`
	Text        string    `json:"text,omitempty"`
	ImageURL    string    `json:"image_url,omitempty"`
	Link        *linkView `json:"link,omitempty"`
	Card        *cardView `json:"card,omitempty"`
	SessionFrom string    `json:"session_from,omitempty"`
}

// linkView is a link card.
type linkView struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url,omitempty"`
}

// cardView is a mini-program card.
type cardView struct {
	Title    string `json:"title"`
	PagePath string `json:"pagepath"`
	AppID    string `json:"appid,omitempty"`
	// ThumbURL shows the thumbnail: the media WeChat received (thumb_media_id), from the host.
	ThumbURL string `json:"thumb_url,omitempty"`
}

// eventView is one step of a user's conversation as WeChat delivered it.
type eventView struct {
	Seq     int          `json:"seq"`
	Time    time.Time    `json:"time"`
	Kind    string       `json:"kind"` // message or typing
	Typing  bool         `json:"typing,omitempty"`
	Path    string       `json:"path"`
	Message *chatMessage `json:"message,omitempty"`
}

// exchangeView is one push and what it caused, for the panel.
type exchangeView struct {
	ID     string    `json:"id"`
	OpenID string    `json:"openid"`
	Time   time.Time `json:"time"`
	Action string    `json:"action,omitempty"`
	// Seq is the user's latest conversation step when the function answered.
	Seq    int          `json:"seq"`
	Mode   string       `json:"mode,omitempty"`
	Format string       `json:"format,omitempty"`
	User   *chatMessage `json:"user,omitempty"`
	Push   *pushView    `json:"push,omitempty"`
	Answer *answerView  `json:"answer,omitempty"`
	Report *reportView  `json:"report,omitempty"`
	Calls  []callView   `json:"calls"`
	// DroppedCalls counts API calls beyond what the host keeps per exchange.
	DroppedCalls int `json:"dropped_calls,omitempty"`
	// Error says why the push got no answer at all.
	Error string `json:"error,omitempty"`
}

// pushView is the push as the simulator posted it.
type pushView struct {
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Query  []nameValue `json:"query"`
	Body   string      `json:"body"`
	// Plaintext is the message inside: as kefu decrypted it, or as the simulator built it
	// when kefu did not get that far.
	Plaintext string `json:"plaintext"`
}

// nameValue is one query parameter.
type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// answerView is the function's HTTP answer, as WeChat reads it.
type answerView struct {
	Status      int     `json:"status"`
	ContentType string  `json:"content_type"`
	Body        string  `json:"body"`
	Success     bool    `json:"success"`
	Transfer    bool    `json:"transfer"`
	Decoded     string  `json:"decoded,omitempty"` // the passive reply's plaintext
	Error       string  `json:"error,omitempty"`   // why WeChat could not read the answer
	DurationMS  float64 `json:"duration_ms"`
}

// reportView is kefu's report of the push.
type reportView struct {
	Rule      string  `json:"rule"`
	Outcome   string  `json:"outcome"`
	Reason    string  `json:"reason,omitempty"`
	Status    int     `json:"status"`
	LatencyMS float64 `json:"latency_ms"`
	MsgType   string  `json:"msg_type,omitempty"`
	Event     string  `json:"event,omitempty"`
	Mode      string  `json:"mode,omitempty"`
	Format    string  `json:"format,omitempty"`
	Planned   int     `json:"planned"`
	Sent      int     `json:"sent"`
	Failed    int     `json:"failed"`
	Transfer  bool    `json:"transfer"`
	ErrCode   int     `json:"errcode,omitempty"`
	LastError string  `json:"last_error,omitempty"`
}

// callView is one WeChat API call kefu made.
type callView struct {
	Time       time.Time `json:"time"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Query      string    `json:"query,omitempty"`
	Status     int       `json:"status"`
	ErrCode    int       `json:"errcode"`
	DurationMS float64   `json:"duration_ms"`
	Payload    string    `json:"payload,omitempty"`
	Response   string    `json:"response,omitempty"`
	Error      string    `json:"error,omitempty"`
}

// exchangeView returns the page's view of e.
func (h *host) exchangeView(e *exchange) exchangeView {
	v := exchangeView{
		ID: e.ID, OpenID: e.OpenID, Time: e.Time, Action: e.Action, Seq: e.Seq,
		Calls: []callView{}, DroppedCalls: e.DroppedCalls, Error: e.PostErr,
	}
	if e.Message != nil {
		v.Mode, v.Format = e.Mode.String(), e.Format.String()
		v.User = userMessage(e.Message)
	}
	if r := e.Report; r != nil {
		v.Report = &reportView{
			Rule: r.Rule, Outcome: r.Outcome, Reason: r.Reason, Status: r.Status, LatencyMS: ms(r.Latency),
			MsgType: r.MsgType, Event: r.Event, Mode: r.Mode, Format: r.Format,
			Planned: r.Planned, Sent: r.Sent, Failed: r.Failed, Transfer: r.Transfer,
			ErrCode: r.ErrCode, LastError: r.LastError,
		}
	}
	if res := e.Result; res != nil {
		p := &pushView{Method: "POST", Path: functionPath, Body: string(res.Sealed.Body)}
		p.Query = orderedQuery(res.Sealed.Query)
		switch {
		case e.Report != nil && e.Report.Message != nil:
			p.Plaintext = pretty([]byte(e.Report.Message.Raw))
		case e.Message != nil:
			p.Plaintext = pretty(push.Encode(e.Message, e.Format))
		}
		v.Push = p
		a := &answerView{
			Status: res.Status, ContentType: res.ContentType, Body: string(res.Body),
			Success: res.Success, DurationMS: ms(res.Duration),
		}
		if res.Answer != nil {
			a.Transfer = res.Answer.MsgType == push.MsgTypeTransfer
			a.Decoded = pretty([]byte(res.Answer.Raw))
		}
		if res.AnswerErr != nil {
			a.Error = res.AnswerErr.Error()
		}
		v.Answer = a
	} else if e.Report != nil && e.Report.Push != nil {
		// A push from elsewhere: only kefu's side of it is known.
		p := &pushView{Method: "POST", Path: functionPath, Query: []nameValue{}, Body: string(e.Report.Push)}
		if e.Report.Message != nil {
			p.Plaintext = pretty([]byte(e.Report.Message.Raw))
		}
		v.Push = p
	}
	for _, c := range e.Calls {
		v.Calls = append(v.Calls, callView{
			Time: c.Time, Method: c.Method, Path: c.Path, Query: c.Query, Status: c.Status,
			ErrCode: c.ErrCode, DurationMS: ms(c.Duration), Payload: pretty(c.Payload),
			Response: compact(c.Response), Error: c.Err,
		})
	}
	return v
}

// orderedQuery returns q's parameters in WeChat's order, then any others by name.
func orderedQuery(q url.Values) []nameValue {
	out := []nameValue{}
	seen := map[string]bool{}
	for _, k := range [...]string{"signature", "timestamp", "nonce", "openid", "encrypt_type", "msg_signature"} {
		if q.Has(k) {
			out = append(out, nameValue{k, q.Get(k)})
			seen[k] = true
		}
	}
	var rest []string
	for k := range q {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		out = append(out, nameValue{k, q.Get(k)})
	}
	return out
}

// userMessage returns the bubble of what the user did.
func userMessage(m *push.Message) *chatMessage {
	switch m.MsgType {
	case push.TypeText:
		return &chatMessage{Type: "text", Text: m.Content}
	case push.TypeImage:
		return &chatMessage{Type: "image", ImageURL: "/sim/media/" + url.PathEscape(m.MediaID)}
	case push.TypeMiniProgramPage:
		return &chatMessage{Type: "miniprogrampage", Card: &cardView{Title: m.Title, PagePath: m.PagePath, AppID: m.AppID}}
	default:
		return &chatMessage{Type: "event", SessionFrom: m.SessionFrom}
	}
}

// eventOf returns the page's view of a conversation step.
func eventOf(e wxsim.Event) eventView {
	v := eventView{Seq: e.Seq, Time: e.Time, Kind: string(e.Kind), Typing: e.Typing, Path: e.Path}
	if m := e.Message; m != nil {
		c := &chatMessage{Type: m.MsgType}
		switch {
		case m.Text != nil:
			c.Text = m.Text.Content
		case m.Image != nil:
			c.ImageURL = "/sim/media/" + url.PathEscape(m.Image.MediaID)
		case m.Link != nil:
			c.Link = &linkView{Title: m.Link.Title, Description: m.Link.Description, URL: m.Link.URL, ThumbURL: m.Link.ThumbURL}
		case m.MiniProgramPage != nil:
			c.Card = &cardView{Title: m.MiniProgramPage.Title, PagePath: m.MiniProgramPage.PagePath,
				ThumbURL: "/sim/media/" + url.PathEscape(m.MiniProgramPage.ThumbMediaID)}
		}
		v.Message = c
	}
	return v
}

// pretty returns a JSON body indented, or any other body as it is. It is done here, not in
// the page: JavaScript's JSON.parse rounds a MsgId (beyond 2^53) to another number.
func pretty(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if json.Valid(b) && json.Indent(&buf, b, "", "  ") == nil {
		return buf.String()
	}
	return string(b)
}

// compact returns a short JSON answer on one line (WeChat's {"errcode":0,"errmsg":"ok"}), and
// a longer one indented.
func compact(b []byte) string {
	if len(b) > 160 || !json.Valid(b) {
		return pretty(b)
	}
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}
