package blockkit

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"relman/store"
)

var htmlUnescaper = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// ---- fixtures: docs shaped like the ones commands builds

func releaseCard() store.Doc {
	return store.Doc{
		Header: "mobile@5.0",
		Text:   "*mobile@5.0*\n*Target:* Mon 2027-01-25 (in 21 days)\n…",
		Sections: []store.Section{
			{Fields: []string{
				"*Target*\nMon 2027-01-25 (in 21 days)",
				"*Status*\nplanned — :warning: *at risk*",
				"*Owner*\n<@U0SAM>",
				"*Channel*\n<#C0MOBILE>",
				"*Release manager*\n<@U0RITA>",
				"*Release engineer*\nnobody",
				"*Product manager*\nnobody",
			}},
			{Text: "*Depends on:*\n• external “Stripe SDK 5” needed by Mon 2027-01-18, due Fri 2027-01-15 — 3 days to spare\n• *payments@2.3.0* needed by Mon 2027-01-25, due Fri 2027-01-29 — :warning: *4 days late*"},
			{Text: "*At risk through:* *payments@2.3.0* (their own dependencies slipped)"},
			{Context: "1 release(s) downstream — `/release impact mobile@5.0`"},
			{Context: "Last change: moved by <@U0ALEX> 2027-01-04 09:00 — `/release history mobile@5.0`"},
		},
	}
}

// longList is a list of 300 releases, packed five lines to a section: more
// blocks than a message may hold.
func longList() store.Doc {
	d := store.Doc{Header: "All releases", More: 12}
	var sec []string
	for i := range 300 {
		sec = append(sec, fmt.Sprintf(":calendar: *product-%03d@1.%d.0* — Fri 2027-01-29 (in 25 days) · <@U%05d>", i, i%7, i))
		if len(sec) == 5 {
			d.Sections = append(d.Sections, store.Section{Text: strings.Join(sec, "\n")})
			sec = nil
		}
	}
	d.Text = "*All releases*\n…"
	return d
}

func errorUsage() store.Doc {
	return store.Doc{
		Text: ":x: there is no release payments@9.9; payments has 2.3.0, 2.4.0\nUsage: `/release show &lt;release&gt;`\nExample: `/release show payments@2.3.0`",
		Sections: []store.Section{
			{Text: ":x: there is no release payments@9.9; payments has 2.3.0, 2.4.0"},
			{Text: "Usage: `/release show &lt;release&gt;`\nExample: `/release show payments@2.3.0`"},
		},
	}
}

func withButtons() store.Doc {
	return store.Doc{
		Header: "Change request CR-7 on payments@2.3.0",
		Text:   "*Change request CR-7 on payments@2.3.0*\n…",
		Sections: []store.Section{
			{Text: "<@U0ALEX> asks to move *payments@2.3.0* to Fri 2027-02-05 because the PSP certification slipped."},
			{Fields: []string{"*Approvals*\n1 of 2 (<@U0RITA>)", "*Rejections*\nnone"}},
		},
		Buttons: []store.Button{
			{ActionID: "ccb.approve", Text: "Approve", Value: "cr:7", Style: "primary"},
			{ActionID: "ccb.reject", Text: "Reject", Value: "cr:7", Style: "danger"},
			{ActionID: "ccb.abstain", Text: "Abstain", Value: "cr:7", Style: "warning"},
		},
	}
}

// escapedUserText holds user text that commands escaped: it must reach
// Slack byte for byte, verbatim, so nobody is pinged.
func escapedUserText() store.Doc {
	return store.Doc{
		Text: "…",
		Sections: []store.Section{
			{Text: "→ <@U0ALEX> moved *auth-sdk@1.4.0* later because &lt;!channel&gt; read &lt;https://evil.example|the docs&gt; &amp; ping @here in #general"},
			{Fields: []string{"*Reason*\n&lt;!subteam^S0ALL&gt; &lt;!here&gt; @everyone"}},
			{Context: "Reported by &lt;@U0FAKE&gt; via <@U0ALEX>"},
		},
	}
}

// longSection is one paragraph over 3,000 characters, dense with mentions
// and escapes, so that any cut near the limit lands in one.
func longSection() store.Doc {
	var b strings.Builder
	for i := 0; b.Len() < 3400; i++ {
		fmt.Fprintf(&b, "<@U%05d> &amp; <#C%05d> said &lt;wait&gt; ", i, i)
	}
	return store.Doc{Text: b.String(), Sections: []store.Section{{Text: b.String()}}}
}

func longHeader() store.Doc {
	h := strings.Repeat("Release train: payments@2.3.0, auth-sdk@1.4.0, mobile@5.0 ", 4)
	return store.Doc{Header: h, Sections: []store.Section{{Text: "Three releases ship together."}}}
}

var goldenDocs = []struct {
	name   string
	doc    store.Doc
	prefix string
}{
	{"release_card", releaseCard(), ""},
	{"long_list", longList(), ""},
	{"error_usage", errorUsage(), ""},
	{"buttons", withButtons(), "cr-7-v3"},
	{"escaped_user_text", escapedUserText(), ""},
	{"long_section", longSection(), ""},
	{"long_header", longHeader(), ""},
}

// TestBlocksGolden renders representative docs and compares the JSON with
// testdata/<name>.golden. Run with -update after a deliberate change.
func TestBlocksGolden(t *testing.T) {
	for _, tc := range goldenDocs {
		t.Run(tc.name, func(t *testing.T) {
			blocks := Blocks(tc.doc, tc.prefix)
			checkMessage(t, blocks, maxMessageBlocks)
			golden(t, tc.name, blocks)
		})
	}
}

func TestBlocks(t *testing.T) {
	t.Run("CutsAtFiftyBlocksWithCount", func(t *testing.T) {
		blocks := Blocks(longList(), "")
		if len(blocks) != maxMessageBlocks {
			t.Fatalf("len(Blocks) = %d; want %d", len(blocks), maxMessageBlocks)
		}
		// Header and 48 sections of 5 lines are kept: 300-240 lines, plus
		// the 12 the doc had already left out.
		if got, want := lastContext(t, blocks), "…and 72 more not shown"; got != want {
			t.Errorf("last block = %q; want %q", got, want)
		}
	})
	t.Run("KeepsEscapedUserTextByteForByte", func(t *testing.T) {
		doc := escapedUserText()
		raw := mustJSON(t, Blocks(doc, ""))
		for _, s := range doc.Sections {
			for _, want := range append([]string{s.Text, s.Context}, s.Fields...) {
				if want != "" && !bytes.Contains(raw, mustJSON(t, want)) {
					t.Errorf("rendered blocks lack %q:\n%s", want, raw)
				}
			}
		}
	})
	t.Run("ShortensLongSectionSafely", func(t *testing.T) {
		doc := longSection()
		s := Blocks(doc, "")[0].(*slack.SectionBlock).Text.Text
		if n := utf8.RuneCountInString(s); n > maxText || !strings.HasSuffix(s, ellipsis) {
			t.Fatalf("section has %d characters, ends %q; want ≤ %d ending in …", n, s[len(s)-20:], maxText)
		}
		if !strings.HasPrefix(doc.Sections[0].Text, strings.TrimSuffix(s, ellipsis)) {
			t.Errorf("section is not a prefix of the doc's text")
		}
	})
	t.Run("ShortensLongHeader", func(t *testing.T) {
		h := Blocks(longHeader(), "")[0].(*slack.HeaderBlock).Text.Text
		if n := utf8.RuneCountInString(h); n > maxHeader || !strings.HasSuffix(h, ellipsis) {
			t.Errorf("header = %q (%d characters); want ≤ %d ending in …", h, n, maxHeader)
		}
	})
	t.Run("SplitsFieldsTenABlock", func(t *testing.T) {
		doc := store.Doc{Sections: []store.Section{{Text: "*Board*", Fields: numbered("*Member %d*\n<@U%d>", 23)}}}
		var got []int
		for _, b := range Blocks(doc, "") {
			got = append(got, len(b.(*slack.SectionBlock).Fields))
		}
		if diff := cmp.Diff([]int{10, 10, 3}, got); diff != "" {
			t.Errorf("fields per block (-want +got):\n%s", diff)
		}
		if Blocks(doc, "")[0].(*slack.SectionBlock).Text == nil {
			t.Errorf("the first block lost the section's text")
		}
	})
	t.Run("KeepsButtonsSharingAnActionIDInOneRow", func(t *testing.T) {
		doc := store.Doc{Buttons: []store.Button{
			{ActionID: "ccb.vote", Text: "Approve", Value: "1:approve"},
			{ActionID: "ccb.vote", Text: "Reject", Value: "1:reject"},
			{ActionID: "ccb.vote", Text: "Abstain", Value: "1:abstain"},
			{ActionID: "ccb.show", Text: "Show CR-1", Value: "1"},
		}}
		blocks := Blocks(doc, "")
		if got := elementsPerBlock(t, blocks); !cmp.Equal(got, []int{4}) {
			t.Fatalf("buttons per actions block = %v; want [4]", got)
		}
		var ids, back []string
		for _, e := range blocks[0].(*slack.ActionBlock).Elements.ElementSet {
			id := e.(*slack.ButtonBlockElement).ActionID
			ids, back = append(ids, id), append(back, ActionID(id))
		}
		if diff := cmp.Diff([]string{"ccb.vote", "ccb.vote#2", "ccb.vote#3", "ccb.show"}, ids); diff != "" {
			t.Errorf("action_ids (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"ccb.vote", "ccb.vote", "ccb.vote", "ccb.show"}, back); diff != "" {
			t.Errorf("ActionID of each (-want +got):\n%s", diff)
		}
		if got := ActionID("relman.run#x"); got != "relman.run#x" {
			t.Errorf(`ActionID("relman.run#x") = %q; want it unchanged`, got)
		}
	})
	t.Run("StartsNewActionsBlockAfterTwentyFive", func(t *testing.T) {
		var bs []store.Button
		for i := range 30 {
			bs = append(bs, store.Button{ActionID: fmt.Sprintf("b%d", i), Text: "Go", Value: "v"})
		}
		if got := elementsPerBlock(t, Blocks(store.Doc{Buttons: bs}, "")); !cmp.Equal(got, []int{25, 5}) {
			t.Errorf("buttons per actions block = %v; want [25 5]", got)
		}
	})
	t.Run("LeavesOutButtonsSlackWouldReject", func(t *testing.T) {
		doc := store.Doc{Buttons: []store.Button{
			{ActionID: "ok", Text: "Keep", Value: "1"},
			{ActionID: "no-text", Text: "  ", Value: "1"},
			{ActionID: "long-value", Text: "Drop", Value: strings.Repeat("v", maxButtonValue+1)},
			{ActionID: strings.Repeat("a", maxActionID+1), Text: "Drop", Value: "1"},
		}}
		if got := elementsPerBlock(t, Blocks(doc, "")); !cmp.Equal(got, []int{1}) {
			t.Errorf("buttons per actions block = %v; want [1]", got)
		}
	})
	t.Run("KeepsButtonsWhenCutting", func(t *testing.T) {
		doc := longList()
		doc.Buttons = withButtons().Buttons
		blocks := Blocks(doc, "")
		if len(blocks) != maxMessageBlocks || blocks[len(blocks)-2].BlockType() != slack.MBTAction {
			t.Fatalf("got %d blocks, next to last %s; want %d with the actions kept", len(blocks), blocks[len(blocks)-2].BlockType(), maxMessageBlocks)
		}
	})
	t.Run("NumbersBlockIDsWithPrefix", func(t *testing.T) {
		var ids []string
		for _, b := range Blocks(withButtons(), "cr-7-v3") {
			ids = append(ids, b.ID())
		}
		if diff := cmp.Diff([]string{"cr-7-v3-0", "cr-7-v3-1", "cr-7-v3-2", "cr-7-v3-3"}, ids); diff != "" {
			t.Errorf("block ids (-want +got):\n%s", diff)
		}
	})
	t.Run("SetsNoBlockIDsWithoutPrefix", func(t *testing.T) {
		if raw := mustJSON(t, Blocks(withButtons(), "")); bytes.Contains(raw, []byte(`"block_id"`)) {
			t.Errorf("blocks have block_ids:\n%s", raw)
		}
	})
	t.Run("RendersNothingForEmptyDoc", func(t *testing.T) {
		doc := store.Doc{Text: "only text", Sections: []store.Section{{Text: " \n", Fields: []string{""}}}}
		if blocks := Blocks(doc, "x"); blocks == nil || len(blocks) != 0 {
			t.Errorf("Blocks = %#v; want an empty slice", blocks)
		}
	})
}

// TestBlocksLimits checks Slack's limits on every fixture and on docs built
// to exceed each of them.
func TestBlocksLimits(t *testing.T) {
	huge := strings.Repeat("<@U0ALEX> &amp; more ", 300)
	docs := map[string]store.Doc{
		"ManyFields":  {Sections: []store.Section{{Fields: numbered("*Field %d*\nvalue", 95)}}},
		"LongFields":  {Sections: []store.Section{{Fields: []string{"*Notes*\n" + huge}}}},
		"LongContext": {Sections: []store.Section{{Context: huge}}},
		"LongButton":  {Buttons: []store.Button{{ActionID: "a", Text: strings.Repeat("Approve ", 20), Value: "1"}}},
		"Everything": {
			Header:   strings.Repeat("h", 400),
			Sections: repeatSections(store.Section{Text: huge, Fields: numbered("*F%d*\n"+huge, 12), Context: huge}, 30),
			Buttons:  numberedButtons(60),
			More:     5,
		},
	}
	for _, tc := range goldenDocs {
		docs[tc.name] = tc.doc
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			checkMessage(t, Blocks(doc, "p"), maxMessageBlocks)
			if f := FallbackText(doc); f == "" || utf8.RuneCountInString(f) > maxFallback {
				t.Errorf("FallbackText has %d characters; want 1..%d", utf8.RuneCountInString(f), maxFallback)
			}
		})
	}
}

func TestClipMrkdwn(t *testing.T) {
	tests := []struct {
		name string
		s    string
		max  int
		want string
	}{
		{"KeepsTextAtTheLimit", "abc", 3, "abc"},
		{"EndsWithEllipsisWithinTheLimit", "abcdef", 4, "abc…"},
		{"CountsRunesNotBytes", "ééééé", 4, "ééé…"},
		{"BacksOutOfAMention", "see <@U012ABCDEF> now", 10, "see…"},
		{"BacksOutOfALink", "<https://x.example|docs &amp; more> tail", 20, "…"},
		{"BacksOutOfAnEscape", "a &amp; b", 5, "a…"},
		{"KeepsAWholeEscape", "x &lt;yz", 7, "x &lt;…"},
		{"KeepsAnEscapedSpecialMentionEscaped", "hey &lt;!channel&gt; now", 19, "hey &lt;!channel…"},
		{"PrefersALineBreak", "first line here\nsecond line", 20, "first line here…"},
		{"IgnoresAnEarlyLineBreak", "a\nbcdefghijklmnop", 10, "a\nbcdefgh…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := clipMrkdwn(tc.s, tc.max); got != tc.want {
				t.Errorf("clipMrkdwn(%q, %d) = %q; want %q", tc.s, tc.max, got, tc.want)
			}
		})
	}
}

// TestClipMrkdwnAnyLength cuts escaped text at every length: the result
// must fit, be a prefix of the text, and keep every entity whole.
func TestClipMrkdwnAnyLength(t *testing.T) {
	s := "→ <@U0ALEX> moved *a&amp;b@1.0* &lt;!here&gt;\n• <#C0REL> <https://x.example|docs> — ünïcode ✓ &gt; done"
	for max := 1; max <= utf8.RuneCountInString(s)+1; max++ {
		got := clipMrkdwn(s, max)
		if utf8.RuneCountInString(got) > max {
			t.Errorf("clipMrkdwn(s, %d) = %q: too long", max, got)
		}
		if !strings.HasPrefix(s, strings.TrimSuffix(got, ellipsis)) {
			t.Errorf("clipMrkdwn(s, %d) = %q: not a prefix of s", max, got)
		}
		if err := wellFormed(got); err != nil {
			t.Errorf("clipMrkdwn(s, %d) = %q: %v", max, got, err)
		}
	}
}

func TestFallbackText(t *testing.T) {
	long := strings.Repeat("<@U0ALEX> &amp; ", 400)
	tests := []struct {
		name string
		doc  store.Doc
		want string
	}{
		{"UsesText", store.Doc{Text: "*mobile@5.0*", Header: "mobile@5.0"}, "*mobile@5.0*"},
		{"ShortensLongTextSafely", store.Doc{Text: long}, clipMrkdwn(long, maxFallback)},
		{"EscapesHeaderWhenTextIsBlank", store.Doc{Text: " ", Header: " a <!here> & b "}, "a &lt;!here&gt; &amp; b"},
		{"SaysRelmanWhenEmpty", store.Doc{}, "relman"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FallbackText(tc.doc); got != tc.want {
				t.Errorf("FallbackText = %q; want %q", got, tc.want)
			}
		})
	}
	if got := FallbackText(store.Doc{Text: long}); utf8.RuneCountInString(got) > maxFallback || wellFormed(got) != nil {
		t.Errorf("FallbackText of a long text: %d characters, well formed: %v", utf8.RuneCountInString(got), wellFormed(got))
	}
}

func TestEphemeral(t *testing.T) {
	r := Ephemeral(errorUsage())
	golden(t, "ephemeral_error_usage", r)

	t.Run("BlocksMarshalAsSlackBlocks", func(t *testing.T) {
		r := Ephemeral(withButtons())
		var body struct {
			Blocks json.RawMessage `json:"blocks"`
		}
		if err := json.Unmarshal(mustJSON(t, r), &body); err != nil {
			t.Fatal(err)
		}
		want := mustJSON(t, slack.Blocks{BlockSet: r.Blocks})
		if !bytes.Equal(body.Blocks, want) {
			t.Errorf("Response blocks differ from slack.Blocks:\n got %s\nwant %s", body.Blocks, want)
		}
		var back slack.Blocks
		if err := json.Unmarshal(body.Blocks, &back); err != nil {
			t.Fatalf("slack-go cannot decode the blocks: %v", err)
		}
		if len(back.BlockSet) != len(r.Blocks) {
			t.Errorf("decoded %d blocks; want %d", len(back.BlockSet), len(r.Blocks))
		}
	})
	t.Run("OmitsEmptyBlocksAndMetadata", func(t *testing.T) {
		got := string(mustJSON(t, Ephemeral(store.Doc{Text: "done"})))
		if want := `{"response_type":"ephemeral","text":"done"}`; got != want {
			t.Errorf("Ephemeral JSON = %s; want %s", got, want)
		}
	})
}

func TestHomeView(t *testing.T) {
	t.Run("Golden", func(t *testing.T) {
		v := HomeView(releaseCard(), store.Doc{}, withButtons())
		checkView(t, v)
		golden(t, "home", v)
	})
	t.Run("CutsAtOneHundredBlocks", func(t *testing.T) {
		v := HomeView(longList(), longList(), longList())
		checkView(t, v)
		blocks := v.Blocks.BlockSet
		if len(blocks) != maxViewBlocks {
			t.Fatalf("home view has %d blocks; want %d", len(blocks), maxViewBlocks)
		}
		if got := lastContext(t, blocks); !strings.HasSuffix(got, " more not shown") {
			t.Errorf("last block = %q; want …and N more not shown", got)
		}
	})
	t.Run("LeavesOutButtons", func(t *testing.T) {
		for _, b := range HomeView(withButtons()).Blocks.BlockSet {
			if b.BlockType() == slack.MBTAction {
				t.Errorf("home view has an actions block")
			}
		}
	})
	t.Run("HasEmptyBlocksWhenNothingToShow", func(t *testing.T) {
		if got := string(mustJSON(t, HomeView())); got != `{"type":"home","blocks":[]}` {
			t.Errorf("HomeView() = %s", got)
		}
	})
}

func TestAddReleaseModal(t *testing.T) {
	v := AddReleaseModal("C0RELEASES", "U0ALEX", "2027-01-29")
	golden(t, "modal_add_release", v)
	for _, o := range []*slack.TextBlockObject{v.Title, v.Submit, v.Close} {
		if n := utf8.RuneCountInString(o.Text); o.Type != slack.PlainTextType || n < 1 || n > 24 {
			t.Errorf("modal %s %q: want plain_text of 1..24 characters", o.Type, o.Text)
		}
	}
	// slack-go decodes blocks strictly since v0.34: the modal must come
	// back as the same inputs.
	var back slack.View
	if err := json.Unmarshal(mustJSON(t, v), &back); err != nil {
		t.Fatalf("decode modal: %v", err)
	}
	var ids []string
	for _, b := range back.Blocks.BlockSet {
		ids = append(ids, b.ID())
	}
	if diff := cmp.Diff([]string{BlockProduct, BlockVersion, BlockDate, BlockOwner, BlockChannel, BlockStages}, ids); diff != "" {
		t.Errorf("decoded block ids (-want +got):\n%s", diff)
	}
}

func TestParseAddRelease(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "view_submission_add_release.json"))
	if err != nil {
		t.Fatal(err)
	}
	ic := decodeInteraction(t, raw)
	if ic.Type != slack.InteractionTypeViewSubmission || ic.View.CallbackID != AddReleaseCallback {
		t.Fatalf("payload type %q callback %q; want view_submission %q", ic.Type, ic.View.CallbackID, AddReleaseCallback)
	}
	// An optional select the user cleared arrives as null.
	cleared := decodeInteraction(t, bytes.Replace(raw, []byte(`"selected_conversation": "C0PAYMENTS"`), []byte(`"selected_conversation": null`), 1))

	tests := []struct {
		name string
		view slack.View
		want AddReleaseForm
	}{
		{"ReadsEveryInputTrimmed", ic.View, AddReleaseForm{
			Channel: "C0RELEASES", Product: "payments", Version: "2.3.0", Date: "2027-01-29", Owner: "U0SAM", NewsChannel: "C0PAYMENTS",
		}},
		{"LeavesClearedChannelEmpty", cleared.View, AddReleaseForm{
			Channel: "C0RELEASES", Product: "payments", Version: "2.3.0", Date: "2027-01-29", Owner: "U0SAM",
		}},
		{"ReadsOnlyChannelWithoutState", slack.View{PrivateMetadata: "C0RELEASES"}, AddReleaseForm{Channel: "C0RELEASES"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseAddRelease(tc.view)); diff != "" {
				t.Errorf("ParseAddRelease (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFieldErrors(t *testing.T) {
	got := string(mustJSON(t, FieldErrors(map[string]string{BlockVersion: "payments@2.3.0 already exists"})))
	want := `{"response_action":"errors","errors":{"version":"payments@2.3.0 already exists"}}`
	if got != want {
		t.Errorf("FieldErrors JSON = %s; want %s", got, want)
	}
}

// ---- helpers

// golden compares v's indented JSON with testdata/<name>.golden, or
// rewrites the file with -update.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// json.Marshal writes <, > and & as \u003c, \u003e and \u0026, even
	// under slack-go's own MarshalJSON methods, where an Encoder's
	// SetEscapeHTML(false) does not reach. Both spellings are the same JSON
	// string; the files use the one people read.
	got := []byte(htmlUnescaper.Replace(string(raw)) + "\n")
	file := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", file, diff)
	}
}

func decodeInteraction(t *testing.T, raw []byte) slack.InteractionCallback {
	t.Helper()
	var ic slack.InteractionCallback
	if err := json.Unmarshal(raw, &ic); err != nil {
		t.Fatalf("decode interaction: %v", err)
	}
	return ic
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkMessage checks blocks against Slack's limits, on the JSON Slack
// would receive.
func checkMessage(t *testing.T, blocks []slack.Block, limit int) {
	t.Helper()
	var bs []map[string]any
	if err := json.Unmarshal(mustJSON(t, blocks), &bs); err != nil {
		t.Fatal(err)
	}
	if len(bs) > limit {
		t.Errorf("%d blocks; want at most %d", len(bs), limit)
	}
	ids := make(map[string]bool)
	for i, b := range bs {
		if id, ok := b["block_id"].(string); ok {
			if ids[id] || len(id) > 255 {
				t.Errorf("block %d: block_id %q repeated or too long", i, id)
			}
			ids[id] = true
		}
		switch b["type"] {
		case "header":
			if txt := b["text"].(map[string]any); txt["type"] != "plain_text" || runes(txt["text"]) > maxHeader {
				t.Errorf("block %d: header %v; want plain_text of at most %d", i, txt, maxHeader)
			}
		case "section":
			fields, _ := b["fields"].([]any)
			if len(fields) > maxFields {
				t.Errorf("block %d: %d fields; want at most %d", i, len(fields), maxFields)
			}
			for _, f := range fields {
				if n := runes(f.(map[string]any)["text"]); n > maxField {
					t.Errorf("block %d: field of %d characters; want at most %d", i, n, maxField)
				}
			}
			if b["text"] == nil && len(fields) == 0 {
				t.Errorf("block %d: section without text or fields", i)
			}
		case "context":
			if els, _ := b["elements"].([]any); len(els) < 1 || len(els) > 10 {
				t.Errorf("block %d: context with %d elements; want 1..10", i, len(els))
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) < 1 || len(els) > maxButtons {
				t.Errorf("block %d: %d elements; want 1..%d", i, len(els), maxButtons)
			}
			actionIDs := make(map[any]bool)
			for _, e := range els {
				e := e.(map[string]any)
				if n := runes(e["text"].(map[string]any)["text"]); n > maxButtonText {
					t.Errorf("block %d: button text of %d characters", i, n)
				}
				if n := runes(e["value"]); n > maxButtonValue {
					t.Errorf("block %d: button value of %d characters", i, n)
				}
				if actionIDs[e["action_id"]] {
					t.Errorf("block %d: action_id %v repeated", i, e["action_id"])
				}
				actionIDs[e["action_id"]] = true
			}
		case "divider":
		default:
			t.Errorf("block %d: unexpected type %v", i, b["type"])
		}
	}
	walkText(bs, func(obj map[string]any) {
		s, _ := obj["text"].(string)
		if n := utf8.RuneCountInString(s); blank(s) || n > maxText {
			t.Errorf("text object of %d characters: %q", n, s)
		}
		if obj["type"] == slack.MarkdownType {
			if obj["verbatim"] != true {
				t.Errorf("mrkdwn %q is not verbatim", s)
			}
			if err := wellFormed(s); err != nil {
				t.Errorf("mrkdwn %q: %v", s, err)
			}
		}
	})
}

func checkView(t *testing.T, v slack.HomeTabViewRequest) {
	t.Helper()
	blocks := v.Blocks.BlockSet
	checkMessage(t, blocks, maxViewBlocks)
	for i, b := range blocks {
		if b.BlockType() == slack.MBTDivider && (i == 0 || i == len(blocks)-1 || blocks[i-1].BlockType() == slack.MBTDivider) {
			t.Errorf("block %d: divider at an end or after a divider", i)
		}
	}
}

// walkText calls f with every text object (plain_text or mrkdwn) in v.
func walkText(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["text"].(string); ok && (v["type"] == slack.MarkdownType || v["type"] == slack.PlainTextType) {
			f(v)
		}
		for _, x := range v {
			walkText(x, f)
		}
	case []map[string]any:
		for _, x := range v {
			walkText(x, f)
		}
	case []any:
		for _, x := range v {
			walkText(x, f)
		}
	}
}

// wellFormed reports markup that a bad cut would leave: a < without its >,
// a stray >, or an & that does not start &amp;, &lt; or &gt;.
func wellFormed(s string) error {
	open := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			if open {
				return fmt.Errorf("< inside <…> at %d", i)
			}
			open = true
		case '>':
			if !open {
				return fmt.Errorf("stray > at %d", i)
			}
			open = false
		case '&':
			if !strings.HasPrefix(s[i:], "&amp;") && !strings.HasPrefix(s[i:], "&lt;") && !strings.HasPrefix(s[i:], "&gt;") {
				return fmt.Errorf("broken escape at %d", i)
			}
		}
	}
	if open {
		return fmt.Errorf("unclosed <")
	}
	return nil
}

func runes(v any) int {
	s, _ := v.(string)
	return utf8.RuneCountInString(s)
}

func lastContext(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	c, ok := blocks[len(blocks)-1].(*slack.ContextBlock)
	if !ok {
		t.Fatalf("last block is %T; want a context block", blocks[len(blocks)-1])
	}
	return c.ContextElements.Elements[0].(*slack.TextBlockObject).Text
}

func elementsPerBlock(t *testing.T, blocks []slack.Block) []int {
	t.Helper()
	var n []int
	for _, b := range blocks {
		a, ok := b.(*slack.ActionBlock)
		if !ok {
			t.Fatalf("block is %T; want actions", b)
		}
		n = append(n, len(a.Elements.ElementSet))
	}
	return n
}

func numbered(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strings.ReplaceAll(format, "%d", fmt.Sprint(i))
	}
	return out
}

func numberedButtons(n int) []store.Button {
	out := make([]store.Button, n)
	for i := range out {
		out[i] = store.Button{ActionID: fmt.Sprintf("act.%d", i%30), Text: fmt.Sprintf("Button %d", i), Value: fmt.Sprint(i)}
	}
	return out
}

func repeatSections(s store.Section, n int) []store.Section {
	out := make([]store.Section, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestBlocksSayHowToSeeTheRest: a doc that left items out ends with how to
// see them.
func TestBlocksSayHowToSeeTheRest(t *testing.T) {
	doc := store.Doc{Sections: []store.Section{{Text: "one"}}, More: 5, MoreHint: "narrow it with `/release list &lt;product&gt;`"}
	blocks := Blocks(doc, "")
	last, ok := blocks[len(blocks)-1].(*slack.ContextBlock)
	if !ok {
		t.Fatalf("last block is %T; want a context block", blocks[len(blocks)-1])
	}
	text := last.ContextElements.Elements[0].(*slack.TextBlockObject).Text
	if want := "…and 5 more — narrow it with `/release list &lt;product&gt;`"; text != want {
		t.Errorf("last block text = %q; want %q", text, want)
	}
}
