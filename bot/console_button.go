package bot

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// consoleButtons are the buttons of the messages the console printed, so
// :click can press them as Slack would.
type consoleButtons struct {
	msgs []buttonMessage // in the order printed
}

// buttonMessage is a printed message that carries buttons.
type buttonMessage struct {
	channel string // a channel, or the user a DM went to
	dm      bool
	buttons []store.Button
	used    bool // answered: Slack would have replaced its buttons
}

// note records m's buttons, if it has any.
func (b *consoleButtons) note(m *store.Message) {
	if len(m.Doc.Buttons) > 0 {
		b.msgs = append(b.msgs, buttonMessage{channel: m.Channel, dm: m.DM, buttons: m.Doc.Buttons})
	}
}

// find returns the newest unanswered message user can see (a DM to them,
// or a channel post) with a button whose label starts with label (any
// case; a trailing "…" need not be typed), and that button.
func (b *consoleButtons) find(user, label string) (*buttonMessage, store.Button, bool) {
	label = strings.ToLower(strings.TrimRight(label, "…. "))
	for i := len(b.msgs) - 1; i >= 0; i-- {
		m := &b.msgs[i]
		if m.used || (m.dm && m.channel != user) {
			continue
		}
		for _, bt := range m.buttons {
			if strings.HasPrefix(strings.ToLower(bt.Text), label) {
				return m, bt, true
			}
		}
	}
	return nil, store.Button{}, false
}

// buttonsLine shows a message's buttons under it: "[Yes, committed] [Propose another date…]".
func buttonsLine(bs []store.Button) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = "[" + b.Text + "]"
	}
	return strings.Join(parts, " ")
}

const clickUsage = `usage: :click CR-N approve|reject|abstain, or :click <button> for a button on a message to you
(<button> is the start of its label, in quotes when it has spaces: :click "Yes, committed"); a button that opens
a form takes its answers after it: :click "Propose another date" 2027-01-25 because <reason>`

// clickButton handles ":click <label> [<date> [because <reason…>]]": the
// current user presses the newest button with that label on a message
// they can see, as in Slack (bot/action.go): a RunButton runs its command
// as them; an AskButton fills its form with the date and reason given and
// runs it. On success the message's buttons give way to who answered
// what, as Slack's edit of the message would show.
func (c *Console) clickButton(ctx context.Context, arg string) error {
	label, rest := arg, ""
	if strings.HasPrefix(arg, `"`) {
		end := strings.Index(arg[1:], `"`)
		if end < 0 {
			fmt.Fprintln(c.Out, clickUsage)
			return nil
		}
		label, rest = arg[1:end+1], strings.TrimSpace(arg[end+2:])
	}
	sender, _ := c.Outbox.Sender.(*consoleSender)
	if label == "" || sender == nil {
		fmt.Fprintln(c.Out, clickUsage)
		return nil
	}
	var m *buttonMessage
	var button store.Button
	var ok bool
	if strings.HasPrefix(arg, `"`) {
		m, button, ok = sender.buttons.find(c.User, label)
	} else {
		// Unquoted, the label is the most words that start one
		// (:click Still on), and the rest are the form's answers.
		words := strings.Fields(arg)
		for n := len(words); n > 0 && !ok; n-- {
			label, rest = strings.Join(words[:n], " "), strings.Join(words[n:], " ")
			m, button, ok = sender.buttons.find(c.User, label)
		}
		if !ok {
			label = words[0]
		}
	}
	if !ok {
		fmt.Fprintf(c.Out, "No button %q on a message to @%s.\n", label, c.User)
		return nil
	}
	command, note := "", ""
	if ask, ok := render.AskForm(button.ActionID, button.Value); ok {
		date, why, _ := strings.Cut(rest, " ")
		why = strings.TrimSpace(why)
		why = strings.TrimSpace(strings.TrimPrefix(why, "because"))
		if date == "" {
			example := cmp.Or(ask.Date, "2027-01-25")
			if ask.Reason {
				example += " because <reason>"
			}
			fmt.Fprintf(c.Out, "%q opens a form: give its answers, like :click %q %s.\n", button.Text, strings.TrimRight(button.Text, "…. "), example)
			return nil
		}
		d, err := store.ParseDate(date)
		if err != nil {
			fmt.Fprintln(c.Out, store.ErrorMessage(err))
			return nil
		}
		if command, err = ask.Fill(date, why); err != nil {
			fmt.Fprintln(c.Out, store.ErrorMessage(err))
			return nil
		}
		note = fmt.Sprintf("✓ @%s answered %s: %s", c.User, strings.TrimRight(button.Text, "…. "), d.Pretty())
	} else if command, ok = render.RunCommand(button.ActionID, button.Value); ok {
		if rest != "" {
			fmt.Fprintf(c.Out, "%q takes no answers; type :click %q.\n", button.Text, button.Text)
			return nil
		}
		note = fmt.Sprintf("✓ @%s answered: %s", c.User, button.Text)
	} else {
		fmt.Fprintf(c.Out, "%q is not a button the console can press.\n", button.Text)
		return nil
	}
	reply := c.Dispatcher.Command(ctx, commands.Request{User: c.User, Channel: c.Channel, Command: "/release", Text: command, Zone: c.Zones[c.User], Via: store.ViaConsole})
	if reply.OK() {
		m.used = true
		where := "#" + m.channel
		if m.dm {
			where = "DM @" + m.channel
		}
		fmt.Fprintf(c.Out, "  [%s (edit)] %s\n", where, note)
	}
	fmt.Fprintln(c.Out, PlainText(reply.Doc.Text))
	_, err := c.Outbox.Flush(ctx)
	return err
}

// voteHint says a word is not a vote, and which vote it is closest to.
func voteHint(word string) string {
	best, bestD := "", 3
	for _, v := range []string{"approve", "reject", "abstain"} {
		if d := commands.EditDistance(strings.ToLower(word), v); d < bestD {
			best, bestD = v, d
		}
	}
	if best != "" {
		return fmt.Sprintf("%q is not a vote — did you mean %s? (approve, reject or abstain)", word, best)
	}
	return fmt.Sprintf("%q is not a vote: use approve, reject or abstain", word)
}
