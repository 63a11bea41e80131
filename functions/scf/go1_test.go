package main

// End-to-end tests of the built binary in SCF's Go1 mode: the binary runs as a process with
// _LAMBDA_SERVER_PORT set and no WeChat settings in its environment, and the test plays the
// Go1 runtime over net/rpc, sending SCF's InvokeRequest fields with the configuration in each
// invocation's Environment, the events being Tencent API Gateway and Function URL events.

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/gateway"
	"github.com/kefuhq/kefu/pkg/gateway/gatewaytest"
	"github.com/kefuhq/kefu/pkg/push"
)

// go1Samples are the Tencent sample events, by shape.
var go1Samples = []struct {
	kind gateway.Kind
	path string
}{
	{gateway.SCFAPIGateway, "../../pkg/gateway/testdata/scf-apigw-request.json"},
	{gateway.SCFAPIGateway, "../../pkg/gateway/testdata/scf-apigw-request-lower-case.json"},
	{gateway.SCFFunctionURL, "../../pkg/gateway/testdata/scf-function-url-request.json"},
}

// go1Function is the binary running in Go1 mode and a client playing the runtime.
type go1Function struct {
	proc   *gatewaytest.Process
	client *gatewaytest.SCFClient
}

// startGo1 starts the binary in Go1 mode with a process environment that holds nothing of
// kefu's configuration, and connects to it.
func startGo1(t testing.TB) *go1Function {
	t.Helper()
	bin := binary(t) // main_test.go: built once per test binary
	port, err := gatewaytest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	proc, err := gatewaytest.Start(bin, []string{
		"_LAMBDA_SERVER_PORT=" + strconv.Itoa(port),
		"SCF_RUNTIME=Go1",
		"TZ=UTC",
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &go1Function{proc: proc}
	t.Cleanup(func() {
		if f.client != nil {
			f.client.Close()
		}
		_ = proc.Stop(2 * time.Second)
		if t.Failed() {
			t.Logf("the function's output:\n%s", proc.Output())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// scf-go-lib listens on 0.0.0.0; the runtime reaches it on loopback.
	f.client, err = gatewaytest.DialSCF(ctx, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// invoke sends one event with env as the invocation's Environment; a failed invocation
// fails the test.
func (f *go1Function) invoke(t *testing.T, event []byte, env map[string]string) gatewaytest.Answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	payload, ierr, err := f.client.Invoke(ctx, event, env, 6*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ierr != nil {
		t.Fatalf("a failed invocation: %v", ierr)
	}
	a, err := gatewaytest.ParseAnswer(payload)
	if err != nil {
		t.Fatal(err)
	}
	if a.IsBase64Encoded {
		t.Fatalf("a text answer sent base64-encoded: %s", payload)
	}
	return a
}

// TestGo1Events drives the binary in Go1 mode with SCF API Gateway events (mixed-case and
// lower-case headers; queryString values as strings and arrays) and Function URL events:
// GET verification, a text push giving exactly one send, WeChat's retry of it giving none, a
// bad signature giving 401 with no failed invocation, and a transfer reply. The configuration
// reaches the process only through each invocation's Environment.
func TestGo1Events(t *testing.T) {
	w, err := gatewaytest.NewWeChat(push.XML)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	f := startGo1(t)
	env := w.Env()
	for _, s := range go1Samples {
		sample, err := os.ReadFile(s.path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(s.path), func(t *testing.T) {
			gatewaytest.Exercise(t, w, false, func(req gatewaytest.Request) gatewaytest.Answer {
				ev, err := gatewaytest.Rewrite(s.kind, sample, req)
				if err != nil {
					t.Fatal(err)
				}
				return f.invoke(t, ev, env)
			})
		})
	}
}

// TestGo1MissingToken: without WECHAT_TOKEN the invocation is answered 500 with the one-line
// reason naming it (and logged), not failed, and the process keeps serving: once an
// invocation brings the whole configuration, it is answered.
func TestGo1MissingToken(t *testing.T) {
	w, err := gatewaytest.NewWeChat(push.JSON)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	f := startGo1(t)
	sample, err := os.ReadFile(go1Samples[2].path)
	if err != nil {
		t.Fatal(err)
	}
	q, err := w.Pusher.Sealer().Verification("echo", push.SealOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := gatewaytest.Rewrite(gateway.SCFFunctionURL, sample, gatewaytest.Request{Method: "GET", Query: q})
	if err != nil {
		t.Fatal(err)
	}

	env := w.Env()
	delete(env, config.Token)
	a := f.invoke(t, ev, env)
	if a.StatusCode != 500 || !strings.Contains(a.Body, config.Token) || strings.Contains(a.Body, "\n") {
		t.Errorf("without %s: %+v", config.Token, a)
	}
	// The process's stderr reaches the test through a pipe: give the line time to arrive.
	var lines []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		lines = lines[:0]
		for _, l := range strings.Split(f.proc.Output(), "\n") {
			if strings.Contains(l, config.Token) {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "kefu cannot start") {
		t.Errorf("want one log line naming %s, got %q", config.Token, lines)
	}

	a = f.invoke(t, ev, w.Env())
	if a.StatusCode != 200 || a.Body != "echo" {
		t.Errorf("with the whole configuration: %+v", a)
	}
}

// TestGo1UnknownEvent: an event of no HTTP shape (a timer trigger's) is answered 400.
func TestGo1UnknownEvent(t *testing.T) {
	f := startGo1(t)
	timer := []byte(`{"Type": "Timer", "TriggerName": "EveryDay", "Time": "2019-02-21T11:49:00Z", "Message": "user define msg body"}`)
	a := f.invoke(t, timer, map[string]string{})
	if a.StatusCode != 400 {
		t.Errorf("a timer event: %+v", a)
	}
}
