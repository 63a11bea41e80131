// Package config reads kefu's configuration, the environment variables of the public
// contract (DESIGN.md, "Configuration"), into one struct. It reads through a lookup function,
// so only the functions/* mains touch the real environment.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/store"
)

// The environment variables of the contract.
const (
	AppID                  = "WECHAT_APPID"
	AppSecret              = "WECHAT_APPSECRET"
	Token                  = "WECHAT_TOKEN"
	EncodingAESKey         = "WECHAT_ENCODING_AES_KEY"
	PreviousEncodingAESKey = "WECHAT_ENCODING_AES_KEY_PREVIOUS"
	APIBase                = "WECHAT_API_BASE"
	Rules                  = "KEFU_RULES"
	RequireEncryption      = "KEFU_REQUIRE_ENCRYPTION"
	MaxClockSkew           = "KEFU_MAX_CLOCK_SKEW"
	RulesRefresh           = "KEFU_RULES_REFRESH"
	Deadline               = "KEFU_DEADLINE"
	Dedup                  = "KEFU_DEDUP"
	DedupTTL               = "KEFU_DEDUP_TTL"
	MediaTTL               = "KEFU_MEDIA_TTL"
	TokenAPI               = "KEFU_TOKEN_API"
	S3PathStyle            = "KEFU_S3_PATH_STYLE"
	Port                   = "PORT"
	LogLevel               = "LOG_LEVEL"
)

// Variables lists every variable of the contract, in the order of DESIGN.md. The deployment
// templates are tested against it, so a renamed variable breaks a test.
var Variables = []string{
	AppID, AppSecret, Token, EncodingAESKey, PreviousEncodingAESKey, APIBase, Rules,
	RequireEncryption, MaxClockSkew, RulesRefresh, Deadline, Dedup, DedupTTL, MediaTTL,
	TokenAPI, S3PathStyle, Port, LogLevel,
}

// The AWS SDK's standard settings for object storage, and Tencent SCF's execution-role
// credentials, read as a fallback for the access key pair.
const (
	awsRegion          = "AWS_REGION"
	awsDefaultRegion   = "AWS_DEFAULT_REGION"
	awsAccessKeyID     = "AWS_ACCESS_KEY_ID"
	awsSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	awsSessionToken    = "AWS_SESSION_TOKEN"
	awsEndpointS3      = "AWS_ENDPOINT_URL_S3"
	awsEndpoint        = "AWS_ENDPOINT_URL"
	tcSecretID         = "TENCENTCLOUD_SECRETID"
	tcSecretKey        = "TENCENTCLOUD_SECRETKEY"
	tcSessionToken     = "TENCENTCLOUD_SESSIONTOKEN"
	tcRegion           = "TENCENTCLOUD_REGION"
)

// Defaults of the contract.
const (
	DefaultAPIBase      = "https://api.weixin.qq.com"
	DefaultMaxClockSkew = 5 * time.Minute
	DefaultRulesRefresh = 60 * time.Second
	DefaultDeadline     = 4 * time.Second
	DefaultDedupTTL     = 60 * time.Second
	DefaultMediaTTL     = 60 * time.Hour
)

// Config is kefu's whole configuration.
type Config struct {
	AppID                  string
	AppSecret              string // empty: pushes are verified but no reply can be sent
	Token                  string
	EncodingAESKey         string // empty: plaintext pushes only
	PreviousEncodingAESKey string
	APIBase                string
	// Rules is where the rules are; empty means the bundled example rules.
	Rules             string
	RequireEncryption bool
	MaxClockSkew      time.Duration // 0: no window
	RulesRefresh      time.Duration
	Deadline          time.Duration
	// Dedup is the s3://bucket/prefix shared by instances for retry dedup; empty: memory only.
	Dedup     string
	DedupTTL  time.Duration
	MediaTTL  time.Duration
	TokenAPI  string // "stable" or "classic"
	Port      int
	LogLevel  slog.Level
	S3        store.S3Options
	RulesWarn bool // true when Rules is empty on a deployed function: it serves the examples
}

// Error names the variable that is missing or does not parse. Its message is the one line a
// process prints before it stops.
type Error struct {
	Variable string
	Err      error
}

// Error returns "VARIABLE: what is wrong".
func (e *Error) Error() string { return e.Variable + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrMissing is the cause of an Error for a required variable that is not set.
var ErrMissing = errors.New("required but not set")

// Lookup returns an environment variable's value and whether it is set; os.LookupEnv is one.
type Lookup func(name string) (string, bool)

// Load reads the configuration. defaultPort is the host's own PORT default (9000 for the SCF
// Web function, 8080 locally). The first problem found is returned as an *Error.
func Load(lookup Lookup, defaultPort int) (*Config, error) {
	r := reader{lookup: lookup}
	c := &Config{
		AppID:                  r.required(AppID),
		AppSecret:              r.str(AppSecret, ""),
		Token:                  r.required(Token),
		EncodingAESKey:         r.key(EncodingAESKey),
		PreviousEncodingAESKey: r.key(PreviousEncodingAESKey),
		APIBase:                r.url(APIBase, DefaultAPIBase),
		Rules:                  r.rules(),
		RequireEncryption:      r.boolean(RequireEncryption, false),
		MaxClockSkew:           r.duration(MaxClockSkew, DefaultMaxClockSkew, true),
		RulesRefresh:           r.duration(RulesRefresh, DefaultRulesRefresh, false),
		Deadline:               r.duration(Deadline, DefaultDeadline, false),
		Dedup:                  r.dedup(),
		DedupTTL:               r.duration(DedupTTL, DefaultDedupTTL, false),
		MediaTTL:               r.duration(MediaTTL, DefaultMediaTTL, false),
		TokenAPI:               r.oneOf(TokenAPI, "stable", "stable", "classic"),
		Port:                   r.port(defaultPort),
		LogLevel:               r.level(),
	}
	c.S3 = r.s3()
	if r.err != nil {
		return nil, r.err
	}
	if c.PreviousEncodingAESKey != "" && c.EncodingAESKey == "" {
		return nil, &Error{PreviousEncodingAESKey, fmt.Errorf("set, but %s is not", EncodingAESKey)}
	}
	if c.RequireEncryption && c.EncodingAESKey == "" {
		return nil, &Error{RequireEncryption, fmt.Errorf("true, but %s is not set", EncodingAESKey)}
	}
	c.RulesWarn = c.Rules == ""
	return c, nil
}

// ObjectStorage reads only the object-storage settings (the AWS SDK's standard variables,
// Tencent SCF's role credentials, KEFU_S3_PATH_STYLE): what a tool that reads rules or media
// needs without the rest of the configuration.
func ObjectStorage(lookup Lookup) (store.S3Options, error) {
	r := reader{lookup: lookup}
	o := r.s3()
	return o, r.err
}

// PushConfig returns the part of c that opening pushes needs.
func (c *Config) PushConfig() push.Config {
	return push.Config{
		AppID:                  c.AppID,
		Token:                  c.Token,
		EncodingAESKey:         c.EncodingAESKey,
		PreviousEncodingAESKey: c.PreviousEncodingAESKey,
		RequireEncryption:      c.RequireEncryption,
		MaxClockSkew:           c.MaxClockSkew,
	}
}

// reader accumulates the first error, so Load reads like the table it implements.
type reader struct {
	lookup Lookup
	err    error
}

func (r *reader) get(name string) (string, bool) {
	v, ok := r.lookup(name)
	if !ok || v == "" {
		return "", false
	}
	return v, true
}

func (r *reader) fail(name string, err error) {
	if r.err == nil {
		r.err = &Error{Variable: name, Err: err}
	}
}

func (r *reader) required(name string) string {
	v, ok := r.get(name)
	if !ok {
		r.fail(name, ErrMissing)
	}
	return v
}

func (r *reader) str(name, def string) string {
	if v, ok := r.get(name); ok {
		return v
	}
	return def
}

func (r *reader) key(name string) string {
	v, ok := r.get(name)
	if !ok {
		return ""
	}
	if err := push.ParseKey(v); err != nil {
		r.fail(name, err)
	}
	return v
}

func (r *reader) url(name, def string) string {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		r.fail(name, fmt.Errorf("%q is not an http(s) URL", v))
		return def
	}
	return strings.TrimRight(v, "/")
}

func (r *reader) rules() string {
	v, ok := r.get(Rules)
	if !ok {
		return ""
	}
	if _, err := store.Parse(v); err != nil {
		r.fail(Rules, err)
	}
	return v
}

func (r *reader) dedup() string {
	v, ok := r.get(Dedup)
	if !ok {
		return ""
	}
	if !strings.HasPrefix(v, "s3://") {
		r.fail(Dedup, fmt.Errorf("%q: want s3://bucket/prefix", v))
		return ""
	}
	bucket, _, _ := strings.Cut(strings.TrimPrefix(v, "s3://"), "/")
	if bucket == "" {
		r.fail(Dedup, fmt.Errorf("%q: no bucket", v))
	}
	return v
}

func (r *reader) boolean(name string, def bool) bool {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, fmt.Errorf("%q is not a boolean (true or false)", v))
	}
	return b
}

func (r *reader) duration(name string, def time.Duration, zeroOK bool) time.Duration {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		r.fail(name, fmt.Errorf("%q is not a Go duration (like 500ms, 4s, 5m, 60h)", v))
	case d < 0:
		r.fail(name, fmt.Errorf("%q is negative", v))
	case d == 0 && !zeroOK:
		r.fail(name, fmt.Errorf("%q must be more than zero", v))
	}
	return d
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, fmt.Errorf("%q: want one of %s", v, strings.Join(allowed, ", ")))
	return def
}

func (r *reader) port(def int) int {
	v, ok := r.get(Port)
	if !ok {
		return def
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 || p > 65535 {
		r.fail(Port, fmt.Errorf("%q is not a port number", v))
	}
	return p
}

func (r *reader) level() slog.Level {
	v, ok := r.get(LogLevel)
	if !ok {
		return slog.LevelInfo
	}
	var l slog.Level
	switch strings.ToLower(v) {
	case "debug":
		l = slog.LevelDebug
	case "info":
		l = slog.LevelInfo
	case "warn", "warning":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		r.fail(LogLevel, fmt.Errorf("%q: want debug, info, warn or error", v))
	}
	return l
}

// s3 reads the AWS SDK's standard variables, with Tencent SCF's role credentials as the
// fallback for the key pair (SCF sets TENCENTCLOUD_* for a function's execution role).
func (r *reader) s3() store.S3Options {
	o := store.S3Options{
		Region:          r.str(awsRegion, r.str(awsDefaultRegion, r.str(tcRegion, ""))),
		Endpoint:        r.str(awsEndpointS3, r.str(awsEndpoint, "")),
		AccessKeyID:     r.str(awsAccessKeyID, ""),
		SecretAccessKey: r.str(awsSecretAccessKey, ""),
		SessionToken:    r.str(awsSessionToken, ""),
		PathStyle:       r.boolean(S3PathStyle, false),
	}
	if o.AccessKeyID == "" && o.SecretAccessKey == "" {
		o.AccessKeyID = r.str(tcSecretID, "")
		o.SecretAccessKey = r.str(tcSecretKey, "")
		o.SessionToken = r.str(tcSessionToken, "")
	}
	if o.Endpoint != "" {
		if u, err := url.Parse(o.Endpoint); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			r.fail(awsEndpointS3, fmt.Errorf("%q is not an http(s) URL", o.Endpoint))
		}
	}
	return o
}
