// Package kefu is the service: it answers one push at a time, from the normalised request to
// the answer WeChat expects, along the one path of DESIGN.md:
//
//	request -> open the push (verify, decrypt, parse) -> drop retries -> match the rules
//	        -> run the plan (typing, media, sends, in order) -> answer
//
// Every refusal is an answer with the contract's status, never a failed invocation, and every
// push is answered within the deadline. The platform hosts (functions/*) only translate their
// events into a Request and a Response back.
package kefu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/kefuhq/kefu/pkg/dedup"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/rules"
	"github.com/kefuhq/kefu/pkg/wxapi"
)

// Rules gives the rules to use for a push; *rules.Loader is one. Current may check for a
// newer version of the rules, bounded by ctx.
type Rules interface {
	Current(ctx context.Context) *rules.Set
}

// API sends customer-service messages; *wxapi.Client is one.
type API interface {
	Send(ctx context.Context, m *wxapi.Message) error
	Typing(ctx context.Context, openid string, on bool) error
}

// Media turns image sources into media_ids; *media.Cache is one. Do runs fn with the media_id
// and uploads again once when fn reports it invalid (40007).
type Media interface {
	MediaID(ctx context.Context, src string) (string, error)
	Do(ctx context.Context, src string, fn func(mediaID string) error) error
}

// Options configures a Service. Opener, Rules, API, Media and Dedup are required.
type Options struct {
	AppID  string
	Opener *push.Opener
	Rules  Rules
	API    API
	Media  Media
	Dedup  *dedup.Deduper
	// Deadline is the time from a push's arrival by which it is answered (KEFU_DEADLINE).
	Deadline time.Duration
	// Logger receives one line per push; nil discards.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Observe, when set, receives the report of every request once it is answered (the local
	// host's panel shows them). Each call gets a fresh Report, which Observe may keep.
	Observe func(*Report)
}

// Service answers pushes. It is safe for concurrent use.
type Service struct {
	opts     Options
	log      *slog.Logger
	now      func() time.Time
	idPrefix string
	seq      atomic.Uint64
}

// New checks opts and returns a Service.
func New(opts Options) (*Service, error) {
	switch {
	case opts.AppID == "":
		return nil, errors.New("kefu: AppID is required")
	case opts.Opener == nil, opts.Rules == nil, opts.API == nil, opts.Media == nil, opts.Dedup == nil:
		return nil, errors.New("kefu: Opener, Rules, API, Media and Dedup are required")
	case opts.Deadline <= 0:
		return nil, errors.New("kefu: Deadline must be positive")
	}
	s := &Service{opts: opts, log: opts.Logger, now: opts.Now, idPrefix: randomPrefix()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Request is an HTTP request as every platform can describe it.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Query is the URL query: url.Values, or push.RawQuery for the raw query string.
	Query push.Query
	// Body is the request body, already base64-decoded where the platform encoded it.
	Body []byte
	// Arrived is when the request arrived; zero means now. The deadline counts from it.
	Arrived time.Time
	// ID is the platform's request id, for the logs; empty gets a generated one.
	ID string
}

// Response is the answer to a Request.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
	// Header holds extra headers (Allow on a 405); usually nil.
	Header http.Header
}

func textResponse(status int, body string) Response {
	return Response{Status: status, ContentType: push.ContentType, Body: []byte(body)}
}

// Handle answers one request. It never fails: a refusal is a Response with its status.
func (s *Service) Handle(ctx context.Context, req Request) Response {
	if req.Arrived.IsZero() {
		req.Arrived = s.now()
	}
	// The report lives on the stack; only an observer gets a copy on the heap.
	rep := Report{ID: req.ID, Method: req.Method, Arrived: req.Arrived}
	if rep.ID == "" {
		rep.ID = s.newID()
	}
	resp := s.handle(ctx, req, &rep)
	rep.Status = resp.Status
	done := s.now()
	rep.Latency = done.Sub(req.Arrived)
	s.logReport(done, &rep)
	if s.opts.Observe != nil {
		kept := rep
		kept.Answer = resp.Body
		s.opts.Observe(&kept)
	}
	return resp
}

func (s *Service) handle(ctx context.Context, req Request, rep *Report) Response {
	switch req.Method {
	case http.MethodGet, http.MethodPost:
	default:
		rep.Outcome, rep.Reason = OutcomeRefused, "method "+req.Method+" not allowed"
		r := textResponse(http.StatusMethodNotAllowed, "method not allowed")
		r.Header = http.Header{"Allow": {"GET, POST"}}
		return r
	}
	if len(req.Body) > push.MaxBodySize {
		rep.Outcome, rep.Reason = OutcomeRefused, fmt.Sprintf("body of %d bytes", len(req.Body))
		return textResponse(http.StatusRequestEntityTooLarge, "push body too large")
	}
	if req.Method == http.MethodGet {
		echo, err := s.opts.Opener.Verify(req.Query)
		if err != nil {
			return s.refuse(rep, err)
		}
		rep.Outcome = OutcomeVerified
		return textResponse(http.StatusOK, echo)
	}
	rep.Push = req.Body
	p, err := s.opts.Opener.Open(req.Query, req.Body)
	if err != nil {
		return s.refuse(rep, err)
	}
	rep.setMessage(p)
	return s.answer(ctx, req, p, rep)
}

// refuse maps an error of package push to its status, with a short plain-text reason.
func (s *Service) refuse(rep *Report, err error) Response {
	status := http.StatusUnauthorized
	switch {
	case errors.Is(err, push.ErrMalformed):
		status = http.StatusBadRequest
	case errors.Is(err, push.ErrTooLarge):
		status = http.StatusRequestEntityTooLarge
	}
	rep.Outcome, rep.Reason = OutcomeRefused, err.Error()
	var pe *push.Error
	body := err.Error()
	if errors.As(err, &pe) {
		body = pe.Kind.Error()
	}
	return textResponse(status, body)
}

// answer drops retries, matches the rules, runs the plan and answers.
func (s *Service) answer(ctx context.Context, req Request, p *push.Push, rep *Report) Response {
	deadline := req.Arrived.Add(s.opts.Deadline - margin(s.opts.Deadline))
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	key := dedup.Key(s.opts.AppID, &p.Message)
	duplicate := s.opts.Dedup.Seen(key)
	plan := s.opts.Rules.Current(ctx).Match(&p.Message, s.now())
	rep.Rule, rep.Planned, rep.Transfer = plan.Rule, len(plan.Replies), plan.Transfer
	if duplicate {
		rep.Outcome = OutcomeDuplicate
		return s.passive(p, plan, rep)
	}
	s.run(ctx, cancel, p, plan, key, rep)
	return s.passive(p, plan, rep)
}

// passive is the HTTP answer once the sends are done: the transfer reply or "success".
func (s *Service) passive(p *push.Push, plan rules.Plan, rep *Report) Response {
	if !plan.Transfer {
		if rep.Outcome == "" {
			rep.Outcome = OutcomeNothing
		}
		return textResponse(http.StatusOK, push.Success)
	}
	a, err := s.opts.Opener.TransferReply(p)
	if err != nil {
		// Only a broken key table gets here; "success" still keeps the user's page working.
		s.log.Error("transfer reply failed", "id", rep.ID, "err", err)
		return textResponse(http.StatusOK, push.Success)
	}
	if rep.Outcome == "" {
		rep.Outcome = OutcomeTransferred
	}
	return Response{Status: http.StatusOK, ContentType: a.ContentType, Body: a.Body}
}

// margin is the time kept back from the deadline for writing the answer.
func margin(d time.Duration) time.Duration {
	m := d / 20
	if m > 100*time.Millisecond {
		m = 100 * time.Millisecond
	}
	return m
}
