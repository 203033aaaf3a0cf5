package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"relman/bot/blockkit"
	"relman/bot/slackfake"
	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// mustPostWillSlip seeds payments@2.3.0 (owned by actionOwner, target Fri
// 2027-01-29) needed by mobile@5.0, owned by actionOther, and posts a
// message with the "Will slip…" button of an upcoming nudge; it returns
// the button and the message as the fake holds it.
func mustPostWillSlip(tb testing.TB, f *httpFixture) (store.Button, slackfake.Message) {
	tb.Helper()
	ctx := context.Background()
	svc := f.Service
	for _, c := range []struct{ user, line string }{
		{actionOwner, "add payments 2.3.0 2027-01-29 channel <#C0PAY|payments>"},
		{actionOther, "add mobile 5.0 2027-02-05 channel <#C0MOB|mobile>"},
		{actionOther, "depend mobile@5.0 on payments@2.3.0"},
	} {
		if r := svc.Execute(ctx, commands.Request{User: c.user, Channel: httpChannel, Command: "/release", Text: c.line}); !r.OK() {
			tb.Fatalf("%s: %s", c.line, r.Doc.Text)
		}
	}
	slip := render.AskButton("Will slip…", render.Ask{Title: "Will slip", Command: "move payments@2.3.0 {date} {reason}", Date: "2027-02-06", Reason: true, Preview: true})
	doc := store.Doc{Text: "Will payments@2.3.0 make it?", Sections: []store.Section{{Text: "Will payments@2.3.0 make it?"}}, Buttons: []store.Button{slip}}
	if err := svc.Store.Update(ctx, "relman", f.Clock.Now(), func(tx *store.Tx) error {
		return tx.Enqueue(&store.Message{Channel: actionChannel, Doc: doc})
	}); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.Outbox.Flush(ctx); err != nil {
		tb.Fatal(err)
	}
	msgs := f.Fake.Messages(actionChannel)
	if len(msgs) == 0 {
		tb.Fatal("the nudge was not posted")
	}
	return slip, msgs[len(msgs)-1]
}

// previewSubmitBody is the view_submission Slack posts when user submits
// the ask modal view with date and reason, and "Preview first" ticked or
// not.
func previewSubmitBody(tb testing.TB, user string, view slackfake.View, date, reason string, preview bool) string {
	tb.Helper()
	var selected []any
	if preview {
		selected = []any{map[string]any{"value": blockkit.AskPreviewValue, "text": map[string]any{"type": "plain_text", "text": "Preview first"}}}
	}
	return viewSubmission(tb, user, view.ID, view.CallbackID, view.PrivateMetadata, map[string]any{
		blockkit.BlockAskDate:    map[string]any{blockkit.ActionValue: map[string]any{"type": "datepicker", "selected_date": date}},
		blockkit.BlockAskReason:  map[string]any{blockkit.ActionValue: map[string]any{"type": "plain_text_input", "value": reason}},
		blockkit.BlockAskPreview: map[string]any{blockkit.ActionValue: map[string]any{"type": "checkboxes", "selected_options": selected}},
	})
}

// stepSubmitBody is the view_submission of the preview step: a view with
// no inputs, carrying the step's private_metadata.
func stepSubmitBody(tb testing.TB, user string, step previewStep) string {
	tb.Helper()
	return viewSubmission(tb, user, "V0STEP", step.View.CallbackID, step.View.PrivateMetadata, map[string]any{})
}

// previewStep is a response_action update answering a submission.
type previewStep struct {
	ResponseAction string `json:"response_action"`
	View           struct {
		CallbackID      string                 `json:"callback_id"`
		PrivateMetadata string                 `json:"private_metadata"`
		Submit          *struct{ Text string } `json:"submit"`
		Blocks          json.RawMessage        `json:"blocks"`
	} `json:"view"`
}

func mustUpdate(tb testing.TB, res httpResult) previewStep {
	tb.Helper()
	var step previewStep
	if res.Status != http.StatusOK {
		tb.Fatalf("status = %d; want 200 (body %q)", res.Status, res.Body)
	}
	if err := json.Unmarshal([]byte(res.Body), &step); err != nil || step.ResponseAction != "update" {
		tb.Fatalf("answer %q (%v); want response_action update", res.Body, err)
	}
	return step
}

// plainBlocks is blocks as JSON with Slack's escapes of < > & undone.
func plainBlocks(b json.RawMessage) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
}

func TestWillSlipPreview(t *testing.T) {
	t.Run("OffersAPreviewFirst", func(t *testing.T) {
		f := MustHTTPFixture(t)
		slip, msg := mustPostWillSlip(t, f)
		view := mustOpenAsk(t, f, actionOwner, slip, msg)
		blocks := string(view.Blocks)
		if !strings.Contains(blocks, `"block_id":"`+blockkit.BlockAskPreview+`"`) || !strings.Contains(blocks, `"initial_options":[{`) || !strings.Contains(blocks, `"text":"Preview first"`) {
			t.Errorf("the form has no ticked Preview first box: %s", blocks)
		}
	})

	t.Run("ShowsThePreviewThenMoveItMoves", func(t *testing.T) {
		f := MustHTTPFixture(t)
		slip, msg := mustPostWillSlip(t, f)
		view := mustOpenAsk(t, f, actionOwner, slip, msg)
		before := f.MustState(t)
		step := mustUpdate(t, f.MustPost(t, "/slack/interactions", httpFormType, previewSubmitBody(t, actionOwner, view, "2027-02-12", "the PSP & bank", true)))
		blocks := plainBlocks(step.View.Blocks)
		for _, want := range []string{
			"Preview, nothing saved.",
			"Moving *payments@2.3.0* from Fri 2027-01-29 to Fri 2027-02-12 (14 days later) because the PSP &amp; bank would:",
			"*mobile@5.0* (owner <@" + actionOther + ">) needs it by Fri 2027-02-05",
			"relman would post in <#C0PAY> and <#C0MOB>, and DM <@" + actionOther + ">",
		} {
			if !strings.Contains(blocks, want) {
				t.Errorf("the preview step lacks %q:\n%s", want, blocks)
			}
		}
		if strings.Contains(blocks, `"type":"actions"`) {
			t.Errorf("the preview step has buttons; its submit is the Move it: %s", blocks)
		}
		if step.View.Submit == nil || step.View.Submit.Text != "Move it" || step.View.CallbackID != blockkit.AskCallback {
			t.Errorf("the preview step submits %+v as %q; want Move it, %q", step.View.Submit, step.View.CallbackID, blockkit.AskCallback)
		}
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Errorf("the preview changed the store: %+v, then %+v", before, after)
		}
		if r := f.MustRelease(t, "payments@2.3.0"); r.Target != store.NewDate(2027, 1, 29) {
			t.Errorf("after the preview payments@2.3.0 targets %v; want 2027-01-29 as before", r.Target)
		}

		queued := len(f.MustOutbox(t))
		res := f.MustPost(t, "/slack/interactions", httpFormType, stepSubmitBody(t, actionOwner, step))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("Move it = %d %q; want 200 and no body (the modal closes)", res.Status, res.Body)
		}
		f.Slack.Wait()
		r := f.MustRelease(t, "payments@2.3.0")
		if last := r.History[len(r.History)-1]; r.Target != store.NewDate(2027, 2, 12) || last.Reason != "the PSP & bank" || last.By != actionOwner {
			t.Errorf("payments@2.3.0 target %v, last change %+v; want moved to 2027-02-12 by %s because the PSP & bank", r.Target, last, actionOwner)
		}
		var to []string
		for _, m := range f.MustOutbox(t)[queued:] {
			to = append(to, m.Channel)
		}
		if strings.Join(to, " ") != "C0PAY C0MOB "+actionOther {
			t.Errorf("the move queued messages to %v; want what the preview said: C0PAY C0MOB %s", to, actionOther)
		}
		got, _ := f.Fake.Message(msg.Channel, msg.TS)
		if blocks := plainBlocks(got.Blocks); got.Edits != 1 || !strings.Contains(blocks, "<@"+actionOwner+"> answered Will slip: Fri 2027-02-12") {
			t.Errorf("nudge edited %d times to %s; want one edit naming the answer", got.Edits, blocks)
		}
	})

	t.Run("RefusesAPreviewUnderTheFieldAsTheMoveWould", func(t *testing.T) {
		f := MustHTTPFixture(t)
		slip, msg := mustPostWillSlip(t, f)
		view := mustOpenAsk(t, f, actionOther, slip, msg)
		before := f.MustState(t)
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, previewSubmitBody(t, actionOther, view, "2027-02-12", "late", true)))
		if !strings.Contains(fe.Errors[blockkit.BlockAskDate], "(owner) or an admin can move payments@2.3.0") {
			t.Errorf("field errors = %v; want the move's refusal under the date", fe.Errors)
		}
		fe = mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, previewSubmitBody(t, actionOwner, view, "2027-02-12", "", true)))
		if !strings.Contains(fe.Errors[blockkit.BlockAskReason], "needs a reason") {
			t.Errorf("field errors = %v; want the missing reason under the reason", fe.Errors)
		}
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Errorf("a refused preview changed the store")
		}
	})

	t.Run("MoveItIsCheckedAgainstTheStateWhenSubmitted", func(t *testing.T) {
		f := MustHTTPFixture(t)
		slip, msg := mustPostWillSlip(t, f)
		view := mustOpenAsk(t, f, actionOwner, slip, msg)
		step := mustUpdate(t, f.MustPost(t, "/slack/interactions", httpFormType, previewSubmitBody(t, actionOwner, view, "2027-02-12", "the PSP", true)))
		svc := f.Service
		if r := svc.Execute(context.Background(), commands.Request{User: actionOwner, Channel: httpChannel, Command: "/release", Text: "cancel payments@2.3.0 because folded into 2.4"}); !r.OK() {
			t.Fatal(r.Doc.Text)
		}
		refused := mustUpdate(t, f.MustPost(t, "/slack/interactions", httpFormType, stepSubmitBody(t, actionOwner, step)))
		if blocks := plainBlocks(refused.View.Blocks); !strings.Contains(blocks, "payments@2.3.0 is cancelled; only planned releases can be moved") || refused.View.Submit != nil {
			t.Errorf("Move it after a cancel answered %s (submit %+v); want the refusal and no submit", blocks, refused.View.Submit)
		}
		f.Slack.Wait()
		if r := f.MustRelease(t, "payments@2.3.0"); r.Target != store.NewDate(2027, 1, 29) || r.Status != store.Cancelled {
			t.Errorf("payments@2.3.0 is %s, target %v; want cancelled at 2027-01-29", r.Status, r.Target)
		}
		if got, _ := f.Fake.Message(msg.Channel, msg.TS); got.Edits != 0 {
			t.Errorf("nudge edited %d times; want untouched", got.Edits)
		}
	})

	t.Run("SavesAtOnceWithoutThePreview", func(t *testing.T) {
		f := MustHTTPFixture(t)
		slip, msg := mustPostWillSlip(t, f)
		view := mustOpenAsk(t, f, actionOwner, slip, msg)
		res := f.MustPost(t, "/slack/interactions", httpFormType, previewSubmitBody(t, actionOwner, view, "2027-02-12", "the PSP", false))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("submit = %d %q; want 200 and no body", res.Status, res.Body)
		}
		f.Slack.Wait()
		if r := f.MustRelease(t, "payments@2.3.0"); r.Target != store.NewDate(2027, 2, 12) {
			t.Errorf("payments@2.3.0 targets %v; want 2027-02-12", r.Target)
		}
	})
}

// TestSlashPreviewThenMoveIt types `/release move … preview` over HTTP,
// checks the private answer and its Move it button, and clicks it.
func TestSlashPreviewThenMoveIt(t *testing.T) {
	f := MustHTTPFixture(t)
	svc := f.Service
	for _, line := range []string{
		"add payments 2.3.0 2027-01-29 channel <#C0PAY|payments>",
		"add mobile 5.0 2027-02-05 channel <#C0MOB|mobile>",
		"depend mobile@5.0 on payments@2.3.0",
	} {
		if r := svc.Execute(context.Background(), commands.Request{User: httpUser, Channel: httpChannel, Command: "/release", Text: line}); !r.OK() {
			t.Fatalf("%s: %s", line, r.Doc.Text)
		}
	}
	before := f.MustState(t)
	ack := MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("move payments@2.3.0 2027-02-12 because the PSP preview")))
	var moveIt store.Button
	for _, raw := range ack.Blocks {
		var b struct {
			Type     string
			Elements []json.RawMessage
		}
		if err := json.Unmarshal(raw, &b); err != nil || b.Type != "actions" {
			continue
		}
		for _, el := range b.Elements {
			var e struct {
				ActionID string `json:"action_id"`
				Value    string
				Text     struct{ Text string }
			}
			if json.Unmarshal(el, &e) == nil && e.Text.Text == "Move it" {
				moveIt = store.Button{ActionID: e.ActionID, Text: e.Text.Text, Value: e.Value}
			}
		}
	}
	if moveIt.Value != `move payments@2.3.0 2027-02-12 because "the PSP"` {
		t.Fatalf("the preview's Move it button is %+v; blocks:\n%s", moveIt, ack.Blocks)
	}
	blocks, _ := json.Marshal(ack.Blocks)
	if !strings.Contains(string(blocks), "Preview, nothing saved") {
		t.Errorf("the answer is not a preview: %s", blocks)
	}
	f.Slack.Wait()
	if after := f.MustState(t); after != before {
		t.Errorf("the preview changed the store: %+v, then %+v", before, after)
	}

	msg := slackfake.Message{Channel: httpChannel, Text: ack.Text, Blocks: blocks} // an ephemeral message has no ts
	if res := f.MustPost(t, "/slack/interactions", httpFormType, clickBody(t, f, httpUser, moveIt, msg)); res.Status != http.StatusOK {
		t.Fatalf("click = %d %q; want 200", res.Status, res.Body)
	}
	f.Slack.Wait()
	if r := f.MustRelease(t, "payments@2.3.0"); r.Target != store.NewDate(2027, 2, 12) || r.History[len(r.History)-1].By != httpUser {
		t.Errorf("after Move it payments@2.3.0 targets %v (last change %+v); want 2027-02-12 by %s", r.Target, r.History[len(r.History)-1], httpUser)
	}
	var answered bool
	for _, m := range f.Fake.Ephemerals(httpChannel) {
		answered = answered || strings.Contains(m.Text, "Moved *payments@2.3.0* from Fri 2027-01-29 to Fri 2027-02-12")
	}
	if !answered {
		t.Errorf("the clicker was not told the move was made; ephemerals: %+v", f.Fake.Ephemerals(httpChannel))
	}
	if got := f.MustRelease(t, "payments@2.3.0").History; got[len(got)-1].Reason != "the PSP" {
		t.Errorf("the move's reason is %q; want the PSP, without quotes", got[len(got)-1].Reason)
	}

	// A Move it button posted before reasons were quoted carries the
	// command as it was typed, with a period after a reason ending in
	// "preview": it still runs as typed text.
	old := render.RunButton("Move it", "move payments@2.3.0 2027-02-19 because the SDK preview.")
	if res := f.MustPost(t, "/slack/interactions", httpFormType, clickBody(t, f, httpUser, old, msg)); res.Status != http.StatusOK {
		t.Fatalf("click = %d %q; want 200", res.Status, res.Body)
	}
	f.Slack.Wait()
	if r := f.MustRelease(t, "payments@2.3.0"); r.Target != store.NewDate(2027, 2, 19) || r.History[len(r.History)-1].Reason != "the SDK preview." {
		t.Errorf("after an old Move it payments@2.3.0 targets %v (last change %+v); want 2027-02-19 because the SDK preview.", r.Target, r.History[len(r.History)-1])
	}
}
