package bot

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// TestConsoleAdvance drives :advance with a stand-in sweep: the first run
// at or after Friday 09:00 UTC queues a channel post and a quiet DM to sam,
// whom :tz put in Tokyo, as the slip sweep will.
func TestConsoleAdvance(t *testing.T) {
	st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2027, 1, 8, 8, 30, 0, 0, time.UTC) // Friday 17:30 in Tokyo
	clock := store.NewFakeClock(start)
	hourly, err := reminders.NewScheduler("0 * * * *", time.UTC, clock, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sweeps []time.Time
	sweep := func(ctx context.Context, now time.Time) error {
		sweeps = append(sweeps, now)
		return st.Update(ctx, "sweep", now, func(tx *store.Tx) error {
			if now.Before(time.Date(2027, 1, 8, 9, 0, 0, 0, time.UTC)) {
				return nil
			}
			if first, err := tx.MarkSent("demo slip"); err != nil || !first {
				return err
			}
			doc := store.Doc{Text: "payments@2.3.0 now slips"}
			if err := tx.Enqueue(&store.Message{Channel: "releases", Doc: doc}); err != nil {
				return err
			}
			return tx.Enqueue(&store.Message{Channel: "sam", DM: true, Quiet: true, Doc: doc})
		})
	}
	var out bytes.Buffer
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
	con := &Console{
		Dispatcher: &Dispatcher{Service: svc}, Outbox: NewConsoleOutbox(st, clock, &out), Clock: clock,
		In: strings.NewReader(":advance 3d\n:advance 1h"), Out: &out, User: "alex", Channel: "releases",
		Sweep: sweep, SweepAt: hourly.Next, Zones: map[string]*time.Location{"sam": tokyo},
	}
	if err := con.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	want := []string{
		"> :advance 3d",
		"Clock advanced 3d to Mon 2027-01-11 08:30 UTC.",
		"— Fri 2027-01-08 09:00 UTC —",
		"  [#releases] payments@2.3.0 now slips",
		"  [DM @sam held until Mon 2027-01-11 09:00 JST]",
		// Friday 18:00 in Tokyo is after hours: the DM waits for Monday 09:00 there.
		"— Mon 2027-01-11 00:00 UTC —",
		"  [DM @sam] payments@2.3.0 now slips",
		"> :advance 1h",
		"Clock advanced 1h to Mon 2027-01-11 09:30 UTC.",
	}
	if got := strings.Split(strings.TrimSpace(out.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("console output:\n%s\nwant:\n%s", out.String(), strings.Join(want, "\n"))
	}
	// Every hour on the hour from Friday 09:00 to Monday 09:00, in order.
	if len(sweeps) != 73 || !sweeps[0].Equal(time.Date(2027, 1, 8, 9, 0, 0, 0, time.UTC)) || !sweeps[72].Equal(time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("swept %d times, from %v to %v; want 73 hourly sweeps from Fri 09:00 to Mon 09:00 UTC", len(sweeps), sweeps[0], sweeps[len(sweeps)-1])
	}
	for i := 1; i < len(sweeps); i++ {
		if sweeps[i].Sub(sweeps[i-1]) != time.Hour {
			t.Errorf("sweep %d at %v follows %v; want an hour apart", i, sweeps[i], sweeps[i-1])
		}
	}
	if got := clock.Now(); !got.Equal(start.Add(73 * time.Hour)) {
		t.Errorf("clock at %v; want %v", got, start.Add(73*time.Hour))
	}
}
