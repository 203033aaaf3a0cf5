package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"relman/bot/blockkit"
	"relman/bot/slackfake"
	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// The reminder of these tests: a re-confirm request for an external item,
// posted in actionChannel with a button that runs `confirm external …`.
const (
	actionOwner   = "U0SAM"
	actionOther   = "U0BOB"
	actionChannel = "C0VENDORS" // not the release's: the outbox spaces posts to one channel
)

// mustPostReminder seeds an external item owned by actionOwner and posts a
// message with a RunButton through the outbox; it returns the button and
// the message as the fake holds it.
func mustPostReminder(tb testing.TB, f *httpFixture) (store.Button, slackfake.Message) {
	tb.Helper()
	ctx := context.Background()
	svc := f.Service
	for _, line := range []string{
		"add mobile 5.0 2027-01-29",
		`depend mobile@5.0 on external "Stripe SDK" due 2027-01-20 owner <@` + actionOwner + `>`,
	} {
		if r := svc.Execute(ctx, commands.Request{User: actionOwner, Channel: httpChannel, Command: "/release", Text: line}); !r.OK() {
			tb.Fatalf("%s: %s", line, r.Doc.Text)
		}
	}
	button := render.RunButton("Still on Wed 2027-01-20", `confirm external "Stripe SDK"`)
	doc := store.Doc{Text: "Is “Stripe SDK” still due Wed 2027-01-20?", Sections: []store.Section{{Text: "Is “Stripe SDK” still due Wed 2027-01-20?"}},
		Buttons: []store.Button{button}}
	if err := svc.Store.Update(ctx, "relman", f.Clock.Now(), func(tx *store.Tx) error {
		return tx.Enqueue(&store.Message{Channel: actionChannel, Doc: doc})
	}); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.Outbox.Flush(ctx); err != nil {
		tb.Fatal(err)
	}
	msgs := f.Fake.Messages(actionChannel)
	if len(msgs) == 0 || !strings.Contains(string(msgs[len(msgs)-1].Blocks), `"type":"actions"`) {
		tb.Fatalf("the reminder with its button was not posted: %+v", msgs)
	}
	return button, msgs[len(msgs)-1]
}

// clickBody is the block_actions payload Slack posts when user clicks
// button in msg.
func clickBody(tb testing.TB, f *httpFixture, user string, button store.Button, msg slackfake.Message) string {
	tb.Helper()
	payload := map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": user, "username": "someone", "team_id": "T1"},
		"team":         map[string]any{"id": "T1"},
		"channel":      map[string]any{"id": msg.Channel, "name": "releases"},
		"container":    map[string]any{"type": "message", "message_ts": msg.TS, "channel_id": msg.Channel},
		"trigger_id":   f.Fake.NewTrigger(),
		"response_url": f.Fake.ResponseURLFor(msg.Channel, msg.TS),
		"message":      map[string]any{"type": "message", "ts": msg.TS, "text": msg.Text, "blocks": json.RawMessage(msg.Blocks)},
		"actions": []any{map[string]any{
			"type": "button", "action_id": button.ActionID, "block_id": "b1", "value": button.Value,
			"text": map[string]any{"type": "plain_text", "text": button.Text}, "action_ts": "1767517200.000100",
		}},
	}
	b, err := json.Marshal(payload)
	if err != nil {
		tb.Fatal(err)
	}
	return url.Values{"payload": {string(b)}}.Encode()
}

func TestRunButton(t *testing.T) {
	t.Run("RunsTheCommandAsTheClickerAndEditsTheMessage", func(t *testing.T) {
		f := MustHTTPFixture(t)
		button, msg := mustPostReminder(t, f)
		confirmAt := f.Clock.Advance(48 * time.Hour)
		res := f.MustPost(t, "/slack/interactions", httpFormType, clickBody(t, f, actionOwner, button, msg))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("click = %d %q; want 200 and no body", res.Status, res.Body)
		}
		f.Slack.Wait()
		var ext *store.External
		if err := f.Store.View(context.Background(), func(tx *store.Tx) (err error) {
			ext, err = tx.External("Stripe SDK")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !ext.LastConfirmed.Equal(confirmAt) {
			t.Errorf("LastConfirmed = %v; want %v (the click confirmed it)", ext.LastConfirmed, confirmAt)
		}
		got, ok := f.Fake.Message(msg.Channel, msg.TS)
		if !ok {
			t.Fatal("the reminder is gone; want it edited")
		}
		blocks := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(got.Blocks))
		if got.Edits != 1 || strings.Contains(blocks, `"type":"actions"`) {
			t.Errorf("reminder edited %d times, blocks %s; want one edit that removed the button", got.Edits, blocks)
		}
		for _, w := range []string{"still due Wed 2027-01-20?", ":white_check_mark: <@" + actionOwner + "> answered: Still on Wed 2027-01-20"} {
			if !strings.Contains(blocks, w) {
				t.Errorf("edited reminder lacks %q: %s", w, blocks)
			}
		}
		eph := f.Fake.Ephemerals(msg.Channel)
		if len(eph) != 1 || !strings.Contains(eph[0].Text, "Stripe SDK") {
			t.Errorf("ephemerals = %+v; want the confirm command's reply", eph)
		}
	})

	t.Run("RefusesSomeoneWithoutTheRightAndKeepsTheButton", func(t *testing.T) {
		f := MustHTTPFixture(t)
		button, msg := mustPostReminder(t, f)
		before := f.MustState(t)
		res := f.MustPost(t, "/slack/interactions", httpFormType, clickBody(t, f, actionOther, button, msg))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("click = %d %q; want 200 and no body", res.Status, res.Body)
		}
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Errorf("a refused click changed the store")
		}
		got, _ := f.Fake.Message(msg.Channel, msg.TS)
		if got.Edits != 0 {
			t.Errorf("reminder edited %d times; want untouched, button kept", got.Edits)
		}
		eph := f.Fake.Ephemerals(msg.Channel)
		if len(eph) != 1 || !strings.Contains(eph[0].Text, "only <@"+actionOwner+"> (its owner) or an admin can confirm") {
			t.Errorf("ephemerals = %+v; want the refusal, privately", eph)
		}
	})

	t.Run("IgnoresAButtonItDoesNotKnow", func(t *testing.T) {
		f := MustHTTPFixture(t)
		_, msg := mustPostReminder(t, f)
		unknown := store.Button{ActionID: "cr.approve", Text: "Approve", Value: "CR-1"}
		res := f.MustPost(t, "/slack/interactions", httpFormType, clickBody(t, f, actionOwner, unknown, msg))
		if res.Status != http.StatusOK {
			t.Fatalf("click = %d; want 200", res.Status)
		}
		f.Slack.Wait()
		if n := len(f.Fake.CallsTo("response_url")); n != 0 {
			t.Errorf("response_url used %d times; want 0", n)
		}
	})
}

// submitBody is the view_submission Slack posts when user saves the ask
// modal opened as view with date and reason filled in.
func submitBody(tb testing.TB, user string, view slackfake.View, date, reason string) string {
	tb.Helper()
	return viewSubmission(tb, user, view.ID, view.CallbackID, view.PrivateMetadata, map[string]any{
		blockkit.BlockAskDate:   map[string]any{blockkit.ActionValue: map[string]any{"type": "datepicker", "selected_date": date}},
		blockkit.BlockAskReason: map[string]any{blockkit.ActionValue: map[string]any{"type": "plain_text_input", "value": reason}},
	})
}

// viewSubmission is the view_submission Slack posts when user submits the
// modal viewID (callbackID, metadata) with the input values given, by
// block ID.
func viewSubmission(tb testing.TB, user, viewID, callbackID, metadata string, values map[string]any) string {
	tb.Helper()
	payload := map[string]any{
		"type": "view_submission",
		"user": map[string]any{"id": user, "team_id": "T1"},
		"team": map[string]any{"id": "T1"},
		"view": map[string]any{
			"id": viewID, "type": "modal", "callback_id": callbackID, "private_metadata": metadata,
			"state": map[string]any{"values": values},
		},
	}
	b, err := json.Marshal(payload)
	if err != nil {
		tb.Fatal(err)
	}
	return url.Values{"payload": {string(b)}}.Encode()
}

// mustOpenAsk clicks button as user and returns the modal Slack was asked
// to open.
func mustOpenAsk(tb testing.TB, f *httpFixture, user string, button store.Button, msg slackfake.Message) slackfake.View {
	tb.Helper()
	res := f.MustPost(tb, "/slack/interactions", httpFormType, clickBody(tb, f, user, button, msg))
	if res.Status != http.StatusOK || res.Body != "" {
		tb.Fatalf("click = %d %q; want 200 and no body", res.Status, res.Body)
	}
	calls := f.MustWaitCalls(tb, "views.open", 1)
	var view struct {
		ID              string `json:"id"`
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		Blocks          json.RawMessage
	}
	var answer struct {
		OK   bool
		View json.RawMessage
	}
	if err := json.Unmarshal([]byte(calls[len(calls)-1].Response), &answer); err != nil || !answer.OK {
		tb.Fatalf("views.open answered %s; want ok", calls[len(calls)-1].Response)
	}
	if err := json.Unmarshal(answer.View, &view); err != nil {
		tb.Fatal(err)
	}
	return slackfake.View{ID: view.ID, CallbackID: view.CallbackID, PrivateMetadata: view.PrivateMetadata, Blocks: view.Blocks}
}

func mustExternal(tb testing.TB, f *httpFixture, name string) *store.External {
	tb.Helper()
	var x *store.External
	if err := f.Store.View(context.Background(), func(tx *store.Tx) (err error) {
		x, err = tx.External(name)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return x
}

func TestAskButton(t *testing.T) {
	newDate := render.AskButton("New date…", render.Ask{Title: "New date for Stripe SDK", Command: `confirm external "Stripe SDK" due {date}`, Date: "2027-01-20"})

	t.Run("OpensTheFormThenRunsTheCommandAndEditsTheMessage", func(t *testing.T) {
		f := MustHTTPFixture(t)
		_, msg := mustPostReminder(t, f)
		view := mustOpenAsk(t, f, actionOwner, newDate, msg)
		if view.CallbackID != blockkit.AskCallback || !strings.Contains(string(view.Blocks), `"initial_date":"2027-01-20"`) {
			t.Errorf("opened view %q with blocks %s; want the ask modal preset to 2027-01-20", view.CallbackID, view.Blocks)
		}
		if strings.Contains(string(view.Blocks), blockkit.BlockAskReason) {
			t.Errorf("the form asks for a reason; this one should not: %s", view.Blocks)
		}
		res := f.MustPost(t, "/slack/interactions", httpFormType, submitBody(t, actionOwner, view, "2027-01-27", ""))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("submit = %d %q; want 200 and no body (the modal closes)", res.Status, res.Body)
		}
		f.Slack.Wait()
		if got := mustExternal(t, f, "Stripe SDK").Due; got != store.NewDate(2027, 1, 27) {
			t.Errorf("due = %v; want 2027-01-27", got)
		}
		got, _ := f.Fake.Message(msg.Channel, msg.TS)
		blocks := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(string(got.Blocks))
		if got.Edits != 1 || strings.Contains(blocks, `"type":"actions"`) || !strings.Contains(blocks, "<@"+actionOwner+"> answered New date: Wed 2027-01-27") {
			t.Errorf("reminder edited %d times to %s; want one edit naming the answer, buttons gone", got.Edits, blocks)
		}
	})

	t.Run("SubmittedOnAnotherReplicaStillEditsTheMessage", func(t *testing.T) {
		f := MustHTTPFixture(t)
		_, msg := mustPostReminder(t, f)
		view := mustOpenAsk(t, f, actionOwner, newDate, msg)
		// A second replica on the same database: its own Slack, no memory
		// shared with the first but the store.
		other := &Slack{Dispatcher: f.Slack.Dispatcher, API: f.Slack.API, Users: f.Slack.Users, Clock: f.Clock, Metrics: f.Metrics}
		t.Cleanup(other.Wait)
		srv := httptest.NewServer((&HTTP{Slack: other, SigningSecret: httpSecret, Metrics: f.Metrics}).Handler())
		t.Cleanup(srv.Close)
		res := f.MustDo(t, MustHTTPSigned(t, srv.URL+"/slack/interactions", httpFormType, submitBody(t, actionOwner, view, "2027-01-27", "")))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("submit on the other replica = %d %q; want 200 and no body", res.Status, res.Body)
		}
		other.Wait()
		got, _ := f.Fake.Message(msg.Channel, msg.TS)
		if got.Edits != 1 || strings.Contains(string(got.Blocks), `"type":"actions"`) {
			t.Errorf("reminder edited %d times to %s; want one edit, its buttons gone, though the form was opened on another replica", got.Edits, got.Blocks)
		}
		if n := len(f.Fake.CallsTo("chat.postEphemeral")); n != 0 {
			t.Errorf("chat.postEphemeral calls = %d; want none (the answer went to the message's response_url)", n)
		}
	})

	t.Run("ShowsARefusalUnderTheFieldAndChangesNothing", func(t *testing.T) {
		f := MustHTTPFixture(t)
		_, msg := mustPostReminder(t, f)
		view := mustOpenAsk(t, f, actionOther, newDate, msg)
		before := f.MustState(t)
		res := f.MustPost(t, "/slack/interactions", httpFormType, submitBody(t, actionOther, view, "2027-01-27", ""))
		fe := mustHTTPFieldErrors(t, res)
		if !strings.Contains(fe.Errors[blockkit.BlockAskDate], "its owner) or an admin can confirm") {
			t.Errorf("field errors = %v; want the refusal under the date", fe.Errors)
		}
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Errorf("a refused form changed the store")
		}
		if got, _ := f.Fake.Message(msg.Channel, msg.TS); got.Edits != 0 {
			t.Errorf("reminder edited %d times; want untouched", got.Edits)
		}
	})

	t.Run("PutsAMissingReasonUnderTheReason", func(t *testing.T) {
		f := MustHTTPFixture(t)
		_, msg := mustPostReminder(t, f)
		slip := render.AskButton("Will slip…", render.Ask{Title: "Will mobile@5.0 slip?", Command: "move mobile@5.0 {date} {reason}", Date: "2027-01-29", Reason: true})
		view := mustOpenAsk(t, f, actionOwner, slip, msg)
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, submitBody(t, actionOwner, view, "2027-02-12", "")))
		if fe.Errors[blockkit.BlockAskReason] == "" {
			t.Fatalf("field errors = %v; want one under the reason", fe.Errors)
		}
		res := f.MustPost(t, "/slack/interactions", httpFormType, submitBody(t, actionOwner, view, "2027-02-12", "the <PSP> & bank"))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("submit = %d %q; want 200 and no body", res.Status, res.Body)
		}
		f.Slack.Wait()
		r := f.MustRelease(t, "mobile@5.0")
		if last := r.History[len(r.History)-1]; r.Target != store.NewDate(2027, 2, 12) || last.Reason != "the <PSP> & bank" || last.By != actionOwner {
			t.Errorf("mobile@5.0 target %v, last change %+v; want moved to 2027-02-12 by %s because the <PSP> & bank", r.Target, last, actionOwner)
		}
	})

	t.Run("RejectsAFormWithoutADate", func(t *testing.T) {
		f := MustHTTPFixture(t)
		_, msg := mustPostReminder(t, f)
		view := mustOpenAsk(t, f, actionOwner, newDate, msg)
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, submitBody(t, actionOwner, view, "", "")))
		if fe.Errors[blockkit.BlockAskDate] != "Pick a date." {
			t.Errorf("field errors = %v; want Pick a date. under the date", fe.Errors)
		}
	})

	t.Run("TellsTheClickerWhatToTypeWhenTheFormCannotOpen", func(t *testing.T) {
		f := MustHTTPFixture(t)
		_, msg := mustPostReminder(t, f)
		body := strings.Replace(clickBody(t, f, actionOwner, newDate, msg), "trigger_id", "trigger_ix", 1) // no trigger: views.open fails
		if res := f.MustPost(t, "/slack/interactions", httpFormType, body); res.Status != http.StatusOK {
			t.Fatalf("click = %d; want 200", res.Status)
		}
		f.Slack.Wait()
		eph := f.Fake.Ephemerals(msg.Channel)
		if len(eph) != 1 || !strings.Contains(eph[0].Text, "Type `/release confirm external \"Stripe SDK\" due &lt;date&gt;` instead.") {
			t.Errorf("ephemerals = %+v; want what to type", eph)
		}
	})
}
