package gateway_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/gateway"
	"github.com/kefuhq/kefu/pkg/kefu"
)

// FuzzInvoke feeds arbitrary events to the detector, the normalisers and the Handler: none
// may panic, Invoke never returns an error, and every answer marshals to JSON.
func FuzzInvoke(f *testing.F) {
	for path := range samples() {
		f.Add(sample(f, path))
	}
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"version":"2.0","isBase64Encoded":true,"body":"="}`,
		`{"requestContext":{"elb":{}},"multiValueQueryStringParameters":{"%zz":["%"]}}`,
		`{"httpMethod":"GET","queryString":{"a":true,"b":["x","y"],"c":"z"}}`,
		`{"requestContext":{"serviceId":"s","requestId":7}}`,
	} {
		f.Add([]byte(s))
	}
	svc := &echo{}
	h := &gateway.Handler{Service: svc}
	now := time.Now()
	f.Fuzz(func(t *testing.T, event []byte) {
		ev, err := gateway.Decode(event, now)
		if err == nil {
			if ev.Kind == gateway.Unknown {
				t.Fatalf("decoded an event of no known shape: %q", event)
			}
			if ev.Request.Query == nil {
				t.Fatalf("no query: %q", event)
			}
			// A query reads without panicking, whatever its encoding.
			_ = ev.Request.Query.Get("signature")
		}
		answer, err := h.Invoke(context.Background(), event)
		if err != nil {
			t.Fatalf("Invoke failed: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(answer, &m); err != nil || m["statusCode"] == nil {
			t.Fatalf("the answer %q is no response: %v", answer, err)
		}
	})
}

// echo answers every request 200 with its body.
type echo struct{}

func (echo) Handle(_ context.Context, req kefu.Request) kefu.Response {
	return kefu.Response{Status: 200, ContentType: "text/plain", Body: req.Body}
}
