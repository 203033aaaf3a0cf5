package commands

import (
	"cmp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind classifies a token.
type Kind int

// Token kinds.
const (
	Word    Kind = iota // a bare word, entities decoded
	Quoted              // text in "double" or “curly” quotes
	User                // <@U123|name>, or @name typed at the console
	Channel             // <#C123|name>, or #name typed at the console
	Group               // <!subteam^S123|@handle>
)

// Token is one unit of command text.
type Token struct {
	Kind  Kind
	Text  string // the word or quoted text; for mentions, the ID
	Label string // a mention's display name, if Slack sent one
	Start int    // byte offsets in the original text
	End   int
}

// Tokenize splits Slack-escaped command text into tokens. It unwraps
// <@U…|name> (a user), <#C…|name> (a channel), <!subteam^S…|@handle> (a user
// group), <mailto:a@b|a@b> and <https://…|label> (words), special mentions
// (<!here> becomes the word "@here"), and the entities &amp; &lt; &gt;.
// Double quotes, straight or curly, group words into one Quoted token; in
// it, a quote written twice ("" or ””) is one quote of the text.
func Tokenize(text string) []Token {
	var toks []Token
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '"' || r == '“' || r == '”':
			start := i
			i += size
			var inner strings.Builder
			for {
				end := indexAnyQuote(text[i:])
				if end < 0 {
					inner.WriteString(text[i:])
					i = len(text)
					break
				}
				q, qs := utf8.DecodeRuneInString(text[i+end:])
				if next, _ := utf8.DecodeRuneInString(text[i+end+qs:]); next == q {
					// A doubled quote is one quote inside the text.
					inner.WriteString(text[i : i+end+qs])
					i += end + 2*qs
					continue
				}
				inner.WriteString(text[i : i+end])
				i += end + qs
				break
			}
			toks = append(toks, Token{Kind: Quoted, Text: Plain(inner.String()), Start: start, End: i})
		case r == '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 {
				toks = append(toks, wordAt(text, &i))
				continue
			}
			t := angle(text[i+1 : i+end])
			t.Start, t.End = i, i+end+1
			i += end + 1
			toks = append(toks, t)
		default:
			toks = append(toks, wordAt(text, &i))
		}
	}
	return toks
}

func indexAnyQuote(s string) int {
	for j, r := range s {
		if r == '"' || r == '“' || r == '”' {
			return j
		}
	}
	return -1
}

// wordAt reads a bare word starting at *i. Bare @name and #name (what a
// console user types, or Slack sends with escaping off) become mentions.
func wordAt(text string, i *int) Token {
	start := *i
	j := start
	for j < len(text) {
		r, size := utf8.DecodeRuneInString(text[j:])
		if unicode.IsSpace(r) || (r == '<' && j > start) {
			break
		}
		j += size
	}
	*i = j
	w := Unentity(text[start:j])
	t := Token{Kind: Word, Text: w, Start: start, End: j}
	switch {
	case len(w) > 1 && w[0] == '@' && !strings.ContainsAny(w[1:], "@"):
		t.Kind, t.Text = User, w[1:]
	case len(w) > 1 && w[0] == '#':
		t.Kind, t.Text = Channel, w[1:]
	}
	return t
}

// angle decodes the inside of a <…> escape.
func angle(inner string) Token {
	body, label, _ := strings.Cut(inner, "|")
	switch {
	case strings.HasPrefix(body, "@"):
		return Token{Kind: User, Text: body[1:], Label: label}
	case strings.HasPrefix(body, "#"):
		return Token{Kind: Channel, Text: body[1:], Label: label}
	case strings.HasPrefix(body, "!subteam^"):
		return Token{Kind: Group, Text: strings.TrimPrefix(body, "!subteam^"), Label: strings.TrimPrefix(label, "@")}
	case strings.HasPrefix(body, "!"):
		name, _, _ := strings.Cut(body[1:], "^")
		if label != "" {
			return Token{Kind: Word, Text: Unentity(label)}
		}
		return Token{Kind: Word, Text: "@" + name}
	case strings.HasPrefix(body, "mailto:"):
		if label != "" {
			return Token{Kind: Word, Text: Unentity(label)}
		}
		return Token{Kind: Word, Text: Unentity(strings.TrimPrefix(body, "mailto:"))}
	}
	if label != "" && label != body {
		return Token{Kind: Word, Text: Unentity(label) + " (" + Unentity(body) + ")"}
	}
	return Token{Kind: Word, Text: Unentity(body)}
}

var unentity = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// Unentity decodes the three entities Slack encodes: &amp; &lt; &gt;.
func Unentity(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return unentity.Replace(s)
}

// Plain turns Slack-escaped free text (a reason, a title) into plain text:
// mentions become @name (or @ID), channels #name, links their label and URL,
// entities are decoded. Spacing and line breaks are kept.
func Plain(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(Unentity(s[:i]))
		t := angle(s[i+1 : i+j])
		switch t.Kind {
		case User:
			b.WriteString("@" + cmp.Or(t.Label, t.Text))
		case Channel:
			b.WriteString("#" + cmp.Or(t.Label, t.Text))
		case Group:
			b.WriteString("@" + cmp.Or(t.Label, t.Text))
		default:
			b.WriteString(t.Text)
		}
		s = s[i+j+1:]
	}
	b.WriteString(Unentity(s))
	return b.String()
}
