package rules

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefuhq/kefu/pkg/push"
)

// superBudget bounds the direct checks of containing patterns in one scan (see compile.go);
// past it, scan asks the automaton for every occurrence instead.
const superBudget = 32

// foldBuf is the stack room for folded content; longer content spills to the heap.
const foldBuf = 512

// Match returns what to do about m at now: the first rule in file order whose when holds,
// the fallback for a user message no rule matched, or an empty Plan (Rule "") for an event no
// rule names.
//
// Match is cheap and safe for concurrent use. It allocates only to substitute regex captures
// into the replies of the rule that fires (and when ignore_case rules meet content longer
// than 512 bytes). Without captures the Plan's Replies is the Set's own compiled slice,
// shared by every caller: callers must not modify it.
func (s *Set) Match(m *push.Message, now time.Time) Plan {
	if s == nil || m == nil {
		return Plan{}
	}
	x := matcher{s: s, m: m, now: now, best: int32(len(s.rules))}
	event := m.MsgType == push.TypeEvent
	if event {
		if x.m.SessionFrom != "" && (s.idx.session != nil || s.idx.sessionFold != nil) {
			x.lookup(s.idx.session[m.SessionFrom])
			if s.idx.sessionFold != nil {
				var buf [foldBuf]byte
				x.lookup(s.idx.sessionFold[stringOf(appendFold(buf[:0], m.SessionFrom))])
			}
		}
		x.linear(s.idx.linearEvent)
	} else {
		if m.MsgType == push.TypeText {
			if s.idx.needFold {
				var buf [foldBuf]byte
				x.folded = stringOf(appendFold(buf[:0], m.Content))
			}
			x.lookup(s.idx.exact[m.Content])
			if s.idx.exactFold != nil {
				x.lookup(s.idx.exactFold[x.folded])
			}
			x.scan(s.idx.text, bytesOf(m.Content))
			x.scan(s.idx.textFold, bytesOf(x.folded))
		}
		x.linear(s.idx.linear[bitIndex(userBit(m.MsgType))])
	}
	if x.best < int32(len(s.rules)) {
		r := s.rules[x.best]
		p := Plan{Rule: r.name, Replies: r.replies, Typing: r.typing, Transfer: r.transfer && !event}
		if r.captures {
			p.Replies = r.expand(m.Content)
		}
		return p
	}
	if !event && len(s.fallback) > 0 {
		return Plan{Rule: FallbackName, Replies: s.fallback}
	}
	return Plan{}
}

func bitIndex(bit uint8) int {
	for i := 0; i < 8; i++ {
		if bit == 1<<i {
			return i
		}
	}
	return 0
}

// matcher holds one Match call's state; it lives on the stack.
type matcher struct {
	s      *Set
	m      *push.Message
	now    time.Time
	best   int32  // the smallest index of a rule found to hold, or len(rules)
	folded string // the folded Content, when some rule needs it (a view of Match's buffer)
}

// consider records rule r if it beats the best so far and its whole when holds.
func (x *matcher) consider(r int32) {
	if r >= x.best {
		return
	}
	if ru := x.s.rules[r]; ru.pure || x.holds(ru) {
		x.best = r
	}
}

func (x *matcher) lookup(list []int32) {
	for _, r := range list {
		if r >= x.best {
			return
		}
		x.consider(r)
	}
}

// linear tries the rules of list in order, up to the best so far.
func (x *matcher) linear(list []int32) {
	for _, r := range list {
		if r >= x.best {
			return
		}
		if x.holds(x.s.rules[r]) {
			x.best = r
			return
		}
	}
}

// scan finds the rules whose contains or prefix patterns occur in h (see compile.go).
func (x *matcher) scan(ps *patterns, h []byte) {
	if ps == nil || len(h) == 0 {
		return
	}
	budget := superBudget
	for pos := 0; pos < len(h) && ps.minRule < x.best; {
		mt, ok := ps.ac.Find(h, pos)
		if !ok {
			return
		}
		p := &ps.pats[mt.PatternID]
		x.hit(p, mt.Start == 0)
		for _, sup := range p.supers {
			q := &ps.pats[sup.id]
			if q.minRule >= x.best {
				break
			}
			if budget == 0 {
				for _, mt := range ps.ac.FindAllOverlapping(h) {
					x.hit(&ps.pats[mt.PatternID], mt.Start == 0)
				}
				return
			}
			budget--
			// Does q occur around this match, with p at one of its offsets in q?
			for _, off := range sup.offsets {
				st := mt.Start - int(off)
				if st >= 0 && st+len(q.b) <= len(h) && bytes.Equal(h[st:st+len(q.b)], q.b) {
					x.hit(q, st == 0)
				}
			}
		}
		pos = mt.Start + 1
	}
}

// hit considers the rules of pattern p, found at offset 0 when atStart.
func (x *matcher) hit(p *pattern, atStart bool) {
	for _, e := range p.entries {
		if e.rule >= x.best {
			return
		}
		if e.prefix && !atStart {
			continue
		}
		x.consider(e.rule)
	}
}

// holds reports whether the whole when of r holds for the message at now.
func (x *matcher) holds(r *rule) bool {
	m := x.m
	if m.MsgType == push.TypeEvent {
		if !r.events {
			return false
		}
		if r.eventNames != nil && !has(r.eventNames, m.Event) {
			return false
		}
		if r.sessionFrom != nil {
			if r.ignoreCase {
				var buf [foldBuf]byte
				if !has(r.sessionFromF, stringOf(appendFold(buf[:0], m.SessionFrom))) {
					return false
				}
			} else if !has(r.sessionFrom, m.SessionFrom) {
				return false
			}
		}
	} else {
		if r.user&userBit(m.MsgType) == 0 {
			return false
		}
		c := m.Content
		exact, contains, prefix := r.exact, r.contains, r.prefix
		if r.ignoreCase && (exact != nil || contains != nil || prefix != nil) {
			c = x.folded
			exact, contains, prefix = r.exactF, r.containsF, r.prefixF
		}
		if exact != nil && !has(exact, c) {
			return false
		}
		if contains != nil && !anyOf(contains, c, strings.Contains) {
			return false
		}
		if prefix != nil && !anyOf(prefix, c, strings.HasPrefix) {
			return false
		}
		if r.regex != nil {
			ok := false
			for _, re := range r.regex {
				if re.MatchString(m.Content) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
	}
	return r.sched == nil || r.sched.holds(x.now)
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func anyOf(list []string, s string, f func(s, p string) bool) bool {
	for _, v := range list {
		if f(s, v) {
			return true
		}
	}
	return false
}

// expand returns r's replies with the regex captures of content substituted: {{n}} is group
// n of the first of r's regexes that matches, or empty. In URLs and page paths a capture is
// escaped as a query value (url.QueryEscape), so that it cannot change the link's structure;
// a text that grows past WeChat's 2048 bytes is cut at a character boundary.
func (r *rule) expand(content string) []Reply {
	var loc []int
	for _, re := range r.regex {
		if loc = re.FindStringSubmatchIndex(content); loc != nil {
			break
		}
	}
	group := func(n int) string {
		if 2*n+1 < len(loc) && loc[2*n] >= 0 {
			return content[loc[2*n]:loc[2*n+1]]
		}
		return ""
	}
	sub := func(s string, escape bool) string {
		if !strings.Contains(s, "{{") {
			return s
		}
		return placeholder.ReplaceAllStringFunc(s, func(ph string) string {
			n, err := strconv.Atoi(ph[2 : len(ph)-2])
			if err != nil {
				return ""
			}
			if escape {
				return url.QueryEscape(group(n))
			}
			return group(n)
		})
	}
	out := make([]Reply, len(r.replies))
	copy(out, r.replies)
	for i := range out {
		o := &out[i]
		switch o.Kind {
		case Text:
			o.Text = truncate(sub(o.Text, false), MaxTextBytes)
		case Link:
			o.Link.Title = sub(o.Link.Title, false)
			o.Link.Description = sub(o.Link.Description, false)
			o.Link.URL = sub(o.Link.URL, true)
		case MiniProgramPage:
			o.Page.Title = sub(o.Page.Title, false)
			o.Page.PagePath = sub(o.Page.PagePath, true)
		}
	}
	return out
}

// truncate cuts s to at most n bytes at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
