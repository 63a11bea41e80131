package gateway

import (
	"encoding/json"
	"net/url"
	"time"

	scfevents "github.com/tencentyun/scf-go-lib/events"

	"github.com/kefuhq/kefu/pkg/kefu"
)

// SCFAPIGatewayRequest is the event of a Tencent SCF API Gateway trigger: scf-go-lib's
// APIGatewayRequest, whose queryString reads every form API Gateway sends (a string, an array
// of strings for a repeated name, true for a bare name), plus isBase64Encoded, which real
// events carry and scf-go-lib leaves out.
type SCFAPIGatewayRequest struct {
	scfevents.APIGatewayRequest
	IsBase64Encoded bool `json:"isBase64Encoded"`
}

// SCFAPIGatewayResponse is the integrated response an SCF API Gateway trigger reads.
type SCFAPIGatewayResponse = scfevents.APIGatewayResponse

// decodeSCFAPIGateway reads an SCF API Gateway event. Its query values are taken as API
// Gateway decoded them; its header names come in any case (the documentation's sample is
// mixed-case, real events lower-case), so they are looked up without regard to case. The
// event carries no time stamp.
func decodeSCFAPIGateway(event []byte, now time.Time) (Event, error) {
	var e SCFAPIGatewayRequest
	if err := json.Unmarshal(event, &e); err != nil {
		return Event{}, malformed(err)
	}
	body, err := decodeBody(e.Body, e.IsBase64Encoded)
	if err != nil {
		return Event{}, err
	}
	id := e.Context.RequestID
	if id == "" {
		id = header(e.Headers, "X-Api-RequestId")
	}
	return Event{Request: kefu.Request{
		Method:  e.Method,
		Query:   url.Values(e.QueryString),
		Body:    body,
		Arrived: now,
		ID:      id,
	}}, nil
}

// scfAPIGatewayResponse answers an SCF API Gateway event.
func scfAPIGatewayResponse(resp kefu.Response) SCFAPIGatewayResponse {
	body, b64 := encodeBody(resp.Body)
	return SCFAPIGatewayResponse{
		IsBase64Encoded: b64,
		StatusCode:      resp.Status,
		Headers:         headers(resp),
		Body:            body,
	}
}
