// Package rules reads, checks and matches kefu's rules file: which replies a customer-service
// message gets (DESIGN.md, "Rules file", is the contract).
//
// Parse reads a file, validates it strictly and compiles it into a Set; a file that breaks the
// contract gives a *Problems error listing every problem as "file:line: what". Set.Match
// returns the Plan for one message: the first rule in file order whose when holds, the
// fallback, or nothing. A Loader keeps a Set in service and reloads it when its file changes,
// inline and without background goroutines.
//
// # Decisions the contract leaves open
//
// When:
//   - Every list-valued key (exact, contains, prefix, regex, msg_type, event, session_from,
//     and a schedule's days and hours) also takes one scalar. Scalars are read as written:
//     exact: [1] means the text "1". Empty lists and empty strings are errors.
//   - A rule must have a when. when: {} is allowed and matches every user message (all types),
//     which makes a catch-all explicit; a bare "when:" is an error.
//   - Events get nothing unless a rule names them: a rule answers events only through
//     msg_type: event, event or session_from. Rules without any of these (when: {}, a
//     schedule, msg_type: image, ...) match user messages only.
//   - Text keys imply msg_type text; event implies msg_type event; session_from implies the
//     event user_enter_tempsession. An explicit msg_type must then be exactly the implied one,
//     an event list exactly [user_enter_tempsession]; text keys and event keys in one rule
//     contradict each other. msg_type takes text, image, miniprogrampage and event; a rule
//     without msg_type that matches user messages also matches the types WeChat may add.
//   - ignore_case applies Unicode simple case folding (fold.go) to exact, contains, prefix and
//     session_from, and (?i) to regex. On a rule with none of these it is a warning.
//
// Replies:
//   - A rule has reply items, transfer: true, or both. Both is allowed and useful ("正在为您
//     转接人工客服" and then the transfer): the items are sent through the API, and the push is
//     then answered with transfer_customer_service. A Plan never transfers an event (WeChat
//     transfers user messages only); a rule that matches only events cannot have transfer.
//   - typing: true needs reply items. Typing is not a message and is not counted.
//   - A rule that can fire on a user message sends at most 5 items; on user_enter_tempsession
//     at most 2 (the smaller limit wins when it can fire on both); the fallback at most 5.
//     Other events give no permission to send at all: such a rule is allowed (up to 5 items)
//     with a warning, since its sends succeed only within 48 hours of the user's last message.
//   - Captures: {{n}} (n digits) is group n of the first of the rule's regexes, in list order,
//     that matches; {{0}} is the whole match; a group that did not take part is empty. Other
//     brace forms are plain text. Captures are substituted in text, link title, description
//     and url, and mini-program card title and pagepath; in url and pagepath they are escaped
//     with url.QueryEscape, and a capture may not stand in a url's scheme or host. Image
//     sources and thumbnails never take captures: they are fetched by kefu. A text that
//     grows past 2048 bytes through a capture is cut at a character boundary.
//   - Text is at most 2048 bytes of UTF-8 as written. A mini-program link in a text needs
//     both data-miniprogram-appid and data-miniprogram-path; an AppID other than
//     Options.AppID is a warning.
//   - A link card needs a title, an http(s) url and a thumb_url (WeChat's send API requires
//     all three; description may be empty). thumb_url is an absolute http(s) URL: WeChat
//     downloads it itself, so kefu never reads it and a relative image source would mean
//     nothing there. A mini-program card needs title, pagepath and
//     thumb (an image source, resolved like image).
//   - The name "fallback" is reserved (it is Plan.Rule for the fallback).
//
// Files:
//   - YAML aliases are refused (they could multiply a small file into a huge one), and so are
//     duplicate keys, unknown keys (with a "did you mean" for near misspellings), a second
//     document, and a version other than 1. rules may be missing or empty; the fallback is
//     optional (without it unmatched messages get nothing).
//   - Problems are sorted by line. Their message names the rule ("rule \"camp\": ...", or
//     "rule 3" while it has no usable name) and the key.
//
// # Matching cost
//
// Matching does not grow with the number of keyword rules: see compile.go for the index
// (maps for exact and session_from, Aho-Corasick automata for contains and prefix) and why
// github.com/coregx/ahocorasick. Rules no index covers (regex, msg_type, schedule and event
// rules) are tried in order, and only those before the best keyword rule found.
package rules
