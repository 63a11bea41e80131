package push

import (
	"strconv"
	"strings"
	"unicode/utf16"
)

// maxDepth bounds the nesting the parsers accept inside a push (WeChat's are flat, with the
// odd list one or two levels down).
const maxDepth = 32

// parseJSON reads a JSON object whose top-level string and number members are push fields.
// Nested values are checked for well-formedness and skipped. It validates the whole document,
// so a body with trailing garbage is refused. Values without escapes are substrings of s.
func parseJSON(s string, i int, f *fields) error {
	p := jsonParser{s: s, i: i}
	if err := p.object(f); err != nil {
		return err
	}
	p.ws()
	if p.i != len(s) {
		return p.fail("data after the object")
	}
	return nil
}

type jsonParser struct {
	s string
	i int
}

func (p *jsonParser) fail(what string) error {
	return refuse(ErrMalformed, "JSON: "+what+" at byte "+strconv.Itoa(p.i))
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

// object parses the top-level object and hands its scalar members to f.
func (p *jsonParser) object(f *fields) error {
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return p.fail("expected {")
	}
	p.i++
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return nil
	}
	for {
		p.ws()
		k, err := p.str()
		if err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return p.fail("expected :")
		}
		p.i++
		p.ws()
		if p.i >= len(p.s) {
			return p.fail("unexpected end")
		}
		switch c := p.s[p.i]; {
		case c == '"':
			v, err := p.str()
			if err != nil {
				return err
			}
			f.set(k, v)
		case c == '-' || '0' <= c && c <= '9':
			v, err := p.number()
			if err != nil {
				return err
			}
			f.set(k, v)
		default:
			if err := p.skip(1); err != nil {
				return err
			}
		}
		p.ws()
		if p.i >= len(p.s) {
			return p.fail("unexpected end")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.fail("expected , or }")
		}
	}
}

// skip checks and passes over any JSON value.
func (p *jsonParser) skip(depth int) error {
	if depth > maxDepth {
		return p.fail("nested too deeply")
	}
	if p.i >= len(p.s) {
		return p.fail("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '"':
		_, err := p.str()
		return err
	case c == '-' || '0' <= c && c <= '9':
		_, err := p.number()
		return err
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '[' || c == '{':
		closer := byte(']')
		if c == '{' {
			closer = '}'
		}
		p.i++
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == closer {
			p.i++
			return nil
		}
		for {
			p.ws()
			if c == '{' {
				if _, err := p.str(); err != nil {
					return err
				}
				p.ws()
				if p.i >= len(p.s) || p.s[p.i] != ':' {
					return p.fail("expected :")
				}
				p.i++
				p.ws()
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.i >= len(p.s) {
				return p.fail("unexpected end")
			}
			if p.s[p.i] == closer {
				p.i++
				return nil
			}
			if p.s[p.i] != ',' {
				return p.fail("expected , or " + string(closer))
			}
			p.i++
		}
	}
	return p.fail("unexpected character")
}

func (p *jsonParser) literal(word string) error {
	if !strings.HasPrefix(p.s[p.i:], word) {
		return p.fail("bad literal")
	}
	p.i += len(word)
	return nil
}

// number returns a JSON number's text as it stands, so MsgId keeps every digit.
func (p *jsonParser) number() (string, error) {
	start := p.i
	s := p.s
	if s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(s) && '0' <= s[p.i] && s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(s) && s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return "", p.fail("bad number")
	}
	if p.i < len(s) && s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return "", p.fail("bad number")
		}
	}
	if p.i < len(s) && (s[p.i] == 'e' || s[p.i] == 'E') {
		p.i++
		if p.i < len(s) && (s[p.i] == '+' || s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return "", p.fail("bad number")
		}
	}
	return s[start:p.i], nil
}

// str parses a JSON string at p.i. Without escapes the result is a substring of the input;
// with them it is decoded into a new string.
func (p *jsonParser) str() (string, error) {
	s := p.s
	if p.i >= len(s) || s[p.i] != '"' {
		return "", p.fail("expected a string")
	}
	p.i++
	start := p.i
	end := strings.IndexByte(s[start:], '"')
	if end < 0 {
		return "", p.fail("unterminated string")
	}
	end += start
	if i := specialIndex(s[start:end]); i >= 0 {
		p.i = start + i
		if s[p.i] != '\\' {
			return "", p.fail("control character in a string")
		}
		p.i = start
		return p.unescape(start)
	}
	p.i = end + 1
	return s[start:end], nil
}

// specialIndex returns the index of the first backslash or control character in s, or -1.
// It tests eight bytes at a time: strings in a push are mostly long base64 runs.
func specialIndex(s string) int {
	const (
		ones   = 0x0101010101010101
		highs  = 0x8080808080808080
		bslash = 0x5C * ones
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte below 0x20, or equal to the backslash, sets its high bit in one of these.
		below := (x - 0x20*ones) &^ x
		y := x ^ bslash
		zero := (y - ones) &^ y
		if (below|zero)&highs != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '\\' {
			return i
		}
	}
	return -1
}

func (p *jsonParser) unescape(start int) (string, error) {
	s := p.s
	var b strings.Builder
	b.Grow(p.i - start + 16)
	b.WriteString(s[start:p.i])
	for p.i < len(s) {
		c := s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c < 0x20:
			return "", p.fail("control character in a string")
		case c != '\\':
			b.WriteByte(c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(s) {
			break
		}
		e := s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if strings.HasPrefix(s[p.i:], "\\u") {
					save := p.i
					p.i += 2
					if x, ok := p.hex4(); ok {
						r2 = x
					} else {
						p.i = save
					}
				}
				r = utf16.DecodeRune(r, r2)
			}
			b.WriteRune(r)
		default:
			return "", p.fail("bad escape")
		}
	}
	return "", p.fail("unterminated string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.s[p.i : p.i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	p.i += 4
	return r, true
}
