package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"relman/bot/blockkit"
	"relman/commands"
)

// blockActions handles button clicks. A commands.RunButton runs its command
// as the person who clicked, through the dispatcher, with that person's
// permissions, exactly as if typed. When the command succeeds the message
// is edited in place (its buttons replaced by who answered what) and the
// command's reply is shown to the clicker privately; when it fails only the
// clicker sees why, and the message keeps its buttons for someone who may.
// Slack wants the acknowledgement within three seconds: the command runs
// before it, the posts to the response_url after.
func (s *Slack) blockActions(ctx context.Context, ic *slack.InteractionCallback) Ack {
	for _, a := range ic.ActionCallback.BlockActions {
		command, ok := commands.RunCommand(a.ActionID, a.Value)
		if !ok {
			s.log().Info("button not handled", "action", a.ActionID, "user", ic.User.ID)
			continue
		}
		req := commands.Request{User: ic.User.ID, Channel: ic.Channel.ID, Command: "/release", Text: command}
		if s.Users != nil {
			if loc, ok := s.Users.Cached(req.User); ok {
				req.Zone = loc
			}
		}
		reply := s.Dispatcher.Command(ctx, req)
		if ic.ResponseURL == "" {
			continue // a button outside a message (App Home): nothing to edit
		}
		label := a.Text.Text
		blocks := ic.Message.Blocks.BlockSet
		url, user, text := ic.ResponseURL, ic.User.ID, ic.Message.Text
		s.background(func(ctx context.Context) {
			if reply.OK() && len(blocks) > 0 {
				note := fmt.Sprintf(":white_check_mark: <@%s> answered: %s", user, commands.Escape(label))
				edit := &slack.WebhookMessage{ReplaceOriginal: true, Text: text,
					Blocks: &slack.Blocks{BlockSet: blockkit.Answered(blocks, note)}}
				if err := slack.PostWebhookContext(ctx, url, edit); err != nil {
					s.Metrics.slackError("response_url", errorCode(err))
					s.log().Warn("editing the answered message failed", "user", user, "err", err)
				}
			}
			if err := slack.PostWebhookContext(ctx, url, webhook(reply.Doc)); err != nil {
				s.Metrics.slackError("response_url", errorCode(err))
				s.log().Warn("response_url failed", "user", user, "err", err)
			}
		})
	}
	return Ack{}
}
