package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/kefuhq/kefu/pkg/app"
	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// Routes of the local host.
const (
	// functionPath is where the function answers, as the URL pasted into WeChat's console.
	functionPath = "/wechat"
	// apiPrefix is where the simulated WeChat API is mounted: WECHAT_API_BASE, unless set.
	apiPrefix = "/sim/api"
	// defaultPort is the local host's PORT default.
	defaultPort = 8080
	// pollTimeout bounds one long poll of the page.
	pollTimeout = 25 * time.Second
	// pushTimeout is how long the simulator waits for the function, as WeChat does.
	pushTimeout = 5 * time.Second
)

//go:embed page
var pageFiles embed.FS

// hostOptions are what the local host needs besides the configuration.
type hostOptions struct {
	// BaseURL is the host's own URL, such as http://127.0.0.1:8080: the simulator posts
	// pushes to BaseURL + /wechat over real HTTP.
	BaseURL string
	// Logger receives the function's and the host's logs.
	Logger *slog.Logger
}

// pusherKey names one of the simulator's pushers: a mode and a data format, as chosen on
// the WeChat console's 消息推送 page.
type pusherKey struct {
	mode   push.Mode
	format push.Format
}

// host is the local host of `make dev`: the function (the same core as the deployed ones,
// built by app.New) at /wechat, a simulator of WeChat's servers in both directions (the API
// at /sim/api, the pushes sent to /wechat by the page's actions), and the chat page at /.
type host struct {
	cfg     *config.Config
	app     *app.App
	api     *wxsim.API
	journal *journal
	pushers map[pusherKey]*wxsim.Pusher
	// apiClient makes kefu's WeChat API calls; pushClient posts the simulator's pushes.
	apiClient, pushClient *http.Client
	baseURL               string
	log                   *slog.Logger
	mux                   *http.ServeMux

	// life ends when the host is closed: long polls watch it, so that a shutdown does not
	// wait for them.
	life context.Context
	stop context.CancelFunc
}

// newHost wires the function and the simulator. cfg.APIBase is used as given: the caller
// points it at BaseURL + /sim/api unless WECHAT_API_BASE is set.
func newHost(ctx context.Context, cfg *config.Config, opts hostOptions) (*host, error) {
	h := &host{
		cfg:     cfg,
		journal: newJournal(),
		pushers: make(map[pusherKey]*wxsim.Pusher),
		baseURL: opts.BaseURL,
		log:     opts.Logger,
	}
	h.life, h.stop = context.WithCancel(context.Background())
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	// The simulator keeps WeChat's reply quota (2 replies within a minute of entering the
	// session, 5 within 48 hours of a message) and the typing rule, so a rule that would be
	// refused in production (45047) is refused here too.
	h.api = wxsim.NewAPI(wxsim.APIOptions{AppID: cfg.AppID, AppSecret: cfg.AppSecret, EnforceQuota: true})
	h.apiClient = &http.Client{
		Transport:     apiTransport{base: newTransport(), journal: h.journal},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	h.pushClient = &http.Client{Transport: pushTransport{base: newTransport()}, Timeout: pushTimeout}

	a, err := app.New(ctx, cfg, app.Options{
		Logger:     h.log,
		HTTPClient: h.apiClient,
		Observe:    h.journal.observe,
		Local:      true,
	})
	if err != nil {
		h.Close()
		return nil, err
	}
	h.app = a

	for _, mode := range []push.Mode{push.Safe, push.Compatible, push.Plaintext} {
		if mode != push.Plaintext && cfg.EncodingAESKey == "" {
			continue
		}
		for _, format := range []push.Format{push.JSON, push.XML} {
			p, err := wxsim.NewPusher(wxsim.PusherOptions{
				URL:            h.baseURL + functionPath,
				AppID:          cfg.AppID,
				Token:          cfg.Token,
				EncodingAESKey: cfg.EncodingAESKey,
				Mode:           mode,
				Format:         format,
				HTTPClient:     h.pushClient,
				API:            h.api,
			})
			if err != nil {
				h.Close()
				return nil, fmt.Errorf("simulator: %w", err)
			}
			h.pushers[pusherKey{mode, format}] = p
		}
	}
	h.routes()
	return h, nil
}

// routes builds the host's mux.
func (h *host) routes() {
	page, err := fs.Sub(pageFiles, "page")
	if err != nil {
		panic(err) // the embedded directory is always there
	}
	m := http.NewServeMux()
	m.Handle("GET /{$}", pageHandler(page, "index.html"))
	m.Handle("GET /assets/", http.StripPrefix("/assets/", noCache(http.FileServerFS(page))))
	m.Handle(functionPath, tagExchange(h.app.Service))
	m.Handle(apiPrefix+"/", http.StripPrefix(apiPrefix, h.api))
	m.HandleFunc("GET /sim/config", h.serveConfig)
	m.HandleFunc("POST /sim/enter", h.serveEnter)
	m.HandleFunc("POST /sim/send", h.serveSend)
	m.HandleFunc("POST /sim/verify", h.serveVerify)
	m.HandleFunc("GET /sim/events", h.serveEvents)
	m.HandleFunc("GET /sim/history", h.serveHistory)
	m.HandleFunc("GET /sim/exchanges/{id}", h.serveExchange)
	m.HandleFunc("GET /sim/media/{id}", h.serveMedia)
	h.mux = m
}

// ServeHTTP implements http.Handler.
func (h *host) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Close ends the long polls in flight and closes the idle connections of the host's
// clients. The host still answers afterwards; its long polls return at once.
func (h *host) Close() {
	h.stop()
	h.pushClient.CloseIdleConnections()
	h.apiClient.CloseIdleConnections()
}

// pageHandler serves one file of the page.
func pageHandler(page fs.FS, name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := fs.ReadFile(page, name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		setPageHeaders(w.Header())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(b)
	})
}

// noCache serves h with the page's headers, so an edited page is never stale.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w.Header())
		h.ServeHTTP(w, r)
	})
}

// setPageHeaders sets the headers of the page's files: no caching, and a policy that lets
// the page load nothing but its own files (link-card thumbnails excepted: WeChat shows
// them from their public URL).
func setPageHeaders(h http.Header) {
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob: https: http:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
