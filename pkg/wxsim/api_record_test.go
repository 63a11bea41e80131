package wxsim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefuhq/kefu/internal/testkit"
)

func TestCallsRedactSecrets(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token()
	f.call("GET", PathToken+"?grant_type=client_credential&appid="+testAppID+"&secret="+testSecret, "", nil)
	f.send(tok, textMsg(testUser, "hi"))
	f.upload(tok, testkit.PNG(), "image/png")
	calls := f.api.Calls()
	if len(calls) != 4 {
		t.Fatalf("%d calls, want 4", len(calls))
	}
	for _, c := range calls {
		all := c.Query + string(c.Body)
		if strings.Contains(all, testSecret) || strings.Contains(all, tok) {
			t.Fatalf("call %s %s shows a secret: %q", c.Method, c.Path, all)
		}
		if c.Status != http.StatusOK || c.ErrCode != 0 || !c.Time.Equal(epoch) {
			t.Fatalf("call %+v", c)
		}
	}
	if !strings.Contains(string(calls[0].Body), `"secret":"REDACTED"`) || !strings.Contains(string(calls[0].Body), `"force_refresh":false`) {
		t.Fatalf("stable_token body %s", calls[0].Body)
	}
	if !strings.Contains(calls[1].Query, "secret=REDACTED") || !strings.Contains(calls[2].Query, "access_token=REDACTED") {
		t.Fatalf("queries %q %q", calls[1].Query, calls[2].Query)
	}
	if !strings.Contains(string(calls[2].Body), `"content":"hi"`) {
		t.Fatalf("send body %s", calls[2].Body)
	}
	if got := string(calls[3].Body); !strings.Contains(got, `media filename="pic.png" content-type=image/png`) {
		t.Fatalf("upload summary %q", got)
	}
	if f.api.Count(PathSend) != 1 || f.api.Count(PathStableToken) != 1 {
		t.Fatal("counts")
	}
	f.api.Reset()
	if len(f.api.Calls()) != 0 || f.api.Count(PathSend) != 0 || len(f.api.Events(testUser, 0)) != 0 {
		t.Fatal("Reset kept records")
	}
	if code := f.send(tok, textMsg(testUser, "still valid")); code != 0 {
		t.Fatalf("token after Reset: errcode %d", code)
	}
	if evs := f.api.Events(testUser, 0); len(evs) != 1 || evs[0].Seq <= 1 {
		t.Fatalf("Seq restarted after Reset: %+v", evs)
	}
}

func TestFail(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token()
	f.api.Fail(PathSend, -1, 2)
	f.api.Fail(PathSend, 45047, 1)
	var got []int
	for range 4 {
		got = append(got, f.send(tok, textMsg(testUser, "x")))
	}
	if want := []int{-1, -1, 45047, 0}; !equalInts(got, want) {
		t.Fatalf("errcodes %v, want %v", got, want)
	}
	if len(f.api.Events(testUser, 0)) != 1 {
		t.Fatal("a faulted send was recorded as delivered")
	}
	// A fault applies after the token check.
	f.api.Fail(PathSend, -1, 1)
	if code := f.send("bad", textMsg(testUser, "x")); code != 40001 {
		t.Fatalf("bad token with a fault pending: errcode %d, want 40001", code)
	}
	f.api.Fail(PathSend, 0, 0)
	if code := f.send(tok, textMsg(testUser, "x")); code != 0 {
		t.Fatalf("after clearing faults: errcode %d", code)
	}
	f.api.Fail(PathStableToken, 45009, 1)
	if code, _ := f.call("POST", PathStableToken, "", stableBody(testAppID, testSecret, false)); code != 45009 {
		t.Fatalf("token fault: errcode %d", code)
	}
	if calls := f.api.Calls(); calls[len(calls)-1].ErrCode != 45009 {
		t.Fatal("fault not recorded")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDelay checks that a delayed call ends when the client gives up, over a real server.
func TestDelay(t *testing.T) {
	api := NewAPI(APIOptions{AppID: testAppID, AppSecret: testSecret})
	srv := httptest.NewServer(api)
	defer srv.Close()
	api.Delay(PathStableToken, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+PathStableToken, strings.NewReader(string(stableBody(testAppID, testSecret, false))))
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("delayed call answered")
	}
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	srv.Client().CloseIdleConnections()
	// The handler notices the client went away and records the call without an answer.
	deadline := time.Now().Add(5 * time.Second)
	for len(api.Calls()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if calls := api.Calls(); len(calls) != 1 || calls[0].Status != 0 {
		t.Fatalf("calls %+v", calls)
	}
	api.Delay(PathStableToken, 0)
	resp, err = srv.Client().Post(srv.URL+PathStableToken, "application/json", strings.NewReader(string(stableBody(testAppID, testSecret, false))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Client().CloseIdleConnections()
}

func TestWait(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if evs := f.api.Wait(ctx, testUser, 0); evs != nil {
		t.Fatalf("Wait with nothing to wait for: %+v", evs)
	}

	var wg sync.WaitGroup
	results := make(chan []Event, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		results <- f.api.Wait(ctx, testUser, 0)
	}()
	time.Sleep(10 * time.Millisecond)
	f.send(tok, textMsg("someone-else", "not for the waiter"))
	f.send(tok, textMsg(testUser, "hello"))
	wg.Wait()
	evs := <-results
	if len(evs) != 1 || evs[0].Message.Text.Content != "hello" {
		t.Fatalf("Wait returned %+v", evs)
	}
	// Something already there returns at once.
	if evs := f.api.Wait(context.Background(), testUser, 0); len(evs) != 1 {
		t.Fatalf("Wait with an event waiting: %+v", evs)
	}
}
