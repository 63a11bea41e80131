package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks a YAML node tree and collects problems with their lines. It reads the tree
// itself, rather than unmarshalling into structs, so that every problem has a line and
// unknown or duplicate keys are found (yaml.v3 reports neither for nodes).
type decoder struct {
	file     string
	problems []Problem
	warnings []Problem
}

func (d *decoder) errorf(line int, format string, args ...any) {
	if line < 1 {
		line = 1
	}
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) warnf(line int, format string, args ...any) {
	if line < 1 {
		line = 1
	}
	d.warnings = append(d.warnings, Problem{File: d.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// yamlLine reads the line out of a yaml.v3 error ("yaml: line 3: ..."), or returns 1.
var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

func (d *decoder) syntax(err error) {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		msg = msg[len(m[0]):]
	}
	// yaml.v3 type errors list several lines; keep the first.
	msg, _, _ = strings.Cut(msg, "\n")
	d.errorf(line, "YAML: %s", msg)
}

// describe names the kind of a node for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!bool":
			return "true/false"
		case "!!int", "!!float":
			return "a number"
		}
		return "a string"
	}
	return "nothing"
}

// field is one key of a mapping.
type field struct {
	key   string
	kline int // the key's line
	val   *yaml.Node
}

// mapping checks that n is a mapping whose keys are all known and unique, and returns its
// fields in file order. what names n in messages ("rule \"camp\": when").
func (d *decoder) mapping(n *yaml.Node, what string, known []string) ([]field, bool) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, "%swant a mapping, got %s", prefix(what), describe(n))
		return nil, false
	}
	var out []field
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k.Line, "%swant a plain key, got %s", prefix(what), describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k.Line, "%sduplicate key %q (first at line %d)", prefix(what), k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		if !isKnown(k.Value, known) {
			d.errorf(k.Line, "%sunknown key %q%s", prefix(what), k.Value, didYouMean(k.Value, known))
			continue
		}
		out = append(out, field{key: k.Value, kline: k.Line, val: v})
	}
	return out, true
}

// noAlias refuses YAML aliases anywhere under n: expanding them could multiply a small file
// into a huge one, and a rules file gains nothing from them.
func (d *decoder) noAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		d.errorf(n.Line, "aliases (*%s) are not supported: write the value out", n.Value)
		return false
	}
	ok := true
	for _, c := range n.Content {
		ok = d.noAlias(c) && ok
	}
	return ok
}

func prefix(what string) string {
	if what == "" {
		return ""
	}
	return what + ": "
}

func isKnown(k string, known []string) bool {
	for _, s := range known {
		if k == s {
			return true
		}
	}
	return false
}

// str reads a scalar as the string written (numbers and booleans too: exact: [1] means "1").
func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n.Line, "%swant a string, got %s", prefix(what), describe(n))
		return "", false
	}
	return n.Value, true
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	}
	d.errorf(n.Line, "%swant true or false, got %s", prefix(what), describe(n))
	return false, false
}

// item is one string of a list, with its line.
type item struct {
	s    string
	line int
}

// strs reads a list of strings, or one string standing for a list of one.
func (d *decoder) strs(n *yaml.Node, what string) ([]item, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []item{{n.Value, n.Line}}, true
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, "%swant a string or a list of strings, got %s", prefix(what), describe(n))
		return nil, false
	}
	if len(n.Content) == 0 {
		d.errorf(n.Line, "%sempty list", prefix(what))
		return nil, false
	}
	out := make([]item, 0, len(n.Content))
	ok := true
	for _, c := range n.Content {
		s, good := d.str(c, what)
		if !good {
			ok = false
			continue
		}
		out = append(out, item{s, c.Line})
	}
	return out, ok
}

// didYouMean suggests the known key closest to a misspelt one, or returns "".
func didYouMean(k string, known []string) string {
	best, bestD := "", 0
	lk := strings.ToLower(k)
	for _, s := range known {
		dist := editDistance(lk, s)
		near := dist <= max(1, len(s)/3) || commonPrefix(lk, s) >= max(4, (len(s)+1)/2)
		if near && (best == "" || dist < bestD) {
			best, bestD = s, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Damerau-Levenshtein distance (optimal string alignment) over bytes:
// keys are ASCII, and a swap of two letters (contians) counts as one edit.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
