package kefu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxapi"
)

// Outcomes of a request, as logged.
const (
	OutcomeVerified    = "verified"    // a GET verification answered with echostr
	OutcomeRefused     = "refused"     // a refusal: 4xx
	OutcomeReplied     = "replied"     // every reply sent
	OutcomePartial     = "partial"     // some replies failed, the others were sent
	OutcomeAbandoned   = "abandoned"   // replies left unsent: the deadline, or WeChat closed the conversation
	OutcomeTransferred = "transferred" // answered with transfer_customer_service
	OutcomeDuplicate   = "duplicate"   // a retry of a push already handled: nothing sent
	OutcomeNothing     = "nothing"     // no rule applies (an event nobody named): nothing sent
)

// Report is what happened to one request: the one log line of a push, and what the local
// host's panel shows.
type Report struct {
	ID      string
	Method  string
	Arrived time.Time
	Latency time.Duration
	Status  int
	Outcome string
	// Reason says why a request was refused or replies were abandoned; it holds no secret.
	Reason string

	// The push, when one was opened.
	MsgType   string
	Event     string
	User      string // the sender's OpenID, masked in logs
	Mode      string // plaintext, or encrypted (safe or compatible)
	Format    string
	Rule      string
	Planned   int  // replies the rule gives
	Sent      int  // replies WeChat accepted
	Failed    int  // replies that failed
	Transfer  bool // answered with transfer_customer_service
	ErrCode   int  // the first WeChat errcode met, if any
	LastError string

	// Push is the request body and Message the opened message: for the local panel only,
	// never logged at info.
	Push    []byte
	Message *push.Message
	// Answer is the response body.
	Answer []byte
}

func (r *Report) setMessage(p *push.Push) {
	r.MsgType, r.Event, r.User, r.Format = p.MsgType, p.Event, p.FromUserName, p.Format.String()
	r.Mode = "plaintext"
	if p.Encrypted {
		r.Mode = "encrypted"
	}
	r.Message = &p.Message // the opened push is never changed, so no copy
}

// note records a failure: the first WeChat errcode and the last error text.
func (r *Report) note(err error) {
	var we *wxapi.Error
	if r.ErrCode == 0 && errors.As(err, &we) {
		r.ErrCode = we.Code
	}
	r.LastError = err.Error()
}

// MaskOpenID shortens an OpenID for logs: the first four and last three characters.
func MaskOpenID(id string) string {
	if len(id) <= 8 {
		if id == "" {
			return ""
		}
		return "***"
	}
	return id[:4] + "…" + id[len(id)-3:]
}

// logReport writes the request's one log line, stamped at, through the logger's handler. It
// builds the slog.Record itself: slog.Logger's own methods walk the stack for a source
// position on every call, which this line never shows, and that walk was a tenth of the cost
// of logging a push.
func (s *Service) logReport(at time.Time, r *Report) {
	ctx := context.Background()
	level := slog.LevelInfo
	switch r.Outcome {
	case OutcomeRefused, OutcomePartial, OutcomeAbandoned:
		level = slog.LevelWarn
	}
	h := s.log.Handler()
	if h.Enabled(ctx, level) {
		msg := "push"
		switch {
		case r.Method == "GET":
			msg = "verify"
		case r.Outcome == OutcomeRefused && r.MsgType == "":
			msg = "refused"
		}
		rec := slog.NewRecord(at, level, msg, 0)
		var buf [16]slog.Attr
		attrs := append(buf[:0],
			slog.String("id", r.ID),
			slog.String("outcome", r.Outcome),
			slog.Int("status", r.Status),
			slog.Int64("latency_us", r.Latency.Microseconds()), // an integer: slog encodes floats through encoding/json
		)
		if r.Reason != "" {
			attrs = append(attrs, slog.String("reason", r.Reason))
		}
		if r.MsgType != "" {
			attrs = append(attrs, slog.String("type", r.MsgType))
			if r.Event != "" {
				attrs = append(attrs, slog.String("event", r.Event))
			}
			attrs = append(attrs, slog.String("user", MaskOpenID(r.User)), slog.String("mode", r.Mode), slog.String("format", r.Format),
				slog.String("rule", r.Rule), slog.Int("replies", r.Planned), slog.Int("sent", r.Sent))
			if r.Failed > 0 {
				attrs = append(attrs, slog.Int("failed", r.Failed))
			}
			if r.ErrCode != 0 {
				attrs = append(attrs, slog.Int("errcode", r.ErrCode))
			}
			if r.LastError != "" {
				attrs = append(attrs, slog.String("error", r.LastError))
			}
		}
		rec.AddAttrs(attrs...)
		_ = h.Handle(ctx, rec) // a log line that cannot be written is not the push's failure
	}
	if r.Message != nil && h.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug("push content", "id", r.ID, "raw", r.Message.Raw)
	}
}

// newID returns a request id for requests that arrive without one: the Service's random
// prefix and a sequence number, unique across instances without a crypto/rand read per push.
func (s *Service) newID() string {
	return s.idPrefix + strconv.FormatUint(s.seq.Add(1), 36)
}

func randomPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "-"
}
