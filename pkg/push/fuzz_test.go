package push

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"
)

// FuzzOpen feeds arbitrary queries and bodies to Open: it must never panic, and every refusal
// must be one of the typed kinds.
func FuzzOpen(f *testing.F) {
	o, s := newPair(f, Config{EncodingAESKey: testKey, MaxClockSkew: 5 * time.Minute})
	for _, mode := range []Mode{Plaintext, Compatible, Safe} {
		for _, format := range []Format{XML, JSON} {
			sealed := seal(f, s, textMessage(), mode, format)
			f.Add(sealed.Query.Encode(), sealed.Body)
		}
	}
	f.Add("timestamp=1764400000", []byte(`<xml><a>&#x5355;</a></xml>`))
	f.Fuzz(func(t *testing.T, rawQuery string, body []byte) {
		q, _ := url.ParseQuery(rawQuery)
		p, err := o.Open(q, body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || kindOf(err) != e.Kind {
				t.Fatalf("untyped error %T %v", err, err)
			}
			return
		}
		if p.MsgType == "" || p.FromUserName == "" || p.ToUserName == "" {
			t.Fatalf("opened without the required fields: %+v", p.Message)
		}
		if _, err := o.TransferReply(p); err != nil {
			t.Fatal(err)
		}
		// Whatever opens also opens through RawQuery.
		if _, err := o.Open(RawQuery(q.Encode()), body); err != nil {
			t.Fatalf("RawQuery disagrees: %v", err)
		}
	})
}

// FuzzDecrypt feeds arbitrary Encrypt fields to the decrypter, and checks that whatever it
// accepts encrypts back to the same ciphertext with the same random prefix.
func FuzzDecrypt(f *testing.F) {
	k, _ := parseKey(testKey)
	for _, msg := range []string{"", "x", `{"a":1}`, string(make([]byte, 100))} {
		enc, _ := k.encrypt([]byte("0123456789abcdef"), []byte(msg), testAppID)
		f.Add(enc)
	}
	f.Add("====")
	f.Fuzz(func(t *testing.T, enc string) {
		msg, appID, err := k.decrypt(enc)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(msg)+len(appID) > len(enc) {
			t.Fatal("plaintext longer than its ciphertext")
		}
	})
}

// FuzzParseJSON checks the hand-written JSON parser against encoding/json: both accept the
// same objects, and the string fields agree.
func FuzzParseJSON(f *testing.F) {
	f.Add(`{"ToUserName":"a","Content":"\u8ba2\ud83d\ude00","List":[1,{"x":null}],"MsgId":123}`)
	f.Add(`{"a":"\ud800x"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var fs fields
		_, err := parseBody(body, &fs)
		format, _, ok := sniff(body)
		if !ok || format != JSON {
			return
		}
		var v map[string]json.RawMessage
		std := json.Unmarshal([]byte(body), &v)
		if (err == nil) != (std == nil) {
			t.Fatalf("ours %v, encoding/json %v", err, std)
		}
		if err != nil {
			return
		}
		if raw, ok := v["Content"]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil && s != fs.m.Content && validUTF8Pairs(raw) {
				t.Fatalf("Content %q, encoding/json %q", fs.m.Content, s)
			}
		}
	})
}

// validUTF8Pairs reports whether a JSON string's escapes hold no lone surrogates, where the
// two decoders may legitimately differ in the replacement they make.
func validUTF8Pairs(raw []byte) bool {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return false
	}
	for _, r := range s {
		if r == 0xFFFD {
			return false
		}
	}
	return true
}

// FuzzParseXML: the XML parser never panics and every failure is typed.
func FuzzParseXML(f *testing.F) {
	f.Add("<xml><ToUserName><![CDATA[a]]></ToUserName><b>&amp;&#x41;</b><c><d/></c></xml>")
	f.Fuzz(func(t *testing.T, body string) {
		var fs fields
		if _, err := parseBody(body, &fs); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
