package reminders

import (
	"context"
	"strings"
	"testing"
	"time"

	"relman/store"
)

// The answers to a handshake request, a new owner's news and the news of a
// renamed release are worded when they are delivered: each is queued on a
// Saturday, held to Monday, and the state changes on Sunday.
func TestRenderNoticeHandshakeAnswers(t *testing.T) {
	// vendor is owned by UKIM, so mobile's manager URITA's request is his
	// to answer, and his answers are hers to read.
	handshake := func(t *testing.T) *alertFixture {
		f := MustAlertFixture(t)
		f.do(t, "UALICE", "add vendor 1.0 2027-01-20 owner <@UKIM|kim>")
		f.do(t, "URITA", "depend mobile@5.0 on vendor@1.0 by 2027-01-25")
		f.seen = len(mustOutbox(t, f.st))
		return f
	}

	t.Run("CommitmentHeldOverTheWeekendSaysTheDaysAsOfMonday", func(t *testing.T) {
		f := handshake(t)
		f.clock.Set(day(9, 10)) // Saturday: held to Monday
		f.do(t, "UKIM", "commit mobile@5.0 on vendor@1.0")
		got := f.queued(t, store.KindCommitted, "URITA")
		if len(got) != 1 || !strings.Contains(got[0].Doc.Text, "(in 16 days)") {
			t.Fatalf("the commit queued %v to URITA; want one, saying (in 16 days) as queued", got)
		}
		text, ok := renderAt(t, f.st, got[0], day(11, 9), time.UTC)
		if !ok || !strings.Contains(text, "by Mon 2027-01-25 (in 14 days)") {
			t.Errorf("delivered Monday it reads %q (%v); want the date counted from Monday", text, ok)
		}
		f.clock.Set(day(10, 10))
		f.do(t, "UKIM", "move vendor@1.0 2027-01-27 because the build farm is down")
		text, ok = renderAt(t, f.st, got[0], day(11, 9), time.UTC)
		if !ok || !strings.Contains(text, "Wed 2027-01-27") {
			t.Errorf("after vendor moved to Wed 01-27 it reads %q (%v); want the edge as it stands then", text, ok)
		}
	})

	t.Run("CommitmentSupersededByAProposalIsDropped", func(t *testing.T) {
		f := handshake(t)
		f.clock.Set(day(9, 10))
		f.do(t, "UKIM", "commit mobile@5.0 on vendor@1.0")
		commits := f.queued(t, store.KindCommitted, "URITA")
		f.clock.Set(day(10, 10))
		f.do(t, "UKIM", "propose mobile@5.0 on vendor@1.0 2027-01-27 because the HSM is late")
		if text, ok := renderAt(t, f.st, commits[0], day(11, 9), time.UTC); ok {
			t.Errorf("a commitment replaced by a proposal reads %q on Monday; want it dropped", text)
		}
		props := f.queued(t, store.KindCountered, "URITA")
		if len(props) != 1 || props[0].Notice.Subject != commits[0].Notice.Subject {
			t.Fatalf("the proposal queued %v to URITA; want one, about the same subject as the commitment (so they collapse)", props)
		}
		text, ok := renderAt(t, f.st, props[0], day(11, 9), time.UTC)
		if !ok || !strings.Contains(text, "proposes Wed 2027-01-27 (in 16 days) instead") {
			t.Errorf("the proposal delivered Monday reads %q (%v); want the date counted from Monday", text, ok)
		}
	})

	t.Run("ProposalAcceptedBeforeDeliveryIsDropped", func(t *testing.T) {
		f := handshake(t)
		f.clock.Set(day(9, 10))
		f.do(t, "UKIM", "propose mobile@5.0 on vendor@1.0 2027-01-27 because the HSM is late")
		props := f.queued(t, store.KindCountered, "URITA")
		if len(props) != 1 {
			t.Fatalf("the proposal queued %v to URITA; want one", props)
		}
		f.clock.Set(day(10, 10))
		f.do(t, "URITA", "accept mobile@5.0 on vendor@1.0")
		if text, ok := renderAt(t, f.st, props[0], day(11, 9), time.UTC); ok {
			t.Errorf("a proposal accepted since reads %q; want it dropped", text)
		}
	})

	t.Run("AcceptedDateAskedAnewBeforeDeliveryIsDropped", func(t *testing.T) {
		f := handshake(t)
		f.do(t, "UKIM", "propose mobile@5.0 on vendor@1.0 2027-01-27 because the HSM is late")
		f.clock.Set(day(9, 10))
		f.do(t, "URITA", "accept mobile@5.0 on vendor@1.0")
		got := f.queued(t, store.KindAccepted, "UKIM")
		if len(got) != 1 {
			t.Fatalf("the accept queued %v to UKIM; want one", got)
		}
		text, ok := renderAt(t, f.st, got[0], day(11, 9), time.UTC)
		if want := "<@URITA> accepted your date: *mobile@5.0* needs *vendor@1.0* by Wed 2027-01-27 (was Mon 2027-01-25)"; !ok || !strings.Contains(text, want) {
			t.Errorf("delivered Monday it reads %q (%v); want %q", text, ok, want)
		}
		f.clock.Set(day(10, 10))
		f.do(t, "URITA", "depend mobile@5.0 on vendor@1.0 by 2027-01-28")
		if text, ok := renderAt(t, f.st, got[0], day(11, 9), time.UTC); ok {
			t.Errorf("after another date was asked it reads %q; want it dropped", text)
		}
	})
}

func TestRenderNoticeNewOwner(t *testing.T) {
	t.Run("ReleaseOwnerReadsTheTargetAsOfDelivery", func(t *testing.T) {
		f := MustAlertFixture(t)
		f.clock.Set(day(9, 10))
		f.do(t, "UALICE", "set mobile@5.0 owner <@UBOB|bob>")
		got := f.queued(t, store.KindOwner, "UBOB")
		if len(got) != 1 || !strings.Contains(got[0].Doc.Text, "(in 20 days)") {
			t.Fatalf("the set queued %v to UBOB; want one, saying (in 20 days) as queued", got)
		}
		f.clock.Set(day(10, 10))
		f.do(t, "UBOB", "move mobile@5.0 2027-02-05 because QA needs a week")
		text, ok := renderAt(t, f.st, got[0], day(11, 9), time.UTC)
		if !ok || !strings.Contains(text, "target Fri 2027-02-05 (in 25 days)") {
			t.Errorf("delivered Monday it reads %q (%v); want the target as moved, counted from Monday", text, ok)
		}
		f.do(t, "UBOB", "set mobile@5.0 owner <@UCAROL|carol>")
		if text, ok := renderAt(t, f.st, got[0], day(11, 9), time.UTC); ok {
			t.Errorf("after UBOB handed it on it reads %q; want it dropped", text)
		}
	})

	t.Run("ReleaseOwnerFollowsARename", func(t *testing.T) {
		f := MustAlertFixture(t)
		f.clock.Set(day(9, 10))
		f.do(t, "UALICE", "set mobile@5.0 owner <@UBOB|bob>")
		got := f.queued(t, store.KindOwner, "UBOB")
		f.do(t, "UBOB", "set mobile@5.0 version 5.1")
		text, ok := renderAt(t, f.st, requeued(t, f, got[0]), day(11, 9), time.UTC)
		if !ok || !strings.Contains(text, "the owner of *mobile@5.1*") {
			t.Errorf("after the rename it reads %q (%v); want it about mobile@5.1", text, ok)
		}
	})

	t.Run("ExternalOwnerHandedOnBeforeDeliveryIsDropped", func(t *testing.T) {
		f := MustAlertFixture(t)
		f.do(t, "UALICE", `depend mobile@5.0 on external "Stripe SDK" due 2027-01-20 owner <@USAM|sam>`)
		f.do(t, "USAM", `set external "Stripe SDK" owner <@UBOB|bob>`)
		got := f.queued(t, store.KindOwner, "UBOB")
		if len(got) != 1 {
			t.Fatalf("the set queued %v to UBOB; want one", got)
		}
		if text, ok := renderAt(t, f.st, got[0], day(11, 9), time.UTC); !ok || !strings.Contains(text, "owner of external “Stripe SDK”") {
			t.Errorf("delivered it reads %q (%v); want the news of the external item", text, ok)
		}
		f.do(t, "UBOB", `set external "Stripe SDK" owner <@USAM|sam>`)
		if text, ok := renderAt(t, f.st, got[0], day(11, 9), time.UTC); ok {
			t.Errorf("after UBOB handed it back it reads %q; want it dropped", text)
		}
	})
}

// TestRenameKeepsHeldNotices: a slip held for Monday about a release
// renamed on Sunday is still delivered, about the new name, and what its
// reader was told of the edge moves with it.
func TestRenameKeepsHeldNotices(t *testing.T) {
	f := MustAlertFixture(t)
	f.clock.Set(day(9, 10))
	f.do(t, "UALICE", "move payments@2.3.0 2027-01-25 because the HSM is late")
	slips := f.queued(t, store.KindSlip, "URITA")
	if len(slips) != 1 {
		t.Fatalf("the move queued slips %v to URITA; want one", slips)
	}
	// #CMOB heard of the slip at once: its told record must move too.
	var posted *store.Notice
	for _, m := range f.queued(t, store.KindSlip, "CMOB") {
		posted = m.Notice
	}
	if posted == nil {
		t.Fatal("the move queued no slip in #CMOB")
	}
	if err := f.st.Update(context.Background(), "relman", day(9, 10), func(tx *store.Tx) error {
		return tx.MarkTold("CMOB", posted)
	}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(day(10, 10))
	f.do(t, "UALICE", "set payments@2.3.0 version 2.4.0")
	m := requeued(t, f, slips[0])
	text, ok := renderAt(t, f.st, m, day(11, 9), time.UTC)
	if !ok || !strings.Contains(text, "payments@2.4.0") || strings.Contains(text, "2.3.0") {
		t.Errorf("the held slip delivered Monday reads %q (%v); want it about payments@2.4.0", text, ok)
	}
	renamed := *posted
	renamed.Edge = m.Notice.Edge
	renamed.Subject, renamed.Key = m.Notice.Subject, strings.ReplaceAll(posted.Key, "payments@2.3.0", "payments@2.4.0")
	if err := f.st.View(context.Background(), func(tx *store.Tx) error {
		if !tx.Told("CMOB", &renamed) {
			t.Errorf("#CMOB was told of the slip before the rename; under the new name the ledger does not say so")
		}
		if tx.Told("CMOB", posted) {
			t.Errorf("what #CMOB was told is still recorded under the old name")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// requeued is m as it is in the outbox now.
func requeued(tb testing.TB, f *alertFixture, m store.Message) store.Message {
	tb.Helper()
	for _, q := range mustOutbox(tb, f.st) {
		if q.ID == m.ID {
			return q
		}
	}
	tb.Fatalf("message %d is no longer queued", m.ID)
	return m
}
