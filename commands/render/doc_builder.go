package render

import (
	"fmt"
	"strings"

	"relman/store"
)

// maxSection keeps a section's text under Slack's 3,000-character limit.
const maxSection = 2800

// DocBuilder assembles a store.Doc and its plain mrkdwn Text.
type DocBuilder struct {
	d store.Doc
	// lines is the section Line is packing lines into; every other method
	// ends it first.
	lines strings.Builder
}

// NewDoc starts a Doc with header ("" for none).
func NewDoc(header string) *DocBuilder { return &DocBuilder{d: store.Doc{Header: header}} }

// ContinueDoc starts a builder with d's header and sections (not its
// buttons, nor what it left out), to add more to.
func ContinueDoc(d store.Doc) *DocBuilder {
	return &DocBuilder{d: store.Doc{Header: d.Header, Sections: d.Sections}}
}

// Buttons adds buttons to the doc's.
func (b *DocBuilder) Buttons(bs ...store.Button) {
	b.endLines()
	b.d.Buttons = append(b.d.Buttons, bs...)
}

// Section adds a section of mrkdwn text.
func (b *DocBuilder) Section(text string) {
	b.endLines()
	b.d.Sections = append(b.d.Sections, store.Section{Text: text})
}

// Fields adds a section of label/value pairs: fields("Owner", "<@U1>", …).
func (b *DocBuilder) Fields(pairs ...string) {
	b.endLines()
	var fs []string
	for i := 0; i+1 < len(pairs); i += 2 {
		fs = append(fs, "*"+pairs[i]+"*\n"+pairs[i+1])
	}
	b.d.Sections = append(b.d.Sections, store.Section{Fields: fs})
}

// Context adds a line of small print.
func (b *DocBuilder) Context(text string) {
	b.endLines()
	b.d.Sections = append(b.d.Sections, store.Section{Context: text})
}

// Lines adds lines, packed into as few sections as the size limit allows:
// a section ends before the line that would take it over 2,800 bytes. The
// lines of one call never share a section with what comes before or after.
func (b *DocBuilder) Lines(ls []string) {
	b.endLines()
	left := len(ls)
	for _, l := range ls {
		left += len(l)
	}
	for _, l := range ls {
		b.startLine(len(l), left)
		b.lines.WriteString(l)
		left -= len(l) + 1
	}
	b.endLines()
}

// Line adds one line as Lines does, to the run of lines that consecutive
// calls of Line make: they are packed together, and any other method ends
// the run. l is copied, so a caller can render each line into one reused
// buffer: a 50-row list then makes a string per section, not per row.
func (b *DocBuilder) Line(l []byte) {
	b.startLine(len(l), maxSection)
	b.lines.Write(l)
}

// startLine makes room in the run of lines for a line of n bytes: it ends
// the section when the line would not fit, and separates lines. A new
// section is sized for the rest of the run, left bytes, up to the limit.
func (b *DocBuilder) startLine(n, left int) {
	cur := &b.lines
	if cur.Len() > 0 && cur.Len()+n+1 > maxSection {
		b.endLines()
	}
	if cur.Len() > 0 {
		cur.WriteByte('\n')
	} else {
		cur.Grow(max(n, min(left, maxSection)))
	}
}

// endLines ends the run of lines: what it packed becomes a section.
func (b *DocBuilder) endLines() {
	if b.lines.Len() > 0 {
		b.d.Sections = append(b.d.Sections, store.Section{Text: b.lines.String()})
		b.lines = strings.Builder{}
	}
}

// More records that n items were left out; how, mrkdwn, says how to see
// them ("narrow it with `/release list &lt;product&gt;`").
func (b *DocBuilder) More(n int, how ...string) {
	b.endLines()
	b.d.More = n
	if len(how) > 0 {
		b.d.MoreHint = how[0]
	}
}

// moreText is the line that ends a doc that left out items.
func moreText(d store.Doc) string {
	s := fmt.Sprintf("…and %d more", d.More)
	if d.MoreHint != "" {
		s += " — " + d.MoreHint
	}
	return s
}

// Build returns the Doc with its Text: the same message as plain mrkdwn,
// for transports without Block Kit and for tests. Text is the escaped
// header in bold, then each section's text, its fields ("Owner:* <@U1>")
// and its context, and "…and N more", one per line.
func (b *DocBuilder) Build() store.Doc {
	b.endLines()
	header := ""
	if b.d.Header != "" {
		header = "*" + Escape(b.d.Header) + "*"
	}
	n := len(header)
	for _, s := range b.d.Sections {
		n += len(s.Text) + len(s.Context) + 2
		for _, f := range s.Fields {
			n += len(f) + 3
		}
	}
	more := ""
	if b.d.More > 0 {
		more = "\n" + moreText(b.d)
		n += len(more)
	}
	var t strings.Builder
	t.Grow(n)
	t.WriteString(header)
	part := func(p ...string) {
		if t.Len() > 0 {
			t.WriteByte('\n')
		}
		for _, s := range p {
			t.WriteString(s)
		}
	}
	for _, s := range b.d.Sections {
		if s.Text != "" {
			part(s.Text)
		}
		for _, f := range s.Fields {
			label, value, _ := strings.Cut(f, "\n")
			part(strings.TrimSuffix(label, "*"), ":* ", value)
		}
		if s.Context != "" {
			part(s.Context)
		}
	}
	t.WriteString(more)
	b.d.Text = t.String()
	return b.d
}
