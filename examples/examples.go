// Package examples holds kefu's bundled example rules and the media they send, embedded in
// the binary so that `make dev` and a fresh deployment work without a bucket.
//
// rules.yaml is a real set for a mini-program support team (in Chinese, like the users it
// serves) that uses every feature of the rules file: keywords (exact, contains, prefix,
// regex with a capture), ignore_case, the welcome on entering the session (by session_from,
// and generic), text with a mini-program link, a link card, images, mini-program cards,
// typing, the transfer to human agents, an out-of-hours schedule and the fallback. Its images
// are relative paths into media/, resolved against the rules file's own location: read
// through an embed:///rules.yaml source (a store given FS), media/card.png is
// embed:///media/card.png.
//
// The text links carry data-miniprogram-appid="wx0000000000kefu0" (DemoAppID), the AppID of
// the local demo; WeChat opens only this mini program's own pages from such a link, so a
// deployment copies the file and writes its own AppID there.
package examples

import "embed"

// FS holds rules.yaml and media/.
//
//go:embed rules.yaml media
var FS embed.FS

// RulesPath is the path of the example rules in FS.
const RulesPath = "rules.yaml"

// Source is the source of the example rules for a store whose embedded file system is FS.
const Source = "embed:///" + RulesPath

// DemoAppID is the AppID of the local demo (make dev), which the example rules' mini-program
// links name.
const DemoAppID = "wx0000000000kefu0"
