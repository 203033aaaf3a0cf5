package commands

import (
	"strings"

	"relman/store"
)

// Parse reads one command: text is what follows command ("/release" or
// "/ccb"), still Slack-escaped, as a transport received it. Relative dates
// (+2w, fri) are resolved against today, so the Command holds only
// absolute dates. Parse is pure: it reads no store and no clock.
//
// On failure the error is a *ParseError wrapping the same EInvalid
// *store.Error a typed command gets, with the row of the command table it
// was taken for, whose usage line a reply shows. "help" (any topic) and
// a command that opens a form when given no arguments (a bare "add") parse
// into commands of their own.
func Parse(command, text string, today store.Date) (Command, error) {
	cmd, _, _, err := parse(command, text, today)
	return cmd, err
}

// ParseError is text that is not a command: Err, an EInvalid *store.Error
// saying what was wrong, and the command it was taken for (Spec, nil when
// the name matched none) in Group ("release" or "ccb").
type ParseError struct {
	Group string
	Spec  *Spec
	Err   error
}

func (e *ParseError) Error() string { return e.Err.Error() }
func (e *ParseError) Unwrap() error { return e.Err }

// parse is Parse, also returning the row of the table the command is
// (Execute shows its usage line when running it fails) and its group.
func parse(command, text string, today store.Date) (Command, *Spec, string, error) {
	group := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(command)), "/")
	if group == "" {
		group = "release"
	}
	fail := func(spec *Spec, err error) (Command, *Spec, string, error) {
		return nil, spec, group, &ParseError{Group: group, Spec: spec, Err: err}
	}
	if err := checkText(text); err != nil {
		return fail(lookup(group, firstWord(text)), err)
	}
	toks := Tokenize(text)
	if group == "release" && len(toks) > 0 && toks[0].Kind == Word && strings.EqualFold(toks[0].Text, "ccb") {
		group, toks = "ccb", toks[1:]
	}
	// Any spelling of help (@help, "help") is help: the help row of the
	// table has no Parse to fall through to.
	if len(toks) == 0 || strings.EqualFold(toks[0].Text, "help") {
		c := &helpCmd{group: group}
		if len(toks) > 1 {
			c.topic = toks[1].Text
		}
		if group == "release" && strings.EqualFold(c.topic, "ccb") { // /release help ccb [command]
			group, c.group, c.topic = "ccb", "ccb", ""
			if len(toks) > 2 {
				c.topic = toks[2].Text
			}
		}
		return c, lookup(group, "help"), group, nil
	}
	name := strings.ToLower(toks[0].Text)
	spec := lookup(group, name)
	if spec == nil {
		return fail(suggest(group, name), unknownCommand(group, name))
	}
	if spec.Modal != "" && len(toks) == 1 {
		return &formCmd{group: group, name: spec.Name}, spec, group, nil
	}
	p := &parser{text: text, toks: toks[1:], today: today}
	cmd, err := spec.Parse(p)
	if err == nil {
		err = p.end()
	}
	if err != nil {
		return fail(spec, err)
	}
	return cmd, spec, group, nil
}

// helpCmd lists the commands of group, or explains topic.
type helpCmd struct{ group, topic string }

func (*helpCmd) readOnly() bool { return true }

// run fails, after the usage of help, when topic is no command.
func (c *helpCmd) run(*Exec) (store.Doc, error) {
	if c.topic != "" && lookup(c.group, strings.ToLower(c.topic)) == nil {
		return store.Doc{}, unknownCommand(c.group, strings.ToLower(c.topic))
	}
	return help(c.group, c.topic), nil
}

// formCmd is a command given no arguments whose row names a form (Spec's
// Modal) a transport may open instead; its Doc is the usage line.
type formCmd struct{ group, name string }

func (c *formCmd) spec() *Spec { return lookup(c.group, c.name) }

func (c *formCmd) run(*Exec) (store.Doc, error) { return usageDoc(c.spec(), "", c.group), nil }
