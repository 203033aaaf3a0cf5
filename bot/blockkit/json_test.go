package blockkit

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"relman/store"
)

// mustAppendJSON is r.AppendJSON after a prefix, which it must keep.
func mustAppendJSON(t *testing.T, r Response) string {
	t.Helper()
	b, err := r.AppendJSON([]byte("prefix"))
	if err != nil {
		t.Fatalf("AppendJSON: %v", err)
	}
	s, ok := strings.CutPrefix(string(b), "prefix")
	if !ok {
		t.Fatalf("AppendJSON lost what b held: %.40q", b)
	}
	return s
}

// randomText is mrkdwn-ish text with what JSON must escape: quotes,
// backslashes, control characters, <>&, U+2028, multi-byte runes and
// invalid UTF-8, in lines around the size limits.
func randomText(rng *rand.Rand) string {
	pieces := []string{"a", "release ", "*bold*", "<@U1>", "&lt;", "&", "<", ">", "\"", "\\", "\n", "\t", "\r",
		"\b", "\f", "\x00", "\x1f", "\x7f", "—", "·", "…", "“quoted”", "\u2028", "\u2029", "\xff", "\xe2\x80", "🚀", " ", "  \n"}
	var s strings.Builder
	n := rng.IntN(60)
	if rng.IntN(8) == 0 {
		n = 1500 + rng.IntN(1000)
	}
	for range n {
		s.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return s.String()
}

func randomDoc(rng *rand.Rand) store.Doc {
	d := store.Doc{Header: randomText(rng)}
	for range rng.IntN(8) {
		var s store.Section
		if rng.IntN(4) > 0 {
			s.Text = randomText(rng)
		}
		for range rng.IntN(3) * rng.IntN(8) {
			s.Fields = append(s.Fields, "*"+randomText(rng)+"*\n"+randomText(rng))
		}
		if rng.IntN(3) == 0 {
			s.Context = randomText(rng)
		}
		d.Sections = append(d.Sections, s)
	}
	for i := range rng.IntN(3) * rng.IntN(12) {
		d.Buttons = append(d.Buttons, store.Button{ActionID: "act." + randomText(rng)[:0] + string(rune('a'+i%3)), Text: randomText(rng), Value: randomText(rng), Style: []string{"", "primary", "danger", "odd"}[rng.IntN(4)]})
	}
	if rng.IntN(3) == 0 {
		d.More, d.MoreHint = rng.IntN(100), randomText(rng)
	}
	var t strings.Builder
	for range rng.IntN(80) {
		t.WriteString(randomText(rng))
		t.WriteByte('\n')
	}
	d.Text = t.String()
	return d
}

// TestAppendJSONIsMarshal: AppendJSON writes exactly what json.Marshal
// writes, for the replies Ephemeral makes of the golden fixtures and of
// random docs, and for responses using every field and block types it
// leaves to json.Marshal.
func TestAppendJSONIsMarshal(t *testing.T) {
	check := func(name string, r Response) {
		t.Helper()
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("%s: json.Marshal: %v", name, err)
		}
		if got := mustAppendJSON(t, r); got != string(want) {
			t.Fatalf("%s: AppendJSON differs from json.Marshal:\n got %s\nwant %s", name, got, want)
		}
	}
	for name, doc := range map[string]store.Doc{
		"release card": releaseCard(), "long list": longList(), "error usage": errorUsage(), "buttons": withButtons(),
		"escaped user text": escapedUserText(), "long section": longSection(), "long header": longHeader(), "empty": {},
	} {
		check(name, Ephemeral(doc))
	}
	rng := rand.New(rand.NewPCG(14, 2027))
	for range 500 {
		doc := randomDoc(rng)
		check("random doc", Ephemeral(doc))
		r := Response{ResponseType: slack.ResponseTypeInChannel, Text: randomText(rng), Blocks: Blocks(doc, randomText(rng)[:0]+"b-1"),
			ReplaceOriginal: true, DeleteOriginal: true, ThreadTS: "1700000000.000100"}
		check("random response", r)
	}
	yes, no := true, false
	check("every field and foreign blocks", Response{Text: "", Blocks: []slack.Block{
		nil,
		&slack.HeaderBlock{Type: slack.MBTHeader, BlockID: "h", Level: 2, Text: &slack.TextBlockObject{Type: "plain_text", Text: "T", Emoji: &no}},
		&slack.HeaderBlock{Type: slack.MBTHeader},
		&slack.SectionBlock{Type: slack.MBTSection, BlockID: "s", Expand: true, Fields: []*slack.TextBlockObject{nil, {Type: "mrkdwn", Text: "f", Verbatim: true}}},
		&slack.SectionBlock{Type: slack.MBTSection, Text: mrkdwn("with an accessory"), Accessory: slack.NewAccessory(slack.NewButtonBlockElement("a", "v", plain("Go")))},
		&slack.ContextBlock{Type: slack.MBTContext},
		&slack.ContextBlock{Type: slack.MBTContext, ContextElements: slack.ContextElements{Elements: []slack.MixedElement{}}},
		slack.NewContextBlock("c", mrkdwn("text"), &slack.TextBlockObject{Type: "plain_text", Text: "e", Emoji: &yes}),
		slack.NewContextBlock("", mrkdwn("text"), slack.NewImageBlockElement("https://example.com/i.png", "alt")),
		slack.NewDividerBlock(),
		slack.NewActionBlock("x", slack.NewButtonBlockElement("a", "v", plain("Go"))),
		(*slack.SectionBlock)(nil),
	}})
}

// TestAppendJSONKnowsTheStructs: the blocks AppendJSON writes itself have
// the fields it writes. A slack-go upgrade that adds one fails here, not
// in Slack.
func TestAppendJSONKnowsTheStructs(t *testing.T) {
	for _, c := range []struct {
		t reflect.Type
		n int
	}{
		{reflect.TypeFor[slack.HeaderBlock](), 4}, {reflect.TypeFor[slack.SectionBlock](), 6}, {reflect.TypeFor[slack.ContextBlock](), 3},
		{reflect.TypeFor[slack.ContextElements](), 1}, {reflect.TypeFor[slack.TextBlockObject](), 4},
	} {
		if got := c.t.NumField(); got != c.n {
			t.Errorf("%v has %d fields; AppendJSON writes %d: teach appendBlock the new ones", c.t, got, c.n)
		}
	}
}

// FuzzAppendJSONString: any string is written as encoding/json writes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "<@U1> & \"q\" \\", "\x00\b\f\n\r\t\x1f\x7f", "\u2028\u2029", "\xff\xe2\x80", "—·…🚀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s; want %s", s, got, want)
		}
	})
}

// TestSummaryIsTheFallbacksFirstLine: an ephemeral reply's text is the
// first line of FallbackText, shortened, as it always was, also for texts
// FallbackText shortens and whose first line is long, blank or the only
// one.
func TestSummaryIsTheFallbacksFirstLine(t *testing.T) {
	want := func(doc store.Doc) string {
		text := FallbackText(doc)
		if i := strings.IndexByte(text, '\n'); i > 0 {
			text = clipMrkdwn(text[:i], maxSummary)
		}
		return text
	}
	rng := rand.New(rand.NewPCG(2027, 14))
	lines := []string{"", " ", "*Planned releases*", "<@U1> &amp; <#C1>", strings.Repeat("x", 299), strings.Repeat("é", 301),
		strings.Repeat("y", maxFallback-2), strings.Repeat("<@U1>", 800), strings.Repeat("z ", 1960) + "<@U0", "\n",
		"a > b &", "&gt;>&", "<@U1> &lt;", ">", "&amp", strings.Repeat("&", 5) + ">&am", strings.Repeat("—", 1300) + ">", "   >  ",
		strings.Repeat("<", 1950), strings.Repeat("·", 1000) + "<@U2"}
	for range 6000 {
		var parts []string
		for range rng.IntN(9) {
			parts = append(parts, lines[rng.IntN(len(lines))])
		}
		doc := store.Doc{Header: lines[rng.IntN(4)], Text: strings.Join(parts, "\n")}
		if got, w := summary(doc), want(doc); got != w {
			t.Fatalf("summary(Text %.80q…, %d bytes) = %.80q; want %.80q", doc.Text, len(doc.Text), got, w)
		}
	}
}

// TestByteOffsetCountsAsRange: byteOffset skips runes as a range loop
// counts them, invalid bytes one each, and clipMrkdwnLen keeps what it
// kept when it counted every rune first.
func TestByteOffsetCountsAsRange(t *testing.T) {
	want := func(s string, n int) int {
		for i := range s {
			if n == 0 {
				return i
			}
			n--
		}
		return len(s)
	}
	rng := rand.New(rand.NewPCG(8, 14))
	for range 2000 {
		s := randomText(rng)
		for _, n := range []int{0, 1, 7, 8, 9, rng.IntN(len(s) + 2), len(s), len(s) + 3} {
			if got, w := byteOffset(s, n), want(s, n); got != w {
				t.Fatalf("byteOffset(%q, %d) = %d; want %d", s, n, got, w)
			}
		}
		for _, max := range []int{1, 2, 10, utf8.RuneCountInString(s) - 1, utf8.RuneCountInString(s), utf8.RuneCountInString(s) + 1} {
			if max < 1 {
				continue
			}
			n, cut := clipMrkdwnLen(s, max)
			if wantCut := utf8.RuneCountInString(s) > max; cut != wantCut || !cut && n != len(s) {
				t.Fatalf("clipMrkdwnLen(%q, %d) = %d, %v; want a cut exactly when it has more than %d runes", s, max, n, cut, max)
			}
		}
	}
}
