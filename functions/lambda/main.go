// Command lambda is kefu for AWS Lambda (runtime provided.al2023, handler bootstrap): one
// function behind an HTTP API, a Function URL, a REST API or an ALB, each event answered in
// its own shape (package gateway). It is built as `bootstrap` with
// -tags lambda.norpc -trimpath -ldflags "-s -w" for linux/arm64 (make build).
//
// The configuration is read and the rules loaded at init: a missing or bad variable is one
// log line naming it and exit status 1, which Lambda reports as an init error when the
// function is deployed or first invoked. A refused push is never a failed invocation.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	_ "github.com/kefuhq/kefu/internal/hugeheap" // huge pages for the heap: a quarter off the cold start
	"github.com/kefuhq/kefu/pkg/app"
	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/gateway"
)

// initTimeout bounds loading the rules at init: Lambda allows an on-demand init 10 s.
const initTimeout = 8 * time.Second

func main() {
	cfg, err := config.Load(os.LookupEnv, 0)
	if err != nil {
		fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	a, err := app.New(ctx, cfg, app.Options{})
	cancel()
	if err != nil {
		fatal(err)
	}
	h := &gateway.Handler{Service: a.Service, Logger: a.Logger, RequestID: requestID}
	// Lambda's Invoke API takes only JSON payloads, so every event decodes as a RawMessage;
	// the answer goes back as JSON (application/json), never as an invocation error.
	lambda.Start(func(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
		return h.Invoke(ctx, event)
	})
}

// requestID returns the invocation's id, for events that carry none (ALB).
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

// fatal prints the one line that says why kefu cannot start, and exits.
func fatal(err error) {
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("kefu cannot start: " + err.Error())
	os.Exit(1)
}
