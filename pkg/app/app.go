// Package app wires kefu together from its configuration: the store, the WeChat API client,
// the media cache, the rules loader, the dedup and the service. Every host (functions/*)
// builds its App here, so the deployed functions and the local host run the same core.
package app

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/kefuhq/kefu/examples"
	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/dedup"
	"github.com/kefuhq/kefu/pkg/kefu"
	"github.com/kefuhq/kefu/pkg/media"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/rules"
	"github.com/kefuhq/kefu/pkg/store"
	"github.com/kefuhq/kefu/pkg/wxapi"
)

// Options are what a host adds to the configuration.
type Options struct {
	// Logger receives the service's logs; nil means JSON lines on stderr at cfg.LogLevel.
	Logger *slog.Logger
	// HTTPClient makes the WeChat API calls; nil means wxapi's default client.
	HTTPClient *http.Client
	// StoreHTTPClient reads http(s) sources and talks to S3; nil means the store's default.
	StoreHTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Observe receives every request's report (the local host's panel).
	Observe func(*kefu.Report)
	// OnCall receives every WeChat API call (the local host's panel).
	OnCall func(wxapi.Call)
	// Local marks the local host, which serves the bundled examples without a warning and
	// fetches the access token at the first push rather than at start.
	Local bool
}

// App is a wired kefu. The Service answers requests; the other fields are its parts, for
// hosts that show them.
type App struct {
	Config  *config.Config
	Service *kefu.Service
	Store   *store.Store
	Rules   *rules.Loader
	API     *wxapi.Client // nil when WECHAT_APPSECRET is not set
	Media   *media.Cache
	Dedup   *dedup.Deduper
	Logger  *slog.Logger
	// RulesSource is where the rules are read from.
	RulesSource string
}

// NewLogger returns the JSON logger the hosts use.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// New builds an App from cfg and loads the rules: a bad or missing rules file is an error,
// so the process refuses to start rather than answer with no rules.
func New(ctx context.Context, cfg *config.Config, opts Options) (_ *App, err error) {
	log := opts.Logger
	if log == nil {
		log = NewLogger(os.Stderr, cfg.LogLevel)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	opener, err := push.NewOpener(withNow(cfg.PushConfig(), now))
	if err != nil {
		return nil, err
	}
	s3opts := cfg.S3
	if opts.StoreHTTPClient != nil {
		s3opts.HTTPClient = opts.StoreHTTPClient
	}
	st, err := store.New(store.Options{S3: s3opts, HTTPClient: opts.StoreHTTPClient, Embedded: examplesFS()})
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Store: st, Logger: log}

	a.RulesSource = cfg.Rules
	if a.RulesSource == "" {
		a.RulesSource = examples.Source
		if !opts.Local {
			log.Warn("KEFU_RULES is not set: serving the bundled example rules")
		}
	}
	var api kefu.API
	var upload func(ctx context.Context, filename, contentType string, data []byte) (string, error)
	if cfg.AppSecret != "" {
		a.API, err = wxapi.New(wxapi.Config{
			BaseURL:    cfg.APIBase,
			AppID:      cfg.AppID,
			AppSecret:  cfg.AppSecret,
			TokenAPI:   cfg.TokenAPI,
			HTTPClient: opts.HTTPClient,
			Logger:     log,
			Now:        now,
			OnCall:     opts.OnCall,
		})
		if err != nil {
			return nil, err
		}
		api, upload = a.API, a.API.UploadImage
	} else {
		log.Warn("WECHAT_APPSECRET is not set: pushes are verified and answered, but no reply can be sent")
		api, upload = noSecret{}, noSecret{}.UploadImage
	}
	// The access token is fetched while the rules load, so the first push after a cold start
	// does not wait for a round trip to WeChat (see warmToken). Not on the local host: its
	// simulated API is served on the listener that opens only once New returns, and answers
	// the first push's fetch in microseconds anyway.
	if !opts.Local {
		warmed := a.warmToken(ctx)
		defer func() { warmed(err != nil) }()
	}

	a.Rules, err = rules.NewLoader(rules.LoaderOptions{
		Source:  a.RulesSource,
		Fetch:   st.Get,
		Parse:   rules.Options{AppID: cfg.AppID},
		Refresh: cfg.RulesRefresh,
		Logger:  log,
		Now:     now,
	})
	if err != nil {
		return nil, err
	}
	if err := a.Rules.Load(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", config.Rules, err)
	}

	a.Media, err = media.New(media.Options{
		Upload: upload,
		Fetch:  st.Get,
		TTL:    cfg.MediaTTL,
		Now:    now,
		Logger: log,
	})
	if err != nil {
		return nil, err
	}
	a.Dedup, err = dedup.New(dedup.Options{TTL: cfg.DedupTTL, Shared: cfg.Dedup, Store: st, Logger: log, Now: now})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.Dedup, err)
	}
	a.Service, err = kefu.New(kefu.Options{
		AppID:    cfg.AppID,
		Opener:   opener,
		Rules:    a.Rules,
		API:      api,
		Media:    a.Media,
		Dedup:    a.Dedup,
		Deadline: cfg.Deadline,
		Logger:   log,
		Now:      opts.Now,
		Observe:  opts.Observe,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func withNow(c push.Config, now func() time.Time) push.Config {
	c.Now = now
	return c
}

// examplesFS is the embedded file system the store serves under embed:///: the bundled
// example rules and their media (about 25 KB, so even the Lambda bootstrap carries them and a
// fresh deployment without KEFU_RULES answers with images).
func examplesFS() fs.FS { return examples.FS }

// errNoSecret is why every send fails without WECHAT_APPSECRET.
var errNoSecret = fmt.Errorf("%w: %s is not set", wxapi.ErrConfig, config.AppSecret)

// noSecret stands in for the API client when no AppSecret is configured: each reply fails
// with a clear, logged reason instead of the process refusing to verify pushes at all.
type noSecret struct{}

func (noSecret) Send(context.Context, *wxapi.Message) error { return errNoSecret }
func (noSecret) Typing(context.Context, string, bool) error { return errNoSecret }
func (noSecret) UploadImage(context.Context, string, string, []byte) (string, error) {
	return "", errNoSecret
}

// warmTokenTimeout bounds the token fetch at start: a slow WeChat delays the start by at
// most this much, and the first push fetches the token itself if it did not arrive.
const warmTokenTimeout = 2 * time.Second

// warmToken starts fetching the access token in the background and returns the function
// that waits for it (until ctx ends or warmTokenTimeout passes; at once when New failed and
// stop is true). A failure is logged, never fatal: pushes are still verified, and each reply
// tries again. No goroutine outlives New.
func (a *App) warmToken(ctx context.Context) (wait func(stop bool)) {
	if a.API == nil {
		return func(bool) {}
	}
	ctx, cancel := context.WithTimeout(ctx, warmTokenTimeout)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := a.API.Token(ctx); err != nil {
			a.Logger.Warn("could not fetch the WeChat access token at start; replies will try again", "err", err)
		}
	}()
	return func(stop bool) {
		if stop {
			cancel()
		}
		<-done
		cancel()
	}
}
