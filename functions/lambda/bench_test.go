package main

import (
	"context"
	"testing"
	"time"

	"github.com/kefuhq/kefu/internal/testkit"
	"github.com/kefuhq/kefu/pkg/gateway"
	"github.com/kefuhq/kefu/pkg/gateway/gatewaytest"
	"github.com/kefuhq/kefu/pkg/push"
)

// BenchmarkColdStart measures the Lambda bootstrap's cold start: from exec to the first push
// answered (its reply sent through the fake WeChat API, the access token fetched on the way),
// the bootstrap running under a test Runtime API that has the HTTP API event waiting. It
// reports the median as median-ms; ns/op is the mean.
func BenchmarkColdStart(b *testing.B) {
	bin, err := bootstrap()
	if err != nil {
		b.Fatal(err)
	}
	w, err := gatewaytest.NewWeChat(push.XML)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	sample, err := gatewaytest.AWSSample(gatewaytest.Samples(gateway.APIGatewayV2)[0])
	if err != nil {
		b.Fatal(err)
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		sealed, err := w.Pusher.Seal(w.Pusher.Text("o6_bmjrPTlm6_2sgVt7hMZOPfL2M", gatewaytest.HelpText))
		if err != nil {
			b.Fatal(err)
		}
		ev, err := gatewaytest.Rewrite(gateway.APIGatewayV2, sample, gatewaytest.Request{Method: "POST", Query: sealed.Query, Body: sealed.Body})
		if err != nil {
			b.Fatal(err)
		}
		rt := gatewaytest.NewRuntimeAPI()
		env := w.Env()
		env["AWS_LAMBDA_RUNTIME_API"] = rt.Addr()
		b.StartTimer()

		proc, err := gatewaytest.Start(bin, gatewaytest.Env(env))
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := rt.Invoke(ctx, ev)
		took := time.Since(proc.Started)
		cancel()

		b.StopTimer()
		_ = proc.Stop(2 * time.Second)
		rt.Close()
		if err != nil || res.Error {
			b.Fatalf("%v %s\n%s", err, res.Payload, proc.Output())
		}
		if a, err := gatewaytest.ParseAnswer(res.Payload); err != nil || a.StatusCode != 200 || a.Body != push.Success {
			b.Fatalf("the answer %s: %v", res.Payload, err)
		}
		times = append(times, took)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(testkit.MedianMillis(times), "median-ms")
}
