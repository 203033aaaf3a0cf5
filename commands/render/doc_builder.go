package render

import (
	"fmt"
	"strings"

	"relman/store"
)

// maxSection keeps a section's text under Slack's 3,000-character limit.
const maxSection = 2800

// DocBuilder assembles a store.Doc and its plain mrkdwn Text.
//
// It writes Text as the doc grows, and the texts of the sections it adds
// are cut out of Text when it is built: a 50-row list is one string, not a
// string per row, per section and again for Text.
type DocBuilder struct {
	d store.Doc
	// text is Text so far (without "…and N more").
	text strings.Builder
	// cuts are the section texts to cut out of text.
	cuts []cut
	// The run of lines Line is packing: the section it fills, where its
	// text starts, and how long it is (0 when there is no run).
	run, runFrom, runLen int
}

// cut is a section's Text (or Context) as the bytes text[from:to].
type cut struct {
	section  int
	context  bool
	from, to int
}

// NewDoc starts a Doc with header ("" for none).
func NewDoc(header string) *DocBuilder {
	b := &DocBuilder{d: store.Doc{Header: header}}
	b.writeHeader()
	return b
}

// ContinueDoc starts a builder with d's header and sections (not its
// buttons, nor what it left out), to add more to.
func ContinueDoc(d store.Doc) *DocBuilder {
	b := &DocBuilder{d: store.Doc{Header: d.Header, Sections: d.Sections[:len(d.Sections):len(d.Sections)]}}
	b.writeHeader()
	for _, s := range d.Sections {
		if s.Text != "" {
			b.part(s.Text)
		}
		b.writeFields(s.Fields)
		if s.Context != "" {
			b.part(s.Context)
		}
	}
	return b
}

// Grow makes room for n more bytes of text, as strings.Builder.Grow does: a
// list that knows how many rows it shows sizes its text once.
func (b *DocBuilder) Grow(n int) { b.text.Grow(n) }

func (b *DocBuilder) writeHeader() {
	if b.d.Header != "" {
		b.text.WriteByte('*')
		b.text.WriteString(Escape(b.d.Header))
		b.text.WriteByte('*')
	}
}

// part starts a new part of Text: parts are one per line.
func (b *DocBuilder) part(s ...string) {
	if b.text.Len() > 0 {
		b.text.WriteByte('\n')
	}
	for _, p := range s {
		b.text.WriteString(p)
	}
}

// writeFields writes fields to Text as "Owner:* <@U1>".
func (b *DocBuilder) writeFields(fs []string) {
	for _, f := range fs {
		label, value, _ := strings.Cut(f, "\n")
		b.part(strings.TrimSuffix(label, "*"), ":* ", value)
	}
}

// textSection adds a section whose Text (or Context) is s, cut out of Text.
func (b *DocBuilder) textSection(s string, context bool) {
	b.endLines()
	if s != "" {
		b.part()
		from := b.text.Len()
		b.text.WriteString(s)
		b.cuts = append(b.cuts, cut{section: len(b.d.Sections), context: context, from: from, to: b.text.Len()})
	}
	b.d.Sections = append(b.d.Sections, store.Section{})
}

// Buttons adds buttons to the doc's.
func (b *DocBuilder) Buttons(bs ...store.Button) {
	b.endLines()
	b.d.Buttons = append(b.d.Buttons, bs...)
}

// Section adds a section of mrkdwn text.
func (b *DocBuilder) Section(text string) { b.textSection(text, false) }

// Fields adds a section of label/value pairs: fields("Owner", "<@U1>", …).
func (b *DocBuilder) Fields(pairs ...string) {
	b.endLines()
	var fs []string
	for i := 0; i+1 < len(pairs); i += 2 {
		fs = append(fs, "*"+pairs[i]+"*\n"+pairs[i+1])
	}
	b.writeFields(fs)
	b.d.Sections = append(b.d.Sections, store.Section{Fields: fs})
}

// Context adds a line of small print.
func (b *DocBuilder) Context(text string) { b.textSection(text, true) }

// Lines adds lines, packed into as few sections as the size limit allows:
// a section ends before the line that would take it over 2,800 bytes. The
// lines of one call never share a section with what comes before or after.
func (b *DocBuilder) Lines(ls []string) {
	b.endLines()
	for _, l := range ls {
		b.startLine(len(l))
		b.text.WriteString(l)
	}
	b.endLines()
}

// Line adds one line as Lines does, to the run of lines that consecutive
// calls of Line make: they are packed together, and any other method ends
// the run. l is copied, so a caller can render each line into one reused
// buffer.
func (b *DocBuilder) Line(l []byte) {
	b.startLine(len(l))
	b.text.Write(l)
}

// startLine makes room in the run of lines for a line of n bytes: it ends
// the section when the line would not fit, and starts a section, or
// separates the line from the one before.
func (b *DocBuilder) startLine(n int) {
	if b.runLen > 0 && b.runLen+n+1 > maxSection {
		b.endLines()
	}
	switch {
	case b.runLen > 0:
		b.text.WriteByte('\n')
		b.runLen += n + 1
	case n > 0: // a section starts with a line that says something
		b.part()
		b.run, b.runFrom, b.runLen = len(b.d.Sections), b.text.Len(), n
		b.d.Sections = append(b.d.Sections, store.Section{})
	}
}

// endLines ends the run of lines: what it packed is a section's text.
func (b *DocBuilder) endLines() {
	if b.runLen > 0 {
		b.cuts = append(b.cuts, cut{section: b.run, from: b.runFrom, to: b.runFrom + b.runLen})
		b.runLen = 0
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
	text := b.text.String()
	for _, c := range b.cuts {
		if c.context {
			b.d.Sections[c.section].Context = text[c.from:c.to]
		} else {
			b.d.Sections[c.section].Text = text[c.from:c.to]
		}
	}
	if b.d.More > 0 {
		text += "\n" + moreText(b.d)
	}
	b.d.Text = text
	return b.d
}
