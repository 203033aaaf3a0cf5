package outbox

import (
	"relman/commands/render"
	"relman/store"
)

// unreachable are the Slack errors that mean relman cannot post in a
// release's channel until someone acts: its owner is told.
var unreachable = map[string]bool{"channel_not_found": true, "not_in_channel": true}

// noticeUnreachable queues, once per owner, channel and reason (the alert
// ledger remembers), a DM to the owner of each release whose news goes to
// channel, saying that Slack refused it (reason, its error code) and how to
// fix it. It returns how many DMs it queued.
func noticeUnreachable(tx *store.Tx, channel, reason string) (int, error) {
	rels, err := tx.Releases()
	if err != nil {
		return 0, err
	}
	byOwner := map[string][]store.Ref{}
	var owners []string
	for _, r := range rels {
		if r.Channel != channel || r.Owner == "" {
			continue
		}
		if byOwner[r.Owner] == nil {
			owners = append(owners, r.Owner)
		}
		byOwner[r.Owner] = append(byOwner[r.Owner], r.Ref)
	}
	n := 0
	for _, owner := range owners {
		first, err := tx.MarkSent("unreachable:" + channel + ":" + owner + ":" + reason)
		if err != nil {
			return n, err
		}
		if !first {
			continue
		}
		doc := render.ChannelUnreachable(channel, reason, byOwner[owner])
		if err := tx.Enqueue(&store.Message{Channel: owner, DM: true, Doc: doc}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
