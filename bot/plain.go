package bot

import (
	"regexp"
	"strings"
)

var (
	angleRE = regexp.MustCompile(`<([@#!]?)([^>|]*)(?:\|([^>]*))?>`)
	emoji   = strings.NewReplacer(
		":white_check_mark:", "✓", ":x:", "✗", ":warning:", "⚠", ":package:", "▣",
		":arrow_right:", "→", ":rocket:", "⇧", ":no_entry_sign:", "⊘", ":link:", "⛓",
		":scissors:", "✂", ":calendar:", "·", ":bust_in_silhouette:", "☺",
		":rotating_light:", "‼", ":pencil2:", "✎", ":leftwards_arrow_with_hook:", "↩", ":wastebasket:", "⌫",
	)
	unentity = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// PlainText renders mrkdwn for a terminal: mentions as @id and #channel,
// links as their label, entities decoded, common emoji as symbols.
func PlainText(mrkdwn string) string {
	s := angleRE.ReplaceAllStringFunc(mrkdwn, func(m string) string {
		g := angleRE.FindStringSubmatch(m)
		switch g[1] {
		case "@":
			return "@" + g[2]
		case "#":
			return "#" + g[2]
		case "!":
			return "@" + strings.TrimPrefix(g[2], "subteam^")
		}
		if g[3] != "" {
			return g[3]
		}
		return strings.TrimPrefix(g[2], "mailto:")
	})
	return unentity.Replace(emoji.Replace(s))
}
