package push

import (
	"bytes"
	"strconv"
	"strings"
)

// field is one member of a message as WeChat writes it; num marks a bare number.
type field struct {
	name, value string
	num         bool
}

// messageFields lists the fields of m that are set, in WeChat's order.
func messageFields(m *Message) []field {
	fs := []field{
		{"ToUserName", m.ToUserName, false},
		{"FromUserName", m.FromUserName, false},
		{"CreateTime", strconv.FormatInt(m.CreateTime, 10), true},
		{"MsgType", m.MsgType, false},
	}
	add := func(name, value string) {
		if value != "" {
			fs = append(fs, field{name, value, false})
		}
	}
	add("Content", m.Content)
	add("PicUrl", m.PicURL)
	add("MediaId", m.MediaID)
	add("Title", m.Title)
	add("AppId", m.AppID)
	add("PagePath", m.PagePath)
	if m.MsgType == TypeMiniProgramPage {
		// WeChat sends these two even when empty.
		fs = append(fs, field{"ThumbUrl", m.ThumbURL, false}, field{"ThumbMediaId", m.ThumbMediaID, false})
	}
	add("Event", m.Event)
	if m.MsgType == TypeEvent && m.Event == EventUserEnterTempSession {
		fs = append(fs, field{"SessionFrom", m.SessionFrom, false})
	}
	if m.MsgID != "" {
		fs = append(fs, field{"MsgId", m.MsgID, isDigits(m.MsgID)})
	}
	return fs
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Encode writes m as WeChat writes a plaintext push: XML with string values in CDATA and
// numbers bare, or a flat JSON object with the same PascalCase keys. MsgID is written as a
// number when it is all digits (as in URL pushes) and as a string otherwise (CloudBase).
func Encode(m *Message, f Format) []byte {
	return encodeFields(messageFields(m), f)
}

func encodeFields(fs []field, f Format) []byte {
	var b bytes.Buffer
	if f == JSON {
		b.WriteByte('{')
		for i, fd := range fs {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, fd.name)
			b.WriteByte(':')
			if fd.num {
				b.WriteString(fd.value)
			} else {
				writeJSONString(&b, fd.value)
			}
		}
		b.WriteByte('}')
		return b.Bytes()
	}
	b.WriteString("<xml>")
	for _, fd := range fs {
		b.WriteByte('<')
		b.WriteString(fd.name)
		b.WriteByte('>')
		if fd.num {
			b.WriteString(fd.value)
		} else {
			writeCDATA(&b, fd.value)
		}
		b.WriteString("</")
		b.WriteString(fd.name)
		b.WriteByte('>')
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

// writeJSONString writes s as a JSON string: quotes, backslashes and control characters are
// escaped; HTML characters are not (text replies carry <a> links).
func writeJSONString(b *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// writeCDATA writes s in CDATA sections, splitting any "]]>" it holds across two sections.
func writeCDATA(b *bytes.Buffer, s string) {
	b.WriteString("<![CDATA[")
	b.WriteString(strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]>")
}
