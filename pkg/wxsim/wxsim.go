// Package wxsim is a strict fake of WeChat's servers, used by the tests of every package, the
// end-to-end tests and `make dev`.
//
// Its API half (API, built by NewAPI) answers the calls kefu makes to api.weixin.qq.com:
// tokens (stable and classic), customer-service sends, typing, and temporary media upload and
// download. It checks each request as WeChat does, answers with WeChat's errcodes, records
// every call and each user's conversation, and lets tests inject errors, delays, token and
// media expiry, and the reply quota. Everything in it is safe for concurrent use and it starts
// no goroutine of its own.
package wxsim

import (
	"sync"
	"time"
)

// Clock is a settable clock for tests: pass its Now method wherever a Now func is taken, and
// move it with Add or Set. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
