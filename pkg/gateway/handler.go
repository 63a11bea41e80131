package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/kefuhq/kefu/pkg/kefu"
	"github.com/kefuhq/kefu/pkg/push"
)

// Service answers normalised requests; *kefu.Service is one.
type Service interface {
	Handle(ctx context.Context, req kefu.Request) kefu.Response
}

// AnswerMargin is the time kept back from the platform's deadline for writing the answer:
// the service sees a deadline this much earlier than the invocation's, so even a push that
// runs out of time is answered rather than cut off by the platform's timeout.
const AnswerMargin = 100 * time.Millisecond

// Handler answers raw platform events with a Service. Its Invoke has the signature of the
// Handler interfaces of both aws-lambda-go (lambda.StartHandler) and scf-go-lib
// (cloudfunction.StartHandler), and takes the payload as bytes, so even one that is not JSON
// is answered. It is safe for concurrent use.
type Handler struct {
	// Service answers the requests; required.
	Service Service
	// Logger receives one line for each event that is refused before it reaches the
	// Service (no known shape, malformed) and for a panic; nil discards.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// RequestID returns the platform's id of the invocation, used for the logs when the
	// event carries none of its own; nil means none.
	RequestID func(ctx context.Context) string
}

// Invoke answers one invocation's payload with the JSON of Answer. Its error is always nil:
// a refused push is an HTTP answer with its status, never a failed invocation.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	b, err := json.Marshal(h.Answer(ctx, payload))
	if err != nil {
		// The response types hold only strings, numbers and maps of strings: unreachable.
		h.logger().Error("marshalling an answer failed", "err", err.Error())
		return []byte(`{"statusCode":500,"statusDescription":"500 Internal Server Error","headers":{"Content-Type":"text/plain; charset=utf-8"},"body":"internal error","isBase64Encoded":false}`), nil
	}
	return b, nil
}

// Answer answers one event: the Service's answer in the event's own response shape, or a 400
// in the most plausible shape for an event that matches no shape or does not decode, or a
// 500 if the Service panics (logged with its stack). The result marshals to the JSON the
// platform reads.
//
// The Service gets ctx with a deadline AnswerMargin before the platform's. A platform
// deadline that has already passed when the event arrives (SCF's Go1 runtime sends a zero
// Deadline when it has none) is taken as no deadline; KEFU_DEADLINE still bounds the work.
func (h *Handler) Answer(ctx context.Context, event []byte) (answer any) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	log := h.logger()
	start := now()
	ev, derr := Decode(event, start)
	if derr != nil {
		log.Warn("event refused", "kind", ev.Kind.String(), "status", http.StatusBadRequest,
			"bytes", len(event), "err", derr.Error())
		return ev.Response(kefu.Response{
			Status:      http.StatusBadRequest,
			ContentType: push.ContentType,
			Body:        []byte("bad request: " + shortReason(derr)),
		})
	}
	if ev.Request.ID == "" && h.RequestID != nil {
		ev.Request.ID = h.RequestID(ctx)
	}
	if dl, ok := ctx.Deadline(); ok {
		if !dl.After(start) {
			log.Warn("the platform's deadline had passed when the event arrived: ignored",
				"id", ev.Request.ID, "deadline", dl)
			ctx = context.WithoutCancel(ctx)
		} else {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl.Add(-AnswerMargin))
			defer cancel()
		}
	}
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic answering an event", "id", ev.Request.ID, "panic", fmt.Sprint(p),
				"stack", string(debug.Stack()))
			answer = ev.Response(kefu.Response{
				Status:      http.StatusInternalServerError,
				ContentType: push.ContentType,
				Body:        []byte("internal error"),
			})
		}
	}()
	return ev.Response(h.Service.Handle(ctx, ev.Request))
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

// shortReason is the part of a Decode error that goes into a 400's body: the kind of
// refusal, without the decoder's details (they are logged).
func shortReason(err error) string {
	switch {
	case errors.Is(err, ErrUnknown):
		return ErrUnknown.Error()
	case errors.Is(err, ErrMalformed):
		return ErrMalformed.Error()
	}
	return "bad event"
}
