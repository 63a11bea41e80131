package gateway

import (
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kefuhq/kefu/pkg/kefu"
)

// decodeLambdaFunctionURL reads a Lambda Function URL's event (BUFFERED invoke mode): the
// payload 2.0 shape, whose bodies arrive base64-encoded whenever the content type is not
// text-like.
func decodeLambdaFunctionURL(event []byte, now time.Time) (Event, error) {
	var e events.LambdaFunctionURLRequest
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

// lambdaFunctionURLResponse answers a Function URL event.
func lambdaFunctionURLResponse(resp kefu.Response) events.LambdaFunctionURLResponse {
	body, b64 := encodeBody(resp.Body)
	return events.LambdaFunctionURLResponse{
		StatusCode:      resp.Status,
		Headers:         headers(resp),
		Body:            body,
		IsBase64Encoded: b64,
	}
}
