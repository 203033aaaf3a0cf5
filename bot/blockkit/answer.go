package blockkit

import "github.com/slack-go/slack"

// Answered returns the blocks that replace a message whose button was
// clicked: the message's blocks without its buttons (actions blocks), so it
// cannot be answered twice, then a context block with note (verbatim
// mrkdwn the caller escaped), so everyone who sees the message sees that it
// was answered and how. It keeps Slack's 50-block limit by dropping the
// last blocks before the note.
func Answered(original []slack.Block, note string) []slack.Block {
	out := make([]slack.Block, 0, len(original)+1)
	for _, b := range original {
		if b.BlockType() != slack.MBTAction {
			out = append(out, b)
		}
	}
	if len(out) >= maxMessageBlocks {
		out = out[:maxMessageBlocks-1]
	}
	return append(out, contextBlock(clipMrkdwn(note, maxText)))
}
