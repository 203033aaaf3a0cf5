package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"relman/bot/slackfake"
	"relman/store"
)

// The CCB end to end over HTTP: slash commands and button clicks signed as
// Slack signs them, the outbox delivering to slackfake, a real bbolt store.

const (
	ccbAdmin   = "U0ROOT"
	ccbChannel = "C0PAY" // payments@2.3.0's channel
)

// mustCCBFixture is an HTTP fixture with an admin, user groups resolved
// through slackfake, and payments@2.3.0 posting in ccbChannel.
func mustCCBFixture(tb testing.TB) *httpFixture {
	tb.Helper()
	f := MustHTTPFixture(tb)
	svc := f.Service
	svc.Admins = []string{ccbAdmin}
	svc.Groups = &Groups{API: f.Slack.API, Clock: f.Clock, Metrics: f.Metrics}
	mustSlash(tb, f, ccbAdmin, "/release", "add payments 2.3.0 2027-01-15 channel <#"+ccbChannel+"|payments>")
	mustSlash(tb, f, ccbAdmin, "/release", "add mobile 5.0 2027-01-29 owner <@U0MOBILE> channel <#C0MOB|mobile>")
	mustSlash(tb, f, ccbAdmin, "/release", "depend mobile@5.0 on payments@2.3.0")
	mustDeliverAll(tb, f)
	return f
}

// mustSlash sends a signed slash command as user and fails tb unless it
// succeeds; it returns the reply's text.
func mustSlash(tb testing.TB, f *httpFixture, user, command, text string) string {
	tb.Helper()
	res := f.MustPost(tb, "/slack/commands", httpFormType, f.slashBody("command", command, "text", text, "user_id", user, "channel_id", httpChannel))
	ack := MustHTTPEphemeral(tb, res)
	if strings.HasPrefix(ack.Text, ":x:") || strings.Contains(ack.Text, "Usage:") {
		tb.Fatalf("%s %s: %s", command, text, ack.Text)
	}
	return ack.Text
}

// mustDeliverAll flushes the outbox until it is empty, moving the clock on
// past each channel's spacing.
func mustDeliverAll(tb testing.TB, f *httpFixture) {
	tb.Helper()
	for range 20 {
		if _, err := f.Outbox.Flush(context.Background()); err != nil {
			tb.Fatal(err)
		}
		if len(f.MustOutbox(tb)) == 0 {
			return
		}
		f.Clock.Advance(2 * time.Second)
	}
	tb.Fatalf("the outbox did not empty: %+v", f.MustOutbox(tb))
}

// ccbButton is the vote button of CR-id for choice, as the card carries it.
func ccbButton(id int, choice string) store.Button {
	// The card's buttons share ActionVote in one row, so Slack sends
	// Reject and Abstain back as "ccb.vote#2" and "ccb.vote#3".
	action := map[string]string{"approve": ActionVote, "reject": ActionVote + "#2", "abstain": ActionVote + "#3"}[choice]
	return store.Button{ActionID: action, Text: choice, Value: fmt.Sprintf("%d:%s", id, choice)}
}

// mustCard returns CR-1's card: the message in ccbChannel that starts
// with its name, at the top level or, when thread is given, in that
// thread.
func mustCard(tb testing.TB, f *httpFixture, thread ...string) slackfake.Message {
	tb.Helper()
	in := ""
	if len(thread) > 0 {
		in = thread[0]
	}
	var cards []slackfake.Message
	var texts []string
	for _, m := range f.Fake.Messages(ccbChannel) {
		texts = append(texts, m.Text)
		if m.ThreadTS == in && strings.HasPrefix(m.Text, "*CR-1:") {
			cards = append(cards, m)
		}
	}
	if len(cards) != 1 {
		tb.Fatalf("%d CR-1 cards in %s (thread %q); want 1. Messages:\n%s", len(cards), ccbChannel, in, strings.Join(texts, "\n---\n"))
	}
	return cards[0]
}

// threadReplies are the messages in ccbChannel's thread of ts.
func threadReplies(f *httpFixture, ts string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range f.Fake.Messages(ccbChannel) {
		if m.ThreadTS == ts {
			out = append(out, m)
		}
	}
	return out
}

// voteButtonsIn counts the vote buttons in a message's blocks.
func voteButtonsIn(blocks json.RawMessage) int {
	// Buttons of one row sharing an action_id carry "#2", "#3" (blockkit).
	return strings.Count(string(blocks), `"action_id":"`+ActionVote+`"`) + strings.Count(string(blocks), `"action_id":"`+ActionVote+`#`)
}

// mustClick clicks button on msg as user over HTTP; the click must be
// acknowledged at once with an empty 200.
func mustClick(tb testing.TB, f *httpFixture, user string, button store.Button, msg slackfake.Message) {
	tb.Helper()
	res := f.MustPost(tb, "/slack/interactions", httpFormType, clickBody(tb, f, user, button, msg))
	if res.Status != http.StatusOK || res.Body != "" {
		tb.Fatalf("click by %s = %d %q; want 200 and no body", user, res.Status, res.Body)
	}
}

// lastEphemeral is the newest private answer in ccbChannel.
func lastEphemeral(tb testing.TB, f *httpFixture) string {
	tb.Helper()
	f.Slack.Wait()
	eph := f.Fake.Ephemerals(ccbChannel)
	if len(eph) == 0 {
		tb.Fatal("no private answer")
	}
	return eph[len(eph)-1].Text
}

func TestCCBOverHTTP(t *testing.T) {
	f := mustCCBFixture(t)
	// Five members: three users and a user group of two; majority.
	f.Fake.SetUserGroup("S0CCB", "U0GINA", "U0HAL")
	mustSlash(t, f, ccbAdmin, "/ccb", "board payments members add <@U0ANA> <@U0BEN> <@U0CY> <!subteam^S0CCB|@ccb>")
	got := mustSlash(t, f, "U0REQ", "/ccb", "request payments@2.3.0 switch the card processor")
	if !strings.Contains(got, "Raised *CR-1*") || !strings.Contains(got, "Told 1 release manager downstream") {
		t.Errorf("/ccb request = %q; want CR-1 raised and 1 release manager told", got)
	}
	mustDeliverAll(t, f)

	card := mustCard(t, f)
	if n := voteButtonsIn(card.Blocks); n != 3 {
		t.Fatalf("card has %d vote buttons; want 3:\n%s", n, card.Blocks)
	}
	if !strings.Contains(card.Text, "CR-1: switch the card processor") {
		t.Errorf("card text = %q; want the CR's title", card.Text)
	}
	t.Run("DownstreamManagerIsToldWithALinkToTheThread", func(t *testing.T) {
		dms := f.Fake.Messages(slackfake.DMChannel("U0MOBILE"))
		if len(dms) != 1 || !strings.Contains(dms[0].Text, "CR-1") {
			t.Fatalf("DMs to mobile's manager = %+v; want one about CR-1", dms)
		}
		url := "https://fake-workspace.slack.com/archives/" + ccbChannel + "/p" + strings.ReplaceAll(card.TS, ".", "")
		link := "<" + url + "|Open the CR-1 thread>"
		if !strings.Contains(dms[0].Text, link) || !strings.Contains(string(dms[0].Blocks), url+"|Open the CR-1 thread") {
			t.Errorf("DM to mobile's manager does not end with %s:\n%s", link, dms[0].Text)
		}
	})

	t.Run("MemberVoteIsCountedAndTheCardEditedInPlace", func(t *testing.T) {
		mustClick(t, f, "U0ANA", ccbButton(1, "approve"), card)
		if got := lastEphemeral(t, f); got != "Your vote: approve (CR-1)." {
			t.Errorf("answer = %q; want \"Your vote: approve (CR-1).\"", got)
		}
		mustDeliverAll(t, f)
		now := mustCard(t, f)
		if now.TS != card.TS || now.Edits != 1 {
			t.Errorf("card ts %s edited %d times; want %s edited once (chat.update, not a new post)", now.TS, now.Edits, card.TS)
		}
		if !strings.Contains(string(now.Blocks), "1 approve") || !strings.Contains(string(now.Blocks), "4 of 5 still to vote") {
			t.Errorf("edited card does not show the stored tally:\n%s", now.Blocks)
		}
	})

	t.Run("NonMemberIsRefusedPrivatelyAndNotCounted", func(t *testing.T) {
		before := mustCard(t, f)
		mustClick(t, f, "U0ZED", ccbButton(1, "approve"), card)
		if got := lastEphemeral(t, f); !strings.Contains(got, "only members of the payments board") && !strings.Contains(got, "Only members of the payments board") {
			t.Errorf("answer = %q; want the refusal", got)
		}
		if out := f.MustOutbox(t); len(out) != 0 {
			t.Errorf("a refused vote queued %d messages; want none", len(out))
		}
		mustDeliverAll(t, f)
		if after := mustCard(t, f); after.Edits != before.Edits {
			t.Errorf("card edited by a refused vote")
		}
	})

	t.Run("RepeatedClickChangesNothing", func(t *testing.T) {
		before := mustCard(t, f)
		mustClick(t, f, "U0ANA", ccbButton(1, "approve"), card)
		if got := lastEphemeral(t, f); !strings.Contains(got, "already approve — nothing changed") {
			t.Errorf("answer = %q; want \"already approve — nothing changed\"", got)
		}
		if out := f.MustOutbox(t); len(out) != 0 {
			t.Errorf("a repeated vote queued %d messages; want none", len(out))
		}
		mustDeliverAll(t, f)
		if after := mustCard(t, f); after.Edits != before.Edits {
			t.Errorf("card edited by a repeated vote")
		}
	})

	t.Run("GroupMemberDecidesAndTheDecisionGoesToTheThread", func(t *testing.T) {
		mustClick(t, f, "U0BEN", ccbButton(1, "approve"), card)
		mustClick(t, f, "U0GINA", ccbButton(1, "approve"), card) // a member through S0CCB
		if got := lastEphemeral(t, f); !strings.Contains(got, "That decided it: CR-1 is approved") {
			t.Errorf("answer = %q; want the decision", got)
		}
		mustDeliverAll(t, f)
		final := mustCard(t, f)
		if n := voteButtonsIn(final.Blocks); n != 0 {
			t.Errorf("decided card still has %d vote buttons", n)
		}
		if !strings.Contains(string(final.Blocks), "3 approve") {
			t.Errorf("decided card does not show 3 approvals:\n%s", final.Blocks)
		}
		replies := threadReplies(f, card.TS)
		if len(replies) != 1 || !strings.Contains(replies[0].Text, "*Approved* by the votes") {
			t.Errorf("thread replies = %+v; want one announcing the approval", replies)
		}
		mustClick(t, f, "U0CY", ccbButton(1, "reject"), card)
		if got := lastEphemeral(t, f); !strings.Contains(got, "already approved; votes are closed") {
			t.Errorf("answer to a click after the decision = %q; want votes closed", got)
		}
	})
}

// TestCCBBurstOverHTTP: 50 members click the same CR at the same moment,
// over real HTTP, with the outbox worker running: every vote is counted,
// the CR is decided once, the card ends showing 50 approvals without
// buttons, and the edits collapse into far fewer chat.update calls than
// votes.
func TestCCBBurstOverHTTP(t *testing.T) {
	f := mustCCBFixture(t)
	const n = 50
	var members, ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("U0M%02d", i))
		members = append(members, "<@"+ids[i]+">")
	}
	mustSlash(t, f, ccbAdmin, "/ccb", "board payments members add "+strings.Join(members, " "))
	mustSlash(t, f, ccbAdmin, "/ccb", "board payments policy unanimous")
	mustSlash(t, f, "U0REQ", "/ccb", "request payments@2.3.0 everyone must agree")
	mustDeliverAll(t, f)
	card := mustCard(t, f)
	updatesBefore := len(f.Fake.CallsTo("chat.update"))

	ctx, cancel := context.WithCancel(context.Background())
	var worker sync.WaitGroup
	worker.Go(func() { f.Outbox.Run(ctx) })
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, id := range ids {
		body := clickBody(t, f, id, ccbButton(1, "approve"), card)
		wg.Go(func() {
			<-start
			req, err := newHTTPSignedRequest(f.Server.URL+"/slack/interactions", httpFormType, body)
			if err == nil {
				var res httpResult
				if res, err = httpDo(f.Server.Client(), req); err == nil && res.Status != http.StatusOK {
					err = fmt.Errorf("click by %s: %d %s", id, res.Status, res.Body)
				}
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	f.Slack.Wait()
	cancel()
	worker.Wait()
	mustDeliverAll(t, f)

	var cr *store.ChangeRequest
	if err := f.Store.View(context.Background(), func(tx *store.Tx) (err error) {
		cr, err = tx.ChangeRequest(1)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if cr.Status != store.CRApproved || len(cr.Votes) != n || len(cr.History) != n {
		t.Errorf("CR-1 %s with %d votes, %d in history; want approved, %d, %d", cr.Status, len(cr.Votes), len(cr.History), n, n)
	}
	decided := 0
	for _, e := range f.Fake.Ephemerals(ccbChannel) {
		if strings.Contains(e.Text, "That decided it") {
			decided++
		}
	}
	if eph := len(f.Fake.Ephemerals(ccbChannel)); eph != n || decided != 1 {
		t.Errorf("%d private answers, %d saying the vote decided it; want %d and 1", eph, decided, n)
	}
	if replies := threadReplies(f, card.TS); len(replies) != 1 {
		t.Errorf("%d decision replies in the thread; want 1", len(replies))
	}
	final := mustCard(t, f)
	if !strings.Contains(string(final.Blocks), fmt.Sprintf("%d approve", n)) || voteButtonsIn(final.Blocks) != 0 {
		t.Errorf("final card does not show %d approvals without buttons:\n%s", n, final.Blocks)
	}
	updates := len(f.Fake.CallsTo("chat.update")) - updatesBefore
	if updates < 1 || updates > n/5 {
		t.Errorf("%d chat.update calls for %d votes; want at least 1 and at most %d", updates, n, n/5)
	}
	t.Logf("%d votes, %d chat.update calls", n, updates)
}

// TestCCBDownstreamLinkFallsBack: when Slack gives no permalink the
// downstream DM still goes, saying where the CR is without the link.
func TestCCBDownstreamLinkFallsBack(t *testing.T) {
	f := mustCCBFixture(t)
	mustSlash(t, f, ccbAdmin, "/ccb", "board payments members add <@U0ANA>")
	f.Fake.Fail("chat.getPermalink", slackfake.Fault{Error: "message_not_found"}, 1)
	mustSlash(t, f, "U0REQ", "/ccb", "request payments@2.3.0 switch the card processor")
	mustDeliverAll(t, f)
	dms := f.Fake.Messages(slackfake.DMChannel("U0MOBILE"))
	if len(dms) != 1 || !strings.Contains(dms[0].Text, "in <#"+ccbChannel+"> (`/ccb show CR-1`)") || strings.Contains(dms[0].Text, "Open the CR-1 thread") {
		t.Errorf("DMs to mobile's manager = %+v; want one saying where CR-1 is, without a link", dms)
	}
}

// TestCCBEditFailuresHeal: Slack refusing the card's edits (429, 5xx)
// loses no vote and counts none twice; the card shows the stored tally on
// the next edit that goes through.
func TestCCBEditFailuresHeal(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(f *httpFixture)
	}{
		{"RateLimited", func(f *httpFixture) { f.Fake.RateLimit("chat.update", 1, 2) }},
		{"ServerError", func(f *httpFixture) { f.Fake.ServerError("chat.update", 2) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := mustCCBFixture(t)
			mustSlash(t, f, ccbAdmin, "/ccb", "board payments members add <@U0ANA> <@U0BEN> <@U0CY> <@U0DI>")
			mustSlash(t, f, "U0REQ", "/ccb", "request payments@2.3.0 switch the card processor")
			mustDeliverAll(t, f)
			card := mustCard(t, f)
			tt.fault(f)
			mustClick(t, f, "U0ANA", ccbButton(1, "approve"), card)
			f.Outbox.Flush(context.Background()) // the edit fails
			mustClick(t, f, "U0BEN", ccbButton(1, "reject"), card)
			mustClick(t, f, "U0ANA", ccbButton(1, "approve"), card) // a repeat
			f.Clock.Advance(10 * time.Second)                       // past the retry
			mustDeliverAll(t, f)
			failed := 0
			for _, c := range f.Fake.CallsTo("chat.update") {
				if c.Status != http.StatusOK {
					failed++
				}
			}
			if failed == 0 {
				t.Fatal("no chat.update failed: the fault did not fire")
			}
			now := mustCard(t, f)
			if !strings.Contains(string(now.Blocks), "1 approve") || !strings.Contains(string(now.Blocks), "1 reject") || !strings.Contains(string(now.Blocks), "2 of 4 still to vote") {
				t.Errorf("card after the failures does not show the stored tally (1 approve, 1 reject):\n%s", now.Text)
			}
		})
	}
}
