package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"relman/bot/blockkit"
	"relman/store"
)

// mustSourceMessage posts a message in channel for the shortcut to be
// used on (slackfake knows only messages posted through the API), and
// returns its ts.
func mustSourceMessage(tb testing.TB, f *httpFixture, channel, text string) string {
	tb.Helper()
	_, ts, err := f.Slack.API.PostMessage(channel, slack.MsgOptionText(text, false))
	if err != nil {
		tb.Fatal(err)
	}
	return ts
}

// shortcutBody is the message_action payload Slack posts when user picks
// "Raise change request" on the message at ts in channel (SLACK.md §3's
// message shortcut sample).
func shortcutBody(tb testing.TB, f *httpFixture, user, channel, ts, text string) string {
	tb.Helper()
	payload := map[string]any{
		"type": "message_action", "callback_id": blockkit.CRShortcut,
		"trigger_id":   f.Fake.NewTrigger(),
		"response_url": f.Fake.ResponseURLFor(channel, ts),
		"team":         map[string]any{"id": "T1", "domain": "acme"},
		"channel":      map[string]any{"id": channel, "name": "payments"},
		"user":         map[string]any{"id": user, "name": "someone"},
		"message":      map[string]any{"type": "message", "user": "U0SOMEONE", "ts": ts, "text": text},
	}
	b, err := json.Marshal(payload)
	if err != nil {
		tb.Fatal(err)
	}
	return url.Values{"payload": {string(b)}}.Encode()
}

// openedView is a view the bot opened with views.open.
type openedView struct {
	CallbackID      string `json:"callback_id"`
	PrivateMetadata string `json:"private_metadata"`
	Blocks          []struct {
		BlockID string `json:"block_id"`
		Element struct {
			InitialValue string `json:"initial_value"`
		} `json:"element"`
	} `json:"blocks"`
}

func (v openedView) initial(block string) string {
	for _, b := range v.Blocks {
		if b.BlockID == block {
			return b.Element.InitialValue
		}
	}
	return ""
}

// mustOpenShortcut uses the shortcut and returns the modal it opened.
func mustOpenShortcut(tb testing.TB, f *httpFixture, user, channel, ts, text string) openedView {
	tb.Helper()
	before := len(f.Fake.CallsTo("views.open"))
	res := f.MustPost(tb, "/slack/interactions", httpFormType, shortcutBody(tb, f, user, channel, ts, text))
	if res.Status != http.StatusOK || res.Body != "" {
		tb.Fatalf("shortcut = %d %q; want 200 and no body", res.Status, res.Body)
	}
	calls := f.MustWaitCalls(tb, "views.open", before+1)
	c := calls[len(calls)-1]
	if !strings.Contains(c.Response, `"ok":true`) {
		tb.Fatalf("views.open answered %s", c.Response)
	}
	var v openedView
	if err := json.Unmarshal([]byte(c.Param("view")), &v); err != nil {
		tb.Fatalf("view: %v\n%s", err, c.Param("view"))
	}
	if v.CallbackID != blockkit.CRRequestCallback {
		tb.Errorf("modal callback_id = %q; want %q", v.CallbackID, blockkit.CRRequestCallback)
	}
	return v
}

// crSubmission is the view_submission of the raise-a-CR modal v with the
// given field values.
func crSubmission(tb testing.TB, user string, v openedView, release, title, deadline string) string {
	tb.Helper()
	field := func(s string) map[string]any {
		return map[string]any{blockkit.ActionValue: map[string]any{"type": "plain_text_input", "value": s}}
	}
	payload := map[string]any{
		"type": "view_submission",
		"team": map[string]any{"id": "T1"},
		"user": map[string]any{"id": user, "username": "someone", "team_id": "T1"},
		"view": map[string]any{
			"id": "V1", "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
			"state": map[string]any{"values": map[string]any{
				blockkit.BlockCRRelease: field(release), blockkit.BlockCRTitle: field(title), blockkit.BlockCRDeadline: field(deadline),
			}},
		},
	}
	b, err := json.Marshal(payload)
	if err != nil {
		tb.Fatal(err)
	}
	return url.Values{"payload": {string(b)}}.Encode()
}

func TestCCBShortcut(t *testing.T) {
	f := mustCCBFixture(t)
	mustSlash(t, f, ccbAdmin, "/ccb", "board payments members add <@U0ANA> <@U0BEN> <@U0CY>")
	const text = "The *PSP* is timing out &amp; we should switch to <https://example.com|the new one>\nsecond line"
	src := mustSourceMessage(t, f, ccbChannel, text)

	v := mustOpenShortcut(t, f, "U0REQ", ccbChannel, src, text)
	t.Run("ModalIsPrefilledFromTheMessage", func(t *testing.T) {
		got := map[string]string{"release": v.initial(blockkit.BlockCRRelease), "title": v.initial(blockkit.BlockCRTitle)}
		want := map[string]string{"release": "payments@2.3.0", "title": "The *PSP* is timing out & we should switch to the new one (https://example.com)"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("prefilled fields (-want +got):\n%s", diff)
		}
	})

	t.Run("NoReleaseIsGuessedWhereTwoPostTheirNews", func(t *testing.T) {
		mustSlash(t, f, ccbAdmin, "/release", "add auth 1.4.0 2027-01-08 channel <#C0SHARED|shared>")
		mustSlash(t, f, ccbAdmin, "/release", "add billing 3.0 2027-01-08 channel <#C0SHARED|shared>")
		ts := mustSourceMessage(t, f, "C0SHARED", "hello")
		if got := mustOpenShortcut(t, f, "U0REQ", "C0SHARED", ts, "hello").initial(blockkit.BlockCRRelease); got != "" {
			t.Errorf("release guessed in a channel of two releases = %q; want none", got)
		}
	})

	t.Run("InADirectMessageItIsRefusedPrivately", func(t *testing.T) {
		const dm = "D0CHAT"
		opened := len(f.Fake.CallsTo("views.open"))
		res := f.MustPost(t, "/slack/interactions", httpFormType, shortcutBody(t, f, "U0REQ", dm, "1767517200.000100", "hi"))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("shortcut = %d %q; want 200 and no body", res.Status, res.Body)
		}
		f.Slack.Wait()
		if n := len(f.Fake.CallsTo("views.open")); n != opened {
			t.Errorf("views.open called in a DM")
		}
		eph := f.Fake.Ephemerals(dm)
		if len(eph) != 1 || !strings.Contains(eph[0].Text, "can't post a change request in a direct message") {
			t.Errorf("private answers in the DM = %+v; want the refusal", eph)
		}
	})

	for _, tt := range []struct {
		name, release, title, deadline string
		want                           map[string]string
	}{
		{name: "EmptyFieldsAreRefusedInline", release: "", title: "", want: map[string]string{
			blockkit.BlockCRRelease: "Enter the release, like payments@2.3.0.", blockkit.BlockCRTitle: "Say what should change."}},
		{name: "UnknownReleaseIsRefusedUnderTheRelease", release: "payments@9.9", title: "x", want: map[string]string{
			blockkit.BlockCRRelease: "there is no release payments@9.9"}},
		{name: "BadDeadlineIsRefusedUnderTheDeadline", release: "payments@2.3.0", title: "x", deadline: "soonish", want: map[string]string{
			blockkit.BlockCRDeadline: `"soonish" is not a deadline`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := f.MustPost(t, "/slack/interactions", httpFormType, crSubmission(t, "U0REQ", v, tt.release, tt.title, tt.deadline))
			fe := mustHTTPFieldErrors(t, res)
			got := map[string]string{}
			for k, msg := range fe.Errors {
				got[k] = msg
				if w, ok := tt.want[k]; ok && strings.HasPrefix(msg, w) {
					got[k] = w
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
			var crs []store.ChangeRequest
			if err := f.Store.View(context.Background(), func(tx *store.Tx) (err error) {
				crs, err = tx.ChangeRequests()
				return err
			}); err != nil || len(crs) != 0 {
				t.Errorf("change requests after a refused form = %d (%v); want none", len(crs), err)
			}
		})
	}

	t.Run("SubmitPostsTheCRInTheMessagesThread", func(t *testing.T) {
		res := f.MustPost(t, "/slack/interactions", httpFormType, crSubmission(t, "U0REQ", v, v.initial(blockkit.BlockCRRelease), "switch the PSP <!channel>", "+48h"))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("submission = %d %q; want 200 and no body (the modal closes)", res.Status, res.Body)
		}
		f.Slack.Wait()
		mustDeliverAll(t, f)
		card := mustCard(t, f, src)
		if !strings.Contains(card.Text, "CR-1: switch the PSP &lt;!channel&gt;") || voteButtonsIn(card.Blocks) != 3 {
			t.Errorf("card = %q with %d vote buttons; want CR-1's title, escaped, and 3 buttons", card.Text, voteButtonsIn(card.Blocks))
		}
		eph := f.Fake.Ephemerals(ccbChannel)
		if len(eph) == 0 || !strings.Contains(eph[len(eph)-1].Text, "Raised *CR-1*") {
			t.Errorf("private answers = %+v; want the requester told CR-1 was raised", eph)
		}

		// Votes edit the card in the thread, and the decision goes to the
		// same thread — the source message's, not a thread under the reply.
		mustClick(t, f, "U0ANA", ccbButton(1, "approve"), card)
		mustClick(t, f, "U0BEN", ccbButton(1, "approve"), card)
		mustDeliverAll(t, f)
		card = mustCard(t, f, src)
		if card.Edits == 0 || voteButtonsIn(card.Blocks) != 0 {
			t.Errorf("card edited %d times with %d buttons; want edited in place, buttons gone", card.Edits, voteButtonsIn(card.Blocks))
		}
		var decision []string
		for _, m := range threadReplies(f, src) {
			if strings.HasPrefix(m.Text, "*CR-1* on") && strings.Contains(m.Text, "*Approved*") {
				decision = append(decision, m.Text)
			}
		}
		if len(decision) != 1 {
			t.Errorf("decisions in the source message's thread = %q; want 1", decision)
		}
		if replies := threadReplies(f, card.TS); len(replies) != 0 {
			t.Errorf("%d replies threaded under the card (a reply); want them in the parent thread", len(replies))
		}
	})
}
