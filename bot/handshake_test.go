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
	"relman/store"
)

// Users of the handshake tests: kim owns payments@2.3.0; rita is the
// release manager of mobile@5.0, which httpUser owns.
const (
	hsKim  = "U0KIM"
	hsRita = "U0RITA"
)

// mustRequest records, over HTTP, that mobile@5.0 needs payments@2.3.0 by
// Fri 2027-01-22, and returns the request kim gets by DM.
func mustRequest(tb testing.TB, f *httpFixture) slackfake.Message {
	tb.Helper()
	mustSlash(tb, f, httpUser, "/release", "add payments 2.3.0 2027-01-15 owner <@"+hsKim+"> channel <#C0PAY|payments>")
	mustSlash(tb, f, httpUser, "/release", "add mobile 5.0 2027-01-29 channel <#C0MOB|mobile>")
	mustSlash(tb, f, httpUser, "/release", "role mobile@5.0 release-manager <@"+hsRita+">")
	if got := mustSlash(tb, f, httpUser, "/release", "depend mobile@5.0 on payments@2.3.0 by 2027-01-22"); !strings.Contains(got, "on track (7 days to spare) · requested") {
		tb.Fatalf("depend replied %q; want the edge requested", got)
	}
	mustDeliverAll(tb, f)
	dms := f.Fake.Messages(slackfake.DMChannel(hsKim))
	if len(dms) != 1 || !strings.Contains(dms[0].Text, "Can you deliver *payments@2.3.0* by Fri 2027-01-22 (in 18 days) for *mobile@5.0*?") {
		tb.Fatalf("kim's DMs = %+v; want the request", dms)
	}
	return dms[0]
}

// buttonsOf returns the buttons of a posted message by label, as Slack
// sends them back.
func buttonsOf(tb testing.TB, msg slackfake.Message) map[string]store.Button {
	tb.Helper()
	var blocks []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string          `json:"action_id"`
			Value    string          `json:"value"`
			Text     json.RawMessage `json:"text"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(msg.Blocks, &blocks); err != nil {
		tb.Fatal(err)
	}
	out := map[string]store.Button{}
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			var label struct{ Text string }
			if json.Unmarshal(e.Text, &label) == nil {
				out[label.Text] = store.Button{ActionID: e.ActionID, Value: e.Value, Text: label.Text}
			}
		}
	}
	return out
}

// mustDependency is mobile@5.0's dependency on payments@2.3.0.
func mustDependency(tb testing.TB, f *httpFixture) *store.Dependency {
	tb.Helper()
	var d *store.Dependency
	if err := f.Store.View(context.Background(), func(tx *store.Tx) (err error) {
		d, err = tx.Dependency(store.Ref{Product: "mobile", Version: "5.0"}, "payments@2.3.0")
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return d
}

// mustShow is the text of /release show ref.
func mustShow(tb testing.TB, f *httpFixture, ref string) string {
	tb.Helper()
	r := f.Service.Execute(context.Background(), commands.Request{User: httpUser, Channel: httpChannel, Command: "/release", Text: "show " + ref})
	if !r.OK() {
		tb.Fatalf("show %s: %s", ref, r.Doc.Text)
	}
	return r.Doc.Text
}

// editedText is a message's blocks as the fake holds them, with the
// escapes of JSON undone.
func editedText(f *httpFixture, msg slackfake.Message) (slackfake.Message, string) {
	got, _ := f.Fake.Message(msg.Channel, msg.TS)
	return got, strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(got.Blocks))
}

// TestHandshakeEndToEnd: recording a dependency with a needed-by date DMs
// the provider's owner a request with buttons; "Yes, committed" commits as
// the clicker and tells the consumer's release manager; "Propose another
// date…" opens the ask modal, whose submission counter-proposes and sends
// the consumer's release manager an Accept button, which sets the
// needed-by date. All over HTTP with real signatures, against the fake
// Slack.
func TestHandshakeEndToEnd(t *testing.T) {
	t.Run("YesCommittedCommitsAndTellsTheConsumer", func(t *testing.T) {
		f := MustHTTPFixture(t)
		req := mustRequest(t, f)
		bs := buttonsOf(t, req)
		yes, ok := bs["Yes, committed"]
		if _, ok2 := bs["Propose another date…"]; !ok || !ok2 {
			t.Fatalf("request buttons = %v; want Yes, committed and Propose another date…", bs)
		}

		// rita may not answer for payments: refused privately, nothing changes.
		before := f.MustState(t)
		mustClick(t, f, hsRita, yes, req)
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Error("a refused click changed the store")
		}
		if eph := f.Fake.Ephemerals(req.Channel); len(eph) != 1 || !strings.Contains(eph[0].Text, "only <@"+hsKim+"> (owner) or an admin can answer for payments@2.3.0") {
			t.Errorf("ephemerals = %+v; want the refusal", eph)
		}

		mustClick(t, f, hsKim, yes, req)
		f.Slack.Wait()
		if d := mustDependency(t, f); d.Handshake != store.HandshakeCommitted || d.AnsweredBy != hsKim || !d.AnsweredAt.Equal(f.Clock.Now()) {
			t.Errorf("dependency = %+v; want committed by kim now", d)
		}
		if got, blocks := editedText(f, req); got.Edits != 1 || strings.Contains(blocks, `"type":"actions"`) || !strings.Contains(blocks, "<@"+hsKim+"> answered: Yes, committed") {
			t.Errorf("request edited %d times to %s; want the answer in place of the buttons", got.Edits, blocks)
		}
		mustDeliverAll(t, f)
		rita := f.Fake.Messages(slackfake.DMChannel(hsRita))
		if len(rita) != 1 || !strings.Contains(rita[0].Text, "<@"+hsKim+"> committed to deliver *payments@2.3.0* by Fri 2027-01-22") ||
			!strings.Contains(rita[0].Text, "on track (7 days to spare) · committed") {
			t.Errorf("rita's DMs = %+v; want the commitment", rita)
		}
		if got := mustShow(t, f, "mobile@5.0"); !strings.Contains(got, "· committed") {
			t.Errorf("show = %q; want the edge committed", got)
		}
	})

	t.Run("ACounterProposalAcceptedSetsTheNeededBy", func(t *testing.T) {
		f := MustHTTPFixture(t)
		req := mustRequest(t, f)
		view := mustOpenAsk(t, f, hsKim, buttonsOf(t, req)["Propose another date…"], req)
		if view.CallbackID != blockkit.AskCallback || !strings.Contains(string(view.Blocks), `"initial_date":"2027-01-23"`) ||
			!strings.Contains(string(view.Blocks), blockkit.BlockAskReason) {
			t.Fatalf("opened view %q with blocks %s; want the ask modal with a date (2027-01-23) and a reason", view.CallbackID, view.Blocks)
		}

		// Without a reason the form stays open and says so under the reason.
		res := f.MustPost(t, "/slack/interactions", httpFormType, submitBody(t, hsKim, view, "2027-01-26", ""))
		if fe := mustHTTPFieldErrors(t, res); !strings.Contains(fe.Errors[blockkit.BlockAskReason], "a reason is required") {
			t.Errorf("field errors = %v; want the missing reason under the reason", fe.Errors)
		}
		res = f.MustPost(t, "/slack/interactions", httpFormType, submitBody(t, hsKim, view, "2027-01-26", "the <!channel> HSM firmware is late"))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("submit = %d %q; want 200 and no body (the modal closes)", res.Status, res.Body)
		}
		f.Slack.Wait()
		d := mustDependency(t, f)
		if d.Handshake != store.HandshakeCountered || d.Proposed != store.NewDate(2027, 1, 26) || d.ProposedReason != "the <!channel> HSM firmware is late" || d.NeededBy != store.NewDate(2027, 1, 22) {
			t.Errorf("dependency = %+v; want countered with Tue 2027-01-26, needed-by unchanged", d)
		}
		if got, blocks := editedText(f, req); got.Edits != 1 || !strings.Contains(blocks, "<@"+hsKim+"> answered Propose another date: Tue 2027-01-26") {
			t.Errorf("request edited %d times to %s; want the answer", got.Edits, blocks)
		}
		mustDeliverAll(t, f)
		rita := f.Fake.Messages(slackfake.DMChannel(hsRita))
		if len(rita) != 1 || !strings.Contains(rita[0].Text, "proposes Tue 2027-01-26 (in 22 days) instead: “the &lt;!channel&gt; HSM firmware is late”") {
			t.Fatalf("rita's DMs = %+v; want the counter-proposal, its reason escaped", rita)
		}
		accept, ok := buttonsOf(t, rita[0])["Accept Tue 2027-01-26"]
		if !ok {
			t.Fatalf("the counter-proposal has no Accept button: %s", rita[0].Blocks)
		}
		if got := mustShow(t, f, "mobile@5.0"); !strings.Contains(got, "counter-proposed Tue 2027-01-26") {
			t.Errorf("show = %q; want the edge counter-proposed", got)
		}

		mustClick(t, f, hsRita, accept, rita[0])
		f.Slack.Wait()
		d = mustDependency(t, f)
		if d.NeededBy != store.NewDate(2027, 1, 26) || d.Handshake != store.HandshakeCommitted || d.AnsweredBy != hsKim {
			t.Errorf("dependency = %+v; want needed by Tue 2027-01-26, committed (kim's answer)", d)
		}
		mustDeliverAll(t, f)
		if kim := f.Fake.Messages(slackfake.DMChannel(hsKim)); len(kim) != 2 || !strings.Contains(kim[1].Text, "<@"+hsRita+"> accepted your date") {
			t.Errorf("kim's DMs = %+v; want the acceptance", kim)
		}
	})
}
