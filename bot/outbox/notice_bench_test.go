package outbox

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// handOver is a Sender that takes every message at once, as Slack's rate
// limiter in front of chat.postMessage would: what is measured is relman's
// side, up to the hand-over.
type handOver struct{ n int }

func (h *handOver) Send(_ context.Context, m *store.Message, _, _ *store.Posted) (store.Posted, error) {
	h.n++
	return store.Posted{Channel: m.Channel, TS: fmt.Sprint(m.ID)}, nil
}

// heldDMs is a store holding 1,000 slip DMs for 300 people, held for 09:00
// Monday: 300 releases, each owned by its own person, depend on p1, p2 and
// p3 (the first 100 on p4 too), and each provider moved past the date they
// are needed by over the weekend.
func heldDMs(b *testing.B) (*store.Store, []store.Message, time.Time) {
	b.Helper()
	st, err := boltdb.Open(filepath.Join(b.TempDir(), "relman.db"), boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	saturday := time.Date(2027, 1, 9, 12, 0, 0, 0, time.UTC)
	clock := store.NewFakeClock(saturday.AddDate(0, 0, -5))
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC, Admins: []string{"UADMIN"}}
	do := func(text string) {
		if r := svc.Execute(context.Background(), commands.Request{User: "UADMIN", Channel: "CGEN", Command: "/release", Text: text}); !r.OK() {
			b.Fatalf("%s: %s", text, r.Doc.Text)
		}
	}
	for p := 1; p <= 4; p++ {
		do(fmt.Sprintf("add p%d 1.0 2027-01-20", p))
	}
	for i := range 300 {
		do(fmt.Sprintf("add c%d 1.0 2027-03-01 owner <@U%03d|u%d> channel <#CC%03d|c%d>", i, i, i, i, i))
		for p := 1; p <= 3 || (p == 4 && i < 100); p++ {
			do(fmt.Sprintf("depend c%d@1.0 on p%d@1.0 by 2027-02-01", i, p))
		}
	}
	clock.Set(saturday)
	for p := 1; p <= 4; p++ {
		do(fmt.Sprintf("move p%d@1.0 2027-02-10 because the vendor slipped", p))
	}
	var dms []store.Message
	if err := st.Update(context.Background(), "relman", saturday, func(tx *store.Tx) error {
		queue, err := tx.Outbox()
		for _, m := range queue {
			if err := tx.DeleteMessage(m.ID); err != nil {
				return err
			}
			if m.DM && m.Notice != nil {
				m.NotBefore = time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC)
				dms = append(dms, m)
			}
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
	people := map[string]bool{}
	for _, m := range dms {
		people[m.Channel] = true
	}
	if len(dms) != 1000 || len(people) != 300 {
		b.Fatalf("%d DMs held for %d people; want 1,000 for 300", len(dms), len(people))
	}
	return st, dms, time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC)
}

// cpu is the process's CPU time so far, user and system.
func cpu(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHeldDMsAtNine releases 1,000 DMs held for 300 people at 09:00:
// each worded at delivery (reminders.RenderNotice, the reader's zone
// looked up) and handed to the Sender. It reports the CPU time of a
// release (cpu-ms/op: user and system, every goroutine), the goal being
// ≤ 1 s.
func BenchmarkHeldDMsAtNine(b *testing.B) {
	st, dms, nine := heldDMs(b)
	zones := zoneMap{}
	for i := range 300 {
		zones[fmt.Sprintf("U%03d", i)] = time.FixedZone(fmt.Sprintf("Z%d", i%3), 0)
	}
	var spent time.Duration
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if err := st.Update(context.Background(), "relman", nine, func(tx *store.Tx) error {
			var told []string
			tx.LedgerEntries(store.KindTold+" ", func(key string, _ time.Time) bool {
				told = append(told, key)
				return true
			})
			if err := tx.Forget(told...); err != nil {
				return err
			}
			for _, m := range dms {
				m.ID = 0
				if err := tx.Enqueue(&m); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		h := &handOver{}
		o := &Outbox{Store: st, Sender: h, Clock: store.NewFakeClock(nine), Spacing: -1, Render: reminders.RenderNotice, Zones: zones, Loc: time.UTC}
		before := cpu(b)
		b.StartTimer()
		if _, err := o.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		spent += cpu(b) - before
		if h.n != len(dms) {
			b.Fatalf("handed over %d of %d DMs", h.n, len(dms))
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(spent.Milliseconds())/float64(b.N), "cpu-ms/op")
}
