package wxapi

import (
	"context"
	"math/rand/v2"
	"time"
)

const (
	// maxFirstBackoff caps the first back-off; each later one doubles.
	maxFirstBackoff = 100 * time.Millisecond
	// maxAttempts bounds the attempts of one call, whatever the deadline.
	maxAttempts = 6
	// defaultEstimate is the expected duration of a call before the Client has measured one:
	// a round trip to WeChat from outside China can take that long.
	defaultEstimate = 250 * time.Millisecond
)

// jitter returns a duration in [d/2, d].
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// observe records the duration of an answered call in the Client's estimate. The estimate is
// deliberately high: a slower call raises it at once, faster ones lower it by an eighth of the
// difference each. Starting an attempt that the deadline then cuts is worse than not starting
// it, since a cut send may or may not have been delivered. Concurrent updates may lose a
// sample; the estimate stays an estimate.
func (c *Client) observe(d time.Duration) {
	old := time.Duration(c.est.Load())
	if d >= old {
		c.est.Store(int64(d))
		return
	}
	c.est.Store(int64(old + (d-old)/8))
}

// estimate returns the expected duration of one call.
func (c *Client) estimate() time.Duration {
	if v := c.est.Load(); v > 0 {
		return time.Duration(v)
	}
	return defaultEstimate
}

// timeLeft reports whether, after waiting wait, ctx's deadline still leaves time for one call
// with a quarter to spare. A context without a deadline always does (maxAttempts still bounds
// the retries).
func (c *Client) timeLeft(ctx context.Context, wait time.Duration) bool {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx.Err() == nil
	}
	est := c.estimate()
	return time.Until(dl)-wait >= est+est/4
}

// sleep waits d, or until ctx ends; it reports whether it waited the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
