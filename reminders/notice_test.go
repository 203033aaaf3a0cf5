package reminders

import (
	"context"
	"strings"
	"testing"
	"time"

	"relman/store"
)

// renderAt is RenderNotice for m at now, read by someone in reader, in a
// UTC workspace.
func renderAt(tb testing.TB, st *store.Store, m store.Message, now time.Time, reader *time.Location) (string, bool) {
	tb.Helper()
	var doc store.Doc
	var ok bool
	if err := st.View(context.Background(), func(tx *store.Tx) (err error) {
		doc, ok, err = RenderNotice(tx, &m, now, reader, time.UTC)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return doc.Text, ok
}

// queued returns the messages queued since the last look whose notice is
// of kind, to channel.
func (f *alertFixture) queued(tb testing.TB, kind, channel string) []store.Message {
	tb.Helper()
	msgs := mustOutbox(tb, f.st)[f.seen:]
	var out []store.Message
	for _, m := range msgs {
		if m.Notice != nil && m.Notice.Kind == kind && m.Channel == channel {
			out = append(out, m)
		}
	}
	return out
}

func TestRenderNotice(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OneDayNudgeReadOnTheDaySaysToday", func(t *testing.T) {
		f := MustClockJumpFixture(t)
		MustSweep(t, f.sweep, jan(18, 12, 0)) // the 1-day nudge: needed by Tue 01-19
		nudges := f.queued(t, store.KindUpcoming, "UALICE")
		if len(nudges) != 1 || !strings.Contains(nudges[0].Doc.Text, "(tomorrow)") {
			t.Fatalf("the sweep queued nudges %v; want one saying (tomorrow) as queued", nudges)
		}
		text, ok := renderAt(t, f.st, nudges[0], jan(19, 9, 0), time.UTC)
		if !ok || !strings.Contains(text, "by Tue 2027-01-19 (today)") {
			t.Errorf("delivered Tue 09:00 it reads %q (%v); want it to say (today)", text, ok)
		}
	})

	t.Run("NudgeAnsweredBeforeDeliveryIsDropped", func(t *testing.T) {
		f := MustClockJumpFixture(t)
		MustSweep(t, f.sweep, jan(18, 12, 0))
		nudges := f.queued(t, store.KindUpcoming, "UALICE")
		f.clock.Set(jan(18, 13, 0))
		f.do(t, "UALICE", "ship payments@2.3.0")
		if text, ok := renderAt(t, f.st, nudges[0], jan(19, 9, 0), time.UTC); ok {
			t.Errorf("a nudge about a provider shipped since reads %q; want it dropped", text)
		}
	})

	t.Run("VoteReminderSaysTheDeadlineInTheReadersZone", func(t *testing.T) {
		f := MustClockJumpFixture(t)
		MustSweep(t, f.sweep, jan(18, 12, 0))
		nags := f.queued(t, store.KindVoteNag, "UB")
		if len(nags) != 1 {
			t.Fatalf("the sweep queued vote reminders %v for UB; want one", nags)
		}
		text, ok := renderAt(t, f.st, nags[0], jan(18, 14, 0), newYork)
		if !ok || !strings.Contains(text, "closes Tue 07:00 EST, in 22 hours") {
			t.Errorf("read in New York it says %q (%v); want closes Tue 07:00 EST, in 22 hours", text, ok)
		}
	})

	t.Run("VoteReminderAfterTheVoteIsDropped", func(t *testing.T) {
		f := MustClockJumpFixture(t)
		MustSweep(t, f.sweep, jan(18, 12, 0))
		nags := f.queued(t, store.KindVoteNag, "UB")
		if err := f.st.Update(context.Background(), "UB", jan(18, 13, 0), func(tx *store.Tx) error {
			cr, err := tx.ChangeRequest(nags[0].Notice.CR)
			if err != nil {
				return err
			}
			cr.Votes["UB"] = store.Ballot{Voter: "UB", Choice: store.Approve, At: jan(18, 13, 0)}
			return tx.PutChangeRequest("ccb.vote", cr)
		}); err != nil {
			t.Fatal(err)
		}
		if text, ok := renderAt(t, f.st, nags[0], jan(18, 14, 0), time.UTC); ok {
			t.Errorf("a reminder to vote, after the vote, reads %q; want it dropped", text)
		}
	})

	t.Run("SlipRecoveredBeforeDeliveryIsDropped", func(t *testing.T) {
		f := MustAlertFixture(t)
		f.clock.Set(day(9, 10)) // a Saturday: the DM is held to Monday
		f.do(t, "UALICE", "move payments@2.3.0 2027-01-25 because the HSM is late")
		slips := f.queued(t, store.KindSlip, "URITA")
		if len(slips) != 1 {
			t.Fatalf("the move queued slips %v to URITA; want one", slips)
		}
		if text, ok := renderAt(t, f.st, slips[0], day(11, 9), time.UTC); !ok || !strings.Contains(text, "(in 11 days)") {
			t.Errorf("delivered Monday it reads %q (%v); want the slip, needed by Fri 01-22 (in 11 days)", text, ok)
		}
		f.clock.Set(day(10, 10))
		f.do(t, "UALICE", "move payments@2.3.0 2027-01-20")
		if text, ok := renderAt(t, f.st, slips[0], day(11, 9), time.UTC); ok {
			t.Errorf("a slip recovered before Monday reads %q then; want it dropped", text)
		}
	})

	t.Run("OverdueHeldOverTheWeekendSaysTheDaysAsOfMonday", func(t *testing.T) {
		f := MustAlertFixture(t)
		f.do(t, "UALICE", "move payments@2.3.0 2027-01-25 because the HSM is late")
		MustSweep(t, f.sweep, day(23, 0)) // Sat: needed by Fri 01-22, not shipped
		overdue := f.queued(t, store.KindOverdue, "URITA")
		if len(overdue) != 1 {
			t.Fatalf("the sweep queued %v overdue alerts to URITA; want one", overdue)
		}
		text, ok := renderAt(t, f.st, overdue[0], day(25, 9), time.UTC)
		if !ok || !strings.Contains(text, "overdue (needed 3 days ago, not shipped)") {
			t.Errorf("delivered Monday it reads %q (%v); want needed 3 days ago", text, ok)
		}
	})

	t.Run("ReconfirmRequestAnsweredBeforeDeliveryIsDropped", func(t *testing.T) {
		f := MustClockJumpFixture(t)
		MustSweep(t, f.sweep, jan(18, 12, 0))
		asks := f.queued(t, store.KindReconfirm, "USAM")
		if len(asks) != 1 {
			t.Fatalf("the sweep queued %v re-confirm requests to USAM; want one", asks)
		}
		if text, ok := renderAt(t, f.st, asks[0], jan(19, 9, 0), time.UTC); !ok || !strings.Contains(text, "“Stripe SDK” still due Wed 2027-01-27 (in 8 days)") {
			t.Errorf("delivered Tue 09:00 it reads %q (%v); want the question, the date counted from Tuesday", text, ok)
		}
		f.clock.Set(jan(18, 13, 0))
		f.do(t, "USAM", `confirm external "Stripe SDK"`)
		if text, ok := renderAt(t, f.st, asks[0], jan(19, 9, 0), time.UTC); ok {
			t.Errorf("a re-confirm request answered since reads %q; want it dropped", text)
		}
	})

	t.Run("DecisionSaysItsTimeInTheRequestersZone", func(t *testing.T) {
		f := MustClockJumpFixture(t)
		MustSweep(t, f.sweep, jan(19, 12, 0)) // CR-1's deadline: decided
		news := f.queued(t, store.KindDecision, "UREQ")
		if len(news) != 1 || !strings.Contains(news[0].Doc.Text, "Tue 12:00 UTC") {
			t.Fatalf("the deadline queued %v to the requester; want one DM, in UTC as queued", news)
		}
		if text, ok := renderAt(t, f.st, news[0], jan(19, 14, 0), newYork); !ok || !strings.Contains(text, "Tue 07:00 EST") {
			t.Errorf("read in New York it says %q (%v); want the deadline as Tue 07:00 EST", text, ok)
		}
	})

	t.Run("HandshakeRequestWordedWhenReadAndDroppedOnceAnswered", func(t *testing.T) {
		f := MustAlertFixture(t)
		f.do(t, "UALICE", "add vendor 1.0 2027-01-20 owner <@UKIM|kim>")
		f.clock.Set(day(9, 10)) // Saturday
		f.do(t, "UALICE", "depend mobile@5.0 on vendor@1.0 by 2027-01-25")
		asks := f.queued(t, store.KindHandshake, "UKIM")
		if len(asks) != 1 {
			t.Fatalf("the depend queued %v handshake requests to UKIM; want one", asks)
		}
		if text, ok := renderAt(t, f.st, asks[0], day(11, 9), time.UTC); !ok || !strings.Contains(text, "by Mon 2027-01-25 (in 14 days)") {
			t.Errorf("delivered Monday it reads %q (%v); want the date counted from Monday", text, ok)
		}
		f.clock.Set(day(10, 10))
		f.do(t, "UKIM", "commit mobile@5.0 on vendor@1.0")
		if text, ok := renderAt(t, f.st, asks[0], day(11, 9), time.UTC); ok {
			t.Errorf("a request answered since reads %q; want it dropped", text)
		}
	})

	t.Run("CRNewsDownstreamSaysItsTimeInTheReadersZone", func(t *testing.T) {
		f := MustClockJumpFixture(t)
		MustSweep(t, f.sweep, jan(19, 12, 0)) // CR-1 on payments decided; mobile's manager hears
		news := f.queued(t, store.KindCRNews, "URITA")
		if len(news) != 1 {
			t.Fatalf("the deadline queued %v to mobile's release manager; want one DM", news)
		}
		if text, ok := renderAt(t, f.st, news[0], jan(19, 14, 0), newYork); !ok || !strings.Contains(text, "Tue 07:00 EST") || !strings.Contains(text, "*mobile@5.0*") {
			t.Errorf("read in New York it says %q (%v); want the decision at Tue 07:00 EST and mobile@5.0", text, ok)
		}
	})

	t.Run("MessageWithoutANoticeIsAsQueued", func(t *testing.T) {
		f := MustAlertFixture(t)
		m := store.Message{Channel: "CPAY", Doc: store.Doc{Text: "queued by an older relman"}}
		if text, ok := renderAt(t, f.st, m, day(25, 9), time.UTC); !ok || text != m.Doc.Text {
			t.Errorf("RenderNotice of a message without a notice = %q, %v; want its Doc, true", text, ok)
		}
	})
}

// TestCommandNewsCountsAsTold: a channel that heard of a recovery from a
// command's own news (so its alert was not posted there) was told it; the
// same slip again later is news to it, not a repeat of what it last heard.
func TestCommandNewsCountsAsTold(t *testing.T) {
	f := MustAlertFixture(t)
	f.do(t, "UALICE", "move payments@2.3.0 2027-01-25 because the HSM is late") // slip, told in #CMOB
	f.do(t, "UALICE", "set payments@2.3.0 channel <#CMOB|mob>")
	f.do(t, "UALICE", "move payments@2.3.0 2027-01-20 because a workaround") // news in #CMOB: back on track
	var told bool
	if err := f.st.View(context.Background(), func(tx *store.Tx) error {
		tx.LedgerEntries(store.KindTold+" CMOB ", func(key string, _ time.Time) bool {
			told = told || strings.Contains(key, store.KindRecovery+" ")
			return true
		})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !told {
		t.Errorf("#CMOB heard of the recovery in the move's news, but the ledger does not say it was told it")
	}
}
