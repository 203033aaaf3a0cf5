package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"relman/bot/slackfake"
	"relman/commands"
	"relman/reminders"
	"relman/store"
)

// TestReconfirmEndToEnd: the sweep asks an external item's owner, by DM,
// whether its date holds; the DM waits for working hours in the owner's
// zone; the owner clicks "Still on …", which confirms the item as them and
// edits the DM to show the answer.
func TestReconfirmEndToEnd(t *testing.T) {
	f := MustHTTPFixture(t)
	ctx := context.Background()
	f.Fake.SetUser(actionOwner, "sam", "Asia/Tokyo")
	f.Outbox.Zones = f.Slack.Users
	svc := f.Service
	for _, line := range []string{
		"add mobile 5.0 2027-02-26",
		`depend mobile@5.0 on external "Stripe SDK" due 2027-02-15 owner <@` + actionOwner + `>`,
	} {
		if r := svc.Execute(ctx, commands.Request{User: httpUser, Channel: httpChannel, Command: "/release", Text: line}); !r.OK() {
			t.Fatalf("%s: %s", line, r.Doc.Text)
		}
	}
	if _, err := f.Outbox.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	// Friday 2027-01-22 10:30 UTC is 19:30 in Tokyo, 18 days after the
	// item was confirmed.
	friday := time.Date(2027, 1, 22, 10, 30, 0, 0, time.UTC)
	f.Clock.Set(friday)
	sweep := &reminders.Sweep{Store: f.Store, Checks: []reminders.Check{reminders.Reconfirms}, Notify: f.Outbox.Notify}
	if n, err := sweep.Run(ctx, friday); err != nil || n != 1 {
		t.Fatalf("sweep = %d, %v; want 1 request", n, err)
	}
	if n, err := sweep.Run(ctx, friday.Add(15*time.Minute)); err != nil || n != 0 {
		t.Fatalf("second sweep = %d, %v; want nothing new", n, err)
	}
	if _, err := f.Outbox.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	dm := slackfake.DMChannel(actionOwner)
	if got := f.Fake.Messages(dm); len(got) != 0 {
		t.Fatalf("sam got %d DMs on Friday evening in Tokyo; want the request held", len(got))
	}
	monday := time.Date(2027, 1, 25, 0, 0, 0, 0, time.UTC) // 09:00 in Tokyo
	if next, err := f.Outbox.Next(); err != nil || !next.Equal(monday) {
		t.Fatalf("outbox Next = %v, %v; want %v", next, err, monday)
	}
	f.Clock.Set(monday)
	f.Fake.Now = f.Clock.Now // response_urls age on the fixture's clock
	if _, err := f.Outbox.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := f.Fake.Messages(dm)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Is external “Stripe SDK” still due Mon 2027-02-15") {
		t.Fatalf("sam's DMs = %+v; want the re-confirm request", msgs)
	}

	// The button as Slack sends it back: decode the posted blocks.
	var blocks []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string          `json:"action_id"`
			Value    string          `json:"value"`
			Text     json.RawMessage `json:"text"` // an object on a button, a string on a context element
		} `json:"elements"`
	}
	if err := json.Unmarshal(msgs[0].Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	var still store.Button
	for _, b := range blocks {
		for _, e := range b.Elements {
			var label struct{ Text string }
			if b.Type == "actions" && json.Unmarshal(e.Text, &label) == nil && strings.HasPrefix(label.Text, "Still on") {
				still = store.Button{ActionID: e.ActionID, Value: e.Value, Text: label.Text}
			}
		}
	}
	if still.ActionID == "" {
		t.Fatalf("the request has no Still on button: %s", msgs[0].Blocks)
	}
	res := f.MustPost(t, "/slack/interactions", httpFormType, clickBody(t, f, actionOwner, still, msgs[0]))
	if res.Status != http.StatusOK || res.Body != "" {
		t.Fatalf("click = %d %q; want 200 and no body", res.Status, res.Body)
	}
	f.Slack.Wait()
	if got := mustExternal(t, f, "Stripe SDK").LastConfirmed; !got.Equal(monday) {
		t.Errorf("LastConfirmed = %v; want %v (confirmed by the click)", got, monday)
	}
	edited, _ := f.Fake.Message(dm, msgs[0].TS)
	b := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(string(edited.Blocks))
	if edited.Edits != 1 || strings.Contains(b, `"type":"actions"`) || !strings.Contains(b, "<@"+actionOwner+"> answered: Still on Mon 2027-02-15") {
		t.Errorf("request edited %d times to %s; want the answer in place of the buttons", edited.Edits, b)
	}
	// Confirmed today, the item is not asked about again for 14 days.
	if n, err := sweep.Run(ctx, monday.Add(13*24*time.Hour)); err != nil || n != 0 {
		t.Errorf("sweep 13 days after the click = %d, %v; want 0", n, err)
	}
}
