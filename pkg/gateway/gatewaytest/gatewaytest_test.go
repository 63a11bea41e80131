package gatewaytest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction"

	"github.com/kefuhq/kefu/pkg/gateway/gatewaytest"
)

// TestRuntimeAPI plays a runtime client against the fake Runtime API, the way aws-lambda-go
// does: next, then response or error.
func TestRuntimeAPI(t *testing.T) {
	rt := gatewaytest.NewRuntimeAPI()
	defer rt.Close()
	base := "http://" + rt.Addr() + "/2018-06-01/runtime/"

	type result struct {
		r   gatewaytest.Result
		err error
	}
	invoke := func(event string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			r, err := rt.Invoke(context.Background(), []byte(event))
			ch <- result{r, err}
		}()
		return ch
	}
	next := func() (id string, body string) {
		t.Helper()
		resp, err := http.Get(base + "invocation/next")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		deadline, err := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
		if err != nil || time.UnixMilli(deadline).Before(time.Now()) {
			t.Errorf("deadline header %q", resp.Header.Get("Lambda-Runtime-Deadline-Ms"))
		}
		if resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn") == "" {
			t.Error("no function ARN")
		}
		return resp.Header.Get("Lambda-Runtime-Aws-Request-Id"), string(b)
	}
	post := func(path, body string, h http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Errorf("POST %s: %d", path, resp.StatusCode)
		}
	}

	ch := invoke(`{"a":1}`)
	id, body := next()
	select {
	case <-rt.Ready():
	default:
		t.Error("Ready not closed after the first next")
	}
	if id == "" || body != `{"a":1}` {
		t.Fatalf("next: id %q body %q", id, body)
	}
	post("invocation/"+id+"/response", `{"statusCode":200}`, nil)
	if r := <-ch; r.err != nil || r.r.Error || string(r.r.Payload) != `{"statusCode":200}` {
		t.Errorf("a response: %+v", r)
	}

	ch = invoke(`{}`)
	id, _ = next()
	post("invocation/"+id+"/error", `{"errorMessage":"boom"}`, http.Header{"Lambda-Runtime-Function-Error-Type": {"Runtime.Boom"}})
	if r := <-ch; r.err != nil || !r.r.Error || r.r.ErrorType != "Runtime.Boom" {
		t.Errorf("an error: %+v", r)
	}

	post("init/error", `{"errorMessage":"no config"}`, nil)
	done, _ := rt.InitError()
	select {
	case <-done:
	default:
		t.Error("init error not recorded")
	}
	if _, msg := rt.InitError(); !strings.Contains(string(msg), "no config") {
		t.Errorf("init error %q", msg)
	}
}

// TestSCFClient drives scf-go-lib's own Go1 server in-process: the client's InvokeRequest,
// made of SCF's field names, carries the payload, the deadline and the Environment, which
// the library applies before the handler runs; a failed invocation comes back as an error.
func TestSCFClient(t *testing.T) {
	port, err := gatewaytest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("_LAMBDA_SERVER_PORT", strconv.Itoa(port))
	t.Setenv("KEFU_GATEWAYTEST_ENV", "")
	// StartHandler never returns; its goroutine ends with the test binary.
	go cloudfunction.StartHandler(handler(func(ctx context.Context, payload []byte) ([]byte, error) {
		if string(payload) == `"fail"` {
			return nil, errors.New("failed as asked")
		}
		if _, ok := ctx.Deadline(); !ok {
			return nil, errors.New("no deadline")
		}
		return []byte(`"` + os.Getenv("KEFU_GATEWAYTEST_ENV") + `"`), nil
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := gatewaytest.DialSCF(ctx, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, ierr, err := c.Invoke(ctx, []byte(`"hello"`), map[string]string{"KEFU_GATEWAYTEST_ENV": "from the invocation"}, 5*time.Second)
	if err != nil || ierr != nil || string(out) != `"from the invocation"` {
		t.Errorf("Invoke: %q, %v, %v", out, ierr, err)
	}
	_, ierr, err = c.Invoke(ctx, []byte(`"fail"`), nil, 5*time.Second)
	if err != nil || ierr == nil || ierr.Message != "failed as asked" {
		t.Errorf("a failed invocation: %v, %v", ierr, err)
	}
}

type handler func(context.Context, []byte) ([]byte, error)

func (h handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) { return h(ctx, payload) }
