package rules

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// RuleInfo describes one rule, for `kefu check` and for logs.
type RuleInfo struct {
	// Name is the rule's name.
	Name string
	// Line is the line of the rule in the file.
	Line int
	// When is the rule's when as written, on one line: "contains: [训练营]", or "{}" for a
	// rule that matches every user message.
	When string
	// Replies lists the kinds of the reply items, in order.
	Replies []Kind
	// Typing and Transfer are the rule's typing and transfer.
	Typing, Transfer bool
	// Limit is how many messages WeChat allows after what the rule matches: 5 after a user
	// message, 2 after the user enters the session.
	Limit int
}

// Rules describes the rules in file order.
func (s *Set) Rules() []RuleInfo {
	out := make([]RuleInfo, len(s.rules))
	for i, r := range s.rules {
		kinds := make([]Kind, len(r.replies))
		for j, rep := range r.replies {
			kinds[j] = rep.Kind
		}
		out[i] = RuleInfo{Name: r.name, Line: r.line, When: r.when, Replies: kinds, Typing: r.typing, Transfer: r.transfer, Limit: r.limit}
	}
	return out
}

// Summary describes the set in a few lines, as `kefu check` prints it:
//
//	rules.yaml: 3 rules, fallback: 1 message
//	  camp (line 5): contains: [训练营] -> link
//	  human (line 12): contains: [人工, 转人工] -> transfer
func (s *Set) Summary() string {
	var b strings.Builder
	fb := "none"
	if n := len(s.fallback); n > 0 {
		fb = plural(n, "message")
	}
	fmt.Fprintf(&b, "%s: %s, fallback: %s\n", s.name, plural(len(s.rules), "rule"), fb)
	for _, r := range s.Rules() {
		var what []string
		if r.Typing {
			what = append(what, "typing")
		}
		for _, k := range r.Replies {
			what = append(what, k.String())
		}
		if r.Transfer {
			what = append(what, "transfer")
		}
		fmt.Fprintf(&b, "  %s (line %d): %s -> %s\n", r.Name, r.Line, r.When, strings.Join(what, ", "))
	}
	for _, w := range s.warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// whenString renders a when's fields on one line, as written.
func whenString(fields []field) string {
	if len(fields) == 0 {
		return "{}"
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.key + ": " + flow(f.val)
	}
	return strings.Join(parts, ", ")
}

// flow renders a node in YAML flow style.
func flow(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		parts := make([]string, len(n.Content))
		for i, c := range n.Content {
			parts[i] = flow(c)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case yaml.MappingNode:
		parts := make([]string, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			parts = append(parts, n.Content[i].Value+": "+flow(n.Content[i+1]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	switch {
	case strings.ContainsAny(n.Value, "\n\r\t"):
		return fmt.Sprintf("%q", n.Value)
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 || strings.ContainsAny(n.Value, ",[]{}:#'\"") || n.Value == "":
		return "'" + strings.ReplaceAll(n.Value, "'", "''") + "'"
	}
	return n.Value
}
