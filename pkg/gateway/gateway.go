// Package gateway reads the HTTP events of the serverless platforms kefu runs on, and writes
// the answers back in each event's own shape. Like aws-lambda-go's events package it holds one
// file per platform shape:
//
//	apigw.go                 API Gateway REST API (payload 1.0) and HTTP API (payload 2.0)
//	lambda_function_urls.go  Lambda Function URLs
//	alb.go                   Application Load Balancer target groups
//	scf_apigw.go             Tencent SCF API Gateway triggers
//	scf_function_url.go      Tencent SCF Function URLs
//
// Decode tells the shape from the event itself (Detect) and normalises it into a
// kefu.Request; Event.Response turns the service's kefu.Response into the matching response
// value. Handler puts the two around a service for the platform runtimes (aws-lambda-go's
// lambda.Start, scf-go-lib's cloudfunction.StartHandler): every event gets an answer, and no
// event, however malformed, is a failed invocation.
package gateway

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefuhq/kefu/pkg/kefu"
)

// Kind is the shape of a platform event.
type Kind uint8

// The shapes Decode reads.
const (
	// Unknown is an event of no known shape.
	Unknown Kind = iota
	// APIGatewayV1 is API Gateway's proxy event of a REST API, or of an HTTP API with payload
	// format 1.0 (events.APIGatewayProxyRequest).
	APIGatewayV1
	// APIGatewayV2 is an HTTP API's event with payload format 2.0
	// (events.APIGatewayV2HTTPRequest).
	APIGatewayV2
	// LambdaFunctionURL is a Lambda Function URL's event (events.LambdaFunctionURLRequest),
	// the payload 2.0 shape with a *.lambda-url.* domain.
	LambdaFunctionURL
	// ALB is an Application Load Balancer target group's event
	// (events.ALBTargetGroupRequest).
	ALB
	// SCFAPIGateway is a Tencent SCF API Gateway trigger's event (SCFAPIGatewayRequest).
	SCFAPIGateway
	// SCFFunctionURL is a Tencent SCF Function URL's event (SCFFunctionURLRequest).
	SCFFunctionURL
)

// String returns the kind's name as the logs show it.
func (k Kind) String() string {
	switch k {
	case APIGatewayV1:
		return "apigw-v1"
	case APIGatewayV2:
		return "apigw-v2"
	case LambdaFunctionURL:
		return "lambda-function-url"
	case ALB:
		return "alb"
	case SCFAPIGateway:
		return "scf-apigw"
	case SCFFunctionURL:
		return "scf-function-url"
	}
	return "unknown"
}

// The kinds of error Decode returns, for errors.Is.
var (
	// ErrUnknown: the event matches no shape that Decode reads.
	ErrUnknown = errors.New("an event of no known shape")
	// ErrMalformed: the event has a known shape but does not decode (a field of the wrong
	// type, a body marked base64 that is not).
	ErrMalformed = errors.New("a malformed event")
)

// ArrivalWindow is how far back an event's own time stamp may lie for Decode to take it as
// the request's arrival. The platforms stamp when the request reached them, so a cold start
// counts against the deadline; a stamp further back, or in the future, is not believed.
const ArrivalWindow = 30 * time.Second

// Event is a decoded platform event.
type Event struct {
	// Kind is the event's shape; its answer takes the same shape.
	Kind Kind
	// Request is the HTTP request the event carries.
	Request kefu.Request
	// MultiValue reports an ALB event from a target group with multi-value headers turned on
	// (the event has multiValueHeaders or multiValueQueryStringParameters): its answer must
	// carry multiValueHeaders.
	MultiValue bool
}

// probe holds what Detect looks at, left raw so that no field's type can fail the probe.
type probe struct {
	Version           json.RawMessage `json:"version"`
	HTTPMethod        json.RawMessage `json:"httpMethod"`
	RequestContext    json.RawMessage `json:"requestContext"`
	MultiValueHeaders json.RawMessage `json:"multiValueHeaders"`
	MultiValueQuery   json.RawMessage `json:"multiValueQueryStringParameters"`
}

type contextProbe struct {
	ELB        json.RawMessage `json:"elb"`
	ServiceID  json.RawMessage `json:"serviceId"`
	DomainName json.RawMessage `json:"domainName"`
}

// present reports whether a raw JSON value was given: absent and null are not.
func present(v json.RawMessage) bool { return len(v) > 0 && string(v) != "null" }

// Detect tells the shape of a raw event from its keys, in this order:
//
//  1. requestContext.elb: ALB;
//  2. version "2.0": a Function URL when requestContext.domainName holds ".lambda-url.",
//     else an HTTP API with payload 2.0;
//  3. requestContext.serviceId: Tencent API Gateway;
//  4. httpMethod without requestContext: a Tencent Function URL (which sends queryString);
//  5. httpMethod with requestContext: API Gateway payload 1.0 (REST API, HTTP API 1.0).
//
// Anything else, including a payload that is not a JSON object, is Unknown.
func Detect(event []byte) Kind {
	k, _ := detect(event)
	return k
}

// detect is Detect, also returning whether the event has multi-value maps (ALB's setting).
func detect(event []byte) (Kind, bool) {
	var p probe
	if err := json.Unmarshal(event, &p); err != nil {
		return Unknown, false
	}
	multi := present(p.MultiValueHeaders) || present(p.MultiValueQuery)
	var c contextProbe
	hasContext := present(p.RequestContext)
	if hasContext {
		if err := json.Unmarshal(p.RequestContext, &c); err != nil {
			return Unknown, false
		}
	}
	var version, domain string
	_ = json.Unmarshal(p.Version, &version)
	_ = json.Unmarshal(c.DomainName, &domain)
	switch {
	case present(c.ELB):
		return ALB, multi
	case version == "2.0":
		if strings.Contains(domain, ".lambda-url.") {
			return LambdaFunctionURL, multi
		}
		return APIGatewayV2, multi
	case present(c.ServiceID):
		return SCFAPIGateway, multi
	case present(p.HTTPMethod) && !hasContext:
		return SCFFunctionURL, multi
	case present(p.HTTPMethod):
		return APIGatewayV1, multi
	}
	return Unknown, multi
}

// Decode reads a raw event into an Event. now is the time of the invocation: the request's
// Arrived is the event's own time stamp when it lies within ArrivalWindow before now, else
// now. An event that matches no shape or does not decode returns an error (ErrUnknown or
// ErrMalformed) together with an Event whose Kind is the shape it most plausibly has, so the
// caller can still answer it in that shape.
func Decode(event []byte, now time.Time) (Event, error) {
	kind, multi := detect(event)
	var (
		ev  Event
		err error
	)
	switch kind {
	case APIGatewayV1:
		ev, err = decodeAPIGatewayV1(event, now)
	case APIGatewayV2, LambdaFunctionURL:
		// A Function URL's event (BUFFERED invoke mode) is the payload 2.0 shape field for
		// field; only its answer has a type of its own.
		ev, err = decodeAPIGatewayV2(event, now)
	case ALB:
		ev, err = decodeALB(event, now)
	case SCFAPIGateway:
		ev, err = decodeSCFAPIGateway(event, now)
	case SCFFunctionURL:
		ev, err = decodeSCFFunctionURL(event, now)
	default:
		err = ErrUnknown
	}
	ev.Kind = kind
	if err != nil {
		return Event{Kind: kind, MultiValue: kind == ALB && multi}, fmt.Errorf("gateway: %s: %w", kind, err)
	}
	return ev, nil
}

// malformed wraps a decoding failure as ErrMalformed.
func malformed(err error) error { return fmt.Errorf("%w: %w", ErrMalformed, err) }

// Response returns resp in the shape of the event: a value to marshal as the invocation's
// JSON result. The body is sent as text, or base64-encoded with isBase64Encoded true if it is
// not valid UTF-8 (kefu's answers always are).
func (e Event) Response(resp kefu.Response) any {
	switch e.Kind {
	case APIGatewayV1:
		return apiGatewayV1Response(resp)
	case APIGatewayV2:
		return apiGatewayV2Response(resp)
	case LambdaFunctionURL:
		return lambdaFunctionURLResponse(resp)
	case ALB:
		return albResponse(resp, e.MultiValue)
	case SCFAPIGateway:
		return scfAPIGatewayResponse(resp)
	case SCFFunctionURL:
		return scfFunctionURLResponse(resp)
	}
	return unknownResponse(resp)
}

// UnknownResponse is the answer to an event of no known shape: the fields common to every
// platform's response (statusCode, headers, body, isBase64Encoded) plus ALB's
// statusDescription, so that whichever platform sent it finds what it reads.
type UnknownResponse struct {
	StatusCode        int               `json:"statusCode"`
	StatusDescription string            `json:"statusDescription"`
	Headers           map[string]string `json:"headers"`
	Body              string            `json:"body"`
	IsBase64Encoded   bool              `json:"isBase64Encoded"`
}

func unknownResponse(resp kefu.Response) UnknownResponse {
	body, b64 := encodeBody(resp.Body)
	return UnknownResponse{
		StatusCode:        resp.Status,
		StatusDescription: statusDescription(resp.Status),
		Headers:           headers(resp),
		Body:              body,
		IsBase64Encoded:   b64,
	}
}

// decodeBody returns an event's body, base64-decoded when the event says it is encoded.
func decodeBody(body string, isBase64 bool) ([]byte, error) {
	if !isBase64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, malformed(fmt.Errorf("the body is marked base64 but is not: %w", err))
	}
	return b, nil
}

// encodeBody returns a response body as text, or base64 when it is not valid UTF-8 (JSON
// strings cannot carry such bytes).
func encodeBody(b []byte) (body string, isBase64 bool) {
	if utf8.Valid(b) {
		return string(b), false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

// headers returns a response's headers as one value per name: Content-Type and the extra
// headers, repeated values joined with ", ".
func headers(resp kefu.Response) map[string]string {
	h := make(map[string]string, len(resp.Header)+1)
	for k, v := range resp.Header {
		if len(v) > 0 {
			h[http.CanonicalHeaderKey(k)] = strings.Join(v, ", ")
		}
	}
	if resp.ContentType != "" {
		h["Content-Type"] = resp.ContentType
	}
	return h
}

// multiValueHeaders returns a response's headers as lists of values.
func multiValueHeaders(resp kefu.Response) map[string][]string {
	h := make(map[string][]string, len(resp.Header)+1)
	for k, v := range resp.Header {
		if len(v) > 0 {
			h[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
		}
	}
	if resp.ContentType != "" {
		h["Content-Type"] = []string{resp.ContentType}
	}
	return h
}

// statusDescription returns the status line ALB wants, like "200 OK".
func statusDescription(code int) string {
	s := strconv.Itoa(code)
	if t := http.StatusText(code); t != "" {
		s += " " + t
	}
	return s
}

// arrival returns when a request arrived: the event's time stamp (milliseconds since the
// epoch) when it lies within ArrivalWindow before now, else now.
func arrival(epochMillis int64, now time.Time) time.Time {
	if epochMillis <= 0 {
		return now
	}
	t := time.UnixMilli(epochMillis)
	if t.After(now) || now.Sub(t) > ArrivalWindow {
		return now
	}
	return t
}

// header returns the value of a header whatever the case of its name, or "".
func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// valuesFromMaps builds a query from an event's multi-value map, or else its single-value
// one. unescape, when set, is applied to every name and value.
func valuesFromMaps(multi map[string][]string, single map[string]string, unescape func(string) string) url.Values {
	q := url.Values{}
	if unescape == nil {
		unescape = func(s string) string { return s }
	}
	if multi != nil {
		for k, vs := range multi {
			k = unescape(k)
			for _, v := range vs {
				q[k] = append(q[k], unescape(v))
			}
		}
		return q
	}
	for k, v := range single {
		k = unescape(k)
		q[k] = append(q[k], unescape(v))
	}
	return q
}
