package commands

import (
	"hash/fnv"
	"strconv"
	"strings"

	"relman/store"
)

// actionRun prefixes the action_id of a button that runs a command.
const actionRun = "run:"

// RunButton returns a button that, when clicked, runs command — the text
// after /release, escaped as Slack sends typed text (Escape user parts) —
// as the person who clicked, with that person's permissions, exactly as if
// they had typed it. text is the button's label (plain text). Buttons of
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
