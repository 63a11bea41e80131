package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
	"github.com/tencentyun/scf-go-lib/functioncontext"

	"github.com/kefuhq/kefu/pkg/app"
	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/gateway"
	"github.com/kefuhq/kefu/pkg/kefu"
	"github.com/kefuhq/kefu/pkg/push"
)

// runGo1 serves SCF's Go1 event runtime through scf-go-lib: net/rpc on
// 0.0.0.0:$_LAMBDA_SERVER_PORT, one event per Function.Invoke, answered in the event's own
// shape (a Function URL's or an API Gateway trigger's). It never returns.
//
// scf-go-lib applies each invocation's Environment to the process environment before the
// handler runs; whether SCF also sets the function's variables when it starts the process is
// not documented. So the configuration is read at the first invocation, not here, and the
// App is built then, once.
func runGo1() {
	log := app.NewLogger(os.Stderr, slog.LevelInfo)
	h := &gateway.Handler{Service: &go1Service{log: log}, Logger: log, RequestID: go1RequestID}
	cloudfunction.StartHandler(h)
}

// go1Service builds the App at its first request and answers with it from then on. While
// the configuration is missing or bad, each request is answered 500 with the one-line
// reason, which is also logged, and the next request tries again: the process keeps
// serving, since in Go1 mode the configuration arrives with the invocations.
type go1Service struct {
	log *slog.Logger

	mu  sync.Mutex
	svc *kefu.Service
}

// Handle answers one request, building the App first if it is not yet built.
func (s *go1Service) Handle(ctx context.Context, req kefu.Request) kefu.Response {
	svc, err := s.service(ctx)
	if err != nil {
		msg := "kefu cannot start: " + err.Error()
		s.log.Error(msg, "id", req.ID)
		return kefu.Response{Status: http.StatusInternalServerError, ContentType: push.ContentType, Body: []byte(msg)}
	}
	return svc.Handle(ctx, req)
}

// service returns the Service, building the App from the environment if need be. Concurrent
// first requests wait for one build.
func (s *go1Service) service(ctx context.Context) (*kefu.Service, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.svc != nil {
		return s.svc, nil
	}
	cfg, err := config.Load(os.LookupEnv, 9000)
	if err != nil {
		return nil, err
	}
	a, err := app.New(ctx, cfg, app.Options{})
	if err != nil {
		return nil, err
	}
	a.Logger.Info("kefu ready (SCF Go1)", "rules", a.RulesSource)
	s.svc = a.Service
	return s.svc, nil
}

// go1RequestID returns the invocation's id, for events that carry none of their own.
func go1RequestID(ctx context.Context) string {
	if fc, ok := functioncontext.FromContext(ctx); ok {
		return fc.RequestID
	}
	return ""
}
