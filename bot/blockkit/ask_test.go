package blockkit

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"relman/store"
)

func TestAskModal(t *testing.T) {
	v := AskModal("Will mobile@5.0 slip past its needed-by date?", "2027-01-29", true, `{"id":"a1"}`)
	golden(t, "modal_ask", v)
	for _, o := range []*slack.TextBlockObject{v.Title, v.Submit, v.Close} {
		if n := utf8.RuneCountInString(o.Text); o.Type != slack.PlainTextType || n < 1 || n > 24 {
			t.Errorf("modal %s %q: want plain_text of 1..24 characters", o.Type, o.Text)
		}
	}
	var back slack.View
	if err := json.Unmarshal(mustJSON(t, v), &back); err != nil {
		t.Fatalf("decode modal: %v", err)
	}
	var ids []string
	for _, b := range back.Blocks.BlockSet {
		ids = append(ids, b.ID())
	}
	if diff := cmp.Diff([]string{BlockAskDate, BlockAskReason}, ids); diff != "" {
		t.Errorf("decoded block ids (-want +got):\n%s", diff)
	}
	if n := len(AskModal("New date", "", false, "").Blocks.BlockSet); n != 1 {
		t.Errorf("a date-only form has %d blocks; want 1", n)
	}
	if got := AskModal("  ", "", false, "").Title.Text; got != "relman" {
		t.Errorf("blank title = %q; want relman", got)
	}
}

func TestParseAsk(t *testing.T) {
	view := slack.View{PrivateMetadata: `{"id":"a1"}`, State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		BlockAskDate:   {ActionValue: {SelectedDate: "2027-02-01"}},
		BlockAskReason: {ActionValue: {Value: "  the PSP moved \n"}},
	}}}
	want := AskValues{Date: "2027-02-01", Reason: "the PSP moved", Metadata: `{"id":"a1"}`}
	if diff := cmp.Diff(want, ParseAsk(view)); diff != "" {
		t.Errorf("ParseAsk (-want +got):\n%s", diff)
	}
	if got := ParseAsk(slack.View{PrivateMetadata: "m"}); got != (AskValues{Metadata: "m"}) {
		t.Errorf("ParseAsk(no state) = %+v; want only the metadata", got)
	}
}

func TestAnswered(t *testing.T) {
	doc := store.Doc{Header: "Stripe SDK", Sections: []store.Section{{Text: "Still due Wed 2027-01-20?"}},
		Buttons: []store.Button{{ActionID: "run:1", Text: "Still on Wed 2027-01-20", Value: "confirm"}}}
	got := Answered(Blocks(doc, "m1"), ":white_check_mark: <@U1> answered: Still on Wed 2027-01-20")
	b := htmlUnescaper.Replace(string(mustJSON(t, got)))
	if strings.Contains(b, `"actions"`) || !strings.Contains(b, "Still due Wed 2027-01-20?") || !strings.Contains(b, `"type":"context"`) ||
		!strings.Contains(b, "<@U1> answered") {
		t.Errorf("Answered = %s; want the message without its buttons, ending with the note", b)
	}
	many := make([]slack.Block, 60)
	for i := range many {
		many[i] = slack.NewDividerBlock()
	}
	if n := len(Answered(many, "note")); n != maxMessageBlocks {
		t.Errorf("Answered(60 blocks) has %d; want at most %d", n, maxMessageBlocks)
	}
}
