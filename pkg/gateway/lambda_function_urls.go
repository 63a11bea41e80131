package gateway

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/kefuhq/kefu/pkg/kefu"
)

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
