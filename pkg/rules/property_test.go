package rules

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/push"
)

// naiveMatch is the contract read plainly: try every rule in file order. The compiled
// matcher must agree with it.
func naiveMatch(s *Set, m *push.Message, now time.Time) string {
	for _, r := range s.rules {
		if naiveHolds(r, m, now) {
			return r.name
		}
	}
	if m.MsgType != push.TypeEvent && len(s.fallback) > 0 {
		return FallbackName
	}
	return ""
}

func naiveHolds(r *rule, m *push.Message, now time.Time) bool {
	norm := func(s string) string { return s }
	if r.ignoreCase {
		norm = fold
	}
	anyOf := func(list []string, f func(p string) bool) bool {
		for _, p := range list {
			if f(norm(p)) {
				return true
			}
		}
		return false
	}
	if m.MsgType == push.TypeEvent {
		if !r.events {
			return false
		}
		if r.eventNames != nil && !slices.Contains(r.eventNames, m.Event) {
			return false
		}
		if r.sessionFrom != nil && !anyOf(r.sessionFrom, func(p string) bool { return p == norm(m.SessionFrom) }) {
			return false
		}
	} else {
		switch m.MsgType {
		case push.TypeText:
			if r.user&userText == 0 {
				return false
			}
		case push.TypeImage:
			if r.user&userImage == 0 {
				return false
			}
		case push.TypeMiniProgramPage:
			if r.user&userPage == 0 {
				return false
			}
		default:
			if r.user&userOther == 0 {
				return false
			}
		}
		c := norm(m.Content)
		if r.exact != nil && !anyOf(r.exact, func(p string) bool { return c == p }) {
			return false
		}
		if r.contains != nil && !anyOf(r.contains, func(p string) bool { return strings.Contains(c, p) }) {
			return false
		}
		if r.prefix != nil && !anyOf(r.prefix, func(p string) bool { return strings.HasPrefix(c, p) }) {
			return false
		}
		if r.regex != nil {
			ok := false
			for _, re := range r.regex {
				ok = ok || re.MatchString(m.Content)
			}
			if !ok {
				return false
			}
		}
	}
	return r.sched == nil || r.sched.holds(now)
}

// alphabet mixes Chinese, Latin and the runes whose folding is special (σ ς Σ, k K K).
var alphabet = []string{"a", "A", "b", "训", "练", "营", "ς", "Σ", "σ", "k", "K", "\u212A", " "}

func randWord(r *rand.Rand, minLen, maxLen int) string {
	n := minLen + r.IntN(maxLen-minLen+1)
	var b strings.Builder
	for range n {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func yamlList(r *rand.Rand, n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf("%q", randWord(r, 1, 3))
	}
	return "[" + strings.Join(items, ", ") + "]"
}

// randomRules writes a random but valid rules file.
func randomRules(r *rand.Rand, n int) string {
	var b strings.Builder
	b.WriteString("version: 1\n")
	if r.IntN(2) == 0 {
		b.WriteString("fallback: [{text: fb}]\n")
	}
	b.WriteString("rules:\n")
	for i := range n {
		var when []string
		switch r.IntN(10) {
		case 0:
			when = append(when, fmt.Sprintf("msg_type: %s", []string{"image", "miniprogrampage", "[text, image]", "event"}[r.IntN(4)]))
		case 1:
			when = append(when, fmt.Sprintf("session_from: %s", yamlList(r, 1+r.IntN(2))))
		case 2:
			when = append(when, "event: user_enter_tempsession")
		default:
			for _, key := range []string{"exact", "contains", "prefix"} {
				if r.IntN(3) == 0 {
					when = append(when, fmt.Sprintf("%s: %s", key, yamlList(r, 1+r.IntN(3))))
				}
			}
			if r.IntN(6) == 0 {
				when = append(when, fmt.Sprintf("regex: [%q]", []string{"a+b", "^训", "σ$", "k.?k"}[r.IntN(4)]))
			}
		}
		if r.IntN(3) == 0 {
			when = append(when, "ignore_case: true")
		}
		if r.IntN(8) == 0 {
			when = append(when, `schedule: {hours: ["09:00-12:00"]}`)
		}
		fmt.Fprintf(&b, "  - name: r%d\n    when: {%s}\n    reply: [{text: r%d}]\n", i, strings.Join(when, ", "), i)
	}
	return b.String()
}

func randomMessage(r *rand.Rand, maxLen int) *push.Message {
	switch r.IntN(8) {
	case 0:
		return &push.Message{MsgType: push.TypeImage}
	case 1:
		return &push.Message{MsgType: push.TypeEvent, Event: push.EventUserEnterTempSession, SessionFrom: randWord(r, 0, 3)}
	case 2:
		return &push.Message{MsgType: push.TypeMiniProgramPage}
	}
	return &push.Message{MsgType: push.TypeText, Content: randWord(r, 0, maxLen)}
}

// TestMatchAgreesWithNaive checks the compiled matcher against naiveMatch on random rule sets
// and messages, Chinese and Latin mixed, with case folding.
func TestMatchAgreesWithNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{shanghai, shanghai.Add(6 * time.Hour)}
	sets, checks := 400, 300
	if testing.Short() {
		sets = 50
	}
	for i := range sets {
		// Mostly small sets; every tenth is large, with long messages, so that keywords
		// overlap and contain each other a lot.
		rules, maxLen := 1+r.IntN(40), 10
		if i%10 == 0 {
			rules, maxLen = 100+r.IntN(300), 40
		}
		src := randomRules(r, rules)
		s, err := Parse("random.yaml", []byte(src), Options{})
		if err != nil {
			t.Fatalf("set %d: %v\n%s", i, err, src)
		}
		for range checks {
			m := randomMessage(r, maxLen)
			now := times[r.IntN(2)]
			if got, want := s.Match(m, now).Rule, naiveMatch(s, m, now); got != want {
				t.Fatalf("set %d, message %+v: Match = %q, naive = %q\n%s", i, m, got, want, src)
			}
		}
	}
}

// TestMatchManySupers: a short keyword inside many earlier keywords exhausts the budget of
// direct checks, and the result must still be right.
func TestMatchManySupers(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n")
	for i := range 200 {
		fmt.Fprintf(&b, "  - name: long%d\n    when: {contains: \"训练营%d期\"}\n    reply: [{text: a}]\n", i, i)
	}
	b.WriteString("  - name: short\n    when: {contains: 训练}\n    reply: [{text: b}]\n")
	b.WriteString("  - name: prefix\n    when: {prefix: 报名}\n    reply: [{text: c}]\n")
	s := mustParse(t, b.String(), Options{})
	for _, tc := range []struct{ in, want string }{
		{"我想报名训练营", "short"},
		{"训练营150期", "long150"},
		{"训练营7期和训练营3期", "long3"},
		{"报名", "prefix"},
		{"报名训练营199期", "long199"},
	} {
		if got := s.Match(text(tc.in), shanghai).Rule; got != tc.want {
			t.Errorf("Match(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := naiveMatch(s, text(tc.in), shanghai); got != tc.want {
			t.Errorf("naive(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
