package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack"

	"relman/bot/blockkit"
	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// openCRModal answers the message shortcut "Raise change request": it
// opens the raise-a-CR modal prefilled from the message (its text as the
// title, the release guessed from the channel when exactly one planned
// release posts its news there). If Slack refuses the modal, the user is
// told privately through the shortcut's response_url.
func (s *Slack) openCRModal(ctx context.Context, ic *slack.InteractionCallback) Ack {
	from := store.Posted{Channel: ic.Channel.ID, TS: ic.Message.Timestamp}
	if t := ic.Message.ThreadTimestamp; t != "" && t != from.TS {
		from.Thread = t // a reply: the CR goes in its parent's thread
	}
	if commands.IsDM(from.Channel) {
		// relman is not in other people's DMs: the CR could never be posted.
		s.answerShortcut(ic, "relman can't post a change request in a direct message: use the shortcut on a message in a channel, or type `/ccb request <release> <title…>`.")
		return Ack{}
	}
	view := blockkit.CRRequestModal(from, s.Dispatcher.ReleaseInChannel(ctx, from.Channel), commands.TitleFrom(ic.Message.Text))
	s.background(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if _, err := s.API.OpenViewContext(ctx, ic.TriggerID, view); err != nil {
			s.Metrics.slackError("views.open", errorCode(err))
			s.log().Warn("views.open failed for the change request form", "user", ic.User.ID, "err", err)
			s.answerShortcut(ic, "Slack did not open the form in time; try the shortcut again, or type `/ccb request <release> <title…>`.")
		}
	})
	return Ack{}
}

// answerShortcut tells the user of a message shortcut privately, through
// its response_url, why nothing opened.
func (s *Slack) answerShortcut(ic *slack.InteractionCallback, text string) {
	if ic.ResponseURL == "" {
		return
	}
	doc := store.Doc{Text: ":x: " + text}
	doc.Sections = []store.Section{{Text: doc.Text}}
	s.background(func(ctx context.Context) {
		if err := slack.PostWebhookContext(ctx, ic.ResponseURL, webhook(doc)); err != nil {
			s.log().Warn("response_url failed", "err", err)
		}
	})
}

// submitCR raises the change request of a submitted raise-a-CR modal as a
// reply in the thread of the message it was opened from. Empty fields, and
// what /ccb request refuses (an unknown or shipped release, a bad
// deadline), are answered under the field they are about and the modal
// stays open; on success the modal closes and the requester hears
// privately where the CR went.
func (s *Slack) submitCR(ctx context.Context, ic *slack.InteractionCallback) Ack {
	f := blockkit.ParseCRRequest(ic.View)
	errs := map[string]string{}
	if f.Release == "" {
		errs[blockkit.BlockCRRelease] = "Enter the release, like payments@2.3.0."
	}
	if f.Title == "" {
		errs[blockkit.BlockCRTitle] = "Say what should change."
	}
	if f.From.Channel == "" || f.From.TS == "" {
		errs[blockkit.BlockCRTitle] = "This form lost the message it was opened from: cancel it and use the shortcut again."
	}
	if len(errs) > 0 {
		return Ack{Body: blockkit.FieldErrors(errs)}
	}
	// Form values are plain text; the grammar reads Slack-escaped text.
	text := "request " + f.Release + " " + render.Escape(f.Title)
	if f.Deadline != "" {
		text += " deadline " + f.Deadline
	}
	from := f.From
	reply := s.Dispatcher.Command(ctx, commands.Request{User: ic.User.ID, Channel: from.Channel, Command: "/ccb", Text: text, Thread: &from, Via: store.ViaSlack})
	if !reply.OK() {
		msg := formError(reply)
		return Ack{Body: blockkit.FieldErrors(map[string]string{crErrorField(reply): msg})}
	}
	s.background(func(ctx context.Context) {
		_, err := s.API.PostEphemeralContext(ctx, from.Channel, ic.User.ID,
			slack.MsgOptionText(blockkit.FallbackText(reply.Doc), false), slack.MsgOptionBlocks(blockkit.Blocks(reply.Doc, "")...))
		if err != nil {
			s.Metrics.slackError("chat.postEphemeral", errorCode(err))
		}
	})
	return Ack{}
}

// crErrorField is the block of the raise-a-CR modal a failed /ccb request
// is about: the field its error names (the deadline or the title), else
// the release (unknown, shipped, or its board has no members).
func crErrorField(reply commands.Reply) string {
	if reply.Err != nil {
		switch reply.Err.Field {
		case "deadline":
			return blockkit.BlockCRDeadline
		case "title":
			return blockkit.BlockCRTitle
		}
	}
	return blockkit.BlockCRRelease
}
