package wxapi

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Message types of customerServiceMessage.send.
const (
	MsgText            = "text"
	MsgImage           = "image"
	MsgLink            = "link"
	MsgMiniProgramPage = "miniprogrampage"
)

// Message is the body of customerServiceMessage.send: a recipient, a type, and the one object
// named after the type. Build one with NewText, NewImage, NewLink or NewMiniProgramPage.
type Message struct {
	// ToUser is the recipient's OpenID.
	ToUser string `json:"touser"`
	// MsgType is MsgText, MsgImage, MsgLink or MsgMiniProgramPage.
	MsgType string `json:"msgtype"`
	// Exactly one of these is set: the one MsgType names.
	Text            *Text            `json:"text,omitempty"`
	Image           *Image           `json:"image,omitempty"`
	Link            *Link            `json:"link,omitempty"`
	MiniProgramPage *MiniProgramPage `json:"miniprogrampage,omitempty"`
}

// Text is a text message. Content may hold links that open a page of this mini program:
// <a href="fallback-url" data-miniprogram-appid="APPID" data-miniprogram-path="pages/x?y=1">text</a>.
type Text struct {
	Content string `json:"content"`
}

// Image is an image message; MediaID comes from UploadImage and lives three days.
type Image struct {
	MediaID string `json:"media_id"`
}

// Link is a link card: a title, a description, the URL opened, and a thumbnail URL (JPG or
// PNG, best 640×320 or 80×80).
type Link struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url"`
}

// MiniProgramPage is a mini-program card: a title, a page path as in app.json (a query is
// allowed) and a thumbnail given as an uploaded image's media_id (best 520×416).
type MiniProgramPage struct {
	Title        string `json:"title"`
	PagePath     string `json:"pagepath"`
	ThumbMediaID string `json:"thumb_media_id"`
}

// NewText returns a text message to toUser.
func NewText(toUser, content string) *Message {
	return &Message{ToUser: toUser, MsgType: MsgText, Text: &Text{Content: content}}
}

// NewImage returns an image message to toUser.
func NewImage(toUser, mediaID string) *Message {
	return &Message{ToUser: toUser, MsgType: MsgImage, Image: &Image{MediaID: mediaID}}
}

// NewLink returns a link card to toUser.
func NewLink(toUser string, l Link) *Message {
	return &Message{ToUser: toUser, MsgType: MsgLink, Link: &l}
}

// NewMiniProgramPage returns a mini-program card to toUser.
func NewMiniProgramPage(toUser string, p MiniProgramPage) *Message {
	return &Message{ToUser: toUser, MsgType: MsgMiniProgramPage, MiniProgramPage: &p}
}

// Payload returns the exact JSON that Send sends, without HTML escaping (so the <a> links of a
// text stay as written). It refuses, with an error matching ErrBadRequest, a message WeChat
// would refuse for its shape: no recipient, an unknown type, a missing or extra object, or an
// empty required field.
func (m *Message) Payload() ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// validate checks the shape of m.
func (m *Message) validate() error {
	if m == nil {
		return fmt.Errorf("%w: nil message", ErrBadRequest)
	}
	if m.ToUser == "" {
		return fmt.Errorf("%w: message has no touser", ErrBadRequest)
	}
	objects := 0
	for _, set := range []bool{m.Text != nil, m.Image != nil, m.Link != nil, m.MiniProgramPage != nil} {
		if set {
			objects++
		}
	}
	var missing string
	switch m.MsgType {
	case MsgText:
		switch {
		case m.Text == nil:
			missing = "text"
		case m.Text.Content == "":
			missing = "text.content"
		}
	case MsgImage:
		switch {
		case m.Image == nil:
			missing = "image"
		case m.Image.MediaID == "":
			missing = "image.media_id"
		}
	case MsgLink:
		switch {
		case m.Link == nil:
			missing = "link"
		case m.Link.Title == "":
			missing = "link.title"
		case m.Link.URL == "":
			missing = "link.url"
		case m.Link.ThumbURL == "":
			missing = "link.thumb_url"
		}
	case MsgMiniProgramPage:
		switch {
		case m.MiniProgramPage == nil:
			missing = "miniprogrampage"
		case m.MiniProgramPage.Title == "":
			missing = "miniprogrampage.title"
		case m.MiniProgramPage.PagePath == "":
			missing = "miniprogrampage.pagepath"
		case m.MiniProgramPage.ThumbMediaID == "":
			missing = "miniprogrampage.thumb_media_id"
		}
	default:
		return fmt.Errorf("%w: unknown msgtype %q", ErrBadRequest, m.MsgType)
	}
	if missing != "" {
		return fmt.Errorf("%w: %s message has no %s", ErrBadRequest, m.MsgType, missing)
	}
	if objects != 1 {
		return fmt.Errorf("%w: %s message holds another type's object too", ErrBadRequest, m.MsgType)
	}
	return nil
}
