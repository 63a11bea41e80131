package push

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// benchOpen opens the same sealed push b.N times; the query is a RawQuery, as the HTTP hosts
// pass it.
func benchOpen(b *testing.B, mode Mode, f Format) {
	o, s := newPair(b, Config{EncodingAESKey: testKey, MaxClockSkew: 5 * time.Minute})
	m := &Message{ToUserName: "gh_97417a04a28d", FromUserName: "o9AgO5Kd5ggOC-bXrbNODIiE3bGY", CreateTime: testNow,
		MsgType: TypeText, Content: "你好，我想了解一下训练营的课程安排", MsgID: "23637352235060880"}
	sealed := seal(b, s, m, mode, f)
	q := RawQuery(sealed.Query.Encode())
	b.SetBytes(int64(len(sealed.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := o.Open(q, sealed.Body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen is issue 2's figure: verify + decrypt + parse of a safe-mode text push.
func BenchmarkOpen(b *testing.B) {
	b.Run("safe/json", func(b *testing.B) { benchOpen(b, Safe, JSON) })
	b.Run("safe/xml", func(b *testing.B) { benchOpen(b, Safe, XML) })
	b.Run("compatible/json", func(b *testing.B) { benchOpen(b, Compatible, JSON) })
	b.Run("plaintext/json", func(b *testing.B) { benchOpen(b, Plaintext, JSON) })
	b.Run("plaintext/xml", func(b *testing.B) { benchOpen(b, Plaintext, XML) })
}

func BenchmarkTransferReply(b *testing.B) {
	o, s := newPair(b, Config{EncodingAESKey: testKey})
	sealed := seal(b, s, textMessage(), Safe, JSON)
	p, err := o.Open(sealed.Query, sealed.Body)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.TransferReply(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenNaive is the straightforward standard-library version of opening a safe-mode
// JSON push (url.ParseQuery, sort, sha1, encoding/json, base64, crypto/cipher), kept as the
// baseline the hand-written path is measured against.
func BenchmarkOpenNaive(b *testing.B) {
	_, s := newPair(b, Config{EncodingAESKey: testKey})
	m := &Message{ToUserName: "gh_97417a04a28d", FromUserName: "o9AgO5Kd5ggOC-bXrbNODIiE3bGY", CreateTime: testNow,
		MsgType: TypeText, Content: "你好，我想了解一下训练营的课程安排", MsgID: "23637352235060880"}
	sealed := seal(b, s, m, Safe, JSON)
	raw := sealed.Query.Encode()
	aesKey, _ := base64.StdEncoding.DecodeString(testKey + "=")
	block, _ := aes.NewCipher(aesKey)
	b.ReportAllocs()
	for b.Loop() {
		q, _ := url.ParseQuery(raw)
		var outer struct{ ToUserName, Encrypt string }
		if err := json.Unmarshal(sealed.Body, &outer); err != nil {
			b.Fatal(err)
		}
		parts := []string{testToken, q.Get("timestamp"), q.Get("nonce"), outer.Encrypt}
		sort.Strings(parts)
		sum := sha1.Sum([]byte(strings.Join(parts, "")))
		if hex.EncodeToString(sum[:]) != q.Get("msg_signature") {
			b.Fatal("signature")
		}
		buf, err := base64.StdEncoding.DecodeString(outer.Encrypt)
		if err != nil {
			b.Fatal(err)
		}
		cipher.NewCBCDecrypter(block, aesKey[:16]).CryptBlocks(buf, buf)
		buf = buf[:len(buf)-int(buf[len(buf)-1])]
		n := binary.BigEndian.Uint32(buf[16:20])
		if string(buf[20+n:]) != testAppID {
			b.Fatal("appid")
		}
		var msg struct {
			ToUserName, FromUserName, MsgType, Content string
			CreateTime                                 int64
			MsgId                                      json.Number
		}
		d := json.NewDecoder(bytes.NewReader(buf[20 : 20+n]))
		d.UseNumber()
		if err := d.Decode(&msg); err != nil {
			b.Fatal(err)
		}
	}
}
