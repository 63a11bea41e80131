package wxapi

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestErrorKinds(t *testing.T) {
	all := []error{ErrTokenInvalid, ErrBusy, ErrOutOfWindow, ErrQuota, ErrInvalidOpenID, ErrUnauthorized,
		ErrBadRequest, ErrInvalidMedia, ErrMediaRefused, ErrTooLong, ErrDailyLimit, ErrTypingRefused,
		ErrConfig, ErrBadResponse, ErrTransport}
	for _, tc := range []struct {
		api  string
		code int
		kind error
	}{
		{SendPath, -1, ErrBusy},
		{SendPath, 45011, ErrBusy},
		{SendPath, 40001, ErrTokenInvalid},
		{SendPath, 40014, ErrTokenInvalid},
		{TypingPath, 42001, ErrTokenInvalid},
		{SendPath, 45015, ErrOutOfWindow},
		{SendPath, 45047, ErrQuota},
		{SendPath, 40003, ErrInvalidOpenID},
		{SendPath, 48001, ErrUnauthorized},
		{SendPath, 47001, ErrBadRequest},
		{SendPath, 45162, ErrBadRequest},
		{SendPath, 44002, ErrBadRequest},
		{SendPath, 40007, ErrInvalidMedia},
		{UploadPath, 40004, ErrMediaRefused},
		{UploadPath, 40009, ErrMediaRefused},
		{SendPath, 45002, ErrTooLong},
		{SendPath, 45009, ErrDailyLimit},
		{TypingPath, 45080, ErrTypingRefused},
		{TypingPath, 45081, ErrTypingRefused},
		{pathStableToken, 40001, ErrConfig},
		{pathStableToken, 40125, ErrConfig},
		{pathStableToken, 40013, ErrConfig},
		{pathStableToken, 40164, ErrConfig},
		{pathClassicToken, 40001, ErrConfig},
		{pathStableToken, -1, ErrBusy},
		{pathStableToken, 45009, ErrDailyLimit},
		{SendPath, 12345, nil},
	} {
		err := fmt.Errorf("wrapped: %w", &Error{API: tc.api, Code: tc.code, Msg: "m"})
		for _, k := range all {
			if got := errors.Is(err, k); got != (k == tc.kind) {
				t.Errorf("%s %d: errors.Is(%v) = %v", tc.api, tc.code, k, got)
			}
		}
	}
	if e := (&Error{API: SendPath, Status: 502, Msg: "Bad Gateway"}); !errors.Is(e, ErrBadResponse) || e.Error() != "wxapi: /cgi-bin/message/custom/send: HTTP status 502: Bad Gateway" {
		t.Fatalf("HTTP error: %v", e)
	}
	if e := (&Error{API: SendPath, Code: 45047, Msg: "out of response count limit"}); e.Error() != "wxapi: /cgi-bin/message/custom/send: errcode 45047: out of response count limit" {
		t.Fatalf("errcode error: %v", e)
	}
	te := &TransportError{API: SendPath, Sent: true, Err: context.DeadlineExceeded}
	if !errors.Is(te, ErrTransport) || !errors.Is(te, context.DeadlineExceeded) || errors.Is(te, ErrBusy) {
		t.Fatal("TransportError kinds")
	}
}
