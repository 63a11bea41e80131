package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kefuhq/kefu/pkg/push"
)

// Benchmark data: keywords and messages drawn from common Chinese characters and Latin words,
// like a support team's keyword list and its users' questions.
var (
	benchHan   = []rune("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府研")
	benchLatin = []string{"VIP", "App", "order", "help", "refund", "camp", "download", "login", "pay", "card", "coupon", "API", "Hello", "OK", "kefu", "WeChat", "iOS", "Android", "bug", "FAQ"}
)

// benchMessage is 50 characters, Chinese and Latin mixed.
func benchMessage(r *rand.Rand) string {
	var b strings.Builder
	n := 0
	for n < 50 {
		if r.IntN(5) == 0 {
			w := benchLatin[r.IntN(len(benchLatin))] + " "
			b.WriteString(w)
			n += len(w)
		} else {
			b.WriteRune(benchHan[r.IntN(len(benchHan))])
			n++
		}
	}
	return string([]rune(b.String())[:50])
}

// benchKeywords returns n distinct keywords (2 to 4 characters, a quarter starting with a
// Latin word) none of which occurs in msg.
func benchKeywords(r *rand.Rand, n int, msg string) []string {
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		var k string
		if r.IntN(4) == 0 {
			k = benchLatin[r.IntN(len(benchLatin))] + string(benchHan[r.IntN(len(benchHan))])
		} else {
			var b strings.Builder
			for range 2 + r.IntN(3) {
				b.WriteRune(benchHan[r.IntN(len(benchHan))])
			}
			k = b.String()
		}
		if seen[k] || strings.Contains(strings.ToLower(msg), strings.ToLower(k)) {
			continue
		}
		seen[k] = true
		out = append(out, k)
	}
	return out
}

func benchRules(key string, keywords []string, ignoreCase bool) string {
	var b strings.Builder
	b.WriteString("version: 1\nfallback: [{text: 已收到}]\nrules:\n")
	for i, k := range keywords {
		fmt.Fprintf(&b, "  - name: r%d\n    when: {%s: [%q]", i, key, k)
		if ignoreCase {
			b.WriteString(", ignore_case: true")
		}
		b.WriteString("}\n    reply: [{text: ok}]\n")
	}
	return b.String()
}

// BenchmarkMatch matches a 50-character message against 10, 1,000 and 10,000 keyword rules:
// "none" matches no rule (the fallback answers), "late" matches only the last rule.
func BenchmarkMatch(b *testing.B) {
	for _, kind := range []struct {
		name, key  string
		ignoreCase bool
	}{
		{"contains", "contains", false},
		{"contains-ignore_case", "contains", true},
		{"exact", "exact", false},
		{"exact-ignore_case", "exact", true},
	} {
		for _, n := range []int{10, 1000, 10000} {
			r := rand.New(rand.NewPCG(7, uint64(n)))
			msg := benchMessage(r)
			kws := benchKeywords(r, n, msg)
			s, err := Parse("bench.yaml", []byte(benchRules(kind.key, kws, kind.ignoreCase)), Options{})
			if err != nil {
				b.Fatal(err)
			}
			last := kws[n-1]
			late := string([]rune(msg)[:50-len([]rune(last))]) + last
			if kind.key == "exact" {
				late = last
			}
			if kind.ignoreCase {
				late = strings.ToUpper(late[:len(late)-len(last)]) + strings.ToLower(last)
			}
			for _, tc := range []struct{ name, content, want string }{{"none", msg, FallbackName}, {"late", late, fmt.Sprintf("r%d", n-1)}} {
				m := &push.Message{MsgType: push.TypeText, Content: tc.content}
				if got := s.Match(m, shanghai).Rule; got != tc.want {
					b.Fatalf("%s/%d/%s: %q matched %q, want %q", kind.name, n, tc.name, tc.content, got, tc.want)
				}
				b.Run(fmt.Sprintf("%s/%s/rules=%d", kind.name, tc.name, n), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						s.Match(m, shanghai)
					}
				})
			}
		}
	}
}

// BenchmarkParse parses and compiles 10,000 keyword rules: what a reload costs.
func BenchmarkParse(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 10000))
	data := []byte(benchRules("contains", benchKeywords(r, 10000, benchMessage(r)), false))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("bench.yaml", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
