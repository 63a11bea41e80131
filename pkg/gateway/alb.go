package gateway

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kefuhq/kefu/pkg/kefu"
)

// decodeALB reads an Application Load Balancer target group's event. The load balancer
// passes query names and values as the client sent them, percent-encoding and all ("If the
// query parameters are URL-encoded, the load balancer does not decode them"), in
// queryStringParameters, or in multiValueQueryStringParameters when the target group has
// multi-value headers on; so they are unescaped here as url.ParseQuery would. ALB events
// carry no time stamp and no request id: the trace id stands in for the latter.
func decodeALB(event []byte, now time.Time) (Event, error) {
	var e events.ALBTargetGroupRequest
	if err := json.Unmarshal(event, &e); err != nil {
		return Event{}, malformed(err)
	}
	body, err := decodeBody(e.Body, e.IsBase64Encoded)
	if err != nil {
		return Event{}, err
	}
	id := header(e.Headers, "X-Amzn-Trace-Id")
	if id == "" {
		if vs := multiHeader(e.MultiValueHeaders, "X-Amzn-Trace-Id"); len(vs) > 0 {
			id = vs[0]
		}
	}
	return Event{
		Request: kefu.Request{
			Method:  e.HTTPMethod,
			Query:   valuesFromMaps(e.MultiValueQueryStringParameters, e.QueryStringParameters, albUnescape),
			Body:    body,
			Arrived: now,
			ID:      id,
		},
		MultiValue: e.MultiValueHeaders != nil || e.MultiValueQueryStringParameters != nil,
	}, nil
}

// albUnescape decodes one query name or value as url.ParseQuery does ("+" is a space). A
// value that is not valid percent-encoding is kept as it came, as a browser would send it.
func albUnescape(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// multiHeader returns the values of a multi-value header whatever the case of its name.
func multiHeader(h map[string][]string, name string) []string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// albResponse answers an ALB event. A target group with multi-value headers on reads the
// response's multiValueHeaders, one without reads headers, so the answer fills the one its
// event's setting reads.
func albResponse(resp kefu.Response, multiValue bool) events.ALBTargetGroupResponse {
	body, b64 := encodeBody(resp.Body)
	r := events.ALBTargetGroupResponse{
		StatusCode:        resp.Status,
		StatusDescription: statusDescription(resp.Status),
		Body:              body,
		IsBase64Encoded:   b64,
	}
	if multiValue {
		r.MultiValueHeaders = multiValueHeaders(resp)
	} else {
		r.Headers = headers(resp)
	}
	return r
}
