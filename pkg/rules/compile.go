package rules

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/coregx/ahocorasick"
)

// The keyword index.
//
// Matching must not cost more as the rules grow, and must keep the meaning "the first rule in
// file order whose when holds". So each load compiles:
//   - exact (and session_from): a map from the whole value to the ordered rule indices, and a
//     second map over folded values for ignore_case rules;
//   - contains and prefix: one Aho-Corasick automaton over every distinct pattern, and a
//     second one over the folded patterns of ignore_case rules. A prefix pattern is a hit
//     only where it occurs at offset 0.
//
// Match finds the rules whose keyword holds, keeps the smallest index whose whole when holds
// (a rule with no condition besides its one keyword key needs no further check), then tries,
// in order and only below that index, the rules no index covers (regex, msg_type, schedule,
// event rules).
//
// The automaton is github.com/coregx/ahocorasick. Of the libraries considered it is the one
// still maintained (releases through 2026), it compiles a flat DFA with byte classes (25 MB
// and 0.2 s for 10,000 Chinese keywords, where BobuSumisu/aho-corasick needs 74 MB and
// cloudflare/ahocorasick 280 MB), and its Find allocates nothing and costs about the same for
// 10 or 10,000 patterns. petar-dambovaliev/aho-corasick allocates on every search (an
// iterator and a *Match per hit) and has had overlapping-match bugs (its issue #12);
// cloudflare's and BobuSumisu's are unmaintained and keep one pattern per trie node.
//
// coregx's Find reports one match: at the earliest end, the longest pattern ending there.
// Its FindAllOverlapping reports all, but allocates. scan enumerates every occurrence with
// Find alone: after a match of p at [s, e) it searches again from s+1. An occurrence this
// skips starts at or before s and ends at or after e: it covers this very match, so it is an
// occurrence of a longer pattern q that contains p. Each pattern keeps the list of the
// patterns that contain it, with the offsets at which they do ("supers", built once per
// load), and scan compares each q in place around the match (a few bytes), in rule order and
// only while q could beat the best rule found. A pathological set (one short keyword inside
// hundreds of earlier ones) exhausts a small budget of such checks and falls back to
// FindAllOverlapping. property_test.go checks the result against a plain in-order evaluation.
type index struct {
	exact, exactFold     map[string][]int32
	session, sessionFold map[string][]int32
	text, textFold       *patterns

	// Rules no index covers, in file order, per user message type and for events.
	linear      [4][]int32 // by bit position of userBit
	linearEvent []int32

	needFold bool // some ignore_case rule is in textFold or exactFold
}

// patterns is an automaton over distinct patterns and what each pattern means.
type patterns struct {
	ac      *ahocorasick.Automaton
	pats    []pattern
	minRule int32 // the smallest rule index of any pattern
	ids     map[string]int32
}

type pattern struct {
	b       []byte
	entries []entry // by rule index
	minRule int32
	supers  []super // the patterns that contain this one, by their minRule
}

// super is a pattern that contains another, with the offsets at which it does.
type super struct {
	id      int32
	offsets []int32
}

// entry is one use of a pattern: by a rule's contains, or by its prefix.
type entry struct {
	rule   int32
	prefix bool
}

func (ps *patterns) add(s string, e entry) {
	if ps.ids == nil {
		ps.ids = make(map[string]int32)
	}
	id, ok := ps.ids[s]
	if !ok {
		id = int32(len(ps.pats))
		ps.ids[s] = id
		ps.pats = append(ps.pats, pattern{b: []byte(s)})
	}
	ps.pats[id].entries = append(ps.pats[id].entries, e)
}

// build compiles the automaton and the supers lists. It leaves ps without an automaton when
// it has no patterns.
func (ps *patterns) build() error {
	ps.ids = nil
	if len(ps.pats) == 0 {
		return nil
	}
	raw := make([][]byte, len(ps.pats))
	ps.minRule = 1<<31 - 1
	for i := range ps.pats {
		p := &ps.pats[i]
		raw[i] = p.b
		slices.SortFunc(p.entries, func(a, b entry) int { return cmp.Compare(a.rule, b.rule) })
		p.minRule = p.entries[0].rule
		ps.minRule = min(ps.minRule, p.minRule)
	}
	ac, err := ahocorasick.NewBuilder().AddPatterns(raw).Build()
	if err != nil {
		// Build fails only without patterns or with an empty one; validation refuses both.
		return fmt.Errorf("building the keyword automaton: %w", err)
	}
	ps.ac = ac
	// Every pattern occurring inside a longer pattern q has q as a super.
	seen := make([]int, len(ps.pats)) // q+1 when already added for q
	for q := range ps.pats {
		for _, m := range ac.FindAllOverlapping(ps.pats[q].b) {
			p := &ps.pats[m.PatternID]
			if m.PatternID == q {
				continue
			}
			if seen[m.PatternID] != q+1 {
				seen[m.PatternID] = q + 1
				p.supers = append(p.supers, super{id: int32(q)})
			}
			last := &p.supers[len(p.supers)-1]
			last.offsets = append(last.offsets, int32(m.Start))
		}
	}
	for i := range ps.pats {
		slices.SortStableFunc(ps.pats[i].supers, func(a, b super) int { return cmp.Compare(ps.pats[a.id].minRule, ps.pats[b.id].minRule) })
	}
	return nil
}

func addTo(m *map[string][]int32, key string, r int32) {
	if *m == nil {
		*m = make(map[string][]int32)
	}
	list := (*m)[key]
	if len(list) == 0 || list[len(list)-1] != r {
		(*m)[key] = append(list, r)
	}
}

// compile builds the index. Rules are added in file order, so every list is sorted.
func (s *Set) compile() error {
	x := &s.idx
	text, textFold := &patterns{}, &patterns{}
	for _, r := range s.rules {
		if r.ignoreCase {
			r.exactF = foldAll(r.exact)
			r.containsF = foldAll(r.contains)
			r.prefixF = foldAll(r.prefix)
			r.sessionFromF = foldAll(r.sessionFrom)
		}
		keys := 0
		for _, l := range [][]string{r.exact, r.contains, r.prefix} {
			if l != nil {
				keys++
			}
		}
		switch {
		case keys > 0 && r.user&userText != 0:
			r.pure = keys == 1 && r.regex == nil && r.sched == nil
			exact, contains, prefix, into, m := r.exact, r.contains, r.prefix, text, &x.exact
			if r.ignoreCase {
				exact, contains, prefix, into, m = r.exactF, r.containsF, r.prefixF, textFold, &x.exactFold
				x.needFold = true
			}
			for _, v := range exact {
				addTo(m, v, r.index)
			}
			for _, v := range contains {
				into.add(v, entry{rule: r.index})
			}
			for _, v := range prefix {
				into.add(v, entry{rule: r.index, prefix: true})
			}
		case r.sessionFrom != nil:
			r.pure = r.sched == nil
			if r.ignoreCase {
				for _, v := range r.sessionFromF {
					addTo(&x.sessionFold, v, r.index)
				}
			} else {
				for _, v := range r.sessionFrom {
					addTo(&x.session, v, r.index)
				}
			}
		default:
			for bit := range x.linear {
				if r.user&(1<<bit) != 0 {
					x.linear[bit] = append(x.linear[bit], r.index)
				}
			}
			if r.events {
				x.linearEvent = append(x.linearEvent, r.index)
			}
		}
	}
	if err := text.build(); err != nil {
		return err
	}
	if err := textFold.build(); err != nil {
		return err
	}
	if text.ac != nil {
		x.text = text
	}
	if textFold.ac != nil {
		x.textFold = textFold
	}
	return nil
}

func foldAll(list []string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fold(s)
	}
	return out
}
