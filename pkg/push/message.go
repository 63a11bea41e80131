// Package push verifies, decrypts and parses the pushes WeChat sends to a mini program's
// customer-service URL (小程序客服消息推送), and builds the answers WeChat expects.
//
// One call, Opener.Open, turns a request's query and body into a Message or a typed error; the
// answers are "success" (never encrypted) and the transfer_customer_service reply, which is
// encrypted with the key that opened the push and written in the push's own format. The Sealer
// does the reverse: it encrypts and signs pushes as WeChat does, for the simulator and the tests.
package push

// Format is the data format of a push, chosen in the WeChat console and sniffed from the body.
type Format uint8

// The data formats a push can arrive in.
const (
	XML Format = iota
	JSON
)

// String returns "xml" or "json".
func (f Format) String() string {
	if f == JSON {
		return "json"
	}
	return "xml"
}

// Message types and events that kefu handles by name. Any other value is kept as received.
const (
	TypeText            = "text"
	TypeImage           = "image"
	TypeMiniProgramPage = "miniprogrampage"
	TypeEvent           = "event"

	EventUserEnterTempSession = "user_enter_tempsession"
)

// Message is one customer-service push, in plaintext, whatever mode and format it arrived in.
//
// Strings are the values as received, with XML entities and JSON escapes decoded. Fields that
// the push did not carry are empty. MsgID keeps the exact digits WeChat sent (they exceed 2^53)
// or the string a CloudBase push carries; CreateTime accepts a number or a numeric string.
type Message struct {
	ToUserName   string // the mini program's original id (gh_...), or its AppID in CloudBase pushes
	FromUserName string // the user's OpenID
	CreateTime   int64  // seconds since the Unix epoch
	MsgType      string // text, image, miniprogrampage, event, or anything else WeChat adds
	MsgID        string // absent for events

	Content string // text

	PicURL  string // image
	MediaID string // image

	Title        string // miniprogrampage
	AppID        string // miniprogrampage: the card's mini program
	PagePath     string // miniprogrampage
	ThumbURL     string // miniprogrampage
	ThumbMediaID string // miniprogrampage

	Event       string // event
	SessionFrom string // event user_enter_tempsession: the button's session-from

	// Format is the data format the push (and so its answer) is written in.
	Format Format
	// Raw is the plaintext message as received (decrypted when the push was encrypted). It is
	// kept for logs at debug level and for types kefu does not know; it may hold user content.
	Raw string
}

// IsEvent reports whether the message is an event rather than something the user sent.
func (m *Message) IsEvent() bool { return m.MsgType == TypeEvent }
