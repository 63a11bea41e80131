package gatewaytest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RuntimeAPI is a fake of the Lambda Runtime API (2018-06-01) that a bootstrap built with
// aws-lambda-go talks to when AWS_LAMBDA_RUNTIME_API names it: it hands out the events given
// to Invoke from GET /runtime/invocation/next, with the Lambda-Runtime-* headers, and
// collects what the function posts to .../response, .../error and /runtime/init/error. It
// is safe for concurrent use.
type RuntimeAPI struct {
	srv *httptest.Server
	// FunctionARN is the Lambda-Runtime-Invoked-Function-Arn of every invocation.
	FunctionARN string
	// Timeout is the time from an invocation being handed out to its deadline
	// (Lambda-Runtime-Deadline-Ms); 30 s unless set before the first Invoke.
	Timeout time.Duration

	queue chan *invocation
	done  chan struct{}

	mu        sync.Mutex
	pending   map[string]*invocation
	initErr   []byte
	initErrCh chan struct{}
	nexts     int
	firstNext chan struct{}
	closeOnce sync.Once
}

type invocation struct {
	id      string
	payload []byte
	result  chan Result
}

// Result is what the function posted for one invocation.
type Result struct {
	// Payload is the body of .../response, or of .../error when Error is set.
	Payload []byte
	// Error reports that the function posted to .../error: a failed invocation.
	Error bool
	// ErrorType is the Lambda-Runtime-Function-Error-Type header of an error.
	ErrorType string
}

// NewRuntimeAPI starts a fake Runtime API on loopback. Close it when done.
func NewRuntimeAPI() *RuntimeAPI {
	a := &RuntimeAPI{
		FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:kefu",
		Timeout:     30 * time.Second,
		queue:       make(chan *invocation, 16),
		done:        make(chan struct{}),
		pending:     make(map[string]*invocation),
		initErrCh:   make(chan struct{}),
		firstNext:   make(chan struct{}),
	}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	return a
}

// Addr is the value for AWS_LAMBDA_RUNTIME_API: host:port, without a scheme.
func (a *RuntimeAPI) Addr() string { return strings.TrimPrefix(a.srv.URL, "http://") }

// Close stops the server. Requests still waiting for an invocation are answered 500.
func (a *RuntimeAPI) Close() {
	a.closeOnce.Do(func() { close(a.done) })
	a.srv.Close()
}

// Ready returns a channel closed when the function first asks for an invocation: it has
// finished its init.
func (a *RuntimeAPI) Ready() <-chan struct{} { return a.firstNext }

// InitError returns a channel closed when the function posts to /runtime/init/error, and
// the body it posted once it has.
func (a *RuntimeAPI) InitError() (<-chan struct{}, []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.initErrCh, a.initErr
}

// Invoke queues an event and waits for the function's result, or for ctx to end.
func (a *RuntimeAPI) Invoke(ctx context.Context, event []byte) (Result, error) {
	inv := &invocation{id: randomID(), payload: event, result: make(chan Result, 1)}
	a.mu.Lock()
	a.pending[inv.id] = inv
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.pending, inv.id)
		a.mu.Unlock()
	}()
	select {
	case a.queue <- inv:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("gatewaytest: queueing an invocation: %w", ctx.Err())
	}
	select {
	case r := <-inv.result:
		return r, nil
	case <-ctx.Done():
		return Result{}, fmt.Errorf("gatewaytest: waiting for invocation %s: %w", inv.id, ctx.Err())
	}
}

const runtimePrefix = "/2018-06-01/runtime/"

func (a *RuntimeAPI) serve(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, runtimePrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		a.next(w, r)
	case r.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		if a.initErr == nil {
			a.initErr = body
			close(a.initErrCh)
		}
		a.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, ok := strings.Cut(rest, "/")
		if !ok || (kind != "response" && kind != "error") {
			http.NotFound(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		inv := a.pending[id]
		a.mu.Unlock()
		if inv == nil {
			http.Error(w, "unknown request id", http.StatusBadRequest)
			return
		}
		res := Result{Payload: body, Error: kind == "error"}
		if res.Error {
			res.ErrorType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
			if res.ErrorType == "" {
				res.ErrorType = r.Trailer.Get("Lambda-Runtime-Function-Error-Type")
			}
		}
		select {
		case inv.result <- res:
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

// next hands out the next invocation, waiting for one like the real API's long poll.
func (a *RuntimeAPI) next(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.nexts++
	if a.nexts == 1 {
		close(a.firstNext)
	}
	a.mu.Unlock()
	select {
	case inv := <-a.queue:
		deadline := time.Now().Add(a.Timeout)
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", a.FunctionARN)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	case <-a.done:
		http.Error(w, "shutting down", http.StatusInternalServerError)
	}
}
