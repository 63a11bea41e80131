package wxsim

import (
	"encoding/json"
	"net/http"
	"time"
)

// Message is a customer-service message as the fake received it (the body of
// customerServiceMessage.send): a recipient, a type and the object named after the type.
type Message struct {
	ToUser          string           `json:"touser"`
	MsgType         string           `json:"msgtype"`
	Text            *Text            `json:"text,omitempty"`
	Image           *Image           `json:"image,omitempty"`
	Link            *Link            `json:"link,omitempty"`
	MiniProgramPage *MiniProgramPage `json:"miniprogrampage,omitempty"`
	// BusinessID is the optional businessid of the business send variant, as sent.
	BusinessID json.RawMessage `json:"businessid,omitempty"`
}

// Text is the object of a text message.
type Text struct {
	Content string `json:"content"`
}

// Image is the object of an image message.
type Image struct {
	MediaID string `json:"media_id"`
}

// Link is the object of a link card.
type Link struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url"`
}

// MiniProgramPage is the object of a mini-program card.
type MiniProgramPage struct {
	Title        string `json:"title"`
	PagePath     string `json:"pagepath"`
	ThumbMediaID string `json:"thumb_media_id"`
}

// The reply quota (send.html and the customer-service guide, current Chinese text): after a
// user's message, 5 replies within 48 hours; after the user enters the session, 2 within one
// minute. Counts do not add up: each user action resets the count to its own maximum, and the
// window ends at the later of the current end and the new action's.
const (
	QuotaAfterMessage  = 5
	WindowAfterMessage = 48 * time.Hour
	QuotaAfterEnter    = 2
	WindowAfterEnter   = time.Minute

	// typingNeedsExchange: setTyping needs an exchange with the user in the last 30 s.
	typingNeedsExchange = 30 * time.Second
	// typingLasts: the typing state lasts 15 s and cannot be set again meanwhile.
	typingLasts = 15 * time.Second
)

// MaxTextContent is the largest text content the fake accepts, in bytes (45002 above it).
// WeChat's limit is undocumented: the community reports about 2048, bytes or characters; the
// fake takes the stricter reading.
const MaxTextContent = 2048

// user is what the fake knows of one user: the conversation and the quota state.
type user struct {
	events       []Event
	acted        bool      // the user messaged or entered at least once
	windowEnd    time.Time // replies allowed before this
	remaining    int       // replies left in the window
	lastExchange time.Time // the latest user action or send
	typingUntil  time.Time // typing shown until then
}

// userLocked returns the state of openid, creating it. The caller holds a.mu.
func (a *API) userLocked(openid string) *user {
	u := a.users[openid]
	if u == nil {
		u = &user{}
		a.users[openid] = u
	}
	return u
}

// UserMessage records that openid sent a message at at: 5 replies within 48 hours (with
// EnforceQuota).
func (a *API) UserMessage(openid string, at time.Time) {
	a.userAction(openid, at, QuotaAfterMessage, WindowAfterMessage)
}

// UserEntered records that openid entered the customer-service session at at: 2 replies
// within one minute (with EnforceQuota).
func (a *API) UserEntered(openid string, at time.Time) {
	a.userAction(openid, at, QuotaAfterEnter, WindowAfterEnter)
}

func (a *API) userAction(openid string, at time.Time, quota int, window time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.userLocked(openid)
	u.acted = true
	u.remaining = quota
	if end := at.Add(window); end.After(u.windowEnd) {
		u.windowEnd = end
	}
	if at.After(u.lastExchange) {
		u.lastExchange = at
	}
}

// validOpenID reports whether s looks like an OpenID (28 characters of [A-Za-z0-9_-] in
// practice; the fake accepts 1 to 64 of them).
func validOpenID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// send answers customerServiceMessage.send (and its business variant).
func (a *API) send(r *http.Request, body []byte, now time.Time) reply {
	if len(body) == 0 {
		return a.fail(44002)
	}
	// The type first, leniently: an unknown type is 45162 whatever object comes with it.
	var head struct {
		MsgType string `json:"msgtype"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return a.fail(47001)
	}
	switch head.MsgType {
	case "", "text", "image", "link", "miniprogrampage":
	default:
		return a.fail(45162)
	}
	var m Message
	if err := decodeStrict(body, &m); err != nil {
		return a.fail(47001)
	}
	if code := a.checkMessage(&m, body, now); code != 0 {
		return a.fail(code)
	}
	u := a.userLocked(m.ToUser)
	if a.opt.EnforceQuota {
		switch {
		case !u.acted || !now.Before(u.windowEnd):
			return a.fail(45015)
		case u.remaining <= 0:
			return a.fail(45047)
		}
		u.remaining--
	}
	u.lastExchange = now
	u.typingUntil = time.Time{} // a message clears the typing state
	a.addEvent(u, Event{Time: now, OpenID: m.ToUser, Path: r.URL.Path, Kind: EventMessage, Message: &m, Raw: json.RawMessage(body)})
	return reply{body: okBody}
}

// checkMessage returns the errcode for a message that WeChat would refuse, or 0. The codes:
// 40003 for a touser that is no OpenID; 47001 ("data format error", also WxJava's "post 数据中
// 参数缺失") for a missing msgtype, object or required field; 45162 ("invalid type", what
// /custom/send answers for msgtype voice or news in community reports) for an unknown
// msgtype; 44004 ("empty content", global return codes) for empty text; 45002 for text over
// MaxTextContent; 41006 ("media_id missing", global return codes) for an empty media_id;
// 40007 for a media_id the fake did not issue or that expired.
func (a *API) checkMessage(m *Message, body []byte, now time.Time) int {
	if !validOpenID(m.ToUser) {
		return 40003
	}
	switch m.MsgType {
	case "":
		return 47001
	case "text":
		switch {
		case m.Text == nil:
			return 47001
		case m.Text.Content == "":
			return 44004
		case len(m.Text.Content) > MaxTextContent:
			return 45002
		}
	case "image":
		if m.Image == nil {
			return 47001
		}
		return a.checkMedia(m.Image.MediaID, now)
	case "link":
		if m.Link == nil || m.Link.Title == "" || m.Link.URL == "" || m.Link.ThumbURL == "" {
			return 47001
		}
		// description is required too, but may be empty: check that it was sent.
		var probe struct {
			Link struct {
				Description *string `json:"description"`
			} `json:"link"`
		}
		if json.Unmarshal(body, &probe) != nil || probe.Link.Description == nil {
			return 47001
		}
	case "miniprogrampage":
		p := m.MiniProgramPage
		if p == nil || p.Title == "" || p.PagePath == "" {
			return 47001
		}
		return a.checkMedia(p.ThumbMediaID, now)
	default:
		return 45162
	}
	return 0
}

// checkMedia returns 0 if id is a live media_id of this fake, else 41006 or 40007.
func (a *API) checkMedia(id string, now time.Time) int {
	if id == "" {
		return 41006
	}
	if it := a.media[id]; it == nil || !now.Before(it.expires) {
		return 40007
	}
	return 0
}

// typingRequest is the body of setTyping.
type typingRequest struct {
	ToUser  string `json:"touser"`
	Command string `json:"command"`
}

// typing answers setTyping: 45072 for a command other than Typing or CancelTyping, 45081 for
// Typing while typing is shown (15 s, or until a message or CancelTyping), and with
// EnforceQuota 45080 when there was no exchange with the user in the last 30 s.
func (a *API) typing(r *http.Request, body []byte, now time.Time) reply {
	if len(body) == 0 {
		return a.fail(44002)
	}
	var req typingRequest
	if err := decodeStrict(body, &req); err != nil {
		return a.fail(47001)
	}
	if !validOpenID(req.ToUser) {
		return a.fail(40003)
	}
	var on bool
	switch req.Command {
	case "Typing":
		on = true
	case "CancelTyping":
	default:
		return a.fail(45072)
	}
	u := a.userLocked(req.ToUser)
	if a.opt.EnforceQuota && (u.lastExchange.IsZero() || now.Sub(u.lastExchange) > typingNeedsExchange) {
		return a.fail(45080)
	}
	if on {
		if now.Before(u.typingUntil) {
			return a.fail(45081)
		}
		u.typingUntil = now.Add(typingLasts)
	} else {
		u.typingUntil = time.Time{}
	}
	a.addEvent(u, Event{Time: now, OpenID: req.ToUser, Path: r.URL.Path, Kind: EventTyping, Typing: on, Raw: json.RawMessage(body)})
	return reply{body: okBody}
}
