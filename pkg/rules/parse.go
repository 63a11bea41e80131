package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/kefuhq/kefu/pkg/push"
)

// Keys of the file, a rule, when, schedule, and the reply items.
var (
	fileKeys     = []string{"version", "fallback", "rules"}
	ruleKeys     = []string{"name", "when", "reply", "typing", "transfer"}
	whenKeys     = []string{"exact", "contains", "prefix", "regex", "msg_type", "event", "session_from", "ignore_case", "schedule"}
	scheduleKeys = []string{"zone", "days", "hours", "outside"}
	itemKeys     = []string{"text", "image", "link", "miniprogrampage"}
	linkKeys     = []string{"title", "description", "url", "thumb_url"}
	pageKeys     = []string{"title", "pagepath", "thumb"}
	textKeys     = []string{"exact", "contains", "prefix", "regex"}
	msgTypes     = []string{push.TypeText, push.TypeImage, push.TypeMiniProgramPage, push.TypeEvent}
)

// WeChat's limits on what may be sent (reference/wechat-protocol.md §5).
const (
	// MaxAfterMessage is how many messages WeChat allows after a user message.
	MaxAfterMessage = 5
	// MaxAfterEnter is how many messages WeChat allows after the user enters the session.
	MaxAfterEnter = 2
	// MaxTextBytes is the longest text WeChat accepts, in bytes of UTF-8.
	MaxTextBytes = 2048
)

// FallbackName is Plan.Rule when the fallback answered. No rule may take this name.
const FallbackName = "fallback"

// Parse reads and validates a rules file and compiles it for matching. name is how problems
// refer to the file (a path, or a source with any secret redacted). It reads only data: it
// never contacts storage or the network.
//
// A file that breaks the contract gives an error of type *Problems listing every problem,
// which also matches ErrInvalid. Warnings (things that are allowed but likely wrong) do not
// fail; read them with (*Set).Warnings.
func Parse(name string, data []byte, opts Options) (*Set, error) {
	if opts.Source == "" {
		opts.Source = name
	}
	p := &parser{decoder: decoder{file: name}, opts: opts}
	set := p.parse(data)
	if len(p.problems) > 0 {
		slices.SortStableFunc(p.problems, func(a, b Problem) int { return a.Line - b.Line })
		return nil, &Problems{List: p.problems}
	}
	slices.SortStableFunc(p.warnings, func(a, b Problem) int { return a.Line - b.Line })
	set.warnings = p.warnings
	set.name = name
	set.source = opts.Source
	return set, nil
}

type parser struct {
	decoder
	opts Options
}

func (p *parser) parse(data []byte) *Set {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(1, "the file is empty: want version, fallback and rules")
		} else {
			p.syntax(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.syntax(err)
	default:
		p.errorf(extra.Line, "a second YAML document: the file holds one")
	}
	if len(doc.Content) == 0 {
		p.errorf(1, "the file is empty: want version, fallback and rules")
		return nil
	}
	root := doc.Content[0]
	if !p.noAlias(root) {
		return nil
	}
	fields, ok := p.mapping(root, "", fileKeys)
	if !ok {
		return nil
	}
	set := &Set{}
	version := false
	for _, f := range fields {
		switch f.key {
		case "version":
			version = true
			if f.val.Kind != yaml.ScalarNode || f.val.Value != "1" {
				p.errorf(f.val.Line, "version: want 1, got %s", quoteNode(f.val))
			}
		case "fallback":
			if isNull(f.val) || (f.val.Kind == yaml.SequenceNode && len(f.val.Content) == 0) {
				p.errorf(f.kline, "fallback: empty (remove it to send nothing to unmatched messages)")
				continue
			}
			replies, _ := p.replies(f.val, "fallback", nil, nil)
			if f.val.Kind == yaml.SequenceNode && len(f.val.Content) > MaxAfterMessage {
				p.errorf(f.kline, "fallback: %d reply items, but WeChat allows at most %d messages after a user message", len(f.val.Content), MaxAfterMessage)
			}
			set.fallback = replies
		case "rules":
			set.rules = p.rules(f.val)
		}
	}
	if !version {
		p.errorf(root.Line, "version: missing (write version: 1 at the top)")
	}
	if len(p.problems) > 0 {
		return nil
	}
	if err := set.compile(); err != nil {
		p.errorf(1, "%v", err)
		return nil
	}
	return set
}

// quoteNode shows a node's value in a message.
func quoteNode(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return fmt.Sprintf("%q", n.Value)
	}
	return describe(n)
}

func (p *parser) rules(n *yaml.Node) []*rule {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, "rules: want a list, got %s", describe(n))
		return nil
	}
	names := make(map[string]int)
	out := make([]*rule, 0, len(n.Content))
	var covered uint8 // user message types an earlier rule answers whatever they hold
	var coveredBy *rule
	for i, c := range n.Content {
		r := p.rule(c, i+1, names)
		if r == nil {
			continue
		}
		r.index = int32(len(out))
		out = append(out, r)
		if r.user != 0 && r.user&^covered == 0 && !r.events && coveredBy != nil {
			p.warnf(r.line, "rule %q never fires: rule %q (line %d) before it answers every message it could match", r.name, coveredBy.name, coveredBy.line)
		}
		if r.user != 0 && r.exact == nil && r.contains == nil && r.prefix == nil && r.regex == nil && r.sched == nil {
			covered |= r.user
			coveredBy = r
		}
	}
	return out
}

// ruleLabel names a rule in messages: by its name when it has a usable one, else by number.
func ruleLabel(n *yaml.Node, num int) string {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "name" && v.Kind == yaml.ScalarNode && v.Tag != "!!null" && v.Value != "" {
				return fmt.Sprintf("rule %q", v.Value)
			}
		}
	}
	return fmt.Sprintf("rule %d", num)
}

func (p *parser) rule(n *yaml.Node, num int, names map[string]int) *rule {
	label := ruleLabel(n, num)
	fields, ok := p.mapping(n, label, ruleKeys)
	if !ok {
		return nil
	}
	r := &rule{line: n.Line}
	var whenNode, replyNode *yaml.Node
	var replyLine, typingLine, transferLine int
	for _, f := range fields {
		switch f.key {
		case "name":
			s, good := p.str(f.val, label+": name")
			switch {
			case !good:
			case s == "":
				p.errorf(f.val.Line, "%s: name: empty", label)
			case s == FallbackName:
				p.errorf(f.val.Line, "%s: the name %q is reserved for the fallback", label, s)
			case names[s] != 0:
				p.errorf(f.val.Line, "%s: duplicate name (first at line %d)", label, names[s])
			default:
				names[s] = f.val.Line
				r.name = s
			}
		case "when":
			whenNode = f.val
			if isNull(whenNode) {
				p.errorf(f.kline, "%s: when: empty (write when: {} to match every user message)", label)
				whenNode = nil
				ok = false
			}
		case "reply":
			replyNode, replyLine = f.val, f.kline
		case "typing":
			r.typing, _ = p.boolean(f.val, label+": typing")
			typingLine = f.kline
		case "transfer":
			r.transfer, _ = p.boolean(f.val, label+": transfer")
			transferLine = f.kline
		}
	}
	if !hasKey(n, "name") {
		p.errorf(n.Line, "%s: missing name", label)
	}
	if !hasKey(n, "when") {
		p.errorf(n.Line, "%s: missing when (write when: {} to match every user message)", label)
	}
	if whenNode != nil && !p.when(whenNode, label, r) {
		ok = false
	}
	if replyNode != nil {
		r.replies, r.captures = p.replies(replyNode, label, r.regex, r.regexSrc)
	}
	items := 0 // reply items written, good or bad
	if replyNode != nil && replyNode.Kind == yaml.SequenceNode {
		items = len(replyNode.Content)
	}
	badReply := replyNode != nil && replyNode.Kind != yaml.SequenceNode && !isNull(replyNode)
	if items == 0 && !badReply && !r.transfer {
		line := n.Line
		if replyNode != nil {
			line = replyLine
		}
		p.errorf(line, "%s: nothing to do: give reply items or transfer: true", label)
	}
	if r.typing && items == 0 {
		p.errorf(typingLine, "%s: typing needs reply items", label)
	}
	if whenNode == nil || !ok {
		return r
	}
	// What the rule can fire on decides how many messages WeChat lets it send.
	fireUser := r.user != 0
	fireEnter := r.events && (r.eventNames == nil || slices.Contains(r.eventNames, push.EventUserEnterTempSession))
	fireOther := r.events && (r.eventNames == nil || slices.ContainsFunc(r.eventNames, func(e string) bool { return e != push.EventUserEnterTempSession }))
	r.limit = MaxAfterMessage
	if fireEnter {
		r.limit = MaxAfterEnter
	}
	if n := items; n > r.limit {
		if fireEnter {
			p.errorf(replyLine, "%s: %d reply items, but WeChat allows at most %d messages after the user enters the session (user_enter_tempsession)", label, n, r.limit)
		} else {
			p.errorf(replyLine, "%s: %d reply items, but WeChat allows at most %d messages after a user message", label, n, r.limit)
		}
	}
	if r.transfer && !fireUser {
		p.errorf(transferLine, "%s: transfer applies to user messages only, and this rule matches only events", label)
	}
	if fireOther && len(r.replies) > 0 {
		p.warnf(replyLine, "%s: events other than user_enter_tempsession give no permission to send: these replies succeed only within 48 hours of the user's last message", label)
	}
	return r
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func hasKey(n *yaml.Node, key string) bool {
	if n.Kind != yaml.MappingNode {
		return true // reported already
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}
