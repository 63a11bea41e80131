package push

import "strconv"

// fields collects what the parsers find in a push body: the message fields and, for encrypted
// and compatible pushes, the Encrypt field.
type fields struct {
	m          Message
	createTime string
	encrypt    string
	hasEncrypt bool

	// The members of an encrypted answer (the simulator reads them).
	msgSignature, timeStamp, nonce string
}

// set records one top-level field, a string or the text of a number. Unknown fields are
// ignored (Raw keeps them).
func (f *fields) set(key, val string) {
	switch key {
	case "ToUserName":
		f.m.ToUserName = val
	case "FromUserName":
		f.m.FromUserName = val
	case "CreateTime":
		f.createTime = val
	case "MsgType":
		f.m.MsgType = val
	case "MsgId":
		f.m.MsgID = val
	case "Content":
		f.m.Content = val
	case "PicUrl":
		f.m.PicURL = val
	case "MediaId":
		f.m.MediaID = val
	case "Title":
		f.m.Title = val
	case "AppId":
		f.m.AppID = val
	case "PagePath":
		f.m.PagePath = val
	case "ThumbUrl":
		f.m.ThumbURL = val
	case "ThumbMediaId":
		f.m.ThumbMediaID = val
	case "Event":
		f.m.Event = val
	case "SessionFrom":
		f.m.SessionFrom = val
	case "Encrypt":
		f.encrypt = val
		f.hasEncrypt = true
	case "MsgSignature":
		f.msgSignature = val
	case "TimeStamp":
		f.timeStamp = val
	case "Nonce":
		f.nonce = val
	}
}

// finish checks the fields a message needs and converts the numeric ones.
func (f *fields) finish() error {
	if f.m.MsgType == "" {
		return refuse(ErrMalformed, "no MsgType")
	}
	if f.m.FromUserName == "" {
		return refuse(ErrMalformed, "no FromUserName")
	}
	if f.m.ToUserName == "" {
		return refuse(ErrMalformed, "no ToUserName")
	}
	if f.createTime != "" {
		t, err := strconv.ParseInt(trimSpace(f.createTime), 10, 64)
		if err != nil || t < 0 {
			return refuse(ErrMalformed, "CreateTime is not a number of seconds")
		}
		f.m.CreateTime = t
	}
	if f.m.MsgID != "" {
		f.m.MsgID = trimSpace(f.m.MsgID)
	}
	return nil
}

func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// sniff tells the format from the first byte that is not white space (or a UTF-8 byte-order
// mark), never from Content-Type, which WeChat is known to get wrong.
func sniff(s string) (Format, int, bool) {
	i := 0
	if len(s) >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF {
		i = 3
	}
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i == len(s) {
		return 0, i, false
	}
	switch s[i] {
	case '{':
		return JSON, i, true
	case '<':
		return XML, i, true
	}
	return 0, i, false
}

// parseBody parses a push body or a decrypted message in either format.
func parseBody(s string, f *fields) (Format, error) {
	format, start, ok := sniff(s)
	if !ok {
		return 0, refuse(ErrMalformed, "body is neither XML nor JSON")
	}
	var err error
	if format == JSON {
		err = parseJSON(s, start, f)
	} else {
		err = parseXML(s, start, f)
	}
	f.m.Format = format
	return format, err
}
