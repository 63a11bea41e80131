package gateway

import (
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kefuhq/kefu/pkg/kefu"
)

// decodeLambdaFunctionURL reads a Lambda Function URL's event (BUFFERED invoke mode). It is
// the payload 2.0 shape field for field (events.LambdaFunctionURLRequest mirrors
// events.APIGatewayV2HTTPRequest), bodies arriving base64-encoded whenever the content type
// is not text-like, so it decodes as one; only the answer has a type of its own.
func decodeLambdaFunctionURL(event []byte, now time.Time) (Event, error) {
	return decodeAPIGatewayV2(event, now)
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
