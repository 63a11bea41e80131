package push

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseXML reads a push in WeChat's XML shape: one root element (WeChat's is <xml>) whose child
// elements are the fields, each holding text, CDATA sections or both. A child that holds
// elements of its own (a list, say) is checked for well-formedness and skipped. Declarations,
// comments and processing instructions are allowed where XML allows them; a DOCTYPE is refused.
// Values made of one CDATA section or of text without entities are substrings of s.
func parseXML(s string, i int, f *fields) error {
	p := xmlParser{s: s, i: i}
	if err := p.misc(); err != nil {
		return err
	}
	root, empty, err := p.startTag()
	if err != nil {
		return err
	}
	if !empty {
		for {
			if err := p.skipSpaceAndMarkup(); err != nil {
				return err
			}
			if p.i >= len(s) {
				return p.fail("unterminated <" + root + ">")
			}
			if s[p.i] != '<' {
				return p.fail("text directly inside <" + root + ">")
			}
			if strings.HasPrefix(s[p.i:], "</") {
				if err := p.endTag(root); err != nil {
					return err
				}
				break
			}
			name, empty, err := p.startTag()
			if err != nil {
				return err
			}
			if empty {
				f.set(name, "")
				continue
			}
			v, simple, err := p.content(name, 1)
			if err != nil {
				return err
			}
			if simple {
				f.set(name, v)
			}
		}
	}
	if err := p.misc(); err != nil {
		return err
	}
	if p.i != len(s) {
		return p.fail("data after the root element")
	}
	return nil
}

type xmlParser struct {
	s string
	i int
}

func (p *xmlParser) fail(what string) error {
	return refuse(ErrMalformed, "XML: "+what+" at byte "+strconv.Itoa(p.i))
}

// misc skips white space, the XML declaration, comments and processing instructions.
func (p *xmlParser) misc() error {
	for {
		for p.i < len(p.s) && isSpace(p.s[p.i]) {
			p.i++
		}
		rest := p.s[p.i:]
		switch {
		case strings.HasPrefix(rest, "<?"):
			if err := p.skipPast("?>"); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<!--"):
			if err := p.skipPast("-->"); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<!"):
			return p.fail("DOCTYPE and declarations are not accepted")
		default:
			return nil
		}
	}
}

// skipSpaceAndMarkup skips white space, comments and processing instructions between elements.
func (p *xmlParser) skipSpaceAndMarkup() error {
	for {
		for p.i < len(p.s) && isSpace(p.s[p.i]) {
			p.i++
		}
		rest := p.s[p.i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			if err := p.skipPast("-->"); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<?"):
			if err := p.skipPast("?>"); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

func (p *xmlParser) skipPast(end string) error {
	j := strings.Index(p.s[p.i:], end)
	if j < 0 {
		return p.fail("unterminated markup")
	}
	p.i += j + len(end)
	return nil
}

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func isNameByte(c byte) bool {
	return isNameStart(c) || '0' <= c && c <= '9' || c == '-' || c == '.'
}

func (p *xmlParser) name() (string, error) {
	start := p.i
	if p.i >= len(p.s) || !isNameStart(p.s[p.i]) {
		return "", p.fail("expected a name")
	}
	for p.i < len(p.s) && isNameByte(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i], nil
}

// startTag parses <name attr="v" ...> or <name/> at p.i.
func (p *xmlParser) startTag() (name string, empty bool, err error) {
	if p.i >= len(p.s) || p.s[p.i] != '<' {
		return "", false, p.fail("expected an element")
	}
	p.i++
	if name, err = p.name(); err != nil {
		return "", false, err
	}
	for {
		sp := p.i
		for p.i < len(p.s) && isSpace(p.s[p.i]) {
			p.i++
		}
		if p.i >= len(p.s) {
			return "", false, p.fail("unterminated tag")
		}
		switch p.s[p.i] {
		case '>':
			p.i++
			return name, false, nil
		case '/':
			if p.i+1 < len(p.s) && p.s[p.i+1] == '>' {
				p.i += 2
				return name, true, nil
			}
			return "", false, p.fail("bad tag end")
		}
		if p.i == sp {
			return "", false, p.fail("expected space before an attribute")
		}
		if _, err := p.name(); err != nil {
			return "", false, err
		}
		for p.i < len(p.s) && isSpace(p.s[p.i]) {
			p.i++
		}
		if p.i >= len(p.s) || p.s[p.i] != '=' {
			return "", false, p.fail("expected = in an attribute")
		}
		p.i++
		for p.i < len(p.s) && isSpace(p.s[p.i]) {
			p.i++
		}
		if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\'') {
			return "", false, p.fail("expected a quoted attribute value")
		}
		q := p.s[p.i]
		j := strings.IndexByte(p.s[p.i+1:], q)
		if j < 0 {
			return "", false, p.fail("unterminated attribute value")
		}
		if strings.IndexByte(p.s[p.i+1:p.i+1+j], '<') >= 0 {
			return "", false, p.fail("< in an attribute value")
		}
		p.i += j + 2
	}
}

// endTag parses </name> and checks that it closes the element named want.
func (p *xmlParser) endTag(want string) error {
	p.i += 2
	got, err := p.name()
	if err != nil {
		return err
	}
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
	if p.i >= len(p.s) || p.s[p.i] != '>' {
		return p.fail("bad end tag")
	}
	p.i++
	if got != want {
		return p.fail("</" + got + "> closes <" + want + ">")
	}
	return nil
}

// content reads the inside of the element name up to and including its end tag. simple is
// false when the element holds child elements: its value is then skipped.
func (p *xmlParser) content(name string, depth int) (v string, simple bool, err error) {
	if depth > maxDepth {
		return "", false, p.fail("nested too deeply")
	}
	s := p.s
	simple = true
	var b strings.Builder
	pieces := 0 // the number of pieces in v; from the second on, b holds the value
	add := func(piece string) {
		switch pieces {
		case 0:
			v = piece
		case 1:
			b.WriteString(v)
			b.WriteString(piece)
		default:
			b.WriteString(piece)
		}
		pieces++
	}
	for {
		if p.i >= len(s) {
			return "", false, p.fail("unterminated <" + name + ">")
		}
		rest := s[p.i:]
		switch {
		case strings.HasPrefix(rest, "<![CDATA["):
			j := strings.Index(rest, "]]>")
			if j < 0 {
				return "", false, p.fail("unterminated CDATA")
			}
			add(rest[len("<![CDATA["):j])
			p.i += j + len("]]>")
		case strings.HasPrefix(rest, "<!--"):
			if err := p.skipPast("-->"); err != nil {
				return "", false, err
			}
		case strings.HasPrefix(rest, "<?"):
			if err := p.skipPast("?>"); err != nil {
				return "", false, err
			}
		case strings.HasPrefix(rest, "</"):
			if err := p.endTag(name); err != nil {
				return "", false, err
			}
			if !simple {
				return "", false, nil
			}
			if pieces > 1 {
				v = b.String()
			}
			return v, true, nil
		case rest[0] == '<':
			child, empty, err := p.startTag()
			if err != nil {
				return "", false, err
			}
			simple = false
			if !empty {
				if _, _, err := p.content(child, depth+1); err != nil {
					return "", false, err
				}
			}
		default:
			j := strings.IndexByte(rest, '<')
			if j < 0 {
				j = len(rest)
			}
			text := rest[:j]
			if strings.IndexByte(text, '&') >= 0 {
				dec, err := p.entities(text)
				if err != nil {
					return "", false, err
				}
				text = dec
			} else if strings.Contains(text, "]]>") {
				return "", false, p.fail("]]> in text")
			}
			add(text)
			p.i += j
		}
	}
}

// entities decodes the five predefined entities and character references in text.
func (p *xmlParser) entities(text string) (string, error) {
	var b strings.Builder
	b.Grow(len(text))
	for len(text) > 0 {
		j := strings.IndexByte(text, '&')
		if j < 0 {
			b.WriteString(text)
			break
		}
		b.WriteString(text[:j])
		text = text[j:]
		semi := strings.IndexByte(text, ';')
		if semi < 0 {
			return "", p.fail("unterminated entity")
		}
		ent := text[1:semi]
		text = text[semi+1:]
		switch ent {
		case "lt":
			b.WriteByte('<')
		case "gt":
			b.WriteByte('>')
		case "amp":
			b.WriteByte('&')
		case "apos":
			b.WriteByte('\'')
		case "quot":
			b.WriteByte('"')
		default:
			if len(ent) < 2 || ent[0] != '#' {
				return "", p.fail("unknown entity &" + ent + ";")
			}
			var n uint64
			var err error
			if ent[1] == 'x' {
				n, err = strconv.ParseUint(ent[2:], 16, 32)
			} else {
				n, err = strconv.ParseUint(ent[1:], 10, 32)
			}
			if err != nil || n == 0 || n > utf8.MaxRune || (0xD800 <= n && n <= 0xDFFF) {
				return "", p.fail("bad character reference")
			}
			b.WriteRune(rune(n))
		}
	}
	return b.String(), nil
}
