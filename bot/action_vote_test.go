package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/bot/slackfake"
	"relman/commands"
	"relman/store"
)

// fakeVoter stands in for commands.Service's Vote: it records each vote and
// refuses votes from refused.
type fakeVoter struct {
	mu      sync.Mutex
	votes   []string // user value
	refused string
}

func (v *fakeVoter) Vote(_ context.Context, user, value string) commands.Reply {
	v.mu.Lock()
	defer v.mu.Unlock()
	if user == v.refused {
		return refusal(store.EForbidden, "You are not a member of this board, so your vote was not counted.")
	}
	v.votes = append(v.votes, user+" "+value)
	_, choice, _ := strings.Cut(value, ":")
	text := "Your vote: " + choice
	return commands.Reply{Doc: store.Doc{Text: text, Sections: []store.Section{{Text: text}}}, Queued: 1}
}

func (v *fakeVoter) recorded() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.votes)
}

// histogramCount returns how many observations the histogram name has
// for labels (pairs of name, value).
func histogramCount(tb testing.TB, m *Metrics, name string, labels ...string) uint64 {
	tb.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var n uint64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range s.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue series
				}
			}
			n += s.GetHistogram().GetSampleCount()
		}
	}
	return n
}

// countingWaker counts the dispatcher's wake-ups of the outbox.
type countingWaker struct{ n int }

func (w *countingWaker) Notify() { w.n++ }

func TestDispatcherAction(t *testing.T) {
	t.Run("VoteGoesToTheVoterAndIsMetered", func(t *testing.T) {
		voter := &fakeVoter{}
		waker := &countingWaker{}
		d := &Dispatcher{Voter: voter, Metrics: NewMetrics(), Outbox: waker}
		reply := d.Action(context.Background(), Action{User: "U1", ID: ActionVote, Value: "7:approve", Channel: "C1"})
		if !reply.OK() || reply.Doc.Text != "Your vote: approve" {
			t.Errorf("Action(vote) = %+v; want the voter's reply", reply)
		}
		if diff := cmp.Diff([]string{"U1 7:approve"}, voter.recorded()); diff != "" {
			t.Errorf("votes (-want +got):\n%s", diff)
		}
		if n := histogramCount(t, d.Metrics, "relman_command_duration_seconds", "command", "action ccb.vote", "outcome", "ok"); n != 1 {
			t.Errorf("relman_command_duration_seconds{command=\"action ccb.vote\",outcome=\"ok\"} count = %d; want 1", n)
		}
		if waker.n != 1 {
			t.Errorf("outbox wake-ups = %d; want 1 (the vote queued an edit)", waker.n)
		}
	})

	t.Run("RefusedVoteIsMeteredAsAnError", func(t *testing.T) {
		voter := &fakeVoter{refused: "U9"}
		d := &Dispatcher{Voter: voter, Metrics: NewMetrics()}
		reply := d.Action(context.Background(), Action{User: "U9", ID: ActionVote, Value: "7:approve"})
		if reply.Code != store.EForbidden {
			t.Errorf("Action(vote by a non-member).Code = %q; want %q", reply.Code, store.EForbidden)
		}
		if n := histogramCount(t, d.Metrics, "relman_command_duration_seconds", "command", "action ccb.vote", "outcome", "error"); n != 1 {
			t.Errorf("error observations = %d; want 1", n)
		}
	})

	t.Run("UnknownActionIsRefusedWithABoundedLabel", func(t *testing.T) {
		voter := &fakeVoter{}
		d := &Dispatcher{Voter: voter, Metrics: NewMetrics()}
		reply := d.Action(context.Background(), Action{User: "U1", ID: "whatever-" + strings.Repeat("x", 50), Value: "1"})
		if reply.OK() {
			t.Errorf("Action(unknown) = %+v; want a refusal", reply)
		}
		if n := histogramCount(t, d.Metrics, "relman_command_duration_seconds", "command", "action unknown"); n != 1 {
			t.Errorf("observations labelled \"action unknown\" = %d; want 1", n)
		}
		if got := voter.recorded(); len(got) != 0 {
			t.Errorf("votes = %v; want none", got)
		}
	})

	// commands.Service is a Voter, so only a dispatcher with neither a
	// Voter nor a Service has nobody to count a vote.
	t.Run("VoteWithNeitherVoterNorServiceIsRefused", func(t *testing.T) {
		d := &Dispatcher{Metrics: NewMetrics()}
		if reply := d.Action(context.Background(), Action{User: "U1", ID: ActionVote, Value: "1:approve"}); reply.Code != store.EInvalid {
			t.Errorf("Action(vote) with no Voter or Service = %+v; want an invalid refusal", reply)
		}
	})

	t.Run("VoteWithoutAVoterGoesToTheService", func(t *testing.T) {
		f := MustHTTPFixture(t)
		d := &Dispatcher{Service: f.Service, Metrics: NewMetrics()}
		// CR-1 does not exist: the Service answered, not the dispatcher.
		reply := d.Action(context.Background(), Action{User: "U1", ID: ActionVote, Value: "1:approve"})
		if reply.Code != store.ENotFound {
			t.Errorf("Action(vote on a missing CR) = %+v; want the Service's not-found answer", reply)
		}
	})
}

// mustPostVoteCard posts a change request card with vote buttons through
// the outbox and returns its Approve button and the message.
func mustPostVoteCard(tb testing.TB, f *httpFixture) (store.Button, slackfake.Message) {
	tb.Helper()
	approve := store.Button{ActionID: ActionVote, Text: "Approve", Value: "1:approve", Style: "primary"}
	doc := store.Doc{Text: "CR-1: bump the SDK", Sections: []store.Section{{Text: "CR-1: bump the SDK"}},
		Buttons: []store.Button{approve, {ActionID: ActionVote, Text: "Reject", Value: "1:reject", Style: "danger"}}}
	if err := f.Store.Update(context.Background(), "relman", f.Clock.Now(), func(tx *store.Tx) error {
		return tx.Enqueue(&store.Message{Channel: actionChannel, Ref: "cr:1", Doc: doc})
	}); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.Outbox.Flush(context.Background()); err != nil {
		tb.Fatal(err)
	}
	msgs := f.Fake.Messages(actionChannel)
	if len(msgs) != 1 {
		tb.Fatalf("the card was not posted: %+v", msgs)
	}
	return approve, msgs[0]
}

func TestVoteButton(t *testing.T) {
	t.Run("VoteIsRecordedBeforeTheAckAndAnsweredPrivately", func(t *testing.T) {
		f := MustHTTPFixture(t)
		voter := &fakeVoter{}
		f.Slack.Dispatcher.Voter = voter
		button, msg := mustPostVoteCard(t, f)

		res := f.MustPost(t, "/slack/interactions", httpFormType, clickBody(t, f, actionOwner, button, msg))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("click = %d %q; want 200 and no body", res.Status, res.Body)
		}
		// Recorded before the acknowledgement, not in the background.
		if diff := cmp.Diff([]string{actionOwner + " 1:approve"}, voter.recorded()); diff != "" {
			t.Errorf("votes when the click was acknowledged (-want +got):\n%s", diff)
		}
		f.Slack.Wait()
		eph := f.Fake.Ephemerals(msg.Channel)
		if len(eph) != 1 || eph[0].Text != "Your vote: approve" {
			t.Errorf("ephemerals = %+v; want \"Your vote: approve\" for the voter", eph)
		}
		if got, _ := f.Fake.Message(msg.Channel, msg.TS); got.Edits != 0 {
			t.Errorf("card edited %d times by the click; want 0 (the outbox edits it from stored state)", got.Edits)
		}
		if n := histogramCount(t, f.Metrics, "relman_command_duration_seconds", "command", "action ccb.vote"); n != 1 {
			t.Errorf("vote observations = %d; want 1", n)
		}
	})

	t.Run("NonMemberIsRefusedPrivately", func(t *testing.T) {
		f := MustHTTPFixture(t)
		voter := &fakeVoter{refused: actionOther}
		f.Slack.Dispatcher.Voter = voter
		button, msg := mustPostVoteCard(t, f)

		f.MustPost(t, "/slack/interactions", httpFormType, clickBody(t, f, actionOther, button, msg))
		f.Slack.Wait()

		if got := voter.recorded(); len(got) != 0 {
			t.Errorf("votes = %v; want none", got)
		}
		eph := f.Fake.Ephemerals(msg.Channel)
		if len(eph) != 1 || !strings.Contains(eph[0].Text, "not a member of this board") {
			t.Errorf("ephemerals = %+v; want the refusal", eph)
		}
	})

	t.Run("WithoutAResponseURLTheAnswerIsAnEphemeralPost", func(t *testing.T) {
		f := MustHTTPFixture(t)
		voter := &fakeVoter{}
		f.Slack.Dispatcher.Voter = voter
		button, msg := mustPostVoteCard(t, f)
		form, err := url.ParseQuery(clickBody(t, f, actionOwner, button, msg))
		if err != nil {
			t.Fatal(err)
		}
		var payload map[string]any
		if err := json.Unmarshal([]byte(form.Get("payload")), &payload); err != nil {
			t.Fatal(err)
		}
		delete(payload, "response_url")
		b, _ := json.Marshal(payload)

		f.MustPost(t, "/slack/interactions", httpFormType, url.Values{"payload": {string(b)}}.Encode())
		f.Slack.Wait()

		calls := f.Fake.CallsTo("chat.postEphemeral")
		if len(calls) != 1 || calls[0].Param("user") != actionOwner || calls[0].Param("channel") != msg.Channel {
			t.Fatalf("chat.postEphemeral calls = %+v; want one to %s in %s", calls, actionOwner, msg.Channel)
		}
		if diff := cmp.Diff([]string{actionOwner + " 1:approve"}, voter.recorded()); diff != "" {
			t.Errorf("votes (-want +got):\n%s", diff)
		}
	})
}
