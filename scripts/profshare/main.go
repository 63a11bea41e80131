// Command profshare reads a CPU profile of a kefu function under load (make profile) and
// splits the CPU spent in kefu's Service.Handle into kefu's own work and net/http: a sample is
// net/http's when a frame between Handle and the sample's leaf belongs to net/http, net/url,
// net, net/textproto, crypto/tls or x/net (the outbound call to WeChat's API, the
// request and answer plumbing). Everything else under Handle is kefu's own: opening the push,
// dedup, rules, building the send, the log line and the allocations they make. Reading the
// request and writing the answer happen outside Handle, in net/http's server, and count with
// the total.
//
//	go run ./scripts/profshare web.prof
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
)

const handle = "github.com/kefuhq/kefu/pkg/kefu.(*Service).Handle"

// netPrefixes name the packages that count as net/http in and out.
var netPrefixes = []string{"net/http.", "net/url.", "net.", "net/textproto.", "crypto/tls.", "vendor/golang.org/x/net/", "golang.org/x/net/"}

func isNet(fn string) bool {
	for _, p := range netPrefixes {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// share is what a profile holds, in nanoseconds of CPU.
type share struct {
	total, handle, net, own int64
	// byPart is kefu's own work by the first frame below Handle outside package kefu (or
	// the kefu function itself when the work is its own).
	byPart map[string]int64
}

func split(p *profile.Profile) (share, error) {
	vi := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			vi = i
		}
	}
	if vi < 0 {
		return share{}, fmt.Errorf("not a CPU profile (no cpu/nanoseconds sample type)")
	}
	s := share{byPart: map[string]int64{}}
	for _, smp := range p.Sample {
		v := smp.Value[vi]
		s.total += v
		var frames []string // leaf first
		for _, loc := range smp.Location {
			for _, ln := range loc.Line { // inlined calls first, as pprof lists them
				if ln.Function != nil {
					frames = append(frames, ln.Function.Name)
				}
			}
		}
		h := -1
		for i, f := range frames {
			if f == handle {
				h = i
				break
			}
		}
		if h < 0 {
			continue
		}
		s.handle += v
		below := frames[:h]
		isNetSample := false
		for _, f := range below {
			if isNet(f) {
				isNetSample = true
				break
			}
		}
		if isNetSample {
			s.net += v
			continue
		}
		s.own += v
		part := handle
		for i := len(below) - 1; i >= 0; i-- {
			part = below[i]
			if !strings.HasPrefix(below[i], "github.com/kefuhq/kefu/pkg/kefu.") {
				break
			}
		}
		s.byPart[part] += v
	}
	if s.total == 0 {
		return s, fmt.Errorf("the profile holds no samples")
	}
	return s, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: profshare PROFILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "profshare:", err)
		os.Exit(1)
	}
	p, err := profile.Parse(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "profshare:", err)
		os.Exit(1)
	}
	s, err := split(p)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profshare:", err)
		os.Exit(1)
	}
	pct := func(v int64) float64 { return 100 * float64(v) / float64(s.total) }
	fmt.Printf("CPU sampled: %.2f s\n", float64(s.total)/1e9)
	fmt.Printf("kefu's own work:        %5.1f%%\n", pct(s.own))
	fmt.Printf("net/http under Handle:  %5.1f%%  (the calls to WeChat's API)\n", pct(s.net))
	fmt.Printf("outside Handle:         %5.1f%%  (net/http's server, GC, scheduler)\n", pct(s.total-s.handle))
	parts := make([]string, 0, len(s.byPart))
	for k := range s.byPart {
		parts = append(parts, k)
	}
	sort.Slice(parts, func(i, j int) bool { return s.byPart[parts[i]] > s.byPart[parts[j]] })
	fmt.Println("kefu's own work, by part:")
	for i, k := range parts {
		if i == 10 {
			break
		}
		fmt.Printf("  %5.1f%%  %s\n", pct(s.byPart[k]), k)
	}
}
