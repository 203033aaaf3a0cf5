package commands

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"relman/commands/render"
	"relman/store"
)

// parser walks the tokens of one command. Its methods return EInvalid
// *store.Error values that say what was missing or wrong; the caller adds
// the command's usage line and example.
type parser struct {
	text  string
	toks  []Token
	pos   int
	today store.Date
}

// keywords never name a version, so "show payments on" is a missing version,
// not version "on".
var keywords = map[string]bool{"on": true, "by": true, "because": true, "due": true, "owner": true, "channel": true, "external": true, "in": true, "to": true}

func invalid(format string, args ...any) error { return store.Errorf(store.EInvalid, format, args...) }

func (p *parser) done() bool { return p.pos >= len(p.toks) }

func (p *parser) peek() (Token, bool) {
	if p.done() {
		return Token{}, false
	}
	return p.toks[p.pos], true
}

// isWord reports whether the next token is one of the given words (any case).
func (p *parser) isWord(words ...string) bool {
	t, ok := p.peek()
	if !ok || t.Kind != Word {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(t.Text, w) {
			return true
		}
	}
	return false
}

// keyword consumes the next token if it is one of words.
func (p *parser) keyword(words ...string) bool {
	if p.isWord(words...) {
		p.pos++
		return true
	}
	return false
}

// phrase consumes the next tokens if they are the words, in order ("at
// risk").
func (p *parser) phrase(words ...string) bool {
	if p.pos+len(words) > len(p.toks) {
		return false
	}
	for i, w := range words {
		t := p.toks[p.pos+i]
		if t.Kind != Word || !strings.EqualFold(t.Text, w) {
			return false
		}
	}
	p.pos += len(words)
	return true
}

// expect consumes the keyword kw or fails saying it was expected.
func (p *parser) expect(kw, hint string) error {
	if p.keyword(kw) {
		return nil
	}
	if t, ok := p.peek(); ok {
		return invalid("expected %q %s, not %q", kw, hint, render.Clip(t.Text, 40))
	}
	return invalid("missing %q %s", kw, hint)
}

// word consumes a bare word; what names it in the error.
func (p *parser) word(what string) (string, error) {
	t, ok := p.peek()
	if !ok {
		return "", invalid("missing %s", what)
	}
	if t.Kind != Word {
		return "", invalid("expected %s, not %q", what, render.Clip(t.Text, 40))
	}
	p.pos++
	return t.Text, nil
}

// release reads payments@2.3.0 or payments 2.3.0.
func (p *parser) release() (store.Ref, error) {
	w, err := p.word("the release (like payments@2.3.0)")
	if err != nil {
		return store.Ref{}, err
	}
	if strings.Contains(w, "@") {
		return store.ParseRef(w)
	}
	t, ok := p.peek()
	if !ok || t.Kind != Word || keywords[strings.ToLower(t.Text)] {
		return store.Ref{}, invalid("missing the version after %q: write %s@<version>, like %s@2.3.0", render.Clip(w, 40), render.Clip(strings.ToLower(w), 40), render.Clip(strings.ToLower(w), 40))
	}
	p.pos++
	return store.NewRef(w, t.Text)
}

// date reads a date; what names it in the error ("the target date").
func (p *parser) date(what string) (store.Date, error) {
	w, err := p.word(what + " (like 2027-01-15, +2w or fri)")
	if err != nil {
		return store.Date{}, err
	}
	return ParseDate(w, p.today)
}

// user reads one user mention.
func (p *parser) user(what string) (string, error) {
	t, ok := p.peek()
	if !ok {
		return "", invalid("missing %s (mention them, like @alex)", what)
	}
	if t.Kind != User {
		return "", invalid("expected %s as a mention like @alex, not %q", what, render.Clip(t.Text, 40))
	}
	if !idRE.MatchString(t.Text) {
		return "", invalid("%q is not a user", render.Clip(t.Text, 40))
	}
	p.pos++
	return t.Text, nil
}

// users reads consecutive user mentions.
func (p *parser) users() []string {
	var out []string
	for {
		t, ok := p.peek()
		if !ok || t.Kind != User {
			return out
		}
		if !slices.Contains(out, t.Text) { // "@a @b @a" names two people
			out = append(out, t.Text)
		}
		p.pos++
	}
}

// channel reads a channel mention.
func (p *parser) channel() (string, error) {
	t, ok := p.peek()
	if !ok {
		return "", invalid("missing the channel (like #releases)")
	}
	if t.Kind != Channel {
		return "", invalid("expected a channel like #releases, not %q", render.Clip(t.Text, 40))
	}
	if !idRE.MatchString(t.Text) {
		return "", invalid("%q is not a channel", render.Clip(t.Text, 40))
	}
	p.pos++
	return t.Text, nil
}

// quoted reads a "quoted" name, which may not be empty.
func (p *parser) quoted(what string) (string, error) {
	t, ok := p.peek()
	if !ok {
		return "", invalid("missing %s in quotes", what)
	}
	if t.Kind != Quoted {
		return "", invalid("expected %s in quotes, like \"Stripe SDK\", not %q", what, render.Clip(t.Text, 40))
	}
	p.pos++
	name := strings.TrimSpace(t.Text)
	if name == "" {
		return "", store.ValidateExternalName(name) // names an external item
	}
	return name, nil
}

// rest consumes every remaining token and returns the original text they
// span as plain text (mentions as @name, entities decoded), trimmed.
func (p *parser) rest() string {
	if p.done() {
		return ""
	}
	s := p.text[p.toks[p.pos].Start:]
	p.pos = len(p.toks)
	return strings.TrimSpace(Plain(s))
}

// quotedRest is rest, except that text that is all one "quoted" token is
// the text inside the quotes: a reason or title in quotes ends where they
// do, so words after it ("preview") are never read as part of it (Format
// writes reasons so).
func (p *parser) quotedRest() string {
	if p.pos == len(p.toks)-1 && p.toks[p.pos].Kind == Quoted {
		p.pos++
		return strings.TrimSpace(p.toks[p.pos-1].Text)
	}
	return p.rest()
}

// end fails if tokens are left over.
func (p *parser) end() error {
	if t, ok := p.peek(); ok {
		return invalid("unexpected %q", render.Clip(t.Text, 40))
	}
	return nil
}

// maxReason bounds reasons and titles users type.
const maxReason = 1000

func reason(p *parser, required bool, what string) (string, error) {
	if !p.keyword("because") {
		if required {
			if t, ok := p.peek(); ok {
				return "", store.WithField(invalid("expected \"because <reason>\" %s, not %q", what, render.Clip(t.Text, 40)), "reason")
			}
			return "", store.WithField(invalid("a reason is required %s: add \"because <reason>\"", what), "reason")
		}
		return "", nil
	}
	r := p.quotedRest()
	if r == "" {
		return "", store.WithField(invalid("the reason after \"because\" is empty"), "reason")
	}
	if n := utf8.RuneCountInString(r); n > maxReason {
		return "", store.WithField(invalid("the reason is too long (%d characters; at most %d)", n, maxReason), "reason")
	}
	return r, nil
}

// idRE is what a user or channel ID may contain: Slack's IDs (U123ABC,
// C123ABC) and the names console users type (alex, releases).
var idRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
