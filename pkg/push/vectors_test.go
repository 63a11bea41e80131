package push

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The official vectors of reference/wechat-protocol.md §11. Each decrypts to the exact
// plaintext, and encrypting with the given random prefix reproduces the exact ciphertext and
// signature.

const (
	officialToken = "AAAAA"
	officialKey   = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	officialAppID = "wxba5fad812f8e6fb9"
)

func at(unix int64) func() time.Time { return func() time.Time { return time.Unix(unix, 0) } }

func mustOpener(t testing.TB, cfg Config) *Opener {
	t.Helper()
	o, err := NewOpener(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func mustQuery(t testing.TB, raw string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// §11.1 (1): GET verification.
func TestVectorVerify(t *testing.T) {
	if got := Signature("AAAAA", "1714036504", "1514711492"); got != "f464b24fc39322e44b38aa78f5edd27bd1441696" {
		t.Fatalf("signature = %s", got)
	}
	o := mustOpener(t, Config{AppID: officialAppID, Token: officialToken, MaxClockSkew: 5 * time.Minute, Now: at(1714036504)})
	q := mustQuery(t, "signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249")
	echo, err := o.Verify(q)
	if err != nil || echo != "4375120948345356249" {
		t.Fatalf("Verify = %q, %v", echo, err)
	}
	// The same through RawQuery.
	echo, err = o.Verify(RawQuery("signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249"))
	if err != nil || echo != "4375120948345356249" {
		t.Fatalf("Verify(RawQuery) = %q, %v", echo, err)
	}
}

// §11.1 (2): a plaintext JSON push.
func TestVectorPlainJSON(t *testing.T) {
	o := mustOpener(t, Config{AppID: officialAppID, Token: officialToken, MaxClockSkew: 5 * time.Minute, Now: at(1714037059)})
	body := `{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714037059,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}`
	p, err := o.Open(mustQuery(t, "signature=899cf89e464efb63f54ddac96b0a0a235f53aa78&timestamp=1714037059&nonce=486452656"), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := Message{ToUserName: "gh_97417a04a28d", FromUserName: "o9AgO5Kd5ggOC-bXrbNODIiE3bGY", CreateTime: 1714037059,
		MsgType: "event", Event: "debug_demo", Format: JSON, Raw: body}
	if p.Message != want || p.Encrypted {
		t.Fatalf("got %+v", p)
	}
}

const e1 = "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04="

// §11.1 (3): a safe-mode JSON push.
func TestVectorSafeJSON(t *testing.T) {
	o := mustOpener(t, Config{AppID: officialAppID, Token: officialToken, EncodingAESKey: officialKey, MaxClockSkew: 5 * time.Minute, Now: at(1714112445)})
	q := mustQuery(t, "signature=6c5c811b55cc85e0e1b54100749188c20beb3f5d&timestamp=1714112445&nonce=415670741&openid=o9AgO5Kd5ggOC-bXrbNODIiE3bGY&encrypt_type=aes&msg_signature=046e02f8204d34f8ba5fa3b1db94908f3df2e9b3")
	// Even in safe mode the URL signature is the 3-part one.
	if Signature(officialToken, "1714112445", "415670741") != q.Get("signature") {
		t.Fatal("3-part signature of the safe example")
	}
	body := `{"ToUserName":"gh_97417a04a28d","Encrypt":"` + e1 + `"}`
	p, err := o.Open(q, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	wantRaw := `{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}`
	if p.Raw != wantRaw || !p.Encrypted || p.KeyIndex != 0 || p.Event != "debug_demo" || p.CreateTime != 1714112445 || p.Format != JSON {
		t.Fatalf("got %+v", p)
	}

	// The layout the reference spells out: 224 bytes, pad 19, random a8eedb185eb2fecf, length 167.
	k, _ := parseKey(officialKey)
	msg, appID, err := k.decrypt(e1)
	if err != nil || string(msg) != wantRaw || string(appID) != officialAppID || len(msg) != 167 {
		t.Fatalf("decrypt: %q %q %v", msg, appID, err)
	}
	enc, err := k.encrypt([]byte("a8eedb185eb2fecf"), msg, officialAppID)
	if err != nil || enc != e1 {
		t.Fatalf("re-encrypting with the same random: %v\n%s", err, enc)
	}
}

// §11.1 (4): an encrypted JSON reply.
func TestVectorEncryptedJSONReply(t *testing.T) {
	s, err := NewSealer(officialAppID, officialToken, officialKey)
	if err != nil {
		t.Fatal(err)
	}
	body, err := s.EncryptAnswer([]byte("707722b803182950"), []byte(`{"demo_resp":"good luck"}`), JSON, 1713424427, "415670741")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Encrypt":"ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==","MsgSignature":"1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1","TimeStamp":1713424427,"Nonce":"415670741"}`
	if string(body) != want {
		t.Fatalf("reply\n got %s\nwant %s", body, want)
	}
}

const e2 = "D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7oAbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUlYEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P4xQrWXbsTFHTYe0Mg=="

// §11.2: the XML safe-mode push and reply (third-party platform page).
func TestVectorSafeXML(t *testing.T) {
	const appID = "wx134c8103faa5a59e"
	o := mustOpener(t, Config{AppID: appID, Token: officialToken, EncodingAESKey: officialKey, MaxClockSkew: 5 * time.Minute, Now: at(1715943329)})
	q := mustQuery(t, "signature=cc0c594499c1634947d5b502f158ee518947db27&timestamp=1715943329&nonce=1590219412&openid=o9AgO5Kd5ggOC-bXrbNODIiE3bGY&encrypt_type=aes&msg_signature=6c12a4205838198b8fa631b3220723bb07f1015c")
	body := "<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt><![CDATA[" + e2 + "]]></Encrypt></xml>"
	p, err := o.Open(q, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Raw) != 292 || !strings.Contains(p.Raw, "\n") {
		t.Fatalf("plaintext %d bytes: %q", len(p.Raw), p.Raw)
	}
	if p.ToUserName != "gh_97417a04a28d" || p.FromUserName != "o9AgO5Kd5ggOC-bXrbNODIiE3bGY" || p.CreateTime != 1715943329 ||
		p.MsgType != "event" || p.Event != "debug_demo" || p.Format != XML {
		t.Fatalf("got %+v", p.Message)
	}
	k, _ := parseKey(officialKey)
	msg, _, _ := k.decrypt(e2)
	if enc, _ := k.encrypt([]byte("1205899eaf019bbd"), msg, appID); enc != e2 {
		t.Fatal("re-encrypting E2 with its random prefix differs")
	}

	s, err := NewSealer(appID, officialToken, officialKey)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := s.EncryptAnswer([]byte("999951349e8ee746"), []byte("<xml><demo_resp>[CDATA[good luck]]</demo_resp></xml>"), XML, 1713424427, "415670741")
	if err != nil {
		t.Fatal(err)
	}
	want := "<xml><Encrypt><![CDATA[hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+3HAZbSvPT9t/o11MI7d6WELwqrGd7jMnV0zv3Zc9Nq7]]></Encrypt>" +
		"<MsgSignature><![CDATA[03e0812039325c2712ef5f0f980fd14c70d6e307]]></MsgSignature><TimeStamp>1713424427</TimeStamp><Nonce><![CDATA[415670741]]></Nonce></xml>"
	if string(reply) != want {
		t.Fatalf("reply\n got %s\nwant %s", reply, want)
	}
}

// §11.3: WxJava's vectors (Tencent's sample values).
func TestVectorWxJava(t *testing.T) {
	const (
		key   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
		appID = "wxb11529c136998cb6"
	)
	k, err := parseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ plain, enc string }{
		{"我是中文abcd123", "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="},
		{`<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>`,
			"jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb"},
	}
	for _, c := range cases {
		enc, err := k.encrypt([]byte("aaaabbbbccccdddd"), []byte(c.plain), appID)
		if err != nil || enc != c.enc {
			t.Errorf("encrypt %.20q: %v\n got %s\nwant %s", c.plain, err, enc, c.enc)
		}
		msg, gotApp, err := k.decrypt(c.enc)
		if err != nil || string(msg) != c.plain || string(gotApp) != appID {
			t.Errorf("decrypt: %q %q %v", msg, gotApp, err)
		}
	}
	// The second vector is an XML message with a nested <Video>: Open parses it and skips the
	// nested element.
	s, _ := NewSealer(appID, "pamtest", key)
	sealed, err := s.SealRaw([]byte(cases[1].plain), "oia2Tj", "gh_7f083739789a", SealOptions{Mode: Safe, Format: XML, Time: time.Unix(1409304348, 0), Nonce: "xxxxxx", Random: []byte("aaaabbbbccccdddd")})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(sealed.Body, []byte(cases[1].enc)) {
		t.Fatal("SealRaw does not reproduce the vector's ciphertext")
	}
	o := mustOpener(t, Config{AppID: appID, Token: "pamtest", EncodingAESKey: key, Now: at(1409304348)})
	p, err := o.Open(sealed.Query, sealed.Body)
	if err != nil {
		t.Fatal(err)
	}
	if p.MsgType != "video" || p.FromUserName != "gh_7f083739789a" || p.Title != "" {
		t.Fatalf("got %+v", p.Message)
	}
}

// §11.3: wechatpy's vectors (WeCom; the same scheme with the corp id as the receive id).
func TestVectorWechatpy(t *testing.T) {
	const (
		token = "123456"
		key   = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
		id    = "wx49f0ab532d5d035a"
	)
	o := mustOpener(t, Config{AppID: id, Token: token, EncodingAESKey: key, MaxClockSkew: time.Minute, Now: at(1411525903)})
	body := "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>"
	q := url.Values{"msg_signature": {"74d92dfeb87ba7c714f89d98870ae5eb62dff26d"}, "timestamp": {"1411525903"}, "nonce": {"461056294"}}
	p, err := o.Open(q, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if p.Content != "test" || p.FromUserName != "messense" || p.MsgType != "text" {
		t.Fatalf("got %+v", p.Message)
	}

	s, _ := NewSealer(id, token, key)
	reply := "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>"
	out, err := s.EncryptAnswer([]byte("1234567890123456"), []byte(reply), XML, 1411525903, "461056294")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3",
		"407518b7649e86ef23978113f92d27afa9296533",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the encrypted reply lacks %s:\n%s", want, out)
		}
	}
	// And the simulator's side reads it back.
	m, err := s.OpenAnswer(out)
	if err != nil || m.Content != "test" || m.ToUserName != "messense" {
		t.Fatalf("OpenAnswer: %+v %v", m, err)
	}
}
