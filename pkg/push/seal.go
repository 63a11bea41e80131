package push

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"time"
)

// Mode is a console message-encryption mode (消息加密方式).
type Mode uint8

// The three modes. Safe is what WeChat recommends and what kefu's README recommends.
const (
	Plaintext  Mode = iota // 明文模式: no Encrypt; the URL signature covers only the URL
	Compatible             // 兼容模式: the plaintext fields and Encrypt side by side
	Safe                   // 安全模式: only ToUserName and Encrypt
)

// String returns "plaintext", "compatible" or "safe".
func (m Mode) String() string {
	switch m {
	case Compatible:
		return "compatible"
	case Safe:
		return "safe"
	}
	return "plaintext"
}

// ParseMode reads "plaintext" (or "plain"), "compatible" or "safe".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "plaintext", "plain":
		return Plaintext, nil
	case "compatible":
		return Compatible, nil
	case "safe":
		return Safe, nil
	}
	return 0, fmt.Errorf("push: unknown mode %q (want plaintext, compatible or safe)", s)
}

// Sealer builds pushes the way WeChat's servers do: signed, and encrypted in the compatible
// and safe modes. The simulator and the tests use it; kefu itself only opens pushes. It is
// safe for concurrent use.
type Sealer struct {
	appID string
	token string
	key   *key
}

// NewSealer returns a Sealer for a mini program. encodingAESKey may be empty when only
// plaintext pushes are built.
func NewSealer(appID, token, encodingAESKey string) (*Sealer, error) {
	if appID == "" || token == "" {
		return nil, fmt.Errorf("push: a Sealer needs an AppID and a Token")
	}
	s := &Sealer{appID: appID, token: token}
	if encodingAESKey != "" {
		k, err := parseKey(encodingAESKey)
		if err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		s.key = k
	}
	return s, nil
}

// SealOptions says how to build a push. The zero value is a plaintext XML push stamped now
// with a random nonce.
type SealOptions struct {
	Mode   Mode
	Format Format
	// Time is the push's timestamp; zero means now.
	Time time.Time
	// Nonce is the URL nonce; empty means a random number, as WeChat sends.
	Nonce string
	// Random is the 16-byte random prefix of the ciphertext; nil means fresh random bytes.
	Random []byte
}

// Sealed is a push ready to POST: the URL query and the body.
type Sealed struct {
	Query url.Values
	Body  []byte
}

// Seal builds the push WeChat would send for m.
func (s *Sealer) Seal(m *Message, opts SealOptions) (Sealed, error) {
	fs := messageFields(m)
	return s.seal(fs, m.FromUserName, m.ToUserName, opts)
}

// SealRaw builds a push whose plaintext message is exactly plain (already in opts.Format),
// from openid to the mini program whose original id is to.
func (s *Sealer) SealRaw(plain []byte, openid, to string, opts SealOptions) (Sealed, error) {
	return s.sealPlain(plain, nil, openid, to, opts)
}

func (s *Sealer) seal(fs []field, openid, to string, opts SealOptions) (Sealed, error) {
	return s.sealPlain(encodeFields(fs, opts.Format), fs, openid, to, opts)
}

func (s *Sealer) sealPlain(plain []byte, fs []field, openid, to string, opts SealOptions) (Sealed, error) {
	ts, nonce, err := stamp(opts)
	if err != nil {
		return Sealed{}, err
	}
	q := url.Values{}
	q.Set("signature", Signature(s.token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	if opts.Mode == Plaintext {
		return Sealed{Query: q, Body: plain}, nil
	}
	if s.key == nil {
		return Sealed{}, fmt.Errorf("push: %s mode needs an EncodingAESKey", opts.Mode)
	}
	enc, err := s.key.encrypt(opts.Random, plain, s.appID)
	if err != nil {
		return Sealed{}, err
	}
	q.Set("openid", openid)
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", Signature(s.token, ts, nonce, enc))
	var outer []field
	if opts.Mode == Compatible && fs != nil {
		outer = append(outer, fs...)
	} else {
		outer = append(outer, field{"ToUserName", to, false})
	}
	outer = append(outer, field{"Encrypt", enc, false})
	return Sealed{Query: q, Body: encodeFields(outer, opts.Format)}, nil
}

// Verification returns the query of a GET URL verification carrying echostr.
func (s *Sealer) Verification(echostr string, opts SealOptions) (url.Values, error) {
	ts, nonce, err := stamp(opts)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("signature", Signature(s.token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("echostr", echostr)
	return q, nil
}

// Encrypt returns the Encrypt field for msg with the given 16 random bytes (nil: fresh ones).
func (s *Sealer) Encrypt(random, msg []byte) (string, error) {
	if s.key == nil {
		return "", fmt.Errorf("push: no EncodingAESKey")
	}
	return s.key.encrypt(random, msg, s.appID)
}

// EncryptAnswer builds an encrypted passive answer around plain, as a server does: Encrypt,
// MsgSignature, TimeStamp and Nonce, in format f.
func (s *Sealer) EncryptAnswer(random, plain []byte, f Format, ts int64, nonce string) ([]byte, error) {
	if s.key == nil {
		return nil, fmt.Errorf("push: no EncodingAESKey")
	}
	return sealAnswer(s.key, random, s.token, s.appID, plain, f, ts, nonce)
}

// OpenAnswer reads a server's answer to a push as WeChat does: "success" or an empty body
// give (nil, nil); an encrypted answer is checked (MsgSignature, AppID) and decrypted; any
// other body is returned as it is. It tells the simulator what a function answered.
func (s *Sealer) OpenAnswer(body []byte) (*Message, error) {
	str := string(body)
	if str == "" || str == Success {
		return nil, nil
	}
	var outer fields
	if _, err := parseBody(str, &outer); err != nil {
		return nil, err
	}
	if !outer.hasEncrypt {
		if err := outer.finish(); err != nil {
			return nil, err
		}
		outer.m.Raw = str
		return &outer.m, nil
	}
	if s.key == nil {
		return nil, fmt.Errorf("push: an encrypted answer but no EncodingAESKey")
	}
	var sum [40]byte
	sign(&sum, s.token, trimSpace(outer.timeStamp), outer.nonce, outer.encrypt, 4)
	if !equalSignature(&sum, outer.msgSignature) {
		return nil, refuse(ErrSignature, "MsgSignature does not match")
	}
	msg, appID, err := s.key.decrypt(outer.encrypt)
	if err != nil {
		return nil, err
	}
	if string(appID) != s.appID {
		return nil, refuse(ErrAppID, "the answer names another AppID")
	}
	var inner fields
	if _, err := parseBody(string(msg), &inner); err != nil {
		return nil, err
	}
	if err := inner.finish(); err != nil {
		return nil, err
	}
	inner.m.Raw = string(msg)
	return &inner.m, nil
}

func stamp(opts SealOptions) (ts, nonce string, err error) {
	t := opts.Time
	if t.IsZero() {
		t = time.Now()
	}
	nonce = opts.Nonce
	if nonce == "" {
		n, err := rand.Int(rand.Reader, big.NewInt(1e10))
		if err != nil {
			return "", "", fmt.Errorf("push: nonce: %w", err)
		}
		nonce = n.String()
	}
	return strconv.FormatInt(t.Unix(), 10), nonce, nil
}
