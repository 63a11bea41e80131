package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefuhq/kefu/internal/testkit"
	"github.com/kefuhq/kefu/pkg/push"
	"github.com/kefuhq/kefu/pkg/wxsim"
)

// processCPU returns the user+system CPU time a process has used, from /proc (Linux).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which is in parentheses and may hold spaces).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, nil
}

// webProfile makes BenchmarkWebPushCPU profile the function (make profile).
var webProfile = flag.String("webprofile", "", "BenchmarkWebPushCPU: write a CPU profile of the Web function, built with -tags pprof, to this file")

// BenchmarkWebPushCPU is the CPU the Web function's process spends per push under concurrent
// load (16 senders), over loopback: receiving the push, kefu's work, the send to the WeChat
// API (wxsim, in this process) and the answer. Read it beside pkg/kefu's profile of kefu's
// own work to see kefu's share.
func BenchmarkWebPushCPU(b *testing.B) {
	api := wxsim.NewAPI(wxsim.APIOptions{AppID: webAppID, AppSecret: webSecret})
	apiSrv := httptest.NewServer(api)
	b.Cleanup(apiSrv.Close)
	w := &webWorld{api: api, apiURL: apiSrv.URL}
	dir := b.TempDir()
	rulesFile := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte(testkit.Rules), 0o644); err != nil {
		b.Fatal(err)
	}
	port := freePort(b)
	env := w.env(port, "KEFU_RULES="+rulesFile, "LOG_LEVEL=info")
	bin := binary(b)
	if *webProfile != "" {
		out, err := filepath.Abs(*webProfile)
		if err != nil {
			b.Fatal(err)
		}
		bin = binaryWith(b, "pprof")
		env = append(env, "KEFU_CPUPROFILE="+out)
	}
	p := startWebBinary(b, bin, env)
	// WeChat's side keeps its connections: 16 senders, 16 idle connections.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	pusher, err := wxsim.NewPusher(wxsim.PusherOptions{URL: p.url, AppID: webAppID, Token: webToken, EncodingAESKey: webKey,
		Mode: push.Safe, Format: push.JSON, HTTPClient: client})
	if err != nil {
		b.Fatal(err)
	}
	sealed := make([]push.Sealed, b.N+1)
	for i := range sealed {
		m := pusher.Text(fmt.Sprintf("oBENCH%022d", i%500), "你好")
		if sealed[i], err = pusher.Seal(m); err != nil {
			b.Fatal(err)
		}
	}
	if r, err := pusher.Repost(context.Background(), sealed[b.N]); err != nil || !r.Success { // warm
		b.Fatal(err, r)
	}
	before, err := processCPU(p.cmd.Process.Pid)
	if err != nil {
		b.Skip("no /proc:", err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if r, err := pusher.Repost(context.Background(), sealed[i]); err != nil || !r.Success {
					b.Error(err, r)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	after, _ := processCPU(p.cmd.Process.Pid)
	b.ReportMetric(float64(after-before)/float64(b.N), "proc-cpu-ns/push")
	if *webProfile != "" {
		p.stop() // a graceful stop writes the profile
	}
}
