// Command local is kefu on a laptop, what `make dev` runs: the same function as the deployed
// ones, with a simulator of WeChat's servers and a chat page, and no cloud account.
//
// It serves, on http://127.0.0.1:$PORT (8080):
//
//	/                  the chat page: a mini-program page with contact buttons, the customer-service
//	                   chat, and a panel with the raw push, the matched rule and the WeChat API calls
//	/wechat            the function (the URL one pastes into WeChat's console when deployed)
//	/sim/api/cgi-bin/  the simulated WeChat API the function calls (WECHAT_API_BASE, unless set)
//	/sim/...           the simulator's endpoints for the page (enter, send, events, media, ...)
//
// Configuration is the contract's: every variable is honoured. It is the one host that fills
// unset WECHAT_* variables with demo values (printed at start), and without KEFU_RULES it
// serves the bundled example rules; `make dev` sets KEFU_RULES=examples/rules.yaml, the file
// on disk, which is read again within about a second of a change.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kefuhq/kefu/pkg/app"
	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/store"
)

func main() {
	listen := flag.String("listen", "127.0.0.1", "the `address` to listen on; 0.0.0.0 lets other machines (a phone, a container's host) open the page")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.LookupEnv, *listen, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kefu dev cannot start: "+err.Error())
		os.Exit(1)
	}
}

// run serves the local host on listenHost until ctx ends, then shuts down gracefully. The
// banner goes to stdout once the host accepts connections; logs go to stderr.
func run(ctx context.Context, lookup config.Lookup, listenHost string, stdout, stderr io.Writer) error {
	cfg, settings, err := loadConfig(lookup)
	if err != nil {
		return err
	}
	port := cfg.Port
	if port == 0 {
		if port, err = freePort(listenHost); err != nil {
			return err
		}
	}
	addr := net.JoinHostPort(listenHost, strconv.Itoa(port))
	baseURL := "http://" + net.JoinHostPort(urlHost(listenHost), strconv.Itoa(port))
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	h, simulated, err := newLocalHost(ctx, cfg, lookup, baseURL, log)
	if err != nil {
		return err
	}
	defer h.Close()
	// Ctrl-C ends the page's long polls at once, so the shutdown does not wait for them.
	defer context.AfterFunc(ctx, h.Close)()

	err = app.Serve(ctx, addr, h, log, cfg.Deadline+time.Second, func(net.Addr) {
		printBanner(stdout, baseURL, cfg, settings, simulated, h.app.RulesSource)
	})
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("port %d is already in use (another make dev?): stop that server, or pick another port: PORT=%d make dev", port, port+1)
	}
	if err != nil {
		return err
	}
	log.Info("kefu dev stopped")
	return nil
}

// newLocalHost builds the host for cfg at baseURL. Unless WECHAT_API_BASE is set, the
// function calls the host's own simulated API, over loopback HTTP; simulated reports that.
func newLocalHost(ctx context.Context, cfg *config.Config, lookup config.Lookup, baseURL string, log *slog.Logger) (h *host, simulated bool, err error) {
	simulated = !apiBaseSet(lookup)
	if simulated {
		cfg.APIBase = simAPIBase(baseURL)
	}
	h, err = newHost(ctx, cfg, hostOptions{BaseURL: baseURL, Logger: log})
	return h, simulated, err
}

// printBanner prints the one block a newcomer reads: where to open the page, the settings
// in use, and where the rules come from.
func printBanner(w io.Writer, baseURL string, cfg *config.Config, settings []setting, simulated bool, rules string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nkefu dev: the function, a WeChat simulator and a chat page, on this machine.\n\n")
	fmt.Fprintf(&b, "  Open the chat page (打开聊天页面):  %s/\n", baseURL)
	fmt.Fprintf(&b, "  Function (消息推送 URL):            %s%s\n", baseURL, functionPath)
	if simulated {
		fmt.Fprintf(&b, "  WeChat API (simulated):             %s\n", cfg.APIBase)
	} else {
		fmt.Fprintf(&b, "  WeChat API (%s):        %s  (replies are not simulated: the chat shows none)\n", config.APIBase, cfg.APIBase)
	}
	fmt.Fprintf(&b, "  Rules (规则):                       %s\n", describeRules(rules))
	demo := false
	for _, s := range settings {
		demo = demo || s.Demo
	}
	if demo {
		fmt.Fprintf(&b, "\n  WeChat settings; unset ones get these demo values (a deployed function never does this):\n")
	} else {
		fmt.Fprintf(&b, "\n  WeChat settings, all from the environment:\n")
	}
	for _, s := range settings {
		fmt.Fprintf(&b, "    %s\n", s.describe())
	}
	fmt.Fprintf(&b, "\n  Press Ctrl-C to stop.\n\n")
	_, _ = io.WriteString(w, b.String())
}

// describeRules says where the rules come from and when they are read again.
func describeRules(src string) string {
	loc, err := store.Parse(src)
	if err != nil {
		return src
	}
	switch loc.Scheme {
	case store.Embed:
		return "the bundled example rules (" + src + "); to edit them live, run with KEFU_RULES=examples/rules.yaml (make dev does)"
	case store.File:
		return loc.Redacted() + " (read again within a second of a change)"
	default:
		return loc.Redacted() + " (checked for a change every " + config.RulesRefresh + ")"
	}
}

// freePort returns a port that was free on host a moment ago (for PORT=0).
func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// urlHost returns the host of the URLs the host gives itself and prints: the listen address,
// or 127.0.0.1 when it listens on every address.
func urlHost(listenHost string) string {
	if ip := net.ParseIP(listenHost); listenHost == "" || ip != nil && ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return listenHost
}
