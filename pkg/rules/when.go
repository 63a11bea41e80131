package rules

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kefuhq/kefu/pkg/push"
)

// User message types as bits of rule.user.
const (
	userText uint8 = 1 << iota
	userImage
	userPage
	userOther // any other type that is not an event
	userAll   = userText | userImage | userPage | userOther
)

func userBit(msgType string) uint8 {
	switch msgType {
	case push.TypeText:
		return userText
	case push.TypeImage:
		return userImage
	case push.TypeMiniProgramPage:
		return userPage
	case push.TypeEvent:
		return 0
	}
	return userOther
}

// when reads a rule's when into r. It returns false when when is not a mapping at all.
func (p *parser) when(n *yaml.Node, label string, r *rule) bool {
	what := label + ": when"
	fields, ok := p.mapping(n, what, whenKeys)
	if !ok {
		return false
	}
	lists := make(map[string][]item)
	lines := make(map[string]int)
	var firstText string
	for _, f := range fields {
		lines[f.key] = f.kline
		switch f.key {
		case "ignore_case":
			r.ignoreCase, _ = p.boolean(f.val, what+": ignore_case")
		case "schedule":
			r.sched = p.schedule(f.val, what+": schedule")
		default:
			items, good := p.strs(f.val, what+": "+f.key)
			if !good {
				continue
			}
			for _, it := range items {
				if it.s == "" {
					p.errorf(it.line, "%s: %s: empty string", what, f.key)
					good = false
				}
			}
			if good {
				lists[f.key] = items
			}
			if firstText == "" && slices.Contains(textKeys, f.key) {
				firstText = f.key
			}
		}
	}
	strsOf := func(items []item) []string {
		if len(items) == 0 {
			return nil
		}
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = it.s
		}
		return out
	}
	r.exact = strsOf(lists["exact"])
	r.contains = strsOf(lists["contains"])
	r.prefix = strsOf(lists["prefix"])
	r.sessionFrom = strsOf(lists["session_from"])
	for _, it := range lists["regex"] {
		src := it.s
		if r.ignoreCase {
			src = "(?i)" + src
		}
		re, err := regexp.Compile(src)
		if err != nil {
			p.errorf(it.line, "%s: regex %q: %v", what, it.s, err)
			continue
		}
		r.regex = append(r.regex, re)
		r.regexSrc = append(r.regexSrc, it.s)
	}

	// The message types the rule can match: explicit, or implied by its keys.
	_, hasEvent := lines["event"]
	_, hasSession := lines["session_from"]
	explicit, hasType := lists["msg_type"]
	for _, it := range explicit {
		if !slices.Contains(msgTypes, it.s) {
			p.errorf(it.line, "%s: msg_type: unknown type %q%s (want text, image, miniprogrampage or event)", what, it.s, didYouMean(it.s, msgTypes))
		}
	}
	types := strsOf(explicit)
	switch {
	case firstText != "" && (hasEvent || hasSession):
		other := "event"
		if hasSession {
			other = "session_from"
		}
		p.errorf(lines[other], "%s: %s contradicts %s: %s matches text messages, %s matches events", what, other, firstText, firstText, other)
	case firstText != "":
		if hasType && !onlyValue(types, push.TypeText) {
			p.errorf(lines["msg_type"], "%s: msg_type %s contradicts %s, which matches text messages only", what, listString(types), firstText)
		}
		r.user = userText
	case hasEvent || hasSession:
		if hasType && !onlyValue(types, push.TypeEvent) {
			key := "event"
			if !hasEvent {
				key = "session_from"
			}
			p.errorf(lines["msg_type"], "%s: msg_type %s contradicts %s, which matches events only", what, listString(types), key)
		}
		r.events = true
		if hasEvent {
			r.eventNames = strsOf(lists["event"])
		}
		if hasSession {
			if hasEvent && !onlyValue(r.eventNames, push.EventUserEnterTempSession) {
				p.errorf(lines["event"], "%s: event %s contradicts session_from, which matches the user_enter_tempsession event only", what, listString(r.eventNames))
			}
			r.eventNames = []string{push.EventUserEnterTempSession}
		}
	case hasType:
		for _, t := range types {
			if t == push.TypeEvent {
				r.events = true
			} else {
				r.user |= userBit(t)
			}
		}
	default:
		r.user = userAll // events get nothing unless a rule names them
	}
	if r.ignoreCase && firstText == "" && !hasSession {
		p.warnf(lines["ignore_case"], "%s: ignore_case has nothing to apply to (exact, contains, prefix, regex or session_from)", what)
	}
	r.when = whenString(fields)
	return true
}

// onlyValue reports whether every element of list is v.
func onlyValue(list []string, v string) bool {
	for _, s := range list {
		if s != v {
			return false
		}
	}
	return len(list) > 0
}

func listString(list []string) string { return "[" + strings.Join(list, ", ") + "]" }

func (p *parser) schedule(n *yaml.Node, what string) *schedule {
	fields, ok := p.mapping(n, what, scheduleKeys)
	if !ok {
		return nil
	}
	s := &schedule{days: allDays}
	zone := defaultZone
	zoneLine := n.Line
	good := true
	for _, f := range fields {
		switch f.key {
		case "zone":
			z, ok := p.str(f.val, what+": zone")
			if !ok {
				good = false
				continue
			}
			zone, zoneLine = z, f.val.Line
		case "days":
			items, ok := p.strs(f.val, what+": days")
			if !ok {
				good = false
				continue
			}
			s.days = 0
			for _, it := range items {
				d, ok := parseDay(it.s)
				if !ok {
					p.errorf(it.line, "%s: unknown day %q (want mon, tue, wed, thu, fri, sat or sun)", what, it.s)
					good = false
					continue
				}
				s.days |= 1 << uint(d)
			}
		case "hours":
			items, ok := p.strs(f.val, what+": hours")
			if !ok {
				good = false
				continue
			}
			for _, it := range items {
				sp, msg := parseSpan(it.s)
				if msg != "" {
					p.errorf(it.line, "%s: %s", what, msg)
					good = false
					continue
				}
				s.hours = append(s.hours, sp)
			}
		case "outside":
			s.outside, ok = p.boolean(f.val, what+": outside")
			good = good && ok
		}
	}
	// "Local" and "" would depend on the machine; the zone must be named.
	if zone == "" || zone == "Local" {
		p.errorf(zoneLine, "%s: unknown zone %q (want an IANA name like Asia/Shanghai)", what, zone)
		return nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		p.errorf(zoneLine, "%s: unknown zone %q (want an IANA name like Asia/Shanghai)", what, zone)
		return nil
	}
	s.loc = loc
	if !good {
		return nil
	}
	return s
}
