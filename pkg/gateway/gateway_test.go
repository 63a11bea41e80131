package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/gateway"
	"github.com/kefuhq/kefu/pkg/gateway/gatewaytest"
	"github.com/kefuhq/kefu/pkg/kefu"
)

// sample reads an aws-lambda-go sample event, or a Tencent one from testdata/.
func sample(t testing.TB, path string) []byte {
	t.Helper()
	if strings.HasPrefix(path, "testdata/") {
		b, err := os.ReadFile(filepath.FromSlash(path))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b, err := gatewaytest.AWSSample(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// samples lists every sample event with its shape.
func samples() map[string]gateway.Kind {
	m := map[string]gateway.Kind{
		"testdata/scf-apigw-request.json":            gateway.SCFAPIGateway,
		"testdata/scf-apigw-request-lower-case.json": gateway.SCFAPIGateway,
		"testdata/scf-function-url-request.json":     gateway.SCFFunctionURL,
	}
	for _, k := range []gateway.Kind{gateway.APIGatewayV1, gateway.APIGatewayV2, gateway.LambdaFunctionURL, gateway.ALB} {
		for _, p := range gatewaytest.Samples(k) {
			m[p] = k
		}
	}
	return m
}

func TestDetectSamples(t *testing.T) {
	for path, want := range samples() {
		if got := gateway.Detect(sample(t, path)); got != want {
			t.Errorf("%s: Detect = %s, want %s", path, got, want)
		}
	}
	// Events of other AWS services are of no HTTP shape.
	for _, path := range []string{
		"events/testdata/s3-event.json",
		"events/testdata/sqs-event.json",
		"events/testdata/kinesis-event.json",
		"events/testdata/cognito-event.json",
	} {
		if got := gateway.Detect(sample(t, path)); got != gateway.Unknown {
			t.Errorf("%s: Detect = %s, want unknown", path, got)
		}
	}
}

func TestDetectOddInput(t *testing.T) {
	for _, in := range []string{
		``, `null`, `[]`, `"x"`, `42`, `{}`, `{`, `{"requestContext": 5, "httpMethod": "GET"}`,
		`{"version": 2}`, `{"version": "1.0"}`, `{"requestContext": {}}`,
	} {
		if got := gateway.Detect([]byte(in)); got != gateway.Unknown {
			t.Errorf("Detect(%q) = %s, want unknown", in, got)
		}
	}
	for in, want := range map[string]gateway.Kind{
		`{"httpMethod": "GET"}`:                             gateway.SCFFunctionURL,
		`{"httpMethod": "GET", "queryString": {}}`:          gateway.SCFFunctionURL,
		`{"httpMethod": "GET", "requestContext": {}}`:       gateway.APIGatewayV1,
		`{"version": "2.0"}`:                                gateway.APIGatewayV2,
		`{"requestContext": {"elb": {}}, "version": "2.0"}`: gateway.ALB,
		`{"requestContext": {"serviceId": "s"}}`:            gateway.SCFAPIGateway,
		`{"version": "2.0", "requestContext": {"domainName": "x.lambda-url.eu-west-1.on.aws"}}`: gateway.LambdaFunctionURL,
	} {
		if got := gateway.Detect([]byte(in)); got != want {
			t.Errorf("Detect(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestDecodeSamples reads the samples as they are: the fields each shape keeps where.
func TestDecodeSamples(t *testing.T) {
	now := time.Now()
	for path, kind := range samples() {
		ev, err := gateway.Decode(sample(t, path), now)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if ev.Kind != kind || ev.Request.Method == "" || ev.Request.Query == nil {
			t.Errorf("%s: %+v", path, ev)
		}
		// Every sample's time stamp is years old: the arrival is now.
		if !ev.Request.Arrived.Equal(now) {
			t.Errorf("%s: Arrived = %v, want now", path, ev.Request.Arrived)
		}
	}
	cases := []struct {
		path, method, body, id string
		query                  map[string]string
		multi                  bool
	}{
		{"events/testdata/apigw-request.json", "POST", "{\r\n\t\"a\": 1\r\n}", "deef4878-7910-11e6-8f14-25afc3e9ae33", map[string]string{"name": "me"}, false},
		{"events/testdata/apigw-v2-request-lambda-authorizer.json", "GET", "{\r\n\t\"a\": 1\r\n}", "id", map[string]string{"parameter1": "value1", "parameter2": "value"}, false},
		{"events/testdata/lambda-urls-request.json", "POST", "Hello from client!", "id", map[string]string{"parameter1": "value1", "parameter2": "value"}, false},
		{"lambdaurl/testdata/function-url-domain-only-request-with-base64-encoded-body.json", "POST", "<idk/>", "9701a3d4-36ad-40bd-bf0b-a525c987d27f", nil, false},
		{"events/testdata/alb-lambda-target-request-headers-only.json", "GET", "", "Root=1-5c34e93e-4dea0086f9763ac0667b115a", map[string]string{"key": "hello"}, false},
		{"events/testdata/alb-lambda-target-request-multivalue-headers.json", "GET", "", "Root=1-5c34e7d4-00ca239424b68028d4c56d68", map[string]string{"key": "hello"}, true},
		{"testdata/scf-apigw-request.json", "POST", `{"test":"body"}`, "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", map[string]string{"foo": "bar", "bob": "alice"}, false},
		{"testdata/scf-apigw-request-lower-case.json", "GET", "", "7e2d9f8b3c1a4e5f8a6b7c8d9e0f1a2b", map[string]string{"a": "b", "x": "y", "i": ""}, false},
		{"testdata/scf-function-url-request.json", "POST", "<xml><ToUserName><![CDATA[gh_0000000kefu0]]></ToUserName></xml>", "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
			map[string]string{"timestamp": "1700000000", "nonce": "123456789", "openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"}, false},
	}
	for _, c := range cases {
		ev, err := gateway.Decode(sample(t, c.path), now)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		r := ev.Request
		if r.Method != c.method || string(r.Body) != c.body || r.ID != c.id || ev.MultiValue != c.multi {
			t.Errorf("%s: method %q body %q id %q multi %v", c.path, r.Method, r.Body, r.ID, ev.MultiValue)
		}
		for k, v := range c.query {
			if got := r.Query.Get(k); got != v {
				t.Errorf("%s: query %s = %q, want %q", c.path, k, got, v)
			}
		}
	}
}

// TestRewriteRoundTrip puts a request into every sample the way its platform would carry it
// and reads it back: repeated names, spaces, percent signs, pluses, Chinese, base64 bodies.
func TestRewriteRoundTrip(t *testing.T) {
	q := url.Values{
		"signature": {"0123456789abcdef"},
		"repeat":    {"first", "second"},
		"space":     {"a b"},
		"pct":       {"100%"},
		"plus":      {"a+b=c"},
		"cn":        {"训练营"},
		"open id":   {"o6_bmjr-PT"},
	}
	body := []byte("<xml><Content><![CDATA[训练营 & more]]></Content></xml>")
	stamp := time.Now().Add(-3 * time.Second).Truncate(time.Millisecond)
	for path, kind := range samples() {
		for _, b64 := range []bool{false, true} {
			if b64 && kind == gateway.SCFFunctionURL {
				continue
			}
			ev, err := gatewaytest.Rewrite(kind, sample(t, path), gatewaytest.Request{
				Method: "POST", Query: q, Body: body, Base64: b64, Time: stamp, ID: "req-1",
			})
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			now := time.Now()
			got, err := gateway.Decode(ev, now)
			if err != nil {
				t.Fatalf("%s (base64 %v): %v", path, b64, err)
			}
			r := got.Request
			if got.Kind != kind || r.Method != "POST" || string(r.Body) != string(body) {
				t.Errorf("%s (base64 %v): kind %s method %q body %q", path, b64, got.Kind, r.Method, r.Body)
			}
			for k, vs := range q {
				want := vs[0]
				if kind == gateway.ALB && !got.MultiValue {
					want = vs[len(vs)-1] // single-value ALB keeps one value per name
				}
				if g := r.Query.Get(k); g != want {
					t.Errorf("%s: query %q = %q, want %q", path, k, g, want)
				}
			}
			switch kind {
			case gateway.APIGatewayV1, gateway.APIGatewayV2, gateway.LambdaFunctionURL:
				if !r.Arrived.Equal(stamp) {
					t.Errorf("%s: Arrived %v, want the event's stamp %v", path, r.Arrived, stamp)
				}
			default:
				if !r.Arrived.Equal(now) {
					t.Errorf("%s: Arrived %v, want now", path, r.Arrived)
				}
			}
			if kind != gateway.ALB && r.ID != "req-1" {
				t.Errorf("%s: ID %q", path, r.ID)
			}
		}
	}
}

func TestArrivalWindow(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	base := sample(t, "events/testdata/apigw-v2-request-no-authorizer.json")
	for _, c := range []struct {
		stamp time.Time
		want  time.Time
	}{
		{now.Add(-10 * time.Second), now.Add(-10 * time.Second)},
		{now.Add(-gateway.ArrivalWindow), now.Add(-gateway.ArrivalWindow)},
		{now.Add(-gateway.ArrivalWindow - time.Millisecond), now},
		{now.Add(5 * time.Second), now},
	} {
		ev, err := gatewaytest.Rewrite(gateway.APIGatewayV2, base, gatewaytest.Request{Method: "GET", Time: c.stamp})
		if err != nil {
			t.Fatal(err)
		}
		got, err := gateway.Decode(ev, now)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Request.Arrived.Equal(c.want) {
			t.Errorf("stamp %v: Arrived %v, want %v", c.stamp.Sub(now), got.Request.Arrived.Sub(now), c.want.Sub(now))
		}
	}
}

func TestALBQueryDecoding(t *testing.T) {
	ev := `{"requestContext": {"elb": {"targetGroupArn": "arn"}}, "httpMethod": "GET",
		"queryStringParameters": {"sig": "abc%3D", "sp": "a+b", "bad": "100%", "k%20ey": "v"}, "body": ""}`
	got, err := gateway.Decode([]byte(ev), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"sig": "abc=", "sp": "a b", "bad": "100%", "k ey": "v"} {
		if g := got.Request.Query.Get(k); g != want {
			t.Errorf("%s = %q, want %q", k, g, want)
		}
	}
	if got.MultiValue {
		t.Error("a single-value event taken as multi-value")
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		event string
		kind  gateway.Kind
		err   error
	}{
		{`{"nothing": 1}`, gateway.Unknown, gateway.ErrUnknown},
		{`not json`, gateway.Unknown, gateway.ErrUnknown},
		{`{"version": "2.0", "body": "***", "isBase64Encoded": true}`, gateway.APIGatewayV2, gateway.ErrMalformed},
		{`{"version": "2.0", "rawQueryString": 5}`, gateway.APIGatewayV2, gateway.ErrMalformed},
		{`{"httpMethod": "POST", "requestContext": {}, "multiValueQueryStringParameters": {"a": "b"}}`, gateway.APIGatewayV1, gateway.ErrMalformed},
		{`{"httpMethod": "GET", "queryString": {"a": 1}}`, gateway.SCFFunctionURL, gateway.ErrMalformed},
		{`{"httpMethod": "GET", "queryString": {"a": [1]}, "requestContext": {"serviceId": "s"}}`, gateway.SCFAPIGateway, gateway.ErrMalformed},
		{`{"requestContext": {"elb": {}}, "isBase64Encoded": true, "body": "%%%"}`, gateway.ALB, gateway.ErrMalformed},
	} {
		ev, err := gateway.Decode([]byte(c.event), time.Now())
		if !errors.Is(err, c.err) || ev.Kind != c.kind {
			t.Errorf("%s: kind %s, err %v; want %s, %v", c.event, ev.Kind, err, c.kind, c.err)
		}
	}
	// A malformed event from an ALB with multi-value headers is answered with them.
	ev, err := gateway.Decode([]byte(`{"requestContext": {"elb": {}}, "multiValueHeaders": {}, "isBase64Encoded": true, "body": "%"}`), time.Now())
	if err == nil || ev.Kind != gateway.ALB || !ev.MultiValue {
		t.Errorf("a malformed multi-value ALB event: %+v, %v", ev, err)
	}
}

// TestResponseShapes checks the JSON each platform reads from the answer.
func TestResponseShapes(t *testing.T) {
	resp := kefu.Response{
		Status: http.StatusMethodNotAllowed, ContentType: "text/plain; charset=utf-8",
		Body: []byte("method not allowed"), Header: http.Header{"Allow": {"GET, POST"}},
	}
	type shape struct {
		StatusCode        int                 `json:"statusCode"`
		StatusDescription *string             `json:"statusDescription"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              string              `json:"body"`
		IsBase64Encoded   *bool               `json:"isBase64Encoded"`
	}
	for _, c := range []struct {
		ev          gateway.Event
		description bool // statusDescription "405 Method Not Allowed"
		multi       bool // headers in multiValueHeaders only
		b64Field    bool // isBase64Encoded present even when false
	}{
		{gateway.Event{Kind: gateway.APIGatewayV1}, false, false, false},
		{gateway.Event{Kind: gateway.APIGatewayV2}, false, false, false},
		{gateway.Event{Kind: gateway.LambdaFunctionURL}, false, false, true},
		{gateway.Event{Kind: gateway.ALB}, true, false, true},
		{gateway.Event{Kind: gateway.ALB, MultiValue: true}, true, true, true},
		{gateway.Event{Kind: gateway.SCFAPIGateway}, false, false, true},
		{gateway.Event{Kind: gateway.SCFFunctionURL}, false, false, true},
		{gateway.Event{Kind: gateway.Unknown}, true, false, true},
	} {
		b, err := json.Marshal(c.ev.Response(resp))
		if err != nil {
			t.Fatal(err)
		}
		var s shape
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		ok := s.StatusCode == 405 && s.Body == "method not allowed"
		if c.multi {
			ok = ok && s.Headers == nil && s.MultiValueHeaders["Content-Type"][0] == resp.ContentType &&
				s.MultiValueHeaders["Allow"][0] == "GET, POST"
		} else {
			ok = ok && s.Headers["Content-Type"] == resp.ContentType && s.Headers["Allow"] == "GET, POST"
		}
		if c.description {
			ok = ok && s.StatusDescription != nil && *s.StatusDescription == "405 Method Not Allowed"
		}
		if c.b64Field {
			ok = ok && s.IsBase64Encoded != nil && !*s.IsBase64Encoded
		} else {
			ok = ok && (s.IsBase64Encoded == nil || !*s.IsBase64Encoded)
		}
		if !ok {
			t.Errorf("%s (multi %v): %s", c.ev.Kind, c.ev.MultiValue, b)
		}
	}
	// A body that is not UTF-8 travels base64-encoded.
	b, _ := json.Marshal(gateway.Event{Kind: gateway.APIGatewayV2}.Response(kefu.Response{Status: 200, Body: []byte{0xff, 0xfe}}))
	if !strings.Contains(string(b), `"body":"//4="`) || !strings.Contains(string(b), `"isBase64Encoded":true`) {
		t.Errorf("binary body: %s", b)
	}
}

// service is a Service for the Handler tests.
type service struct {
	resp     kefu.Response
	panicky  bool
	got      kefu.Request
	deadline time.Time
	hasDL    bool
}

func (s *service) Handle(ctx context.Context, req kefu.Request) kefu.Response {
	s.got = req
	s.deadline, s.hasDL = ctx.Deadline()
	if s.panicky {
		panic("boom")
	}
	return s.resp
}

func invoke(t *testing.T, h *gateway.Handler, ctx context.Context, event []byte) map[string]any {
	t.Helper()
	b, err := h.Invoke(ctx, event)
	if err != nil {
		t.Fatalf("Invoke returned an error: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHandlerRefusalsAreAnswers(t *testing.T) {
	svc := &service{resp: kefu.Response{Status: 401, ContentType: "text/plain; charset=utf-8", Body: []byte("bad signature")}}
	h := &gateway.Handler{Service: svc}
	v2 := sample(t, "events/testdata/apigw-v2-request-no-authorizer.json")

	m := invoke(t, h, context.Background(), v2)
	if m["statusCode"] != 401.0 || m["body"] != "bad signature" {
		t.Errorf("a refusal: %v", m)
	}
	m = invoke(t, h, context.Background(), []byte(`{"hello": "world"}`))
	if m["statusCode"] != 400.0 || m["statusDescription"] != "400 Bad Request" || !strings.Contains(m["body"].(string), "no known shape") {
		t.Errorf("an unknown event: %v", m)
	}
	m = invoke(t, h, context.Background(), []byte("not JSON at all"))
	if m["statusCode"] != 400.0 || m["statusDescription"] != "400 Bad Request" || !strings.Contains(m["body"].(string), "no known shape") {
		t.Errorf("an unknown event: %v", m)
	}
	m = invoke(t, h, context.Background(), []byte(`{"version": "2.0", "isBase64Encoded": true, "body": "!"}`))
	if m["statusCode"] != 400.0 || m["statusDescription"] != nil {
		t.Errorf("a malformed v2 event is answered in the v2 shape: %v", m)
	}
	svc.panicky = true
	m = invoke(t, h, context.Background(), v2)
	if m["statusCode"] != 500.0 {
		t.Errorf("a panic: %v", m)
	}
}

func TestHandlerDeadlines(t *testing.T) {
	svc := &service{resp: kefu.Response{Status: 200}}
	h := &gateway.Handler{Service: svc, RequestID: func(context.Context) string { return "invocation-id" }}
	alb := sample(t, "events/testdata/alb-lambda-target-request-headers-only.json")
	noID := []byte(`{"httpMethod": "GET", "queryString": {}}`)

	dl := time.Now().Add(3 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), dl)
	defer cancel()
	invoke(t, h, ctx, alb)
	if !svc.hasDL || !svc.deadline.Equal(dl.Add(-gateway.AnswerMargin)) {
		t.Errorf("the service's deadline %v, want the platform's %v less the margin", svc.deadline, dl)
	}
	if svc.got.ID == "invocation-id" {
		t.Errorf("the event's own id was replaced")
	}
	invoke(t, h, ctx, noID)
	if svc.got.ID != "invocation-id" {
		t.Errorf("an event without an id got %q, want the invocation's", svc.got.ID)
	}

	// A deadline already past (SCF's zero Deadline) is no deadline.
	past, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	invoke(t, h, past, alb)
	if svc.hasDL {
		t.Errorf("an expired platform deadline reached the service: %v", svc.deadline)
	}
}
