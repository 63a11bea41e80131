package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/kefuhq/kefu/internal/testkit"
	"github.com/kefuhq/kefu/pkg/gateway"
	"github.com/kefuhq/kefu/pkg/gateway/gatewaytest"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

const benchOpenID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"

// BenchmarkColdStartWeb measures the SCF binary's cold start as a Web function: from exec to
// the first 200 on a push (its reply sent through the fake WeChat API), the push retried
// every millisecond until the server accepts it. It reports the median as median-ms; ns/op
// is the mean.
func BenchmarkColdStartWeb(b *testing.B) {
	bin := binary(b)
	w, err := gatewaytest.NewWeChat(push.XML)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		port, err := gatewaytest.FreePort()
		if err != nil {
			b.Fatal(err)
		}
		p, err := wxsim.NewPusher(wxsim.PusherOptions{
			URL: fmt.Sprintf("http://127.0.0.1:%d/", port), AppID: w.AppID, Token: w.Token,
			EncodingAESKey: w.EncodingAESKey, Mode: push.Safe, Format: push.XML,
		})
		if err != nil {
			b.Fatal(err)
		}
		sealed, err := p.Seal(p.Text(benchOpenID, gatewaytest.HelpText))
		if err != nil {
			b.Fatal(err)
		}
		env := w.Env()
		env["PORT"] = strconv.Itoa(port)
		b.StartTimer()

		proc, err := gatewaytest.Start(bin, gatewaytest.Env(env))
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var res *wxsim.Result
		for {
			res, err = p.Repost(ctx, sealed)
			if err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		took := time.Since(proc.Started)
		cancel()

		b.StopTimer()
		_ = proc.Stop(2 * time.Second)
		if err != nil || res.Status != 200 || !res.Success {
			b.Fatalf("%v %+v\n%s", err, res, proc.Output())
		}
		times = append(times, took)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(testkit.MedianMillis(times), "median-ms")
}

// BenchmarkColdStartGo1 measures the SCF binary's cold start in Go1 mode: from exec to the
// first Function URL event answered over the Go1 protocol, the configuration (read at that
// first invocation) arriving in its Environment.
func BenchmarkColdStartGo1(b *testing.B) {
	bin := binary(b)
	w, err := gatewaytest.NewWeChat(push.XML)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	sample := []byte(`{"httpMethod": "POST", "path": "/", "headers": {"content-type": "text/xml"}, "queryString": {}, "body": ""}`)
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		port, err := gatewaytest.FreePort()
		if err != nil {
			b.Fatal(err)
		}
		sealed, err := w.Pusher.Seal(w.Pusher.Text(benchOpenID, gatewaytest.HelpText))
		if err != nil {
			b.Fatal(err)
		}
		ev, err := gatewaytest.Rewrite(gateway.SCFFunctionURL, sample, gatewaytest.Request{Method: "POST", Query: sealed.Query, Body: sealed.Body})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		proc, err := gatewaytest.Start(bin, []string{"_LAMBDA_SERVER_PORT=" + strconv.Itoa(port)})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c, err := gatewaytest.DialSCF(ctx, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		var payload []byte
		var ierr *gatewaytest.SCFInvokeError
		if err == nil {
			payload, ierr, err = c.Invoke(ctx, ev, w.Env(), 6*time.Second)
			c.Close()
		}
		took := time.Since(proc.Started)
		cancel()

		b.StopTimer()
		_ = proc.Stop(2 * time.Second)
		if err != nil || ierr != nil {
			b.Fatalf("%v %v\n%s", err, ierr, proc.Output())
		}
		if a, err := gatewaytest.ParseAnswer(payload); err != nil || a.StatusCode != 200 || a.Body != push.Success {
			b.Fatalf("the answer %s: %v", payload, err)
		}
		times = append(times, took)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(testkit.MedianMillis(times), "median-ms")
}
