package wxapi

import (
	"fmt"
	"unicode/utf8"
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
	b := make([]byte, 0, 128+payloadSize(m))
	b = append(b, `{"touser":`...)
	b = appendString(b, m.ToUser)
	b = append(b, `,"msgtype":`...)
	b = appendString(b, m.MsgType)
	switch m.MsgType {
	case MsgText:
		b = append(b, `,"text":{"content":`...)
		b = appendString(b, m.Text.Content)
	case MsgImage:
		b = append(b, `,"image":{"media_id":`...)
		b = appendString(b, m.Image.MediaID)
	case MsgLink:
		b = append(b, `,"link":{"title":`...)
		b = appendString(b, m.Link.Title)
		b = append(b, `,"description":`...)
		b = appendString(b, m.Link.Description)
		b = append(b, `,"url":`...)
		b = appendString(b, m.Link.URL)
		b = append(b, `,"thumb_url":`...)
		b = appendString(b, m.Link.ThumbURL)
	case MsgMiniProgramPage:
		b = append(b, `,"miniprogrampage":{"title":`...)
		b = appendString(b, m.MiniProgramPage.Title)
		b = append(b, `,"pagepath":`...)
		b = appendString(b, m.MiniProgramPage.PagePath)
		b = append(b, `,"thumb_media_id":`...)
		b = appendString(b, m.MiniProgramPage.ThumbMediaID)
	}
	return append(b, "}}"...), nil
}

// payloadSize estimates the bytes of m's strings, to size the buffer once.
func payloadSize(m *Message) int {
	n := len(m.ToUser)
	switch {
	case m.Text != nil:
		n += len(m.Text.Content)
	case m.Link != nil:
		n += len(m.Link.Title) + len(m.Link.Description) + len(m.Link.URL) + len(m.Link.ThumbURL)
	case m.MiniProgramPage != nil:
		n += len(m.MiniProgramPage.Title) + len(m.MiniProgramPage.PagePath) + len(m.MiniProgramPage.ThumbMediaID)
	case m.Image != nil:
		n += len(m.Image.MediaID)
	}
	return n
}

// appendString appends s as a JSON string exactly as encoding/json does with HTML escaping
// off: quotes, backslashes and control characters escaped, invalid UTF-8 replaced by
// U+FFFD, U+2028 and U+2029 escaped; < > & kept, so a text's <a> links stay as written.
// Send is on every reply's path, and this avoids the encoder's reflection.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
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
