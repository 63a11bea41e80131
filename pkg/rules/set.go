package rules

import (
	"regexp"
	"unsafe"
)

// Set is a parsed, validated and compiled rules file. It is immutable and safe for
// concurrent use.
type Set struct {
	name     string
	source   string
	rules    []*rule
	fallback []Reply
	warnings []Problem
	idx      index
}

// rule is one compiled rule.
type rule struct {
	index int32 // position in the file, 0-based
	name  string
	line  int

	// What it can fire on.
	user       uint8    // bits of the user message types it matches
	events     bool     // it matches events
	eventNames []string // nil: every event

	// Conditions: each non-nil one must hold.
	exact, contains, prefix, sessionFrom     []string
	exactF, containsF, prefixF, sessionFromF []string // folded, with ignore_case
	regex                                    []*regexp.Regexp
	regexSrc                                 []string
	ignoreCase                               bool
	sched                                    *schedule

	// pure: the rule holds whenever its one indexed key does (no other condition).
	pure bool

	replies          []Reply
	captures         bool // some reply uses {{n}}
	typing, transfer bool

	when  string // the when of the file, for summaries
	limit int    // how many messages WeChat allows after what it matches
}

// Name returns the name the Set was parsed under, as problems and logs show it.
func (s *Set) Name() string { return s.name }

// Source returns the location relative image sources were resolved against.
func (s *Set) Source() string { return s.source }

// Warnings returns what is allowed but likely wrong in the file (a mini-program link to
// another AppID, replies to events that give no permission to send, ...), as "file:line:
// what" problems. Callers must not modify the slice.
func (s *Set) Warnings() []Problem { return s.warnings }

// Len returns the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// Fallback returns the replies sent to user messages that no rule matched. Callers must not
// modify the slice.
func (s *Set) Fallback() []Reply { return s.fallback }

// bytesOf views s as bytes without copying. The automata only read their haystack.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// stringOf views b as a string without copying; b must not change while the string is used.
func stringOf(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
