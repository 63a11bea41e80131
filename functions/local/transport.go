package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The exchange a request belongs to travels in its context: the simulator's push carries it
// to the function as X-Request-Id (which kefu uses as the report's ID), the /wechat route
// puts it back into the request's context, and kefu passes that context down to every WeChat
// API request it makes, where apiTransport reads it. So each API call is filed under the push
// that caused it, even with several users chatting at once. (app.Options.OnCall carries no
// context, so it cannot tell which push a call belongs to.)
const requestIDHeader = "X-Request-Id"

// maxShown bounds a payload or an answer kept for the panel.
const maxShown = 64 << 10

// pushTransport adds the exchange id of the request's context as X-Request-Id.
type pushTransport struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t pushTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	id := exchangeOf(r.Context())
	if id == "" {
		return t.base.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set(requestIDHeader, id)
	return t.base.RoundTrip(r2)
}

// tagExchange serves the function with the request's exchange id in its context: the id the
// simulator sent, the platform-style request id of a push from elsewhere, or a fresh one
// (set as X-Request-Id, so that kefu's report carries the same id).
func tagExchange(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Scf-Request-Id")
		if id == "" {
			id = r.Header.Get(requestIDHeader)
		}
		if id == "" {
			id = newExchangeID()
			r.Header.Set(requestIDHeader, id)
		}
		next.ServeHTTP(w, r.WithContext(withExchange(r.Context(), id)))
	})
}

// apiTransport records each WeChat API request kefu makes in the journal, under the
// exchange of its context, with secrets redacted.
type apiTransport struct {
	base    http.RoundTripper
	journal *journal
}

// RoundTrip implements http.RoundTripper. It reads the answer whole (WeChat's JSON answers
// are small) so that the recorded duration covers the body, as wxapi measures it.
func (t apiTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	id := exchangeOf(r.Context())
	if id == "" {
		return t.base.RoundTrip(r)
	}
	c := apiCall{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Query: redactQuery(r.URL.Query())}
	// The path as WeChat sees it, without the simulator's mount point.
	c.Path = strings.TrimPrefix(c.Path, apiPrefix)
	req := r
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("reading the request body: %w", err)
		}
		req = r.Clone(r.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		c.Payload = redactBody(r.Header.Get("Content-Type"), body)
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		c.Duration, c.Err = time.Since(start), err.Error()
		t.journal.addCall(id, c)
		return nil, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxShown+1))
	resp.Body.Close()
	c.Duration, c.Status = time.Since(start), resp.StatusCode
	if rerr != nil {
		c.Err = rerr.Error()
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case ct == "application/json" || ct == "text/plain" || json.Valid(body):
		c.Response = redactAnswer(body)
		var a struct {
			ErrCode int `json:"errcode"`
		}
		if json.Unmarshal(body, &a) == nil {
			c.ErrCode = a.ErrCode
		}
	default:
		c.Response = fmt.Appendf(nil, "(%s, %d bytes)", ct, len(body))
	}
	t.journal.addCall(id, c)
	return resp, rerr
}

// redactQuery returns the query string with the values of access_token and secret replaced.
func redactQuery(q url.Values) string {
	for _, k := range []string{"access_token", "secret"} {
		if q.Has(k) {
			q.Set(k, "REDACTED")
		}
	}
	return q.Encode()
}

// redactBody returns what the panel shows of a request body: a JSON object with its secret
// replaced, a summary of a multipart upload, or the body itself.
func redactBody(contentType string, body []byte) []byte {
	mt, params, _ := mime.ParseMediaType(contentType)
	if mt == "multipart/form-data" {
		return uploadSummary(params["boundary"], body)
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) == nil {
		if _, ok := m["secret"]; ok {
			m["secret"] = json.RawMessage(`"REDACTED"`)
			out, err := json.Marshal(m)
			if err == nil {
				return out
			}
		}
		return truncate(body)
	}
	if bytes.Contains(body, []byte("secret")) {
		return []byte("(not shown: it may hold the AppSecret)")
	}
	return truncate(body)
}

// redactAnswer returns what the panel shows of an answer: a token answer with the token
// replaced (as wxapi keeps it out of its logs), or the answer itself.
func redactAnswer(body []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return truncate(body)
	}
	if _, ok := m["access_token"]; !ok {
		return truncate(body)
	}
	m["access_token"] = json.RawMessage(`"REDACTED"`)
	out, err := json.Marshal(m)
	if err != nil {
		return []byte("(not shown: it holds an access token)")
	}
	return out
}

// uploadSummary describes a multipart upload without its bytes.
func uploadSummary(boundary string, body []byte) []byte {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var parts []string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		n, _ := io.Copy(io.Discard, p)
		if p.FileName() != "" {
			parts = append(parts, fmt.Sprintf("%s: filename=%q content-type=%s, %d bytes", p.FormName(), p.FileName(), p.Header.Get("Content-Type"), n))
		} else {
			parts = append(parts, fmt.Sprintf("%s: %d bytes", p.FormName(), n))
		}
	}
	if len(parts) == 0 {
		return fmt.Appendf(nil, "multipart/form-data, %d bytes (unreadable)", len(body))
	}
	return []byte("multipart/form-data; " + strings.Join(parts, "; "))
}

// truncate returns b, cut to maxShown bytes.
func truncate(b []byte) []byte {
	if len(b) > maxShown {
		return append(b[:maxShown:maxShown], "…"...)
	}
	return b
}

// newTransport returns the HTTP transport of the host's clients: loopback first, with the
// environment's proxy for an API elsewhere (Go never proxies loopback addresses).
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   3 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
	}
}
