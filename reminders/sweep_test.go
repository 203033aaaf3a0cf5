package reminders

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"relman/commands"
	"relman/store"
)

// sweepStart is when the fixture's external item was added and confirmed:
// Monday 2027-01-04 10:00 UTC.
var sweepStart = time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC)

// MustSweepFixture returns a store where mobile@5.0 (Fri 2027-02-26) depends
// on external "Stripe SDK" (due Mon 2027-02-15, owner USAM), and a Service
// on it whose clock tests move.
func MustSweepFixture(tb testing.TB) (*store.Store, *commands.Service) {
	tb.Helper()
	st := MustStore(tb)
	svc := &commands.Service{Alerts: DueAfterCommand, Store: st, Clock: store.NewFakeClock(sweepStart), Loc: time.UTC}
	for _, line := range []string{
		"add mobile 5.0 2027-02-26",
		`depend mobile@5.0 on external "Stripe SDK" due 2027-02-15 owner <@USAM|sam>`,
	} {
		if r := svc.Execute(context.Background(), commands.Request{User: "UALICE", Channel: "CMOB", Command: "/release", Text: line}); !r.OK() {
			tb.Fatalf("%s: %s", line, r.Doc.Text)
		}
	}
	return st, svc
}

func mustOutbox(tb testing.TB, st *store.Store) []store.Message {
	tb.Helper()
	var out []store.Message
	if err := st.View(context.Background(), func(tx *store.Tx) (err error) {
		out, err = tx.Outbox()
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

func MustSweep(tb testing.TB, s *Sweep, now time.Time) int {
	tb.Helper()
	n, err := s.Run(context.Background(), now)
	if err != nil {
		tb.Fatalf("Sweep.Run(%v) = %v", now, err)
	}
	return n
}

func TestSweepReconfirms(t *testing.T) {
	day := 24 * time.Hour

	t.Run("AsksTheOwnerOnceAfterFourteenDays", func(t *testing.T) {
		st, _ := MustSweepFixture(t)
		notified := 0
		s := &Sweep{Store: st, Checks: []Check{Reconfirms}, Notify: func() { notified++ }}
		before := len(mustOutbox(t, st))
		if n := MustSweep(t, s, sweepStart.Add(14*day-time.Minute)); n != 0 {
			t.Errorf("a minute before 14 days: queued %d; want 0", n)
		}
		if n := MustSweep(t, s, sweepStart.Add(14*day)); n != 1 {
			t.Fatalf("after 14 days: queued %d; want 1", n)
		}
		msgs := mustOutbox(t, st)[before:]
		if len(msgs) != 1 {
			t.Fatalf("outbox gained %d messages; want 1", len(msgs))
		}
		m := msgs[0]
		if m.Channel != "USAM" || !m.DM || !m.Quiet || len(m.Doc.Buttons) != 2 {
			t.Errorf("queued %+v; want a quiet DM to USAM with two buttons", m)
		}
		if want := "Is external “Stripe SDK” still due Mon 2027-02-15 (in 28 days)?"; !strings.Contains(m.Doc.Text, want) {
			t.Errorf("request lacks %q:\n%s", want, m.Doc.Text)
		}
		if want := "*mobile@5.0* needs it by Fri 2027-02-26"; !strings.Contains(m.Doc.Text, want) {
			t.Errorf("request lacks %q:\n%s", want, m.Doc.Text)
		}
		if notified != 1 {
			t.Errorf("Notify called %d times; want 1", notified)
		}
		for _, at := range []time.Time{sweepStart.Add(14 * day), sweepStart.Add(20 * day)} {
			if n := MustSweep(t, s, at); n != 0 {
				t.Errorf("sweep again at %v: queued %d; want 0", at, n)
			}
		}
		if notified != 1 {
			t.Errorf("Notify called %d times; want 1 (nothing new queued)", notified)
		}
	})

	t.Run("AsksAgainFourteenDaysAfterTheNextConfirmation", func(t *testing.T) {
		st, svc := MustSweepFixture(t)
		s := &Sweep{Store: st, Checks: []Check{Reconfirms}}
		MustSweep(t, s, sweepStart.Add(14*day))
		confirmed := sweepStart.Add(15 * day)
		svc.Clock.(*store.FakeClock).Set(confirmed)
		if r := svc.Execute(context.Background(), commands.Request{User: "USAM", Command: "/release", Text: `confirm external "Stripe SDK"`}); !r.OK() {
			t.Fatal(r.Doc.Text)
		}
		if n := MustSweep(t, s, confirmed.Add(14*day-time.Minute)); n != 0 {
			t.Errorf("13 days after confirming: queued %d; want 0", n)
		}
		if n := MustSweep(t, s, confirmed.Add(14*day)); n != 1 {
			t.Errorf("14 days after confirming: queued %d; want 1", n)
		}
	})

	t.Run("LeavesItemsNothingWaitsFor", func(t *testing.T) {
		st, svc := MustSweepFixture(t)
		s := &Sweep{Store: st, Checks: []Check{Reconfirms}}
		// Past its due date the item counts as delivered.
		if n := MustSweep(t, s, time.Date(2027, 2, 16, 9, 0, 0, 0, time.UTC)); n != 0 {
			t.Errorf("after the due date: queued %d; want 0", n)
		}
		if r := svc.Execute(context.Background(), commands.Request{User: "UALICE", Command: "/release", Text: "cancel mobile@5.0 because merged into 6.0"}); !r.OK() {
			t.Fatal(r.Doc.Text)
		}
		if n := MustSweep(t, s, sweepStart.Add(14*day)); n != 0 {
			t.Errorf("with its only consumer cancelled: queued %d; want 0", n)
		}
	})

	t.Run("TwoSweepsAtOnceQueueOneRequest", func(t *testing.T) {
		st, _ := MustSweepFixture(t)
		s := &Sweep{Store: st, Checks: []Check{Reconfirms}}
		var wg sync.WaitGroup
		counts := make([]int, 4)
		for i := range counts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := s.Run(context.Background(), sweepStart.Add(14*day))
				if err != nil {
					t.Errorf("Run = %v", err)
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		total := 0
		for _, n := range counts {
			total += n
		}
		if total != 1 {
			t.Errorf("four concurrent sweeps queued %v; want 1 in all", counts)
		}
	})

	t.Run("AFailingSweepQueuesAndRecordsNothing", func(t *testing.T) {
		st, _ := MustSweepFixture(t)
		before := len(mustOutbox(t, st))
		failing := func(*store.Tx, *store.Graph, time.Time, *time.Location, Scope) ([]Alert, error) {
			return nil, errors.New("disk full")
		}
		s := &Sweep{Store: st, Checks: []Check{Reconfirms, failing}}
		if _, err := s.Run(context.Background(), sweepStart.Add(14*day)); err == nil {
			t.Fatal("Run = nil; want the check's error")
		}
		if got := len(mustOutbox(t, st)); got != before {
			t.Errorf("outbox has %d messages after a failed sweep; want %d", got, before)
		}
		s.Checks = []Check{Reconfirms}
		if n := MustSweep(t, s, sweepStart.Add(14*day)); n != 1 {
			t.Errorf("the next sweep queued %d; want 1 (the failed one recorded nothing)", n)
		}
	})
}
