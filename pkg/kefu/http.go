package kefu

import (
	"net/http"
	"strconv"

	"github.com/kefuhq/kefu/internal/limited"
	"github.com/kefuhq/kefu/pkg/push"
)

// ServeHTTP serves the Service over net/http, on every path: the SCF Web function and the
// local host use it. The body is read up to one byte past the limit, so an oversized push is
// answered 413 without being read whole.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := s.now()
	var body []byte
	if r.Method == http.MethodPost {
		b, err := limited.Read(r.Body, push.MaxBodySize, r.ContentLength)
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		body = b
	}
	id := r.Header.Get("X-Scf-Request-Id")
	if id == "" {
		id = r.Header.Get("X-Request-Id")
	}
	resp := s.Handle(r.Context(), Request{
		Method:  r.Method,
		Query:   push.RawQuery(r.URL.RawQuery),
		Body:    body,
		Arrived: arrived,
		ID:      id,
	})
	WriteResponse(w, resp)
}

// WriteResponse writes resp to w.
func WriteResponse(w http.ResponseWriter, resp Response) {
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	if resp.ContentType != "" {
		h.Set("Content-Type", resp.ContentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}
