package wxapi

import (
	"context"
	"testing"
	"time"
)

// TestEstimate: the call-duration estimate rises at once to a slower call and falls slowly.
func TestEstimate(t *testing.T) {
	c := &Client{}
	if got := c.estimate(); got != defaultEstimate {
		t.Fatalf("before any call: %v", got)
	}
	c.observe(80 * time.Millisecond)
	if got := c.estimate(); got != 80*time.Millisecond {
		t.Fatalf("first call: %v", got)
	}
	c.observe(400 * time.Millisecond)
	if got := c.estimate(); got != 400*time.Millisecond {
		t.Fatalf("after a slow call: %v", got)
	}
	c.observe(0)
	if got := c.estimate(); got != 350*time.Millisecond {
		t.Fatalf("after a fast call: %v, want 350ms", got)
	}
}

// TestTimeLeft: a retry needs the estimate plus a quarter before the deadline, after the wait.
func TestTimeLeft(t *testing.T) {
	c := &Client{}
	c.observe(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if !c.timeLeft(ctx, 0) {
		t.Fatal("300 ms left for a 100 ms call")
	}
	if c.timeLeft(ctx, 200*time.Millisecond) {
		t.Fatal("100 ms left after the wait, 125 ms needed")
	}
	if !c.timeLeft(context.Background(), time.Hour) {
		t.Fatal("no deadline")
	}
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if c.timeLeft(canceled, 0) {
		t.Fatal("canceled context")
	}
}

func TestJitter(t *testing.T) {
	for range 1000 {
		if d := jitter(100 * time.Millisecond); d < 50*time.Millisecond || d > 100*time.Millisecond {
			t.Fatalf("jitter(100ms) = %v", d)
		}
	}
	if jitter(1) != 1 || jitter(0) != 0 {
		t.Fatal("tiny durations")
	}
}
