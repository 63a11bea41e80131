package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// getHTTP reads loc (http or https) with a GET, conditional when ifNoneMatch is set.
func (s *Store) getHTTP(ctx context.Context, loc Location, ifNoneMatch string) (*Object, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.URL, nil)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, redactURLError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Read a little of the body so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		detail := "HTTP " + resp.Status
		switch resp.StatusCode {
		case http.StatusNotModified:
			return nil, ErrNotModified
		case http.StatusNotFound, http.StatusGone:
			return nil, &kindError{kind: ErrNotFound, detail: detail}
		case http.StatusUnauthorized, http.StatusForbidden:
			return nil, &kindError{kind: ErrDenied, detail: detail}
		}
		return nil, fmt.Errorf("unexpected answer %s", detail)
	}
	etag := resp.Header.Get("ETag")
	if ifNoneMatch != "" && etag == ifNoneMatch { // a server that ignored If-None-Match
		return nil, ErrNotModified
	}
	if resp.ContentLength > s.max {
		return nil, tooLarge(s.max)
	}
	body, err := readLimited(resp.Body, s.max, resp.ContentLength)
	if err != nil {
		return nil, redactURLError(err)
	}
	obj := &Object{Body: body, ETag: etag, ContentType: resp.Header.Get("Content-Type")}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		obj.ModTime = t
	}
	return obj, nil
}

// redactURLError returns err with the URL of a *url.Error in it (which may be the URL of a
// redirect) stripped of its user information and query.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	r := *ue
	if perr != nil {
		r.URL = "REDACTED"
	} else {
		r.URL = redactURL(u)
	}
	return &r
}
