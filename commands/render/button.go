package render

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"relman/store"
)

// actionRun prefixes the action_id of a button that runs a command.
const actionRun = "run:"

// RunButton returns a button that, when clicked, runs command — the text
// after /release as commands.Format writes a parsed command, which reads
// back as that command — as the person who clicked, with that person's
// permissions, exactly as if they had typed it. A button posted before
// commands were written so holds the text as it was typed then, and runs
// it the same way. text is the button's label (plain text). Buttons of
// one message get distinct action_ids because their commands differ.
func RunButton(text, command string) store.Button {
	h := fnv.New64a()
	h.Write([]byte(command))
	return store.Button{ActionID: actionRun + strconv.FormatUint(h.Sum64(), 36), Text: text, Value: command}
}

// RunCommand reports whether a button's action_id is a RunButton's, and
// then returns the command its value holds.
func RunCommand(actionID, value string) (string, bool) {
	if !strings.HasPrefix(actionID, actionRun) || value == "" {
		return "", false
	}
	return value, true
}

// actionAsk prefixes the action_id of a button that asks before it runs.
const actionAsk = "ask:"

// Ask is a form a button opens before it runs a command: the person picks
// a date (and gives a reason, when Reason is set), and Fill puts them into
// Command. "New date…" on a re-confirm request and "Will slip…" on an
// upcoming nudge are Asks.
type Ask struct {
	// Title heads the form (plain text; Slack shows 24 characters).
	Title string `json:"title"`
	// Command is the text after /release, with {date} where the picked
	// date goes and, when Reason is set, {reason} where "because <reason>"
	// goes (nothing when none is given), at the end.
	Command string `json:"command"`
	// Date is the date picked at first, YYYY-MM-DD, or "".
	Date   string `json:"date,omitempty"`
	Reason bool   `json:"reason,omitempty"`
	// Preview, for a command that takes a trailing "preview" (move), has
	// the form offer to show what the command would do before it runs.
	Preview bool `json:"preview,omitempty"`
}

// AskButton returns a button that opens the form a asks for and then runs
// its command as the person who submits it, with their permissions.
func AskButton(text string, a Ask) store.Button {
	v, _ := json.Marshal(a) // strings and a bool: cannot fail
	b := RunButton(text, string(v))
	b.ActionID = actionAsk + strings.TrimPrefix(b.ActionID, actionRun)
	return b
}

// AskForm reports whether a button's action_id is an AskButton's, and then
// returns the form its value holds.
func AskForm(actionID, value string) (Ask, bool) {
	if !strings.HasPrefix(actionID, actionAsk) {
		return Ask{}, false
	}
	a, err := ParseAsk(value)
	return a, err == nil
}

// ParseAsk decodes the form an AskButton's value holds.
func ParseAsk(value string) (Ask, error) {
	var a Ask
	if err := json.Unmarshal([]byte(value), &a); err != nil {
		return Ask{}, fmt.Errorf("decode ask: %w", err)
	}
	if !strings.Contains(a.Command, "{date}") {
		return Ask{}, fmt.Errorf("decode ask: command %q has no {date}", a.Command)
	}
	return a, nil
}

// Fill returns the command with date (YYYY-MM-DD, from a date picker) and
// reason (what the person typed) put in. The reason is written as
// commands.Format writes one, in quotes (Quote): the command reads it back
// exactly, and a reason ending in "preview" stays a reason when the form
// adds "preview" after it. A date that is not YYYY-MM-DD is an EInvalid
// error.
func (a Ask) Fill(date, reason string) (string, error) {
	d, err := store.ParseDate(strings.TrimSpace(date))
	if err != nil {
		return "", err
	}
	because := ""
	if r := strings.Join(strings.Fields(reason), " "); a.Reason && r != "" {
		because = "because " + Quote(r)
	}
	return strings.TrimSpace(strings.NewReplacer("{date}", d.String(), "{reason}", because).Replace(a.Command)), nil
}

// Quote writes s as command text in quotes: escaped as Slack escapes typed
// text, each quote in it (straight or curly) written twice. The command
// grammar reads it back as s, one quoted name or reason that ends where
// its quotes do.
func Quote(s string) string { return `"` + quoteDoubler.Replace(Escape(s)) + `"` }

var quoteDoubler = strings.NewReplacer(`"`, `""`, "“", "““", "”", "””")
