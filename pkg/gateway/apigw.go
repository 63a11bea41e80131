package gateway

import (
	"encoding/json"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kefuhq/kefu/pkg/kefu"
	"github.com/kefuhq/kefu/pkg/push"
)

// decodeAPIGatewayV1 reads API Gateway's payload 1.0 (a REST API, or an HTTP API set to 1.0).
// API Gateway has already decoded the query: multiValueQueryStringParameters holds every
// value, queryStringParameters only the last of each name.
func decodeAPIGatewayV1(event []byte, now time.Time) (Event, error) {
	var e events.APIGatewayProxyRequest
	if err := json.Unmarshal(event, &e); err != nil {
		return Event{}, malformed(err)
	}
	body, err := decodeBody(e.Body, e.IsBase64Encoded)
	if err != nil {
		return Event{}, err
	}
	return Event{Request: kefu.Request{
		Method:  e.HTTPMethod,
		Query:   valuesFromMaps(e.MultiValueQueryStringParameters, e.QueryStringParameters, nil),
		Body:    body,
		Arrived: arrival(e.RequestContext.RequestTimeEpoch, now),
		ID:      e.RequestContext.RequestID,
	}}, nil
}

// apiGatewayV1Response answers a payload 1.0 event.
func apiGatewayV1Response(resp kefu.Response) events.APIGatewayProxyResponse {
	body, b64 := encodeBody(resp.Body)
	return events.APIGatewayProxyResponse{
		StatusCode:      resp.Status,
		Headers:         headers(resp),
		Body:            body,
		IsBase64Encoded: b64,
	}
}

// decodeAPIGatewayV2 reads an HTTP API's payload 2.0.
func decodeAPIGatewayV2(event []byte, now time.Time) (Event, error) {
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event, &e); err != nil {
		return Event{}, malformed(err)
	}
	body, err := decodeBody(e.Body, e.IsBase64Encoded)
	if err != nil {
		return Event{}, err
	}
	return Event{Request: kefu.Request{
		Method:  e.RequestContext.HTTP.Method,
		Query:   rawQuery(e.RawQueryString, e.QueryStringParameters),
		Body:    body,
		Arrived: arrival(e.RequestContext.TimeEpoch, now),
		ID:      e.RequestContext.RequestID,
	}}, nil
}

// rawQuery is the query of a payload 2.0 event. rawQueryString is the query as sent;
// queryStringParameters joins repeated names with commas, so it is read only when an event
// (a hand-made one) has no raw string.
func rawQuery(raw string, params map[string]string) push.Query {
	if raw == "" && len(params) > 0 {
		q := url.Values{}
		for k, v := range params {
			q.Set(k, v)
		}
		return q
	}
	return push.RawQuery(raw)
}

// apiGatewayV2Response answers a payload 2.0 event.
func apiGatewayV2Response(resp kefu.Response) events.APIGatewayV2HTTPResponse {
	body, b64 := encodeBody(resp.Body)
	return events.APIGatewayV2HTTPResponse{
		StatusCode:      resp.Status,
		Headers:         headers(resp),
		Body:            body,
		IsBase64Encoded: b64,
	}
}
