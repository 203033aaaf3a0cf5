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
}

// NewDoc starts a Doc with header ("" for none).
func NewDoc(header string) *DocBuilder { return &DocBuilder{d: store.Doc{Header: header}} }

// ContinueDoc starts a builder with d's header and sections (not its
// buttons, nor what it left out), to add more to.
func ContinueDoc(d store.Doc) *DocBuilder {
	return &DocBuilder{d: store.Doc{Header: d.Header, Sections: d.Sections}}
}

// Buttons adds buttons to the doc's.
func (b *DocBuilder) Buttons(bs ...store.Button) { b.d.Buttons = append(b.d.Buttons, bs...) }

// Section adds a section of mrkdwn text.
func (b *DocBuilder) Section(text string) {
	b.d.Sections = append(b.d.Sections, store.Section{Text: text})
}

// Fields adds a section of label/value pairs: fields("Owner", "<@U1>", …).
func (b *DocBuilder) Fields(pairs ...string) {
	var fs []string
	for i := 0; i+1 < len(pairs); i += 2 {
		fs = append(fs, "*"+pairs[i]+"*\n"+pairs[i+1])
	}
	b.d.Sections = append(b.d.Sections, store.Section{Fields: fs})
}

// Context adds a line of small print.
func (b *DocBuilder) Context(text string) {
	b.d.Sections = append(b.d.Sections, store.Section{Context: text})
}

// Lines adds lines, packed into as few sections as the size limit allows.
func (b *DocBuilder) Lines(ls []string) {
	var cur strings.Builder
	for _, l := range ls {
		if cur.Len() > 0 && cur.Len()+len(l)+1 > maxSection {
			b.Section(cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(l)
	}
	if cur.Len() > 0 {
		b.Section(cur.String())
	}
}

// More records that n items were left out; how, mrkdwn, says how to see
// them ("narrow it with `/release list &lt;product&gt;`").
func (b *DocBuilder) More(n int, how ...string) {
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
// for transports without Block Kit and for tests.
func (b *DocBuilder) Build() store.Doc {
	var t strings.Builder
	if b.d.Header != "" {
		t.WriteString("*" + Escape(b.d.Header) + "*")
	}
	for _, s := range b.d.Sections {
		parts := make([]string, 0, len(s.Fields)+2)
		for _, f := range s.Fields {
			label, value, _ := strings.Cut(f, "\n")
			parts = append(parts, strings.TrimSuffix(label, "*")+":* "+value)
		}
		if s.Text != "" {
			parts = append([]string{s.Text}, parts...)
		}
		if s.Context != "" {
			parts = append(parts, s.Context)
		}
		for _, p := range parts {
			if t.Len() > 0 {
				t.WriteByte('\n')
			}
			t.WriteString(p)
		}
	}
	if b.d.More > 0 {
		t.WriteString("\n" + moreText(b.d))
	}
	b.d.Text = t.String()
	return b.d
}
