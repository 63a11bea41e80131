package rules

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kefuhq/kefu/pkg/store"
)

// placeholder is a regex capture in a reply: {{0}} is the whole match, {{1}} the first group.
var placeholder = regexp.MustCompile(`\{\{([0-9]+)\}\}`)

// anchor and attr find the <a ...> tags of a text and their attributes.
var (
	anchor = regexp.MustCompile(`(?is)<a\s[^>]*>`)
	attr   = regexp.MustCompile(`(?s)([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
)

// replies reads a list of reply items. res are the rule's regexes (nil for the fallback and
// for rules without one), for checking captures. It reports whether any item uses a capture.
func (p *parser) replies(n *yaml.Node, label string, res []*regexp.Regexp, resSrc []string) ([]Reply, bool) {
	if isNull(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, "%s: reply: want a list of reply items, got %s", label, describe(n))
		return nil, false
	}
	out := make([]Reply, 0, len(n.Content))
	captures := false
	for i, c := range n.Content {
		what := fmt.Sprintf("%s: reply %d", label, i+1)
		r, capt, ok := p.item(c, what, res, resSrc)
		if ok {
			out = append(out, r)
			captures = captures || capt
		}
	}
	return out, captures
}

// item reads one reply item: a mapping with exactly one of text, image, link, miniprogrampage.
func (p *parser) item(n *yaml.Node, what string, res []*regexp.Regexp, resSrc []string) (Reply, bool, bool) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, "%s: want one of text, image, link or miniprogrampage (like text: 您好), got %s", what, describe(n))
		return Reply{}, false, false
	}
	fields, ok := p.mapping(n, what, itemKeys)
	if !ok {
		return Reply{}, false, false
	}
	if len(fields) == 0 {
		if len(n.Content) == 0 {
			p.errorf(n.Line, "%s: want one of text, image, link or miniprogrampage, got an empty mapping", what)
		}
		return Reply{}, false, false
	}
	if len(fields) > 1 {
		p.errorf(fields[1].kline, "%s: one item holds one of text, image, link or miniprogrampage, not both %s and %s (make them two items)", what, fields[0].key, fields[1].key)
		return Reply{}, false, false
	}
	f := fields[0]
	before := len(p.problems)
	var r Reply
	capt := false
	switch f.key {
	case "text":
		s, good := p.str(f.val, what+": text")
		if !good {
			break
		}
		r = Reply{Kind: Text, Text: s}
		p.checkText(s, f.val.Line, what)
		capt = p.checkCaptures(s, f.val.Line, what, res, resSrc)
	case "image":
		s, good := p.str(f.val, what+": image")
		if !good {
			break
		}
		src, err := store.Resolve(p.opts.Source, s)
		if err != nil {
			p.errorf(f.val.Line, "%s: image: %v", what, err)
			break
		}
		r = Reply{Kind: Image, Image: src}
	case "link":
		r.Kind = Link
		capt = p.link(f.val, f.kline, what+": link", &r.Link, res, resSrc)
	case "miniprogrampage":
		r.Kind = MiniProgramPage
		capt = p.page(f.val, f.kline, what+": miniprogrampage", &r.Page, res, resSrc)
	}
	return r, capt, len(p.problems) == before
}

// checkText checks a text reply's length and its mini-program links.
func (p *parser) checkText(s string, line int, what string) {
	if strings.TrimSpace(s) == "" {
		p.errorf(line, "%s: text is empty", what)
		return
	}
	if len(s) > MaxTextBytes {
		p.errorf(line, "%s: text is %d bytes, but WeChat allows at most %d", what, len(s), MaxTextBytes)
	}
	for _, tag := range anchor.FindAllString(s, -1) {
		attrs := make(map[string]string)
		for _, m := range attr.FindAllStringSubmatch(tag, -1) {
			attrs[strings.ToLower(m[1])] = m[2] + m[3]
		}
		appid, hasApp := attrs["data-miniprogram-appid"]
		path, hasPath := attrs["data-miniprogram-path"]
		switch {
		case !hasApp && !hasPath:
		case !hasApp:
			p.errorf(line, "%s: a link with data-miniprogram-path needs data-miniprogram-appid", what)
		case appid == "":
			p.errorf(line, "%s: a mini-program link has an empty data-miniprogram-appid", what)
		case !hasPath || path == "":
			p.errorf(line, "%s: the mini-program link to %s needs data-miniprogram-path (a page as in app.json)", what, appid)
		case p.opts.AppID != "" && appid != p.opts.AppID:
			p.warnf(line, "%s: the mini-program link goes to %s, not to this mini program (%s): WeChat opens only mini programs of the same owner or linked ones", what, appid, p.opts.AppID)
		}
	}
}

// checkCaptures checks the {{n}} of s against the rule's regexes: any of them may be the one
// that matched, so n must be within the groups of each. It reports whether s has any.
func (p *parser) checkCaptures(s string, line int, what string, res []*regexp.Regexp, resSrc []string) bool {
	ms := placeholder.FindAllStringSubmatch(s, -1)
	if len(ms) == 0 {
		return false
	}
	for _, m := range ms {
		if len(res) == 0 {
			if strings.HasPrefix(what, FallbackName+":") {
				p.errorf(line, "%s: %s: the fallback has no regex to capture from", what, m[0])
			} else {
				p.errorf(line, "%s: %s needs a regex in when", what, m[0])
			}
			return true
		}
		n, err := strconv.Atoi(m[1])
		for i, re := range res {
			if groups := re.NumSubexp(); err != nil || n > groups {
				p.errorf(line, "%s: %s is beyond the %d group(s) of regex %q", what, m[0], groups, resSrc[i])
				break
			}
		}
	}
	return true
}

func (p *parser) link(n *yaml.Node, kline int, what string, l *LinkCard, res []*regexp.Regexp, resSrc []string) bool {
	fields, ok := p.mapping(n, what, linkKeys)
	if !ok {
		return false
	}
	capt := false
	for _, f := range fields {
		s, good := p.str(f.val, what+": "+f.key)
		if !good {
			continue
		}
		switch f.key {
		case "title":
			l.Title = s
		case "description":
			l.Description = s
		case "url":
			l.URL = s
			if !httpURL(placeholder.ReplaceAllString(s, "0")) {
				p.errorf(f.val.Line, "%s: url %q is not an http(s) URL", what, s)
			} else if i := strings.Index(s, "{{"); i >= 0 && i < len(s)-len(pathAndAfter(s)) {
				p.errorf(f.val.Line, "%s: url %q: a capture cannot stand in the scheme or host", what, s)
			}
		case "thumb_url":
			l.ThumbURL = s
			if !httpURL(s) {
				p.errorf(f.val.Line, "%s: thumb_url %q is not an http(s) URL (WeChat downloads the thumbnail itself)", what, s)
			}
		}
		if f.key != "thumb_url" && p.checkCaptures(s, f.val.Line, what+": "+f.key, res, resSrc) {
			capt = true
		}
	}
	if strings.TrimSpace(l.Title) == "" {
		p.errorf(kline, "%s: missing title", what)
	}
	if l.URL == "" {
		p.errorf(kline, "%s: missing url", what)
	}
	if l.ThumbURL == "" {
		p.errorf(kline, "%s: missing thumb_url (a public http(s) image WeChat shows on the card)", what)
	}
	return capt
}

// pathAndAfter returns the path, query and fragment of URL s: the part where a capture may
// stand (a capture in the scheme or host would let a user's message choose the site).
func pathAndAfter(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return rest[i:]
	}
	return ""
}

func (p *parser) page(n *yaml.Node, kline int, what string, pg *PageCard, res []*regexp.Regexp, resSrc []string) bool {
	fields, ok := p.mapping(n, what, pageKeys)
	if !ok {
		return false
	}
	capt := false
	thumbGiven := false
	for _, f := range fields {
		s, good := p.str(f.val, what+": "+f.key)
		if !good {
			if f.key == "thumb" {
				thumbGiven = true
			}
			continue
		}
		switch f.key {
		case "title":
			pg.Title = s
		case "pagepath":
			pg.PagePath = s
		case "thumb":
			thumbGiven = true
			src, err := store.Resolve(p.opts.Source, s)
			if err != nil {
				p.errorf(f.val.Line, "%s: thumb: %v", what, err)
				continue
			}
			pg.Thumb = src
		}
		if f.key != "thumb" && p.checkCaptures(s, f.val.Line, what+": "+f.key, res, resSrc) {
			capt = true
		}
	}
	if strings.TrimSpace(pg.Title) == "" {
		p.errorf(kline, "%s: missing title", what)
	}
	if strings.TrimSpace(pg.PagePath) == "" {
		p.errorf(kline, "%s: missing pagepath", what)
	}
	if !thumbGiven {
		p.errorf(kline, "%s: missing thumb (an image source, like media/card.png)", what)
	}
	return capt
}

// httpURL reports whether s is an absolute http or https URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return (scheme == "http" || scheme == "https") && u.Host != ""
}
