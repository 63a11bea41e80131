package wxapi

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/wxsim"
)

// TestColdConcurrentSendsFetchOneToken: 100 concurrent sends on a cold Client make exactly one
// token request.
func TestColdConcurrentSendsFetchOneToken(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.sim.Delay(wxsim.PathStableToken, 20*time.Millisecond) // let the callers pile up
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() { errs <- e.c.Send(ctx, NewText(testUser, "hello "+string(rune('a'+i%26)))) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sim.Count(wxsim.PathStableToken); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	if n := e.sim.Count(wxsim.PathSend); n != 100 {
		t.Fatalf("%d sends, want 100", n)
	}
	if n := len(e.sim.Events(testUser, 0)); n != 100 {
		t.Fatalf("%d messages delivered, want 100", n)
	}
}

// TestTokenReuseUntilFiveMinutesBeforeExpiry moves a fake clock shared by the Client and the
// fake WeChat.
func TestTokenReuseUntilFiveMinutesBeforeExpiry(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	tok, err := e.c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(7200*time.Second - 5*time.Minute - time.Second)
	if again, err := e.c.Token(ctx); err != nil || again != tok {
		t.Fatalf("5 min 1 s before expiry: %v, token changed: %v", err, again != tok)
	}
	if n := e.sim.Count(wxsim.PathStableToken); n != 1 {
		t.Fatalf("%d token requests before the margin, want 1", n)
	}
	e.clock.Add(2 * time.Second)
	next, err := e.c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Count(wxsim.PathStableToken); n != 2 {
		t.Fatalf("%d token requests inside the margin, want 2", n)
	}
	if next == tok {
		t.Fatal("the fake renews a stable token in its last 5 minutes; got the old one")
	}
	if err := e.c.Send(ctx, NewText(testUser, "hi")); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Count(wxsim.PathStableToken); n != 2 {
		t.Fatalf("%d token requests after a send, want 2", n)
	}
}

// TestTokenInvalidMidFlight: 40001, 40014 or 42001 on a send gives one refresh, one retry,
// success.
func TestTokenInvalidMidFlight(t *testing.T) {
	for _, code := range []int{40001, 40014, 42001} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			e := newEnv(t, nil, nil)
			ctx := context.Background()
			if err := e.c.Send(ctx, NewText(testUser, "warm")); err != nil {
				t.Fatal(err)
			}
			e.sim.Fail(wxsim.PathSend, code, 1)
			if err := e.c.Send(ctx, NewText(testUser, "after")); err != nil {
				t.Fatalf("errcode %d: %v", code, err)
			}
			if n := e.sim.Count(wxsim.PathStableToken); n != 2 {
				t.Fatalf("errcode %d: %d token requests, want 2 (cold, refresh)", code, n)
			}
			if n := e.sim.Count(wxsim.PathSend); n != 3 {
				t.Fatalf("errcode %d: %d sends, want 3 (warm, refused, retry)", code, n)
			}
		})
	}
}

// TestExpiredTokenRefreshedOnce: tokens expired on WeChat's side (42001) are replaced by one
// fetch, however many calls notice at once.
func TestExpiredTokenRefreshedOnce(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.c.Token(ctx); err != nil {
		t.Fatal(err)
	}
	e.sim.ExpireTokens()
	e.sim.Reset()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() { errs <- e.c.Send(ctx, NewText(testUser, "x")) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sim.Count(wxsim.PathStableToken); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	// Each send was refused at most once (a late starter may get the new token first).
	if n := e.sim.Count(wxsim.PathSend); n < 21 || n > 40 {
		t.Fatalf("%d sends, want 21 to 40", n)
	}
	if n := len(e.sim.Events(testUser, 0)); n != 20 {
		t.Fatalf("%d messages delivered, want 20", n)
	}
}

// TestTokenRetryNeverLoops: a call that keeps answering 40001 is retried once, then returned.
func TestTokenRetryNeverLoops(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.sim.Fail(wxsim.PathSend, 40001, 10)
	err := e.c.Send(context.Background(), NewText(testUser, "x"))
	var we *Error
	if !errors.Is(err, ErrTokenInvalid) || !errors.As(err, &we) || we.Code != 40001 {
		t.Fatalf("err %v, want ErrTokenInvalid 40001", err)
	}
	if s, tk := e.sim.Count(wxsim.PathSend), e.sim.Count(wxsim.PathStableToken); s != 2 || tk != 2 {
		t.Fatalf("%d sends and %d token requests, want 2 and 2", s, tk)
	}
}

// TestForceRefreshNeverSent checks every token request the fake saw.
func TestForceRefreshNeverSent(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	e.c.Send(ctx, NewText(testUser, "a"))
	e.sim.Fail(wxsim.PathSend, 40001, 1)
	e.c.Send(ctx, NewText(testUser, "b"))
	e.sim.ExpireTokens()
	e.c.Send(ctx, NewText(testUser, "c"))
	e.clock.Add(3 * time.Hour)
	e.c.Send(ctx, NewText(testUser, "d"))
	if n := e.sim.ForceRefreshes(); n != 0 {
		t.Fatalf("%d requests with force_refresh true", n)
	}
	seen := 0
	for _, c := range e.sim.Calls() {
		if c.Path == wxsim.PathStableToken {
			seen++
			if !strings.Contains(string(c.Body), `"force_refresh":false`) || !strings.Contains(string(c.Body), `"grant_type":"client_credential"`) {
				t.Fatalf("token request body %s", c.Body)
			}
		}
	}
	if seen != 4 {
		t.Fatalf("%d token requests, want 4", seen)
	}
}

func TestClassicToken(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.TokenAPI = TokenClassic })
	ctx := context.Background()
	for range 3 {
		if err := e.c.Send(ctx, NewText(testUser, "x")); err != nil {
			t.Fatal(err)
		}
	}
	if c, s := e.sim.Count(wxsim.PathToken), e.sim.Count(wxsim.PathStableToken); c != 1 || s != 0 {
		t.Fatalf("%d classic and %d stable token requests, want 1 and 0", c, s)
	}
	e.sim.Fail(wxsim.PathSend, 40001, 1)
	if err := e.c.Send(ctx, NewText(testUser, "x")); err != nil {
		t.Fatal(err)
	}
	if c := e.sim.Count(wxsim.PathToken); c != 2 {
		t.Fatalf("%d classic token requests after a 40001, want 2", c)
	}
}

// TestTokenConfigErrors: a token fetch refused for the credentials is ErrConfig, not
// retried, and not mistaken for a stale token.
func TestTokenConfigErrors(t *testing.T) {
	for _, api := range []string{TokenStable, TokenClassic} {
		t.Run(api, func(t *testing.T) {
			e := newEnv(t, nil, func(c *Config) { c.TokenAPI = api; c.AppSecret = "wrong-secret" })
			err := e.c.Send(context.Background(), NewText(testUser, "x"))
			if !errors.Is(err, ErrConfig) || errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("err %v, want ErrConfig only", err)
			}
			if n := e.sim.Count(wxsim.PathStableToken) + e.sim.Count(wxsim.PathToken); n != 1 {
				t.Fatalf("%d token requests, want 1", n)
			}
			if e.sim.Count(wxsim.PathSend) != 0 {
				t.Fatal("sent without a token")
			}
			if strings.Contains(err.Error(), "wrong-secret") {
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}
	e := newEnv(t, nil, func(c *Config) { c.AppID = "wx0000000000000000" })
	var we *Error
	if _, err := e.c.Token(context.Background()); !errors.Is(err, ErrConfig) || !errors.As(err, &we) || we.Code != 40013 {
		t.Fatalf("wrong AppID: %v", err)
	}
}

// TestTokenWaiterStopsOnItsContext: a caller waiting for another's fetch stops when its own
// context ends; the fetch goes on for the others.
func TestTokenWaiterStopsOnItsContext(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.sim.Delay(wxsim.PathStableToken, time.Second)
	var wg sync.WaitGroup
	var leaderErr error
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, leaderErr = e.c.Token(ctx)
	})
	waitFor(t, func() bool { return e.sim.Count(wxsim.PathStableToken) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.c.Token(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("waiter: %v after %v", err, time.Since(start))
	}
	wg.Wait()
	if leaderErr != nil {
		t.Fatalf("fetching caller: %v", leaderErr)
	}
	if n := e.sim.Count(wxsim.PathStableToken); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

// TestTokenFetcherGivesUp: when the caller doing the fetch gives up, a waiter with time left
// fetches for itself.
func TestTokenFetcherGivesUp(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.sim.Delay(wxsim.PathStableToken, time.Second)
	var wg sync.WaitGroup
	var leaderErr error
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, leaderErr = e.c.Token(ctx)
	})
	waitFor(t, func() bool { return e.sim.Count(wxsim.PathStableToken) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.c.Token(ctx); err != nil {
		t.Fatalf("waiter: %v", err)
	}
	wg.Wait()
	if !errors.Is(leaderErr, context.DeadlineExceeded) {
		t.Fatalf("fetching caller: %v, want its deadline", leaderErr)
	}
	if n := e.sim.Count(wxsim.PathStableToken); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

// waitFor polls cond until it holds, for at most 5 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
	}
}
