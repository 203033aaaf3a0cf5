package render

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"relman/store"
)

// packedLines is how Lines has always packed lines into sections: a new
// section before the line that would take one over maxSection.
func packedLines(ls []string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range ls {
		if cur.Len() > 0 && cur.Len()+len(l)+1 > maxSection {
			out = append(out, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(l)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// plainText is how Build has always written a Doc's Text.
func plainText(d store.Doc) string {
	var t strings.Builder
	if d.Header != "" {
		t.WriteString("*" + Escape(d.Header) + "*")
	}
	for _, s := range d.Sections {
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
	if d.More > 0 {
		t.WriteString("\n" + moreText(d))
	}
	return t.String()
}

func sectionTexts(d store.Doc) []string {
	var out []string
	for _, s := range d.Sections {
		out = append(out, s.Text)
	}
	return out
}

// TestLinePacksAsLines: lines added one by one with Line land in the
// sections Lines makes of them, each run of Line calls ends at the next
// other call, and Build's Text is the message Build has always written.
func TestLinePacksAsLines(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2027))
	for i := range 300 {
		var runs [][]string
		for range 1 + rng.IntN(3) {
			var ls []string
			for range rng.IntN(90) {
				n := rng.IntN(140)
				if rng.IntN(40) == 0 {
					n = maxSection - 5 + rng.IntN(10) // near or over the limit alone
				}
				ls = append(ls, strings.Repeat(string(rune('a'+rng.IntN(26))), n))
			}
			runs = append(runs, ls)
		}
		header := []string{"", "Planned releases", "a <b> & c"}[rng.IntN(3)]
		byLine, byLines := NewDoc(header), NewDoc(header)
		// Consecutive runs of Line calls are one run; each Lines call
		// packs its own.
		var want, wantLines, run []string
		buf := make([]byte, 0, 4)
		for j, ls := range runs {
			for _, l := range ls {
				buf = append(buf[:0], l...)
				byLine.Line(buf)
				buf = append(buf[:0], "overwritten"...) // Line copied it
			}
			run = append(run, ls...)
			byLines.Lines(ls)
			wantLines = append(wantLines, packedLines(ls)...)
			if j%2 == 1 {
				byLine.Fields("Owner", "<@U1>", "Target", "Fri 2027-01-15")
				byLines.Fields("Owner", "<@U1>", "Target", "Fri 2027-01-15")
				want = append(append(want, packedLines(run)...), "")
				wantLines = append(wantLines, "")
				run = nil
			}
		}
		want = append(want, packedLines(run)...)
		if i%3 == 0 {
			byLine.Context("small print")
			byLines.Context("small print")
			want = append(want, "")
			wantLines = append(wantLines, "")
		}
		byLine.More(i%4, "narrow it with `/release list &lt;product&gt;`")
		byLines.More(i%4, "narrow it with `/release list &lt;product&gt;`")
		got, gotLines := byLine.Build(), byLines.Build()
		if !slices.Equal(sectionTexts(got), want) {
			t.Fatalf("case %d: sections by Line differ from Lines' packing:\n got %d sections %.200q\nwant %d sections %.200q", i, len(got.Sections), sectionTexts(got), len(want), want)
		}
		if !slices.Equal(sectionTexts(gotLines), wantLines) {
			t.Fatalf("case %d: Lines packed %d sections; want %d", i, len(gotLines.Sections), len(wantLines))
		}
		if w := plainText(gotLines); gotLines.Text != w {
			t.Fatalf("case %d: Build().Text = %.300q; want %.300q", i, gotLines.Text, w)
		}
		if w := plainText(got); got.Text != w {
			t.Fatalf("case %d: Build().Text = %.300q; want %.300q", i, got.Text, w)
		}
	}
}

// TestLineRunEndsAtOtherCalls: a Section between two runs of Line keeps
// them apart, as separate Lines calls are.
func TestLineRunEndsAtOtherCalls(t *testing.T) {
	b := NewDoc("")
	b.Line([]byte("a"))
	b.Line([]byte("b"))
	b.Section("middle")
	b.Line([]byte("c"))
	b.Buttons(store.Button{ActionID: "x", Text: "X"})
	b.Line([]byte("d"))
	d := b.Build()
	if got, want := sectionTexts(d), []string{"a\nb", "middle", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("sections = %q; want %q", got, want)
	}
	if got, want := d.Text, "a\nb\nmiddle\nc\nd"; got != want {
		t.Errorf("Text = %q; want %q", got, want)
	}
	if got := fmt.Sprint(len(d.Buttons)); got != "1" {
		t.Errorf("buttons = %s; want 1", got)
	}
}

// TestContinueDocKeepsWhatItContinues: a continued doc's Text says its
// first sections and the new ones, and the doc it continued is unchanged.
func TestContinueDocKeepsWhatItContinues(t *testing.T) {
	first := NewDoc("Release <payments@2.3.0>")
	first.Fields("Owner", "<@U1>", "Target", "Fri 2027-01-15")
	first.Section("*Depends on:*\n• auth@1.4.0")
	first.Context("small print")
	first.Buttons(store.Button{ActionID: "x", Text: "X"})
	d := first.Build()
	d.Sections = append(make([]store.Section, 0, 10), d.Sections...) // room to append in place
	before := slices.Clone(d.Sections)

	b := ContinueDoc(d)
	b.Line([]byte("a row"))
	b.Section("more")
	b.More(3, "narrow it")
	got := b.Build()
	if want := plainText(got); got.Text != want {
		t.Errorf("Text = %q; want %q", got.Text, want)
	}
	if got, want := sectionTexts(got), []string{"", "*Depends on:*\n• auth@1.4.0", "", "a row", "more"}; !slices.Equal(got, want) {
		t.Errorf("sections = %q; want %q", got, want)
	}
	if len(got.Buttons) != 0 {
		t.Errorf("continued doc has %d buttons; want none", len(got.Buttons))
	}
	if !slices.EqualFunc(d.Sections[:cap(d.Sections)][:len(before)], before, func(a, b store.Section) bool {
		return a.Text == b.Text && a.Context == b.Context && slices.Equal(a.Fields, b.Fields)
	}) || d.Sections[:cap(d.Sections)][len(before)].Text != "" {
		t.Errorf("ContinueDoc changed the doc it continued")
	}
}
