package wxapi

import (
	"errors"
	"fmt"
	"strconv"
)

// Kinds of failure. Every error the Client returns matches at most one of them with errors.Is
// (a token fetch that fails matches the kind of that failure). Each says which errcodes it
// covers and what a caller should do.
var (
	// ErrTokenInvalid is 40001 (access_token invalid or not latest), 40014 (invalid
	// access_token) or 42001 (access_token expired) from an API call. The Client has already
	// dropped that token, fetched another and retried the call once; seeing it means the retry
	// failed too. Give up on this call.
	ErrTokenInvalid = errors.New("wxapi: access token invalid or expired")

	// ErrBusy is -1 (system busy) or 45011 (API minute-frequency limit): WeChat answered and
	// delivered nothing. The Client has already backed off and retried while the context's
	// deadline allowed; seeing it means it ran out of time or attempts.
	ErrBusy = errors.New("wxapi: WeChat is busy")

	// ErrOutOfWindow is 45015: the user's reply window is closed (48 hours after their last
	// message, 1 minute after entering the session) or they unsubscribed. Never retried; give
	// up for this user until they act again.
	ErrOutOfWindow = errors.New("wxapi: outside the user's reply window")

	// ErrQuota is 45047: the replies allowed for the user's last action are used up (5 after a
	// message, 2 after entering the session). Never retried; give up until the user acts again.
	ErrQuota = errors.New("wxapi: reply count limit reached for this user")

	// ErrInvalidOpenID is 40003: touser is not an OpenID of this mini program. Never retried.
	ErrInvalidOpenID = errors.New("wxapi: invalid openid")

	// ErrUnauthorized is 48001 (or 50001): the account lacks the customer-service message
	// permission. Never retried; alert the operator.
	ErrUnauthorized = errors.New("wxapi: API not authorized for this account")

	// ErrBadRequest is a request WeChat could not accept as written: 47001 (data format
	// error), 45162 and 40008 (invalid message type), 44002 (empty body), 44004 (empty
	// content), 41006 (media_id missing), 41005 (media data missing), 40002, 41001, 43001,
	// 43002. It is also what Message.Payload returns for a message it refuses to build. Never
	// retried: it is a bug.
	ErrBadRequest = errors.New("wxapi: request refused as malformed")

	// ErrInvalidMedia is 40007: the media_id is unknown or expired (temporary media lives three
	// days). Upload the image again and resend once (media.Cache.Do does this).
	ErrInvalidMedia = errors.New("wxapi: invalid media_id")

	// ErrMediaRefused is WeChat refusing an uploaded file: 40004 (invalid media type), 40005
	// (invalid file type), 40006 or 40009 (invalid size), 45001 (media size out of limit), 44001
	// (empty media). Never retried; fix the image.
	ErrMediaRefused = errors.New("wxapi: media refused")

	// ErrTooLong is 45002: the text content is over WeChat's limit (about 2048 bytes). Never
	// retried; shorten or split the text.
	ErrTooLong = errors.New("wxapi: content too long")

	// ErrDailyLimit is 45009: the API's daily call quota is used up. Never retried; alert the
	// operator (the quota can be reset with clear_quota).
	ErrDailyLimit = errors.New("wxapi: daily API quota reached")

	// ErrTypingRefused is 45072 (bad command), 45080 (no exchange with the user in the last 30
	// seconds) or 45081 (already typing). Typing is best effort: ignore it.
	ErrTypingRefused = errors.New("wxapi: typing state refused")

	// ErrConfig means the configuration is wrong: New refused it, or WeChat refused to issue a
	// token (40001 or 40125 wrong AppSecret, 40013 invalid AppID, 40164 caller IP not on the
	// whitelist, 40243 AppSecret frozen, 40002, 41002, 41004, ...). Never retried; fix the
	// configuration.
	ErrConfig = errors.New("wxapi: configuration refused")

	// ErrBadResponse means WeChat's answer could not be read: an HTTP status other than 200, or
	// a body that is not the expected JSON. A send that ends this way may have been delivered,
	// so it is not retried.
	ErrBadResponse = errors.New("wxapi: unreadable answer from WeChat")

	// ErrTransport means no answer arrived: the connection failed or the context ended. The
	// error is a *TransportError, which also matches its cause (context.DeadlineExceeded, ...).
	ErrTransport = errors.New("wxapi: no answer from WeChat")
)

// Error is an answer from WeChat other than success: an errcode, or an HTTP status other than
// 200. Match its kind with errors.Is (ErrQuota, ErrBusy, ...) and read the exact code here. It
// never holds the access token or the AppSecret.
type Error struct {
	// API is the path called, such as /cgi-bin/message/custom/send.
	API string
	// Code is WeChat's errcode; 0 when the failure is at the HTTP level (see Status).
	Code int
	// Msg is WeChat's errmsg, or a short description of an unreadable answer.
	Msg string
	// Status is the HTTP status when it was not 200, else 0.
	Status int
}

// Error returns "wxapi: API: errcode N: msg", or the HTTP status for HTTP-level failures.
func (e *Error) Error() string {
	if e.Code == 0 {
		if e.Status != 0 {
			return "wxapi: " + e.API + ": HTTP status " + strconv.Itoa(e.Status) + ": " + e.Msg
		}
		return "wxapi: " + e.API + ": " + e.Msg
	}
	return "wxapi: " + e.API + ": errcode " + strconv.Itoa(e.Code) + ": " + e.Msg
}

// Is reports whether target is the kind of this error (see the Err variables).
func (e *Error) Is(target error) bool {
	return target != nil && kindOf(e.API, e.Code) == target
}

// TransportError is a call that got no answer: the connection failed, or the context ended
// before WeChat answered. It unwraps to the cause, with any URL in it stripped of its query
// (where the access token and the AppSecret travel).
type TransportError struct {
	// API is the path called.
	API string
	// Sent is false only when the request certainly never left (the connection could not be
	// made); when true, WeChat may have received and acted on it.
	Sent bool
	// Err is the cause.
	Err error
}

// Error describes the failure.
func (e *TransportError) Error() string {
	return fmt.Sprintf("wxapi: %s: no answer: %v", e.API, e.Err)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// Is reports whether target is ErrTransport.
func (e *TransportError) Is(target error) bool { return target == ErrTransport }

// Token API paths. Their errcodes mean something else: 40001 on a token fetch is a wrong
// AppSecret, not a stale token.
const (
	pathStableToken  = "/cgi-bin/stable_token"
	pathClassicToken = "/cgi-bin/token"
)

// kindOf maps an errcode of an API to its kind, or nil for a code without one (0 and codes this
// package does not know; they are never retried).
func kindOf(api string, code int) error {
	if code == 0 {
		return ErrBadResponse
	}
	if api == pathStableToken || api == pathClassicToken {
		switch code {
		case -1, 45011:
			return ErrBusy
		case 45009:
			return ErrDailyLimit
		}
		return ErrConfig
	}
	switch code {
	case -1, 45011:
		return ErrBusy
	case 40001, 40014, 42001:
		return ErrTokenInvalid
	case 45015:
		return ErrOutOfWindow
	case 45047:
		return ErrQuota
	case 40003:
		return ErrInvalidOpenID
	case 48001, 50001:
		return ErrUnauthorized
	case 40007:
		return ErrInvalidMedia
	case 40004, 40005, 40006, 40009, 45001, 44001:
		return ErrMediaRefused
	case 45002:
		return ErrTooLong
	case 45009:
		return ErrDailyLimit
	case 45072, 45080, 45081:
		return ErrTypingRefused
	case 47001, 45162, 40008, 44002, 44004, 41005, 41006, 40002, 41001, 43001, 43002:
		return ErrBadRequest
	}
	return nil
}

// isTokenCode reports whether code means the access token used is no good.
func isTokenCode(code int) bool { return code == 40001 || code == 40014 || code == 42001 }

// isBusyCode reports whether code means WeChat delivered nothing and a later try may succeed.
func isBusyCode(code int) bool { return code == -1 || code == 45011 }
