// Command scf is kefu for Tencent Cloud SCF. Started by scf_bootstrap it is a Web function:
// an HTTP server on 0.0.0.0:$PORT (9000) answering the Function URL's requests on every path,
// shutting down gracefully on SIGTERM. When _LAMBDA_SERVER_PORT is set, the SCF Go1 event
// runtime started it instead, and it answers Function URL and API Gateway events over that
// runtime's protocol (go1.go).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "github.com/kefuhq/kefu/internal/hugeheap" // huge pages for the heap: a quarter off the cold start
	"github.com/kefuhq/kefu/pkg/app"
	"github.com/kefuhq/kefu/pkg/config"
)

func main() {
	if os.Getenv("_LAMBDA_SERVER_PORT") != "" {
		runGo1() // the Go1 event runtime (go1.go)
		return
	}
	defer startProfile()() // a no-op unless built with -tags pprof (make profile)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg, err := config.Load(os.LookupEnv, 9000)
	if err != nil {
		fatal(err)
	}
	a, err := app.New(ctx, cfg, app.Options{})
	if err != nil {
		fatal(err)
	}
	addr := fmt.Sprintf("0.0.0.0:%d", cfg.Port)
	err = app.Serve(ctx, addr, a.Service, a.Logger, cfg.Deadline+time.Second, func(l net.Addr) {
		a.Logger.Info("kefu listening", "addr", l.String(), "rules", a.RulesSource)
	})
	if err != nil {
		fatal(err)
	}
	a.Logger.Info("kefu stopped")
}

// fatal prints the one line that says why kefu cannot start, and exits.
func fatal(err error) {
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("kefu cannot start: " + err.Error())
	os.Exit(1)
}
