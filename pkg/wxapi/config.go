package wxapi

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults and the accepted values of Config.
const (
	// DefaultBaseURL is WeChat's API host.
	DefaultBaseURL = "https://api.weixin.qq.com"

	// TokenStable fetches tokens with getStableAccessToken (POST /cgi-bin/stable_token,
	// force_refresh false): any number of instances get the same token and never invalidate
	// one another. The default.
	TokenStable = "stable"
	// TokenClassic fetches tokens with getAccessToken (GET /cgi-bin/token). Warning: every
	// fetch invalidates the token every other holder has (after a 5-minute overlap), so two
	// instances, or kefu and any other program using the same AppID, make each other fail with
	// 40001. Use it only where the stable API is unavailable and this Client is the only holder.
	TokenClassic = "classic"

	// SendPath is customerServiceMessage.send; the default.
	SendPath = "/cgi-bin/message/custom/send"
	// BusinessSendPath is the variant the newer documentation shows (for 客服子商户); the
	// community reports it answering 40101 for plain mini programs.
	BusinessSendPath = "/cgi-bin/message/custom/business/send"
	// TypingPath is customerServiceMessage.setTyping; the default.
	TypingPath = "/cgi-bin/message/custom/typing"
	// BusinessTypingPath is the business variant of TypingPath.
	BusinessTypingPath = "/cgi-bin/message/custom/business/typing"
	// UploadPath is the temporary media upload (uploadTempMedia).
	UploadPath = "/cgi-bin/media/upload"
)

// Config configures a Client. Only AppID and AppSecret are required.
type Config struct {
	// BaseURL is where the API is: DefaultBaseURL unless set (tests and `make dev` point it at
	// a simulator). A trailing slash is ignored.
	BaseURL string
	// AppID and AppSecret are the mini program's credentials, used only to fetch tokens.
	AppID     string
	AppSecret string
	// TokenAPI is TokenStable (the default) or TokenClassic; read TokenClassic's warning.
	TokenAPI string
	// SendPath is SendPath (the default) or BusinessSendPath.
	SendPath string
	// TypingPath is TypingPath (the default) or BusinessTypingPath.
	TypingPath string
	// HTTPClient makes the calls. The default is one keep-alive client per Client with
	// connect (3 s), TLS (3 s) and response-header (10 s) timeouts that follows no redirect.
	// The context of each call bounds it as well; a call whose context has no deadline gets
	// 30 seconds, retries included.
	HTTPClient *http.Client
	// Logger receives a debug record per API call (path, attempt, errcode, status,
	// duration; never the token or the secret). Nil discards.
	Logger *slog.Logger
	// Now tells the time for token expiry; time.Now unless set (tests use a fake clock).
	// Deadlines and back-off always use the real clock, as contexts do.
	Now func() time.Time
	// OnCall, if set, is called after every HTTP attempt, from the calling goroutine, with
	// what was sent and how it ended (the local dev page shows these). It must be quick and
	// safe for concurrent use.
	OnCall func(Call)
}

// Call describes one HTTP attempt to the WeChat API, for Config.OnCall.
type Call struct {
	// API is the path called, such as /cgi-bin/message/custom/send.
	API string
	// Attempt counts the attempts of one logical call, from 1.
	Attempt int
	// Status is the HTTP status, or 0 when no answer arrived.
	Status int
	// Code is WeChat's errcode (0 for success or an unreadable answer).
	Code int
	// Duration is the time from sending the request to reading the whole answer.
	Duration time.Duration
	// Payload is the request body with secrets redacted: the JSON sent, the token request
	// with its secret replaced, or a one-line summary of an upload. Do not modify it.
	Payload []byte
	// Err is the failure of this attempt, or nil.
	Err error
}

// New checks cfg and returns a Client. A Client is safe for concurrent use and is the warm
// cache of the access token: create one per process and keep it.
func New(cfg Config) (*Client, error) {
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	base = strings.TrimRight(base, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: BaseURL %q: want http(s)://host[/path]", ErrConfig, cfg.BaseURL)
	}
	if cfg.AppID == "" {
		return nil, fmt.Errorf("%w: AppID is empty", ErrConfig)
	}
	if cfg.AppSecret == "" {
		return nil, fmt.Errorf("%w: AppSecret is empty", ErrConfig)
	}
	if strings.ContainsAny(cfg.AppID, "&=?#/ \t\r\n") {
		return nil, fmt.Errorf("%w: AppID %q holds characters an AppID never has", ErrConfig, cfg.AppID)
	}
	tokenAPI := cfg.TokenAPI
	switch tokenAPI {
	case "":
		tokenAPI = TokenStable
	case TokenStable, TokenClassic:
	default:
		return nil, fmt.Errorf("%w: TokenAPI %q: want %q or %q", ErrConfig, cfg.TokenAPI, TokenStable, TokenClassic)
	}
	sendPath, err := pick("SendPath", cfg.SendPath, SendPath, BusinessSendPath)
	if err != nil {
		return nil, err
	}
	typingPath, err := pick("TypingPath", cfg.TypingPath, TypingPath, BusinessTypingPath)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:       base,
		appID:      cfg.AppID,
		secret:     cfg.AppSecret,
		classic:    tokenAPI == TokenClassic,
		sendPath:   sendPath,
		typingPath: typingPath,
		hc:         cfg.HTTPClient,
		log:        cfg.Logger,
		now:        cfg.Now,
		onCall:     cfg.OnCall,
	}
	if c.hc == nil {
		c.hc = newHTTPClient()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.sendURL = base + sendPath + "?access_token="
	c.typingURL = base + typingPath + "?access_token="
	c.uploadURL = base + UploadPath + "?access_token="
	return c, nil
}

// pick returns value, or def when value is empty, if it is def or alt.
func pick(name, value, def, alt string) (string, error) {
	switch value {
	case "":
		return def, nil
	case def, alt:
		return value, nil
	}
	return "", fmt.Errorf("%w: %s %q: want %q or %q", ErrConfig, name, value, def, alt)
}

// newHTTPClient returns the default client: keep-alive connections to one host and a timeout
// on each phase. It follows no redirect (WeChat answers in place; a redirected POST would turn
// into a GET). The overall cap is the context (see maxCallTime), which costs no timer when the
// caller gives a deadline.
func newHTTPClient() *http.Client {
	return &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			DialContext: (&net.Dialer{
				Timeout:   3 * time.Second,
				KeepAlive: 30 * time.Second,
			}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          16,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   3 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
	}
}
