package commands

import (
	"regexp"
)

// dmChannelRE matches Slack's IDs of direct-message channels.
var dmChannelRE = regexp.MustCompile(`^D[A-Z0-9]{2,}$`)

// IsDM reports whether channel is a direct-message channel (Slack names
// them D followed by upper-case letters and digits), where the bot
// cannot post a release's news for others.
func IsDM(channel string) bool { return dmChannelRE.MatchString(channel) }

// checkNewsChannel refuses a direct-message channel as a release's news
// channel.
func checkNewsChannel(channel string) error {
	if IsDM(channel) {
		return invalid("a direct message can't be a release's news channel: name a channel the team reads, like #releases (and invite the bot there)")
	}
	return nil
}
