package main

// End-to-end tests of the built bootstrap: the binary runs as a process under a fake of the
// Lambda Runtime API, fed aws-lambda-go's own sample events rewritten into WeChat pushes, and
// replies go to a fake WeChat API (wxsim).

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/config"
	"github.com/kefuhq/kefu/pkg/gateway"
	"github.com/kefuhq/kefu/pkg/gateway/gatewaytest"
	"github.com/kefuhq/kefu/pkg/push"
)

// buildDir holds the binaries built for this test binary; TestMain removes it.
var buildDir string

// bootstrap builds the Lambda bootstrap once per test binary, with the release build tag.
var bootstrap = sync.OnceValues(func() (string, error) {
	out := filepath.Join(buildDir, "bootstrap")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return out, gatewaytest.Build(ctx, ".", out, "-tags", "lambda.norpc")
})

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kefu-lambda-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func newWeChat(t testing.TB, format push.Format) *gatewaytest.WeChat {
	t.Helper()
	w, err := gatewaytest.NewWeChat(format)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// function is a running bootstrap and its Runtime API.
type function struct {
	rt   *gatewaytest.RuntimeAPI
	proc *gatewaytest.Process
}

func startFunction(t testing.TB, env map[string]string) *function {
	t.Helper()
	bin, err := bootstrap()
	if err != nil {
		t.Fatal(err)
	}
	rt := gatewaytest.NewRuntimeAPI()
	env["AWS_LAMBDA_RUNTIME_API"] = rt.Addr()
	env["AWS_LAMBDA_FUNCTION_NAME"] = "kefu"
	proc, err := gatewaytest.Start(bin, gatewaytest.Env(env))
	if err != nil {
		rt.Close()
		t.Fatal(err)
	}
	f := &function{rt: rt, proc: proc}
	t.Cleanup(func() {
		_ = proc.Stop(2 * time.Second)
		rt.Close()
		if t.Failed() {
			t.Logf("the function's output:\n%s", proc.Output())
		}
	})
	return f
}

// invoke sends an event and returns the answer; an invocation error fails the test.
func (f *function) invoke(t *testing.T, event []byte) gatewaytest.Answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := f.rt.Invoke(ctx, event)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error {
		t.Fatalf("an invocation error (%s): %s", res.ErrorType, res.Payload)
	}
	a, err := gatewaytest.ParseAnswer(res.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if a.IsBase64Encoded {
		t.Fatalf("a text answer sent base64-encoded: %s", res.Payload)
	}
	return a
}

// TestBootstrapEvents drives the built bootstrap through each HTTP event kind, with every
// sample of that kind aws-lambda-go carries: GET verification, a text push giving exactly one
// send, WeChat's retry of it giving none, a bad signature giving 401 with no invocation
// error, and a transfer reply.
func TestBootstrapEvents(t *testing.T) {
	for _, kind := range []gateway.Kind{gateway.APIGatewayV1, gateway.APIGatewayV2, gateway.LambdaFunctionURL, gateway.ALB} {
		t.Run(kind.String(), func(t *testing.T) {
			format := push.XML
			if kind == gateway.APIGatewayV2 || kind == gateway.ALB {
				format = push.JSON
			}
			w := newWeChat(t, format)
			f := startFunction(t, w.Env())
			for _, path := range gatewaytest.Samples(kind) {
				sample, err := gatewaytest.AWSSample(path)
				if err != nil {
					t.Fatal(err)
				}
				t.Run(filepath.Base(path), func(t *testing.T) {
					// Function URLs send bodies of non-text content types base64-encoded.
					b64 := strings.Contains(path, "base64")
					gatewaytest.Exercise(t, w, b64, func(req gatewaytest.Request) gatewaytest.Answer {
						ev, err := gatewaytest.Rewrite(kind, sample, req)
						if err != nil {
							t.Fatal(err)
						}
						a := f.invoke(t, ev)
						if kind == gateway.ALB && a.StatusDescription == "" {
							t.Errorf("an ALB answer without statusDescription: %+v", a)
						}
						return a
					})
				})
			}
		})
	}
}

// TestBootstrapRefusesToStart: a missing WECHAT_TOKEN stops the process at init with one
// line naming it, before it asks the Runtime API for an invocation.
func TestBootstrapRefusesToStart(t *testing.T) {
	w := newWeChat(t, push.XML)
	env := w.Env()
	delete(env, config.Token)
	f := startFunction(t, env)
	select {
	case <-f.proc.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the process did not exit")
	}
	if code, _ := f.proc.ExitCode(); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	out := strings.TrimSpace(f.proc.Output())
	if strings.Count(out, "\n") != 0 || !strings.Contains(out, config.Token) {
		t.Errorf("want one line naming %s, got:\n%s", config.Token, out)
	}
	select {
	case <-f.rt.Ready():
		t.Error("the process asked for an invocation")
	default:
	}
}

// TestBootstrapUnknownEvent: an event of no HTTP shape is answered 400, not failed. (Lambda's
// Invoke API takes only JSON, so no payload that is not JSON reaches the function.)
func TestBootstrapUnknownEvent(t *testing.T) {
	w := newWeChat(t, push.XML)
	f := startFunction(t, w.Env())
	sample, err := gatewaytest.AWSSample("events/testdata/s3-event.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range [][]byte{sample, []byte(`"just a string"`), []byte(`[1, 2]`), []byte(`{}`)} {
		a := f.invoke(t, ev)
		if a.StatusCode != 400 || a.StatusDescription != "400 Bad Request" {
			t.Errorf("%.40s: %+v", ev, a)
		}
	}
}
