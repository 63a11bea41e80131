package push

import (
	"fmt"
	"strconv"
	"time"
	"unsafe"
)

// MaxBodySize is the largest push body accepted, in bytes (after any base64 decoding the
// platform does). WeChat's pushes are a few kilobytes at most.
const MaxBodySize = 1 << 20

// Config is what opening pushes needs. Token and AppID are required; the keys are optional.
type Config struct {
	// AppID is the mini program's AppID; a decrypted push must carry it.
	AppID string
	// Token is the push Token (消息推送 Token) the signatures are computed with.
	Token string
	// EncodingAESKey is the current 43-character key; empty accepts plaintext pushes only.
	EncodingAESKey string
	// PreviousEncodingAESKey is the key being rotated out, tried after the current one.
	PreviousEncodingAESKey string
	// RequireEncryption refuses plaintext pushes (ErrPlaintext).
	RequireEncryption bool
	// MaxClockSkew refuses pushes and verifications whose timestamp is further than this from
	// now (ErrTimestamp); zero turns the check off.
	MaxClockSkew time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Opener verifies, decrypts and parses pushes for one mini program. It is safe for
// concurrent use.
type Opener struct {
	appID      string
	token      string
	keys       []*key // current first
	requireEnc bool
	skew       int64 // seconds; 0: no window
	now        func() time.Time
}

// NewOpener checks cfg and returns an Opener.
func NewOpener(cfg Config) (*Opener, error) {
	if cfg.AppID == "" {
		return nil, fmt.Errorf("push: AppID is required")
	}
	if cfg.Token == "" {
		return nil, fmt.Errorf("push: Token is required")
	}
	o := &Opener{
		appID:      cfg.AppID,
		token:      cfg.Token,
		requireEnc: cfg.RequireEncryption,
		now:        cfg.Now,
	}
	if cfg.MaxClockSkew < 0 {
		return nil, fmt.Errorf("push: MaxClockSkew must not be negative")
	}
	o.skew = int64((cfg.MaxClockSkew + time.Second - 1) / time.Second)
	if o.now == nil {
		o.now = time.Now
	}
	if cfg.EncodingAESKey == "" && cfg.PreviousEncodingAESKey != "" {
		return nil, fmt.Errorf("push: a previous EncodingAESKey without a current one")
	}
	if cfg.RequireEncryption && cfg.EncodingAESKey == "" {
		return nil, fmt.Errorf("push: encryption is required but no EncodingAESKey is set")
	}
	for _, s := range []string{cfg.EncodingAESKey, cfg.PreviousEncodingAESKey} {
		if s == "" {
			continue
		}
		k, err := parseKey(s)
		if err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		o.keys = append(o.keys, k)
	}
	return o, nil
}

// Push is an opened push: the message and what answering it needs.
type Push struct {
	Message
	// Encrypted reports whether the push carried Encrypt (safe or compatible mode). An answer
	// other than "success" is then encrypted with the key that opened it.
	Encrypted bool
	// KeyIndex is the key that opened an encrypted push: 0 for the current EncodingAESKey,
	// 1 for the previous one.
	KeyIndex int

	nonce string
}

// Verify checks a GET URL verification (the console's "提交") and returns the echostr to
// answer with, verbatim. The order of checks is the timestamp window, the signature, then
// the presence of echostr.
func (o *Opener) Verify(q Query) (string, error) {
	ts := q.Get("timestamp")
	if err := o.checkTime(ts); err != nil {
		return "", err
	}
	var sum [40]byte
	sign(&sum, o.token, ts, q.Get("nonce"), "", 3)
	if !equalSignature(&sum, q.Get("signature")) {
		return "", refuse(ErrSignature, "signature does not match")
	}
	echo := q.Get("echostr")
	if echo == "" {
		return "", refuse(ErrMalformed, "no echostr")
	}
	return echo, nil
}

// Open verifies, decrypts and parses a POST push. The checks run in the contract's order and
// the first that fails decides: size; timestamp window; a well-formed body; then, for a body
// carrying Encrypt, msg_signature over it, the ciphertext, and this AppID inside; for a body
// without it, signature, then whether plaintext is accepted.
//
// The returned error is an *Error matching one of the Err kinds.
func (o *Opener) Open(q Query, body []byte) (*Push, error) {
	if len(body) > MaxBodySize {
		return nil, refuse(ErrTooLarge, "body over "+strconv.Itoa(MaxBodySize)+" bytes")
	}
	ts := q.Get("timestamp")
	if err := o.checkTime(ts); err != nil {
		return nil, err
	}
	s := string(body)
	var outer fields
	if _, err := parseBody(s, &outer); err != nil {
		return nil, err
	}
	nonce := q.Get("nonce")
	if !outer.hasEncrypt {
		var sum [40]byte
		sign(&sum, o.token, ts, nonce, "", 3)
		if !equalSignature(&sum, q.Get("signature")) {
			return nil, refuse(ErrSignature, "signature does not match")
		}
		if o.requireEnc {
			return nil, refuse(ErrPlaintext, "plaintext push while encryption is required")
		}
		if err := outer.finish(); err != nil {
			return nil, err
		}
		outer.m.Raw = s
		return &Push{Message: outer.m, nonce: nonce}, nil
	}

	var sum [40]byte
	sign(&sum, o.token, ts, nonce, outer.encrypt, 4)
	if !equalSignature(&sum, q.Get("msg_signature")) {
		return nil, refuse(ErrSignature, "msg_signature does not match")
	}
	if len(o.keys) == 0 {
		return nil, refuse(ErrMalformed, "encrypted push but no EncodingAESKey is configured")
	}
	var firstErr error
	otherApp := false
	for i, k := range o.keys {
		msg, appID, err := k.decrypt(outer.encrypt)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if string(appID) != o.appID {
			otherApp = true
			continue
		}
		// msg lies in the buffer decrypt allocated for this push alone, and nothing writes to
		// it again: the strings of the message can point into it instead of a copy.
		plain := unsafe.String(unsafe.SliceData(msg), len(msg))
		var inner fields
		if _, err := parseBody(plain, &inner); err != nil {
			return nil, err
		}
		if err := inner.finish(); err != nil {
			return nil, err
		}
		inner.m.Raw = plain
		return &Push{Message: inner.m, Encrypted: true, KeyIndex: i, nonce: nonce}, nil
	}
	if otherApp {
		return nil, refuse(ErrAppID, "the decrypted push names another AppID")
	}
	return nil, firstErr
}

// checkTime applies the clock-skew window to a timestamp query parameter.
func (o *Opener) checkTime(ts string) error {
	if o.skew == 0 {
		return nil
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		if ts == "" {
			return refuse(ErrTimestamp, "no timestamp")
		}
		return refuse(ErrTimestamp, "timestamp is not a number")
	}
	now := o.now().Unix()
	if t < now-o.skew || t > now+o.skew {
		if t < now-o.skew {
			return refuse(ErrTimestamp, "timestamp is older than the window")
		}
		return refuse(ErrTimestamp, "timestamp is ahead of the window")
	}
	return nil
}
