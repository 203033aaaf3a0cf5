package blockkit

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// ellipsis ends every text that had to be shortened.
const ellipsis = "…"

// entities are the only escapes Slack uses in mrkdwn (SLACK.md §1.3).
var entities = []string{"&amp;", "&lt;", "&gt;"}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// clipMrkdwn returns s unchanged if it has at most max runes. Otherwise it
// returns a prefix of s followed by "…", max runes at most in all. The prefix
// ends at a line break if there is one in its second half, so that a line's
// *bold* or `code` is not left open, and it never ends inside a <…> entity
// (a mention, channel or link) or an &amp;/&lt;/&gt; escape: a cut there
// would show the markup, or turn an escaped "&lt;!channel&gt;" back into
// something that looks like one.
func clipMrkdwn(s string, max int) string {
	n, cut := clipMrkdwnLen(s, max)
	if !cut {
		return s
	}
	return s[:n] + ellipsis
}

// clipMrkdwnLen says how clipMrkdwn shortens s: it keeps s[:n], and adds
// "…" if cut. It builds no string, so a caller that needs only part of the
// clipped text (Ephemeral's first line) does not copy the rest.
func clipMrkdwnLen(s string, max int) (n int, cut bool) {
	if len(s) <= max { // no more runes than bytes
		return len(s), false
	}
	i := byteOffset(s, max-1)
	if nextRune(s, i) >= len(s) { // max runes at most
		return len(s), false
	}
	kept := s[:i]
	if nl := strings.LastIndexByte(kept, '\n'); nl >= len(kept)/2 {
		kept = kept[:nl]
	}
	for {
		n := len(kept)
		if lt := strings.LastIndexByte(kept, '<'); lt > strings.LastIndexByte(kept, '>') {
			kept = kept[:lt]
		}
		if amp := strings.LastIndexByte(kept, '&'); amp >= 0 {
			for _, e := range entities {
				if strings.HasPrefix(s[amp:], e) && amp+len(e) > len(kept) {
					kept = kept[:amp]
					break
				}
			}
		}
		if len(kept) == n {
			break
		}
	}
	return len(strings.TrimRightFunc(kept, unicode.IsSpace)), true
}

// clipPlain returns s, or its first max-1 runes and "…" if it is longer
// than max runes. Plain text has no markup to keep whole.
func clipPlain(s string, max int) string {
	if len(s) <= max || utf8.RuneCountInString(s) <= max {
		return s
	}
	return strings.TrimRightFunc(s[:byteOffset(s, max-1)], unicode.IsSpace) + ellipsis
}

// byteOffset is the byte index of s's n-th rune (len(s) if it has fewer),
// counting runes as a range loop does: an invalid byte is one. Long texts
// are mostly ASCII, so it skips eight ASCII bytes at a time.
func byteOffset(s string, n int) int {
	i := 0
	for n > 0 && i < len(s) {
		if n >= 8 && i+8 <= len(s) && (s[i]|s[i+1]|s[i+2]|s[i+3]|s[i+4]|s[i+5]|s[i+6]|s[i+7]) < utf8.RuneSelf {
			i, n = i+8, n-8
			continue
		}
		i = nextRune(s, i)
		n--
	}
	return min(i, len(s))
}

// nextRune returns the index of the rune after the one at i (i at the end).
func nextRune(s string, i int) int {
	if i >= len(s) {
		return i
	}
	if s[i] < utf8.RuneSelf {
		return i + 1
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return i + size
}

// blank reports whether s would be an empty text object, which Slack rejects.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// lines counts the lines of s, for "…and N more not shown".
func lines(s string) int { return strings.Count(s, "\n") + 1 }

// mrkdwn is a verbatim mrkdwn text object: Slack shows the text as relman
// wrote it, and does not turn a user's "@here" or "#general" into a mention
// or link (SLACK.md §8.2).
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

// plain is a plain_text object in which :emoji: codes are shown as emoji.
func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}
