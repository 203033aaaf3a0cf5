package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"relman/bot/blockkit"
	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// blockActions handles button clicks. A render.AskButton opens its form
// (submitAsk runs the command). A render.RunButton runs its command
// as the person who clicked, through the dispatcher, with that person's
// permissions, exactly as if typed. When the command succeeds the message
// is edited in place (its buttons replaced by who answered what) and the
// command's reply is shown to the clicker privately; when it fails only the
// clicker sees why, and the message keeps its buttons for someone who may.
// Slack wants the acknowledgement within three seconds: the command runs
// before it, the posts to the response_url after. A vote button
// (ActionVote) goes to Dispatcher.Action instead (see vote).
func (s *Slack) blockActions(ctx context.Context, ic *slack.InteractionCallback) Ack {
	for _, a := range ic.ActionCallback.BlockActions {
		a.ActionID = blockkit.ActionID(a.ActionID) // buttons sharing an id in one row carry "#N"
		if a.ActionID == ActionVote {
			s.vote(ctx, ic, a)
			continue
		}
		if ask, ok := render.AskForm(a.ActionID, a.Value); ok {
			s.openAsk(ic, a, ask)
			continue
		}
		command, ok := render.RunCommand(a.ActionID, a.Value)
		if !ok {
			s.log().Info("button not handled", "action", a.ActionID, "user", ic.User.ID)
			continue
		}
		req := commands.Request{User: ic.User.ID, Channel: ic.Channel.ID, Command: "/release", Text: command, Via: store.ViaSlack}
		if s.Users != nil {
			if loc, ok := s.Users.Cached(req.User); ok {
				req.Zone = loc
			}
		}
		reply := s.Dispatcher.Command(ctx, req)
		if ic.ResponseURL == "" {
			continue // a button outside a message (App Home): nothing to edit
		}
		note := fmt.Sprintf(":white_check_mark: <@%s> answered: %s", req.User, render.Escape(a.Text.Text))
		s.answer(pendingAsk{responseURL: ic.ResponseURL, text: ic.Message.Text, blocks: ic.Message.Blocks.BlockSet}, req.User, note, reply)
	}
	return Ack{}
}

// vote records a click on a vote button through the dispatcher before the
// click is acknowledged (so the vote is on disk when Slack hears back), and
// answers the voter privately in the background: through the message's
// response_url, which leaves the message as it is (the tally is edited in
// place by the outbox, from stored state), else with chat.postEphemeral.
func (s *Slack) vote(ctx context.Context, ic *slack.InteractionCallback, a *slack.BlockAction) {
	act := Action{User: ic.User.ID, ID: a.ActionID, Value: a.Value, Channel: ic.Channel.ID}
	if act.Channel == "" {
		act.Channel = ic.Container.ChannelID
	}
	if s.Users != nil {
		if loc, ok := s.Users.Cached(act.User); ok {
			act.Zone = loc
		}
	}
	reply := s.Dispatcher.Action(store.WithVia(ctx, store.ViaSlack), act)
	url := ic.ResponseURL
	s.background(func(ctx context.Context) {
		if url != "" {
			if err := slack.PostWebhookContext(ctx, url, webhook(reply.Doc)); err != nil {
				s.Metrics.slackError("response_url", errorCode(err))
				s.log().Warn("response_url failed for a vote", "user", act.User, "err", err)
			}
			return
		}
		if act.Channel == "" {
			return
		}
		if _, err := s.API.PostEphemeralContext(ctx, act.Channel, act.User,
			slack.MsgOptionText(blockkit.FallbackText(reply.Doc), false), slack.MsgOptionBlocks(blockkit.Blocks(reply.Doc, "")...)); err != nil {
			s.Metrics.slackError("chat.postEphemeral", errorCode(err))
			s.log().Warn("chat.postEphemeral failed for a vote", "user", act.User, "err", err)
		}
	})
}

// answer, in the background, edits the message a button was clicked in to
// show note instead of its buttons when reply is a success, then shows
// reply to the user privately; both through the message's response_url.
func (s *Slack) answer(p pendingAsk, user, note string, reply commands.Reply) {
	s.background(func(ctx context.Context) {
		if reply.OK() && len(p.blocks) > 0 {
			edit := &slack.WebhookMessage{ReplaceOriginal: true, Text: p.text,
				Blocks: &slack.Blocks{BlockSet: blockkit.Answered(p.blocks, note)}}
			if err := slack.PostWebhookContext(ctx, p.responseURL, edit); err != nil {
				s.Metrics.slackError("response_url", errorCode(err))
				s.log().Warn("editing the answered message failed", "user", user, "err", err)
			}
		}
		if err := slack.PostWebhookContext(ctx, p.responseURL, webhook(reply.Doc)); err != nil {
			s.Metrics.slackError("response_url", errorCode(err))
			s.log().Warn("response_url failed", "user", user, "err", err)
		}
	})
}

// pendingAsk is a message whose ask button opened a form: what submitAsk
// needs to edit it once the form is submitted (store.PendingAsk, decoded).
type pendingAsk struct {
	responseURL, text, label string
	blocks                   []slack.Block
}

// askMeta is an ask modal's private_metadata.
type askMeta struct {
	ID      string `json:"id"`      // of the pendingAsk
	Ask     string `json:"ask"`     // the button's value (render.ParseAsk)
	Channel string `json:"channel"` // where the button was clicked
	// Run and Date, in the preview step of a form, are the command the
	// preview showed and the date picked: submitting the step runs Run.
	Run  string `json:"run,omitempty"`
	Date string `json:"date,omitempty"`
}

// Pending asks are kept as long as a response_url works (30 minutes), and
// at most maxAsks of them; a form submitted later still runs its command,
// and its answer is shown privately instead of in the message.
const (
	askTTL  = 30 * time.Minute
	maxAsks = 1000
)

// pendingAskOf is what the form opened by button label of ic's message
// keeps of that message (putAsk).
func (s *Slack) pendingAskOf(id string, ic *slack.InteractionCallback, label string) (*store.PendingAsk, error) {
	blocks, err := json.Marshal(ic.Message.Blocks)
	if err != nil {
		return nil, err
	}
	return &store.PendingAsk{ID: id, ResponseURL: ic.ResponseURL, Text: ic.Message.Text, Label: label, Blocks: blocks, At: s.Clock.Now()}, nil
}

// putAsk remembers in the database the message whose ask button opened a
// form, so that the form's submission edits it on whichever replica it
// lands. When that fails the form still opens: its answer is then shown
// privately instead of in the message.
func (s *Slack) putAsk(ctx context.Context, a *store.PendingAsk, user string) {
	if err := s.Dispatcher.PutAsk(ctx, user, a, askTTL, maxAsks); err != nil {
		s.log().Warn("could not remember the message of a form; its answer will be shown privately", "user", user, "err", err)
	}
}

// takeAsk removes and returns the message whose button opened form id, if
// it is known and fresh.
func (s *Slack) takeAsk(ctx context.Context, id, user string) (pendingAsk, bool) {
	a, err := s.Dispatcher.TakeAsk(ctx, user, id, s.Clock.Now(), askTTL)
	if err != nil || a == nil {
		if err != nil {
			s.log().Warn("could not read the message of a form; its answer will be shown privately", "user", user, "err", err)
		}
		return pendingAsk{}, false
	}
	var blocks slack.Blocks
	if err := json.Unmarshal(a.Blocks, &blocks); err != nil {
		s.log().Warn("the message of a form does not decode; its answer will be shown privately", "user", user, "err", err)
		return pendingAsk{}, false
	}
	return pendingAsk{responseURL: a.ResponseURL, text: a.Text, label: a.Label, blocks: blocks.BlockSet}, true
}

// openAsk opens the form of an ask button with the click's trigger, which
// Slack honours for three seconds and once. If Slack refuses, the clicker
// is told privately what to type instead.
func (s *Slack) openAsk(ic *slack.InteractionCallback, a *slack.BlockAction, ask render.Ask) {
	id := newAskID()
	pending, perr := s.pendingAskOf(id, ic, a.Text.Text)
	meta, _ := json.Marshal(askMeta{ID: id, Ask: a.Value, Channel: ic.Channel.ID}) // strings: cannot fail
	view := blockkit.AskModal(ask.Title, ask.Date, ask.Reason, string(meta))
	if ask.Preview {
		view = blockkit.WithPreview(view)
	}
	trigger, url, user := ic.TriggerID, ic.ResponseURL, ic.User.ID
	s.background(func(ctx context.Context) {
		// Remembered before the form opens, off the acknowledgement's path.
		if perr != nil {
			s.log().Warn("could not remember the message of a form; its answer will be shown privately", "user", user, "err", perr)
		} else {
			s.putAsk(ctx, pending, user)
		}
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if _, err := s.API.OpenViewContext(ctx, trigger, view); err != nil {
			s.Metrics.slackError("views.open", errorCode(err))
			s.log().Warn("views.open failed for a button", "user", user, "err", err)
			if url == "" {
				return
			}
			typed := strings.NewReplacer("{date}", "<date>", "{reason}", "because <reason>").Replace(ask.Command)
			doc := store.Doc{Text: fmt.Sprintf(":warning: Slack did not open the form. Type `/release %s` instead.", render.Escape(typed))}
			doc.Sections = []store.Section{{Text: doc.Text}}
			if err := slack.PostWebhookContext(ctx, url, webhook(doc)); err != nil {
				s.log().Warn("response_url failed", "err", err)
			}
		}
	})
}

// submitAsk runs the command of a submitted ask form as the person who
// submitted it. A refusal is shown under the field it is about and keeps
// the form open; success closes it, edits the message the button was in
// and shows the reply privately.
//
// A form that offers a preview (render.Ask.Preview) and is submitted
// with "Preview first" ticked runs the command with "preview" instead,
// which saves nothing, and answers with response_action update: the same
// modal now shows what the command would do, and its submit button ("Move
// it") runs the command (submitPreviewed). A refused preview is shown
// under the field, as the refusal of the command itself would be.
func (s *Slack) submitAsk(ctx context.Context, ic *slack.InteractionCallback) Ack {
	v := blockkit.ParseAsk(ic.View)
	var meta askMeta
	var ask render.Ask
	err := json.Unmarshal([]byte(v.Metadata), &meta)
	if err == nil {
		ask, err = render.ParseAsk(meta.Ask)
	}
	if err != nil {
		s.log().Warn("ask form with bad metadata", "user", ic.User.ID, "err", err)
		return Ack{Body: blockkit.FieldErrors(map[string]string{blockkit.BlockAskDate: "This form is out of date: close it and click the button again."})}
	}
	if meta.Run != "" {
		return s.submitPreviewed(ctx, ic, meta, ask)
	}
	if v.Date == "" {
		return Ack{Body: blockkit.FieldErrors(map[string]string{blockkit.BlockAskDate: "Pick a date."})}
	}
	text, err := ask.Fill(v.Date, v.Reason)
	if err != nil {
		return Ack{Body: blockkit.FieldErrors(map[string]string{blockkit.BlockAskDate: store.ErrorMessage(err)})}
	}
	req := commands.Request{User: ic.User.ID, Channel: meta.Channel, Command: "/release", Text: text, Via: store.ViaSlack}
	if s.Users != nil {
		if loc, ok := s.Users.Cached(req.User); ok {
			req.Zone = loc
		}
	}
	preview := ask.Preview && v.Preview
	if preview {
		req.Text += " preview"
	}
	reply := s.Dispatcher.Command(ctx, req)
	if !reply.OK() {
		msg := formError(reply)
		field := blockkit.BlockAskDate
		if ask.Reason && reply.Err != nil && reply.Err.Field == "reason" {
			field = blockkit.BlockAskReason
		}
		return Ack{Body: blockkit.FieldErrors(map[string]string{field: msg})}
	}
	if preview {
		meta.Run, meta.Date = text, v.Date
		md, _ := json.Marshal(meta) // strings: cannot fail
		view := blockkit.PreviewModal(ask.Title, reply.Doc, submitLabel(reply.Doc), string(md))
		return Ack{Body: slack.NewUpdateViewSubmissionResponse(&view)}
	}
	return s.askAnswered(ctx, meta, req.User, v.Date, reply)
}

// submitPreviewed runs the command a form's preview step showed, checked
// against the state of now, not the preview's. Success closes the form
// and answers as submitAsk does; a refusal replaces the step with the
// refusal (the step has no field to show it under).
func (s *Slack) submitPreviewed(ctx context.Context, ic *slack.InteractionCallback, meta askMeta, ask render.Ask) Ack {
	req := commands.Request{User: ic.User.ID, Channel: meta.Channel, Command: "/release", Text: meta.Run, Via: store.ViaSlack}
	if s.Users != nil {
		if loc, ok := s.Users.Cached(req.User); ok {
			req.Zone = loc
		}
	}
	reply := s.Dispatcher.Command(ctx, req)
	if !reply.OK() {
		view := blockkit.RefusedModal(ask.Title, reply.Doc)
		return Ack{Body: slack.NewUpdateViewSubmissionResponse(&view)}
	}
	return s.askAnswered(ctx, meta, req.User, meta.Date, reply)
}

// submitLabel is the label of the first button of a preview (its "Move
// it"), the modal's submit; "Save" when it has none.
func submitLabel(doc store.Doc) string {
	if len(doc.Buttons) > 0 {
		return doc.Buttons[0].Text
	}
	return "Save"
}

// askAnswered closes a form whose command succeeded: it edits the message
// the form's button was in to say who answered what (date, YYYY-MM-DD)
// and shows the reply privately; when that message is no longer known,
// the reply goes as an ephemeral message in the form's channel.
func (s *Slack) askAnswered(ctx context.Context, meta askMeta, user, date string, reply commands.Reply) Ack {
	p, ok := s.takeAsk(ctx, meta.ID, user)
	if !ok {
		channel := meta.Channel
		s.background(func(ctx context.Context) {
			if channel == "" {
				return
			}
			if _, err := s.API.PostEphemeralContext(ctx, channel, user,
				slack.MsgOptionText(blockkit.FallbackText(reply.Doc), false), slack.MsgOptionBlocks(blockkit.Blocks(reply.Doc, "")...)); err != nil {
				s.Metrics.slackError("chat.postEphemeral", errorCode(err))
			}
		})
		return Ack{}
	}
	d, _ := store.ParseDate(date) // Fill parsed it
	note := fmt.Sprintf(":white_check_mark: <@%s> answered %s: %s", user, render.Escape(strings.TrimRight(p.label, "…. ")), d.Pretty())
	s.answer(p, user, note, reply)
	return Ack{}
}

func newAskID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
