package bot

import (
	"strings"

	"relman/commands"
)

var emoji = strings.NewReplacer(
	":white_check_mark:", "✓", ":x:", "✗", ":warning:", "⚠", ":package:", "▣",
	":arrow_right:", "→", ":rocket:", "⇧", ":no_entry_sign:", "⊘", ":link:", "⛓",
	":scissors:", "✂", ":calendar:", "·", ":bust_in_silhouette:", "☺",
	":rotating_light:", "‼", ":pencil2:", "✎", ":leftwards_arrow_with_hook:", "↩", ":wastebasket:", "⌫",
	":hourglass:", "⌛", ":zzz:", "☾", ":ballot_box_with_ballot:", "☐", ":tada:", "✶",
	":snowflake:", "❄",
	":handshake:", "⇄",
	":crystal_ball:", "◇", ":loudspeaker:", "»",
	":spiral_note_pad:", "☰", ":white_square:", "□", ":ballot_box_with_check:", "☑",
)

// PlainText renders mrkdwn for a terminal: commands.Plain, the one decoder
// of Slack's markup, turns mentions into @name and #channel, links into
// their label and address and decodes entities; common emoji become
// symbols.
func PlainText(mrkdwn string) string { return commands.Plain(emoji.Replace(mrkdwn)) }
