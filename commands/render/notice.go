package render

import (
	"fmt"

	"relman/store"
)

// ChannelUnreachable is the DM that tells a release owner that Slack refused
// a post to channel, the news channel of their releases refs, with Slack's
// error code reason (channel_not_found, not_in_channel): what happened, why,
// and the two ways to fix it.
func ChannelUnreachable(channel, reason string, refs []store.Ref) store.Doc {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = Bold(r)
	}
	news := "the news of " + AndList(names)
	example := "&lt;release&gt;"
	if len(refs) == 1 {
		example = refs[0].String()
	}
	b := NewDoc("")
	b.Section(fmt.Sprintf(":warning: relman can't post %s in %s: %s.", news, ChannelRef(channel), unreachableWhy(reason)))
	b.Section(fmt.Sprintf("To fix it, invite relman to the channel with `/invite @relman`, or send the news somewhere else with `/release set %s channel #other`.", example))
	b.Context("What could not be posted there is not sent again. You get this note once for this channel.")
	return b.Build()
}

// unreachableWhy says a Slack refusal in words.
func unreachableWhy(reason string) string {
	switch reason {
	case "not_in_channel":
		return "relman is not a member of that channel (Slack: `not_in_channel`)"
	case "channel_not_found":
		return "Slack can't find the channel for relman: it was deleted, or it is private and relman was never invited (Slack: `channel_not_found`)"
	}
	return "Slack refused the post (`" + Escape(reason) + "`)"
}
