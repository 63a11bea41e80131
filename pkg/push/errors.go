package push

import "errors"

// The kinds of refusal. Every error Open and Verify return matches exactly one of them with
// errors.Is, so the service can map it to its HTTP status (in brackets) without reading text.
var (
	// ErrSignature: signature or msg_signature missing or wrong (401).
	ErrSignature = errors.New("bad signature")
	// ErrTimestamp: timestamp missing, unparseable or outside the clock-skew window (401).
	ErrTimestamp = errors.New("timestamp outside the window")
	// ErrAppID: the decrypted push names another AppID (401).
	ErrAppID = errors.New("push for another AppID")
	// ErrPlaintext: a plaintext push while encryption is required (401).
	ErrPlaintext = errors.New("plaintext push refused")
	// ErrMalformed: the body is not a well-formed push: XML or JSON, base64, AES, padding,
	// required fields; or a GET verification without echostr (400).
	ErrMalformed = errors.New("malformed push")
	// ErrTooLarge: the body is over MaxBodySize (413).
	ErrTooLarge = errors.New("push body too large")
)

// Error is a refusal: its Kind is one of the sentinel errors above and its Reason says what
// exactly failed, in words safe to log (no secret and no decrypted content).
type Error struct {
	Kind   error
	Reason string
}

// Error returns the kind and the reason.
func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Reason }

// Unwrap returns the kind, so errors.Is(err, ErrSignature) and the like work.
func (e *Error) Unwrap() error { return e.Kind }

func refuse(kind error, reason string) error { return &Error{Kind: kind, Reason: reason} }
