package push

import (
	"encoding/json"
	"strings"
	"testing"
)

func parse(t *testing.T, body string) (Message, error) {
	t.Helper()
	var f fields
	if _, err := parseBody(body, &f); err != nil {
		return Message{}, err
	}
	if err := f.finish(); err != nil {
		return Message{}, err
	}
	return f.m, nil
}

func TestParseTypes(t *testing.T) {
	cases := []struct {
		name string
		body string
		want Message
	}{
		{"text JSON (doc sample)",
			`{"ToUserName":"toUser","FromUserName":"fromUser","CreateTime":1482048670,"MsgType":"text","Content":"this is a test","MsgId":1234567890123456}`,
			Message{ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1482048670, MsgType: "text", Content: "this is a test", MsgID: "1234567890123456", Format: JSON}},
		{"MsgId above 2^53 keeps every digit",
			`{"ToUserName":"gh_919b00572d95","FromUserName":"oVneZ57wJnV-ObtCiGv26PRrOz2g","CreateTime":1651049934,"MsgType":"text","Content":"回复文本","MsgId":23637352235060881}`,
			Message{ToUserName: "gh_919b00572d95", FromUserName: "oVneZ57wJnV-ObtCiGv26PRrOz2g", CreateTime: 1651049934, MsgType: "text", Content: "回复文本", MsgID: "23637352235060881", Format: JSON}},
		{"CloudBase: string MsgId, AppID as ToUserName",
			`{"FromUserName":"ohl4L0Rnhq7vmmbT_DaNQa4ePaz0","ToUserName":"wx3d289323f5900f8e","Content":"测试","CreateTime":1555684067,"MsgId":"49d72d67b16d115e7935ac386f2f0fa41535298877_1555684067","MsgType":"text"}`,
			Message{ToUserName: "wx3d289323f5900f8e", FromUserName: "ohl4L0Rnhq7vmmbT_DaNQa4ePaz0", CreateTime: 1555684067, MsgType: "text", Content: "测试", MsgID: "49d72d67b16d115e7935ac386f2f0fa41535298877_1555684067", Format: JSON}},
		{"CreateTime as a string",
			`{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":"1610969440","MsgType":"event","Event":"user_enter_tempsession","SessionFrom":"文章详情的客服按钮"}`,
			Message{ToUserName: "gh_1", FromUserName: "o1", CreateTime: 1610969440, MsgType: "event", Event: "user_enter_tempsession", SessionFrom: "文章详情的客服按钮", Format: JSON}},
		{"image JSON",
			`{"ToUserName":"toUser","FromUserName":"fromUser","CreateTime":1482048670,"MsgType":"image","PicUrl":"this is a url","MediaId":"media_id","MsgId":1234567890123456}`,
			Message{ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1482048670, MsgType: "image", PicURL: "this is a url", MediaID: "media_id", MsgID: "1234567890123456", Format: JSON}},
		{"miniprogrampage JSON",
			`{"ToUserName":"toUser","FromUserName":"fromUser","CreateTime":1482048670,"MsgType":"miniprogrampage","MsgId":1234567890123456,"Title":"title","AppId":"appid","PagePath":"path","ThumbUrl":"","ThumbMediaId":""}`,
			Message{ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1482048670, MsgType: "miniprogrampage", MsgID: "1234567890123456", Title: "title", AppID: "appid", PagePath: "path", Format: JSON}},
		{"escapes and an unknown nested member",
			`{"ToUserName":"gh_1","FromUserName":"o\/1","CreateTime":1,"MsgType":"event","Event":"subscribe_msg_popup_event","List":[{"TemplateId":"x","SubscribeStatusString":"accept"},{"a":[1,2.5e3,-0.1,true,false,null]}],"Content":"\u8ba2\u5355 \ud83d\ude00 \"q\" \\ \n"}`,
			Message{ToUserName: "gh_1", FromUserName: "o/1", CreateTime: 1, MsgType: "event", Event: "subscribe_msg_popup_event", Content: "订单 😀 \"q\" \\ \n", Format: JSON}},
		{"text XML with CDATA",
			"<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName><CreateTime>1482048670</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[this is a test]]></Content><MsgId>23637352235060880</MsgId></xml>",
			Message{ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1482048670, MsgType: "text", Content: "this is a test", MsgID: "23637352235060880", Format: XML}},
		{"XML: declaration, BOM, comments, white space, entities, split CDATA, attributes",
			"\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- c -->\n<xml a='1'>\n  <ToUserName>gh_&amp;1</ToUserName>\n  <FromUserName><![CDATA[o]]]]><![CDATA[>1]]></FromUserName>\n  <CreateTime> 7 </CreateTime><!-- c -->\n  <MsgType>text</MsgType>\n  <Content>&lt;a&gt; &#35746;&#x5355; &quot;&apos;</Content>\n  <Empty/>\n  <List><item><x>1</x></item><item/></List>\n</xml>\n",
			Message{ToUserName: "gh_&1", FromUserName: "o]]>1", CreateTime: 7, MsgType: "text", Content: "<a> 订单 \"'", Format: XML}},
		{"unknown type kept",
			`<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>video</MsgType></xml>`,
			Message{ToUserName: "gh", FromUserName: "o", CreateTime: 1, MsgType: "video", Format: XML}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parse(t, c.body)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	for _, body := range []string{
		``, `   `, `hello`, `{`, `{"a":}`, `{"a" 1}`, `{"a":1,}`, `{"a":1} x`, `{"a":"\x01"}`, `{"a":"\q"}`, `{"a":01}`,
		`{"a":1.}`, `{"a":tru}`, `{"a":"x`, `{"a":[1,2}`, `{"a":{"b"}}`, `{"a":"\u12"}`, `[1]`,
		strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40),
		`<xml>`, `<xml></xmk>`, `<xml>text</xml>`, `<xml><a>1</b></xml>`, `<xml><a>&bogus;</a></xml>`, `<xml><a>&#0;</a></xml>`,
		`<xml><a><![CDATA[x</a></xml>`, `<!DOCTYPE xml [<!ENTITY e "x">]><xml></xml>`, `<xml></xml><xml></xml>`, `<xml><a b=1>x</a></xml>`,
		`<xml><a>x]]>y</a></xml>`, `<1xml></1xml>`, `<xml><a>1</a>`,
		// Well formed but not a push.
		`{}`, `<xml/>`, `{"MsgType":"text","FromUserName":"o"}`, `{"ToUserName":"g","FromUserName":"o","MsgType":"text","CreateTime":"soon"}`,
		`<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><MsgType>text</MsgType><CreateTime>-5</CreateTime></xml>`,
	} {
		if m, err := parse(t, body); kindOf(err) != ErrMalformed {
			t.Errorf("%.60q: got %+v, %v", body, m, err)
		}
	}
}

// The JSON parser accepts exactly what encoding/json accepts as an object.
func TestJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`{"a":1}`, `{"a":[]}`, `{"a":{}}`, ` {"a" : "b" , "c" : [ 1 , { "d" : null } ] } `, `{"a":"\ud800"}`, `{"a":-0}`, `{"a":1e5}`,
		`{"a":1E+5}`, `{"a":"é"}`, `{"a":1}{`, `{"a":1,"a":2}`, `{"a":"\/"}`, `{"\u0041":1}`,
	} {
		var f fields
		_, err := parseBody(body, &f)
		var v map[string]any
		std := json.Unmarshal([]byte(body), &v)
		if (err == nil) != (std == nil) {
			t.Errorf("%q: ours %v, encoding/json %v", body, err, std)
		}
	}
}

func TestRawQuery(t *testing.T) {
	q := RawQuery("a=1&b=x%20y&c=%E8%AE%A2+1&a=2&d&e=&%66=6")
	for k, want := range map[string]string{"a": "1", "b": "x y", "c": "订 1", "d": "", "e": "", "f": "6", "zz": ""} {
		if got := q.Get(k); got != want {
			t.Errorf("Get(%q) = %q, want %q", k, got, want)
		}
	}
	if RawQuery("a=%zz").Get("a") != "" {
		t.Error("a bad escape should read as empty")
	}
}

func TestEncodeParses(t *testing.T) {
	m := textMessage()
	for _, f := range []Format{XML, JSON} {
		got, err := parse(t, string(Encode(m, f)))
		if err != nil {
			t.Fatal(err)
		}
		want := *m
		want.Format = f
		if got != want {
			t.Fatalf("%s: got %+v", f, got)
		}
	}
	if !json.Valid(Encode(m, JSON)) {
		t.Fatal("Encode JSON is not valid JSON")
	}
}
