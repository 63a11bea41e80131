package push

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	testAppID = "wx0000000000kefu0"
	testToken = "kefu-token"
	testKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	testKey2  = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
	testNow   = 1764400000
)

func textMessage() *Message {
	return &Message{ToUserName: "gh_97417a04a28d", FromUserName: "o9AgO5Kd5ggOC-bXrbNODIiE3bGY", CreateTime: testNow,
		MsgType: TypeText, Content: "训练营 <b>&amp;</b> \"quoted\" ]]> end", MsgID: "23637352235060880"}
}

func newPair(t testing.TB, cfg Config) (*Opener, *Sealer) {
	t.Helper()
	if cfg.AppID == "" {
		cfg.AppID = testAppID
	}
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	if cfg.Now == nil {
		cfg.Now = at(testNow)
	}
	o := mustOpener(t, cfg)
	key := cfg.EncodingAESKey
	s, err := NewSealer(cfg.AppID, cfg.Token, key)
	if err != nil {
		t.Fatal(err)
	}
	return o, s
}

func seal(t testing.TB, s *Sealer, m *Message, mode Mode, f Format) Sealed {
	t.Helper()
	sealed, err := s.Seal(m, SealOptions{Mode: mode, Format: f, Time: time.Unix(testNow, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

func kindOf(err error) error {
	for _, k := range []error{ErrSignature, ErrTimestamp, ErrAppID, ErrPlaintext, ErrMalformed, ErrTooLarge} {
		if errors.Is(err, k) {
			return k
		}
	}
	return err
}

func TestRoundTripEveryModeAndFormat(t *testing.T) {
	o, s := newPair(t, Config{EncodingAESKey: testKey, MaxClockSkew: 5 * time.Minute})
	for _, mode := range []Mode{Plaintext, Compatible, Safe} {
		for _, f := range []Format{XML, JSON} {
			t.Run(mode.String()+"/"+f.String(), func(t *testing.T) {
				m := textMessage()
				sealed := seal(t, s, m, mode, f)
				p, err := o.Open(sealed.Query, sealed.Body)
				if err != nil {
					t.Fatal(err)
				}
				got := p.Message
				got.Raw = ""
				want := *m
				want.Format = f
				if got != want {
					t.Fatalf("got  %+v\nwant %+v", got, want)
				}
				if p.Encrypted != (mode != Plaintext) {
					t.Fatalf("Encrypted = %v", p.Encrypted)
				}
			})
		}
	}
}

// randomMessage builds a message of a random type with random Unicode content.
func randomMessage(r *rand.Rand) *Message {
	str := func(n int) string {
		alphabet := []rune("abcXYZ019 _-训练营订单客服中文😀<>&\"'\\/]]>\n\t\x01")
		var b strings.Builder
		for range r.IntN(n) {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	m := &Message{ToUserName: "gh_" + str(8) + "x", FromUserName: "o" + str(20), CreateTime: int64(r.Uint32()), MsgID: fmt.Sprint(r.Uint64() >> 1)}
	switch r.IntN(4) {
	case 0:
		m.MsgType, m.Content = TypeText, str(200)
	case 1:
		m.MsgType, m.PicURL, m.MediaID = TypeImage, "https://mmbiz.qpic.cn/"+str(10), str(30)
	case 2:
		m.MsgType, m.Title, m.AppID, m.PagePath = TypeMiniProgramPage, str(20), "wx"+str(16), "pages/"+str(10)
	default:
		m.MsgType, m.Event, m.SessionFrom, m.MsgID = TypeEvent, EventUserEnterTempSession, str(100), ""
	}
	return m
}

func randomKey(r *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, KeyLength)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// Property: random messages and keys round-trip through Seal and Open in every mode and format.
func TestPropertyRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		key := randomKey(r)
		o, s := newPair(t, Config{EncodingAESKey: key, MaxClockSkew: time.Minute})
		m := randomMessage(r)
		mode := Mode(r.IntN(3))
		f := Format(r.IntN(2))
		sealed := seal(t, s, m, mode, f)
		p, err := o.Open(sealed.Query, sealed.Body)
		if err != nil {
			t.Fatalf("case %d (%s %s): %v\n%s", i, mode, f, err, sealed.Body)
		}
		got := p.Message
		got.Raw = ""
		want := *m
		want.Format = f
		if got != want {
			t.Fatalf("case %d (%s %s):\n got %+v\nwant %+v", i, mode, f, got, want)
		}
	}
}

// Property: flipping any single byte of Encrypt, of a signature, of the timestamp or of the
// AppID is refused with the right kind of error, never a panic and never a message.
func TestPropertyFlips(t *testing.T) {
	o, s := newPair(t, Config{EncodingAESKey: testKey, MaxClockSkew: 5 * time.Minute})
	for _, f := range []Format{XML, JSON} {
		sealed := seal(t, s, textMessage(), Safe, f)
		body := string(sealed.Body)
		var outer fields
		if _, err := parseBody(body, &outer); err != nil {
			t.Fatal(err)
		}
		enc := outer.encrypt
		encAt := strings.Index(body, enc)

		flip := func(s string, i int) string {
			b := []byte(s)
			b[i] ^= 0x01 << (i % 7)
			return string(b)
		}
		// Encrypt: the msg_signature no longer matches.
		for i := range len(enc) {
			b := body[:encAt] + flip(enc, i) + body[encAt+len(enc):]
			if _, err := o.Open(sealed.Query, []byte(b)); kindOf(err) != ErrSignature && kindOf(err) != ErrMalformed {
				t.Fatalf("%s: Encrypt byte %d: %v", f, i, err)
			}
		}
		// Encrypt flipped by someone who knows the Token and signs again: the ciphertext must
		// still not open into a message for this AppID unless it is still well formed.
		for i := range len(enc) {
			fl := flip(enc, i)
			q := cloneQuery(sealed.Query)
			q.Set("msg_signature", Signature(testToken, q.Get("timestamp"), q.Get("nonce"), fl))
			b := body[:encAt] + fl + body[encAt+len(fl):]
			p, err := o.Open(q, []byte(b))
			if err == nil && p.FromUserName == "" {
				t.Fatalf("%s: re-signed Encrypt byte %d opened into an empty message", f, i)
			}
			// A flip that makes a quote or a backslash changes what the parser reads as Encrypt,
			// so the signature no longer matches: refused all the same.
			if err != nil && kindOf(err) != ErrMalformed && kindOf(err) != ErrAppID && kindOf(err) != ErrSignature {
				t.Fatalf("%s: re-signed Encrypt byte %d: %v", f, i, err)
			}
		}
		for _, param := range []string{"msg_signature", "timestamp"} {
			v := sealed.Query.Get(param)
			for i := range len(v) {
				q := cloneQuery(sealed.Query)
				q.Set(param, flip(v, i))
				_, err := o.Open(q, sealed.Body)
				want := ErrSignature
				if param == "timestamp" {
					if e := o.checkTime(q.Get(param)); e != nil {
						want = ErrTimestamp
					}
				}
				if kindOf(err) != want {
					t.Fatalf("%s: %s byte %d: %v, want %v", f, param, i, err, want)
				}
			}
		}
		// AppID: a push sealed for an AppID that differs in one byte.
		for i := range len(testAppID) {
			other, err := NewSealer(flip(testAppID, i), testToken, testKey)
			if err != nil {
				t.Fatal(err)
			}
			sealed := seal(t, other, textMessage(), Safe, f)
			if _, err := o.Open(sealed.Query, sealed.Body); kindOf(err) != ErrAppID {
				t.Fatalf("%s: AppID byte %d: %v", f, i, err)
			}
		}
	}
	// Plaintext: the URL signature.
	sealed := seal(t, s, textMessage(), Plaintext, JSON)
	sig := sealed.Query.Get("signature")
	for i := range len(sig) {
		q := cloneQuery(sealed.Query)
		q.Set("signature", sig[:i]+string(sig[i]^1)+sig[i+1:])
		if _, err := o.Open(q, sealed.Body); kindOf(err) != ErrSignature {
			t.Fatalf("signature byte %d: %v", i, err)
		}
	}
}

func cloneQuery(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	return c
}

// The order of checks of the contract: the first that fails decides.
func TestOrderOfChecks(t *testing.T) {
	o, s := newPair(t, Config{EncodingAESKey: testKey, MaxClockSkew: 5 * time.Minute})
	safe := seal(t, s, textMessage(), Safe, JSON)
	plain := seal(t, s, textMessage(), Plaintext, XML)
	stale := cloneQuery(safe.Query)
	stale.Set("timestamp", fmt.Sprint(testNow-301))
	noSig := cloneQuery(safe.Query)
	noSig.Del("msg_signature")
	onlySig := cloneQuery(safe.Query) // signature alone authenticates nothing
	onlySig.Del("msg_signature")
	plainBadSig := cloneQuery(plain.Query)
	plainBadSig.Set("signature", strings.Repeat("0", 40))
	plainWithMsgSig := cloneQuery(plain.Query)
	plainWithMsgSig.Set("signature", "")
	plainWithMsgSig.Set("msg_signature", safe.Query.Get("msg_signature"))

	badBase64 := strings.Replace(string(safe.Body), `"Encrypt":"`, `"Encrypt":"*`, 1)
	badB64Query := cloneQuery(safe.Query)
	var outer fields
	parseBody(badBase64, &outer)
	badB64Query.Set("msg_signature", Signature(testToken, safe.Query.Get("timestamp"), safe.Query.Get("nonce"), outer.encrypt))

	cases := []struct {
		name string
		q    url.Values
		body string
		want error
	}{
		{"too large beats everything", stale, strings.Repeat(" ", MaxBodySize+1), ErrTooLarge},
		{"window beats a bad body", stale, "not a push", ErrTimestamp},
		{"window beats a bad signature", stale, string(safe.Body), ErrTimestamp},
		{"bad body before the signature", noSig, "{", ErrMalformed},
		{"encrypted needs msg_signature", noSig, string(safe.Body), ErrSignature},
		{"signature alone authenticates nothing", onlySig, string(safe.Body), ErrSignature},
		{"bad base64 after a good msg_signature", badB64Query, badBase64, ErrMalformed},
		{"plaintext needs signature", plainBadSig, string(plain.Body), ErrSignature},
		{"msg_signature does not stand in for signature", plainWithMsgSig, string(plain.Body), ErrSignature},
		{"missing timestamp", url.Values{}, string(plain.Body), ErrTimestamp},
		{"empty body", plain.Query, "", ErrMalformed},
		{"JSON not an object", plain.Query, `["x"]`, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := o.Open(c.q, []byte(c.body))
			if kindOf(err) != c.want {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}

	// Plaintext refused only after its signature checks out.
	strict, _ := newPair(t, Config{EncodingAESKey: testKey, RequireEncryption: true, MaxClockSkew: 5 * time.Minute})
	if _, err := strict.Open(plainBadSig, plain.Body); kindOf(err) != ErrSignature {
		t.Fatalf("strict, bad signature: %v", err)
	}
	if _, err := strict.Open(plain.Query, plain.Body); kindOf(err) != ErrPlaintext {
		t.Fatalf("strict, plaintext: %v", err)
	}
	if _, err := strict.Open(safe.Query, safe.Body); err != nil {
		t.Fatalf("strict, safe: %v", err)
	}
}

func TestVerifyOrder(t *testing.T) {
	o, s := newPair(t, Config{MaxClockSkew: 5 * time.Minute})
	q, err := s.Verification("4375120948345356249", SealOptions{Time: time.Unix(testNow, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if echo, err := o.Verify(q); err != nil || echo != "4375120948345356249" {
		t.Fatalf("Verify = %q %v", echo, err)
	}
	stale := cloneQuery(q)
	stale.Set("timestamp", fmt.Sprint(testNow+301))
	stale.Del("echostr")
	if _, err := o.Verify(stale); kindOf(err) != ErrTimestamp {
		t.Fatalf("stale: %v", err)
	}
	bad := cloneQuery(q)
	bad.Set("signature", "x")
	bad.Del("echostr")
	if _, err := o.Verify(bad); kindOf(err) != ErrSignature {
		t.Fatalf("bad signature: %v", err)
	}
	noEcho := cloneQuery(q)
	noEcho.Del("echostr")
	if _, err := o.Verify(noEcho); kindOf(err) != ErrMalformed {
		t.Fatalf("no echostr: %v", err)
	}
}

func TestWindowOff(t *testing.T) {
	o, s := newPair(t, Config{EncodingAESKey: testKey})
	sealed, err := s.Seal(textMessage(), SealOptions{Mode: Safe, Time: time.Unix(1000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Open(sealed.Query, sealed.Body); err != nil {
		t.Fatalf("with the window off an old push opens: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	o, _ := newPair(t, Config{EncodingAESKey: testKey2, PreviousEncodingAESKey: testKey})
	_, oldSealer := newPair(t, Config{EncodingAESKey: testKey})
	_, newSealer := newPair(t, Config{EncodingAESKey: testKey2})
	_, strangerSealer := newPair(t, Config{EncodingAESKey: "0123456789012345678901234567890123456789012"})
	otherApp, _ := NewSealer("wxanotherapp00000", testToken, testKey)

	for _, c := range []struct {
		name   string
		s      *Sealer
		index  int
		refuse error
	}{
		{"current key", newSealer, 0, nil},
		{"previous key", oldSealer, 1, nil},
		{"neither key", strangerSealer, 0, ErrMalformed},
		{"previous key, other AppID", otherApp, 0, ErrAppID},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range []Format{XML, JSON} {
				sealed := seal(t, c.s, textMessage(), Safe, f)
				p, err := o.Open(sealed.Query, sealed.Body)
				if c.refuse != nil {
					if kindOf(err) != c.refuse {
						t.Fatalf("%s: got %v, want %v", f, err, c.refuse)
					}
					continue
				}
				if err != nil || p.KeyIndex != c.index {
					t.Fatalf("%s: %v, key %d", f, err, p.KeyIndex)
				}
				// The answer is encrypted with the key that opened the push.
				ans, err := o.TransferReply(p)
				if err != nil {
					t.Fatal(err)
				}
				m, err := c.s.OpenAnswer(ans.Body)
				if err != nil || m.MsgType != MsgTypeTransfer {
					t.Fatalf("%s: the answer does not open with the push's key: %v", f, err)
				}
			}
		})
	}
}

func TestTransferReply(t *testing.T) {
	o, s := newPair(t, Config{EncodingAESKey: testKey, MaxClockSkew: 5 * time.Minute})
	for _, mode := range []Mode{Plaintext, Compatible, Safe} {
		for _, f := range []Format{XML, JSON} {
			sealed := seal(t, s, textMessage(), mode, f)
			p, err := o.Open(sealed.Query, sealed.Body)
			if err != nil {
				t.Fatal(err)
			}
			ans, err := o.TransferReply(p)
			if err != nil {
				t.Fatal(err)
			}
			wantCT := "application/xml; charset=utf-8"
			if f == JSON {
				wantCT = "application/json; charset=utf-8"
			}
			if ans.ContentType != wantCT {
				t.Errorf("%s %s: content type %s", mode, f, ans.ContentType)
			}
			if sniffed, _, _ := sniff(string(ans.Body)); sniffed != f {
				t.Errorf("%s %s: answer in %s: %s", mode, f, sniffed, ans.Body)
			}
			encrypted := strings.Contains(string(ans.Body), "Encrypt")
			if encrypted != (mode != Plaintext) {
				t.Errorf("%s %s: encrypted = %v: %s", mode, f, encrypted, ans.Body)
			}
			if encrypted && !strings.Contains(string(ans.Body), sealed.Query.Get("nonce")) {
				t.Errorf("%s %s: the answer does not echo the push's nonce: %s", mode, f, ans.Body)
			}
			m, err := s.OpenAnswer(ans.Body)
			if err != nil {
				t.Fatalf("%s %s: %v\n%s", mode, f, err, ans.Body)
			}
			if m.MsgType != MsgTypeTransfer || m.ToUserName != p.FromUserName || m.FromUserName != p.ToUserName || m.CreateTime != testNow {
				t.Fatalf("%s %s: %+v", mode, f, m)
			}
		}
	}
}

func TestNewOpenerErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Token: "t"},
		{AppID: "a"},
		{AppID: "a", Token: "t", EncodingAESKey: "short"},
		{AppID: "a", Token: "t", EncodingAESKey: strings.Repeat("A", 42) + "*"},
		{AppID: "a", Token: "t", PreviousEncodingAESKey: testKey},
		{AppID: "a", Token: "t", RequireEncryption: true},
		{AppID: "a", Token: "t", MaxClockSkew: -1},
	} {
		if _, err := NewOpener(cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		} else if strings.Contains(err.Error(), cfg.EncodingAESKey) && cfg.EncodingAESKey != "" {
			t.Errorf("the error repeats the key: %v", err)
		}
	}
}

func TestEncryptedPushWithoutKey(t *testing.T) {
	o, _ := newPair(t, Config{})
	_, s := newPair(t, Config{EncodingAESKey: testKey})
	sealed := seal(t, s, textMessage(), Safe, JSON)
	if _, err := o.Open(sealed.Query, sealed.Body); kindOf(err) != ErrMalformed || !strings.Contains(err.Error(), "EncodingAESKey") {
		t.Fatalf("got %v", err)
	}
}

func TestErrorTextHoldsNoSecret(t *testing.T) {
	o, s := newPair(t, Config{EncodingAESKey: testKey, MaxClockSkew: 5 * time.Minute})
	other, _ := NewSealer("wxanotherapp00000", testToken, testKey)
	m := textMessage()
	for _, sealed := range []Sealed{seal(t, other, m, Safe, JSON), seal(t, s, m, Plaintext, XML)} {
		q := cloneQuery(sealed.Query)
		q.Set("signature", "0")
		_, err := o.Open(q, sealed.Body)
		_, err2 := o.Open(sealed.Query, sealed.Body)
		for _, e := range []error{err, err2} {
			if e == nil {
				continue
			}
			for _, secret := range []string{testToken, testKey, m.Content, m.FromUserName, "wxanotherapp"} {
				if strings.Contains(e.Error(), secret) {
					t.Errorf("error %q holds %q", e, secret)
				}
			}
		}
	}
}
