package rules

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is the kind of a reply item. Its String is the msgtype WeChat's send API uses.
type Kind uint8

// The kinds of reply items.
const (
	Text            Kind = iota + 1 // a text message, which may hold links
	Image                           // an image, sent from an image source
	Link                            // a link card (图文链接)
	MiniProgramPage                 // a mini-program card (小程序卡片)
)

// String returns the msgtype of the kind: "text", "image", "link" or "miniprogrampage".
func (k Kind) String() string {
	switch k {
	case Text:
		return "text"
	case Image:
		return "image"
	case Link:
		return "link"
	case MiniProgramPage:
		return "miniprogrampage"
	default:
		return fmt.Sprintf("Kind(%d)", uint8(k))
	}
}

// Reply is one message to send, in order, as a rule or the fallback gives it.
// Only the field that belongs to Kind is set.
type Reply struct {
	Kind Kind
	// Text is the content of a Text reply, with regex captures substituted.
	Text string
	// Image is the resolved image source of an Image reply (s3://, https://, a path, ...),
	// for the media step to fetch and upload.
	Image string
	// Link is the link card of a Link reply.
	Link LinkCard
	// Page is the mini-program card of a MiniProgramPage reply.
	Page PageCard
}

// LinkCard is a link card: WeChat shows the title, the description and the thumbnail, and
// opens URL when the user taps it. WeChat fetches ThumbURL itself, so it is a public http(s)
// URL, never an image source that kefu reads.
type LinkCard struct {
	Title       string
	Description string
	URL         string
	ThumbURL    string
}

// PageCard is a mini-program card that opens PagePath in this mini program.
type PageCard struct {
	Title    string
	PagePath string
	// Thumb is the resolved image source of the card's thumbnail (sent as thumb_media_id).
	Thumb string
}

// Plan is what to do about one message: the replies to send in order, whether to show the
// typing state first, and whether to answer the push with transfer_customer_service.
type Plan struct {
	// Rule is the name of the rule that fired, "fallback" when the fallback answered, or ""
	// when nothing applies (the push is answered "success" and nothing is sent).
	Rule string
	// Replies are the messages to send, in order. When no capture was substituted this is
	// the Set's own compiled slice, shared by every caller: callers must not modify it.
	Replies []Reply
	// Typing asks for the Typing command before the first reply.
	Typing bool
	// Transfer asks to answer the push with transfer_customer_service, after the replies
	// (if any) were sent. It is never set for events: WeChat transfers user messages only.
	Transfer bool
}

// Options tells Parse what it cannot read from the file itself.
type Options struct {
	// AppID is this mini program's AppID. A text link whose data-miniprogram-appid names
	// another AppID gives a warning. Empty skips the check.
	AppID string
	// Source is the location of the file (a path, file://, s3://, https:// or embed://), the
	// base against which relative image sources are resolved. It defaults to the name given
	// to Parse.
	Source string
}

// ErrInvalid is matched (with errors.Is) by the error Parse returns for a file that breaks
// the contract. Use errors.As with *Problems to read every problem.
var ErrInvalid = errors.New("invalid rules")

// Problem is one thing wrong with a rules file, at a line of it.
type Problem struct {
	// File is the name of the file, as given to Parse.
	File string
	// Line is the 1-based line the problem is on.
	Line int
	// Msg says what is wrong, in one line.
	Msg string
}

// String returns the problem as "file:line: what".
func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Problems is the error Parse returns for a file that breaks the contract: every problem found,
// in the order of the file.
type Problems struct {
	List []Problem
}

// Error returns every problem as "file:line: what", one per line.
func (p *Problems) Error() string {
	var b strings.Builder
	for i, q := range p.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(q.String())
	}
	return b.String()
}

// Is reports whether target is ErrInvalid.
func (p *Problems) Is(target error) bool { return target == ErrInvalid }
