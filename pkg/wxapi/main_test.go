package wxapi

import (
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kefuhq/kefu/pkg/wxsim"
)

// TestMain checks that no test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testAppID  = "wx0123456789abcdef"
	testSecret = "0123456789abcdef0123456789abcdef"
	testUser   = "o9AgO5Kd5ggOC-bXrbNODIiE3bGY"
)

var epoch = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// env is a Client talking over loopback to a wxsim API with a fake clock shared by both.
type env struct {
	sim   *wxsim.API
	srv   *httptest.Server
	clock *wxsim.Clock
	c     *Client
}

// newEnv starts a wxsim server and a Client for it; both are closed when the test ends.
func newEnv(t testing.TB, simMod func(*wxsim.APIOptions), cfgMod func(*Config)) *env {
	t.Helper()
	clock := wxsim.NewClock(epoch)
	opt := wxsim.APIOptions{AppID: testAppID, AppSecret: testSecret, Now: clock.Now}
	if simMod != nil {
		simMod(&opt)
	}
	sim := wxsim.NewAPI(opt)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := Config{BaseURL: srv.URL + "/", AppID: testAppID, AppSecret: testSecret, Now: clock.Now}
	if cfgMod != nil {
		cfgMod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return &env{sim: sim, srv: srv, clock: clock, c: c}
}
