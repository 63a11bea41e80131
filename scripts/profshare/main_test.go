package main

import (
	"testing"

	"github.com/google/pprof/profile"
)

// stack builds a profile sample of v nanoseconds whose frames are given root first.
func stack(p *profile.Profile, v int64, rootFirst ...string) {
	var locs []*profile.Location
	for i := len(rootFirst) - 1; i >= 0; i-- {
		fn := &profile.Function{ID: uint64(len(p.Function) + 1), Name: rootFirst[i]}
		p.Function = append(p.Function, fn)
		loc := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: fn}}}
		p.Location = append(p.Location, loc)
		locs = append(locs, loc)
	}
	p.Sample = append(p.Sample, &profile.Sample{Location: locs, Value: []int64{1, v}})
}

func TestSplit(t *testing.T) {
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}}}
	serve := "net/http.(*conn).serve"
	stack(p, 50, serve, "net/http.(*conn).readRequest") // outside Handle
	stack(p, 20, serve, handle, "github.com/kefuhq/kefu/pkg/kefu.(*Service).handle", "github.com/kefuhq/kefu/pkg/push.(*Opener).Open", "crypto/sha1.Sum")
	stack(p, 10, serve, handle, "github.com/kefuhq/kefu/pkg/kefu.(*Service).logReport", "log/slog.(*JSONHandler).Handle")
	stack(p, 15, serve, handle, "github.com/kefuhq/kefu/pkg/wxapi.(*Client).Send", "net/http.(*Client).Do", "runtime.mallocgc") // net/http out
	stack(p, 5, serve, handle, "github.com/kefuhq/kefu/pkg/kefu.(*Service).handle")                                             // kefu itself
	s, err := split(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.total != 100 || s.handle != 50 || s.net != 15 || s.own != 35 {
		t.Errorf("total %d, handle %d, net %d, own %d; want 100, 50, 15, 35", s.total, s.handle, s.net, s.own)
	}
	want := map[string]int64{
		"github.com/kefuhq/kefu/pkg/push.(*Opener).Open":    20,
		"log/slog.(*JSONHandler).Handle":                    10,
		"github.com/kefuhq/kefu/pkg/kefu.(*Service).handle": 5,
	}
	for k, v := range want {
		if s.byPart[k] != v {
			t.Errorf("part %s: %d, want %d (all: %v)", k, s.byPart[k], v, s.byPart)
		}
	}
	if _, err := split(&profile.Profile{SampleType: []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}}}); err == nil {
		t.Error("a heap profile was taken for a CPU profile")
	}
}
