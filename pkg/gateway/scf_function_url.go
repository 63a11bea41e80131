package gateway

import (
	"encoding/json"
	"net/url"
	"time"

	scfevents "github.com/tencentyun/scf-go-lib/events"

	"github.com/kefuhq/kefu/pkg/kefu"
)

// SCFFunctionURLRequest is the event a Tencent SCF Function URL sends to an event function:
// API Gateway's event without headerParameters, isBase64Encoded, pathParameters,
// queryStringParameters and requestContext, in Tencent's words. scf-go-lib has no type for
// it.
type SCFFunctionURLRequest struct {
	HTTPMethod string `json:"httpMethod"`
	Path       string `json:"path"`
	// Headers come with lower-case names; they are read without regard to case anyway.
	Headers map[string]string `json:"headers"`
	// QueryString holds each name's values: a string, an array of strings, or true for a
	// bare name, as in API Gateway's events.
	QueryString scfevents.APIGatewayQueryString `json:"queryString"`
	Body        string                          `json:"body"`
	// IsBase64Encoded is not documented for Function URL events; it is honoured when present.
	IsBase64Encoded bool `json:"isBase64Encoded"`
}

// SCFFunctionURLResponse is the answer to an SCF Function URL event.
type SCFFunctionURLResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	// IsBase64Encoded marks a base64 body. Whether Function URLs honour it is not
	// documented; kefu's answers are text, so it is false for them.
	IsBase64Encoded bool `json:"isBase64Encoded"`
}

// decodeSCFFunctionURL reads an SCF Function URL event. It carries no time stamp and no
// request id but the one a header may hold.
func decodeSCFFunctionURL(event []byte, now time.Time) (Event, error) {
	var e SCFFunctionURLRequest
	if err := json.Unmarshal(event, &e); err != nil {
		return Event{}, malformed(err)
	}
	body, err := decodeBody(e.Body, e.IsBase64Encoded)
	if err != nil {
		return Event{}, err
	}
	id := header(e.Headers, "X-Scf-Request-Id")
	if id == "" {
		id = header(e.Headers, "X-Request-Id")
	}
	return Event{Request: kefu.Request{
		Method:  e.HTTPMethod,
		Query:   url.Values(e.QueryString),
		Body:    body,
		Arrived: now,
		ID:      id,
	}}, nil
}

// scfFunctionURLResponse answers an SCF Function URL event.
func scfFunctionURLResponse(resp kefu.Response) SCFFunctionURLResponse {
	body, b64 := encodeBody(resp.Body)
	return SCFFunctionURLResponse{
		StatusCode:      resp.Status,
		Headers:         headers(resp),
		Body:            body,
		IsBase64Encoded: b64,
	}
}
