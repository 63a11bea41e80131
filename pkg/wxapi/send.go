package wxapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Send sends m with customerServiceMessage.send (Config.SendPath). It returns nil once WeChat
// accepted the message, or an *Error or *TransportError; see the package documentation for
// what is retried. A send is never repeated after it may have reached WeChat.
func (c *Client) Send(ctx context.Context, m *Message) error {
	body, err := m.Payload()
	if err != nil {
		return err
	}
	return c.do(ctx, &call{
		api:         c.sendPath,
		method:      http.MethodPost,
		url:         c.sendURL,
		body:        body,
		contentType: "application/json",
		payload:     body,
		auth:        true,
	}, nil)
}

// typingRequest is the body of setTyping.
type typingRequest struct {
	ToUser  string `json:"touser"`
	Command string `json:"command"`
}

// Typing shows (on) or clears the "typing" state in the user's chat (setTyping with Typing or
// CancelTyping, Config.TypingPath). WeChat accepts it only within 30 seconds of an exchange
// with the user, shows it for 15 seconds at most, and clears it when a message arrives.
// It is best effort: it makes one attempt (plus the token retry), and callers may ignore its
// error, which is typed like any other (ErrTypingRefused for 45072, 45080, 45081).
func (c *Client) Typing(ctx context.Context, openid string, on bool) error {
	if openid == "" {
		return fmt.Errorf("%w: typing without touser", ErrBadRequest)
	}
	cmd := "CancelTyping"
	if on {
		cmd = "Typing"
	}
	body, err := json.Marshal(typingRequest{ToUser: openid, Command: cmd})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return c.do(ctx, &call{
		api:         c.typingPath,
		method:      http.MethodPost,
		url:         c.typingURL,
		body:        body,
		contentType: "application/json",
		payload:     body,
		auth:        true,
		once:        true,
	}, nil)
}
