package reminders

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/commands/render"
	"relman/store"
	"relman/store/boltdb"
)

// alertStart is when the alert fixture is made: Monday 2027-01-04 10:00 UTC.
var alertStart = time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC)

// alertFixture is a store where mobile@5.0 (Fri 01-29, channel CMOB,
// release manager URITA) needs payments@2.3.0 (Fri 01-15, owner UALICE,
// channel CPAY) by Fri 2027-01-22, and app@1.0 (Fri 02-12, CAPP) needs
// mobile@5.0; with a Service whose fake clock tests move.
type alertFixture struct {
	st    *store.Store
	svc   *commands.Service
	clock *store.FakeClock
	sweep *Sweep
	seen  int // outbox messages already looked at
}

func newAlertFixture(tb testing.TB, path string) *alertFixture {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "relman.db")
	}
	st, err := boltdb.Open(path, boltdb.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	clock := store.NewFakeClock(alertStart)
	f := &alertFixture{st: st, clock: clock, svc: &commands.Service{Alerts: DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}}
	f.sweep = &Sweep{Store: st, Checks: Checks, Horizon: LedgerHorizon}
	return f
}

func MustAlertFixture(tb testing.TB) *alertFixture {
	tb.Helper()
	f := newAlertFixture(tb, "")
	f.do(tb, "UALICE",
		"add payments 2.3.0 2027-01-15 channel <#CPAY|pay>",
		"add mobile 5.0 2027-01-29 channel <#CMOB|mob>",
		"add app 1.0 2027-02-12 channel <#CAPP|app>",
		"role mobile release-manager <@URITA|rita>",
		"depend mobile@5.0 on payments@2.3.0 by 2027-01-22",
		"depend app@1.0 on mobile@5.0",
	)
	f.seen = len(mustOutbox(tb, f.st))
	return f
}

// do runs lines as user at the clock's time.
func (f *alertFixture) do(tb testing.TB, user string, lines ...string) {
	tb.Helper()
	for _, line := range lines {
		if r := f.svc.Execute(context.Background(), commands.Request{User: user, Channel: "CGEN", Command: "/release", Text: line}); !r.OK() {
			tb.Fatalf("%s: %s", line, r.Doc.Text)
		}
	}
}

// news returns a line for each message queued since the last call: what
// it is and where it goes ("slip #CMOB", "upcoming @UALICE", "news #CPAY").
func (f *alertFixture) news(tb testing.TB) []string {
	tb.Helper()
	msgs := mustOutbox(tb, f.st)[f.seen:]
	f.seen += len(msgs)
	var out []string
	for _, m := range msgs {
		out = append(out, alertKind(m)+" "+where(m))
	}
	return out
}

func where(m store.Message) string {
	if m.DM {
		return "@" + m.Channel
	}
	return "#" + m.Channel
}

func alertKind(m store.Message) string {
	for prefix, kind := range map[string]string{
		":warning: *Slip*":                     "slip",
		":warning: *Overdue*":                  "overdue",
		":no_entry_sign: *Provider cancelled*": "cancelled",
		":white_check_mark: *Back on track*":   "recovery",
		":white_check_mark: *Delivered*":       "recovery",
		":warning: *Delivered late*":           "recovery",
		":calendar: ":                          "upcoming",
	} {
		if strings.HasPrefix(m.Doc.Text, prefix) {
			return kind
		}
	}
	return "news"
}

func day(d int, hour int) time.Time { return time.Date(2027, 1, d, hour, 0, 0, 0, time.UTC) }

func TestEdgeAlerts(t *testing.T) {
	type step struct {
		at    time.Time
		lines []string // run by UALICE at at; none: a sweep at at
		want  []string // what the step queued
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"SlipGoesToTheConsumersChannelAndReleaseManager", []step{
			{at: alertStart, lines: []string{"move payments@2.3.0 2027-01-25 because the HSM is late"},
				want: []string{"news #CPAY", "slip #CMOB", "slip @URITA"}},
			{at: alertStart, want: nil},
			{at: day(5, 10), want: nil},
		}},
		{"AFurtherSlipIsANewAlert", []step{
			{at: alertStart, lines: []string{"move payments@2.3.0 2027-01-25 because the HSM is late"},
				want: []string{"news #CPAY", "slip #CMOB", "slip @URITA"}},
			{at: day(5, 10), lines: []string{"move payments@2.3.0 2027-01-27 because the HSM is later"},
				want: []string{"news #CPAY", "slip #CMOB", "slip @URITA"}},
			{at: day(5, 11), want: nil},
		}},
		{"RecoveryIsNewsOnce", []step{
			{at: alertStart, lines: []string{"move payments@2.3.0 2027-01-25 because the HSM is late"},
				want: []string{"news #CPAY", "slip #CMOB", "slip @URITA"}},
			{at: day(5, 10), lines: []string{"move payments@2.3.0 2027-01-20"},
				want: []string{"news #CPAY", "recovery #CMOB", "recovery @URITA"}},
			{at: day(5, 11), want: nil},
			{at: day(6, 10), lines: []string{"ship payments@2.3.0"}, want: []string{"news #CPAY"}},
			{at: day(6, 11), want: nil},
		}},
		{"TheSameSlipAfterARecoveryIsNewsAgain", []step{
			{at: alertStart, lines: []string{"move payments@2.3.0 2027-01-25 because the HSM is late"},
				want: []string{"news #CPAY", "slip #CMOB", "slip @URITA"}},
			{at: day(5, 10), lines: []string{"move payments@2.3.0 2027-01-20"},
				want: []string{"news #CPAY", "recovery #CMOB", "recovery @URITA"}},
			{at: day(6, 10), lines: []string{"move payments@2.3.0 2027-01-25 because the HSM is late again"},
				want: []string{"news #CPAY", "slip #CMOB", "slip @URITA"}},
			{at: day(6, 11), want: nil},
			{at: day(7, 10), lines: []string{"move payments@2.3.0 2027-01-20"},
				want: []string{"news #CPAY", "recovery #CMOB", "recovery @URITA"}},
			{at: day(7, 11), want: nil},
		}},
		{"AFurtherSlipRecoversOnce", []step{
			{at: alertStart, lines: []string{"move payments@2.3.0 2027-01-25 because the HSM is late"},
				want: []string{"news #CPAY", "slip #CMOB", "slip @URITA"}},
			{at: day(5, 10), lines: []string{"move payments@2.3.0 2027-01-27 because the HSM is later"},
				want: []string{"news #CPAY", "slip #CMOB", "slip @URITA"}},
			{at: day(6, 10), lines: []string{"move payments@2.3.0 2027-01-20"},
				want: []string{"news #CPAY", "recovery #CMOB", "recovery @URITA"}},
			{at: day(6, 11), want: nil},
			{at: day(7, 11), want: nil},
			// The first slip's dates again, after the recovery: news.
			{at: day(8, 10), lines: []string{"move payments@2.3.0 2027-01-25 because the HSM is late again"},
				want: []string{"news #CPAY", "slip #CMOB", "slip @URITA"}},
		}},
		{"RecoveryByShipping", []step{
			{at: alertStart, lines: []string{"move payments@2.3.0 2027-01-25 because the HSM is late"},
				want: []string{"news #CPAY", "slip #CMOB", "slip @URITA"}},
			{at: day(6, 10), lines: []string{"ship payments@2.3.0"}, want: []string{"news #CPAY", "recovery #CMOB", "recovery @URITA"}},
			{at: day(6, 11), want: nil},
		}},
		{"CancelledProvider", []step{
			{at: alertStart, lines: []string{"cancel payments@2.3.0 because merged into 2.4"},
				want: []string{"news #CPAY", "cancelled #CMOB", "cancelled @URITA"}},
			{at: day(5, 10), want: nil},
		}},
		{"OverdueWhenTheNeededByDatePassesUnshipped", []step{
			{at: day(22, 23), want: []string{"upcoming @UALICE"}}, // the 1-day nudge, late: the 7-day one is superseded
			{at: day(23, 0), want: []string{"overdue #CMOB", "overdue @URITA"}},
			{at: day(23, 6), want: nil},
			{at: day(30, 6), want: nil},
		}},
		{"UpcomingSevenDaysAndOneDayBefore", []step{
			{at: day(14, 23), want: nil},
			{at: day(15, 0), want: []string{"upcoming @UALICE"}},
			{at: day(16, 0), want: nil},
			{at: day(20, 23), want: nil},
			{at: day(21, 0), want: []string{"upcoming @UALICE"}},
			{at: day(22, 0), want: nil},
		}},
		{"NoNudgeOnceShipped", []step{
			{at: day(14, 10), lines: []string{"ship payments@2.3.0"}, want: []string{"news #CPAY"}},
			{at: day(15, 0), want: nil},
			{at: day(21, 0), want: nil},
			{at: day(23, 0), want: nil},
		}},
		{"ARenamedReleaseKeepsItsAlertsSent", []step{
			{at: alertStart, lines: []string{"move payments@2.3.0 2027-01-25 because the HSM is late"},
				want: []string{"news #CPAY", "slip #CMOB", "slip @URITA"}},
			{at: day(5, 10), lines: []string{"set payments@2.3.0 version 2.3.1"}, want: []string{"news #CPAY"}},
			{at: day(5, 10), lines: []string{"set mobile@5.0 product ios"}, want: []string{"news #CMOB"}},
			{at: day(5, 11), want: nil},
			// ios has no release manager: ios@5.0's owner would hear by DM,
			// but she made the move herself.
			{at: day(6, 10), lines: []string{"move payments@2.3.1 2027-01-20"},
				want: []string{"news #CPAY", "recovery #CMOB"}},
		}},
		{"SweepCatchesASlipNoCommandChecked", []step{
			// A date changed behind the check's back (by an older relman):
			// the sweep finds the slip.
			{at: day(5, 10), lines: []string{"!payments@2.3.0 2027-01-26"}, want: nil},
			{at: day(5, 10), want: []string{"slip #CMOB", "slip @URITA"}},
			{at: day(5, 11), want: nil},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := MustAlertFixture(t)
			for i, s := range tc.steps {
				f.clock.Set(s.at)
				switch {
				case len(s.lines) == 1 && strings.HasPrefix(s.lines[0], "!"):
					f.retarget(t, s.lines[0][1:])
				case len(s.lines) > 0:
					f.do(t, "UALICE", s.lines...)
				default:
					MustSweep(t, f.sweep, s.at)
				}
				if diff := cmp.Diff(s.want, f.news(t)); diff != "" {
					t.Errorf("step %d at %v %v queued (-want +got):\n%s", i, s.at, s.lines, diff)
				}
			}
		})
	}
}

// retarget sets a release's target straight in the store, as a write that
// did not run the due-check would.
func (f *alertFixture) retarget(tb testing.TB, spec string) {
	tb.Helper()
	refText, dateText, _ := strings.Cut(spec, " ")
	ref, err := store.ParseRef(refText)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := store.ParseDate(dateText)
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.st.Update(context.Background(), "old-relman", f.clock.Now(), func(tx *store.Tx) error {
		r, err := tx.Release(ref)
		if err != nil {
			return err
		}
		r.Target = d
		return tx.PutRelease("release.move", r)
	}); err != nil {
		tb.Fatal(err)
	}
}

func TestEdgeAlertWords(t *testing.T) {
	f := MustAlertFixture(t)
	f.do(t, "UALICE", "move payments@2.3.0 2027-01-25 because the &lt;!channel&gt; HSM is late")
	msgs := mustOutbox(t, f.st)[f.seen:]
	if len(msgs) != 3 {
		t.Fatalf("move queued %d messages; want 3", len(msgs))
	}
	post, dm := msgs[1], msgs[2]
	if post.Channel != "CMOB" || post.DM || dm.Channel != "URITA" || !dm.DM || !dm.Quiet {
		t.Fatalf("alerts to %s and %s; want a post in CMOB and a quiet DM to URITA", where(post), where(dm))
	}
	if post.Doc.Text != dm.Doc.Text {
		t.Errorf("the channel and the release manager read different alerts:\n%s\n---\n%s", post.Doc.Text, dm.Doc.Text)
	}
	want := strings.Join([]string{
		":warning: *Slip*: *mobile@5.0* needs *payments@2.3.0* by Fri 2027-01-22 (in 18 days); it is due Mon 2027-01-25 — :warning: *late (3 days)*.",
		"*payments@2.3.0* moved from Fri 2027-01-15 to Mon 2027-01-25 by <@UALICE> on Mon 2027-01-04: “the &lt;!channel&gt; HSM is late”.",
		"*Now at risk* downstream of *mobile@5.0* (1 release):",
		"• *app@1.0* needs *mobile@5.0* by Fri 2027-02-12 — on track (14 days to spare)",
		"`/release show mobile@5.0` · `/release impact mobile@5.0`",
	}, "\n")
	if diff := cmp.Diff(want, post.Doc.Text); diff != "" {
		t.Errorf("slip alert (-want +got):\n%s", diff)
	}

	t.Run("UpcomingNudgeHasButtons", func(t *testing.T) {
		f := MustAlertFixture(t)
		MustSweep(t, f.sweep, day(15, 9))
		msgs := mustOutbox(t, f.st)[f.seen:]
		if len(msgs) != 1 {
			t.Fatalf("sweep queued %d messages; want the nudge", len(msgs))
		}
		m := msgs[0]
		if m.Channel != "UALICE" || !m.DM || !m.Quiet {
			t.Errorf("nudge to %s; want a quiet DM to payments' release manager, UALICE", where(m))
		}
		if want := ":calendar: *mobile@5.0* needs *payments@2.3.0* by Fri 2027-01-22 (in 7 days); it is due Fri 2027-01-15 — on track (7 days to spare)."; !strings.HasPrefix(m.Doc.Text, want) {
			t.Errorf("nudge = %q; want it to start %q", m.Doc.Text, want)
		}
		if len(m.Doc.Buttons) != 2 {
			t.Fatalf("nudge has %d buttons; want On track and Will slip…", len(m.Doc.Buttons))
		}
		if b := m.Doc.Buttons[0]; b.Text != "On track" || b.Value != "show payments@2.3.0" {
			t.Errorf("first button %+v; want On track running show payments@2.3.0", b)
		}
		b := m.Doc.Buttons[1]
		ask, ok := render.AskForm(b.ActionID, b.Value)
		if b.Text != "Will slip…" || !ok || !ask.Reason {
			t.Fatalf("second button %+v; want Will slip… asking for a date and a reason", b)
		}
		cmd, err := ask.Fill("2027-01-26", "the HSM is late")
		if err != nil || cmd != `move payments@2.3.0 2027-01-26 because "the HSM is late"` {
			t.Errorf("Will slip… with 2027-01-26 and a reason runs %q, %v; want the move", cmd, err)
		}
		// Both run what commands.Format writes.
		for _, text := range []string{m.Doc.Buttons[0].Value, cmd} {
			c, err := commands.Parse("/release", text, store.NewDate(2027, 1, 15))
			if err != nil || commands.Format(c) != text {
				t.Errorf("Parse(%q) = %v, %v; want a command Format writes the same", text, c, err)
			}
		}
	})
}

// TestEdgeAlertsRepeatedSweeps sweeps every 6 hours for six weeks, twice
// at each time, with a slip along the way: every alert goes out once.
func TestEdgeAlertsRepeatedSweeps(t *testing.T) {
	f := MustAlertFixture(t)
	var got []string
	for at := alertStart; at.Before(day(45, 0)); at = at.Add(6 * time.Hour) {
		f.clock.Set(at)
		if at.Equal(day(8, 10)) {
			f.do(t, "UALICE", "move payments@2.3.0 2027-01-25 because the HSM is late")
		}
		MustSweep(t, f.sweep, at)
		MustSweep(t, f.sweep, at)
		got = append(got, f.news(t)...)
	}
	want := []string{
		"news #CPAY", "slip #CMOB", "slip @URITA", // the move, Fri 01-08
		"upcoming @UALICE",                // 7 days before 01-22
		"upcoming @UALICE",                // 1 day before
		"overdue #CMOB", "overdue @URITA", // Sat 01-23
		"upcoming @URITA",                  // app@1.0 needs mobile@5.0 by Fri 02-12: 7 days before, to mobile's release manager
		"upcoming @URITA",                  // and 1 day before
		"overdue #CAPP", "overdue @UALICE", // Sat 02-13
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("six weeks of sweeps queued (-want +got):\n%s", diff)
	}
}

// TestEdgeAlertsCommandAndSweepRacing runs a move and sweeps at the same
// moment: the slip goes out once, whoever finds it.
func TestEdgeAlertsCommandAndSweepRacing(t *testing.T) {
	for range 10 {
		f := MustAlertFixture(t)
		var wg sync.WaitGroup
		wg.Add(3)
		go func() {
			defer wg.Done()
			// Not f.do: Fatal must not be called from another goroutine.
			line := "move payments@2.3.0 2027-01-25 because the HSM is late"
			if r := f.svc.Execute(context.Background(), commands.Request{User: "UALICE", Channel: "CGEN", Command: "/release", Text: line}); !r.OK() {
				t.Errorf("%s: %s", line, r.Doc.Text)
			}
		}()
		for range 2 {
			go func() {
				defer wg.Done()
				if _, err := f.sweep.Run(context.Background(), alertStart); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		slips := 0
		for _, n := range f.news(t) {
			if strings.HasPrefix(n, "slip ") {
				slips++
			}
		}
		if slips != 2 {
			t.Fatalf("a move racing two sweeps queued %d slip messages; want 2 (CMOB and URITA, once)", slips)
		}
	}
}

// TestEdgeAlertsRestartCatchUp stops relman before the needed-by date and
// starts it again after: the scheduler's run at start sends the overdue
// alert once, and a second restart sends nothing.
func TestEdgeAlertsRestartCatchUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relman.db")
	f := newAlertFixture(t, path)
	f.do(t, "UALICE",
		"add payments 2.3.0 2027-01-15 channel <#CPAY|pay>",
		"add mobile 5.0 2027-01-29 channel <#CMOB|mob>",
		"depend mobile@5.0 on payments@2.3.0 by 2027-01-22",
	)
	seen := len(mustOutbox(t, f.st))
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	var counts []int
	for _, at := range []time.Time{day(25, 8), day(25, 9)} { // down over the weekend; two starts on Monday
		st, err := boltdb.Open(path, boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sweep := &Sweep{Store: st, Checks: Checks}
		sched, err := NewScheduler("0 0 1 1 *", time.UTC, store.NewFakeClock(at), sweep.Job(), nil) // next run: next year
		if err != nil {
			t.Fatal(err)
		}
		timer := newFakeTimer()
		sched.After = timer.After
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- sched.Run(ctx) }()
		timer.next(t) // the run at start has begun: Run waits for the next
		sched.Wait()  // and it has finished
		cancel()
		if err := <-done; err != context.Canceled {
			t.Fatalf("Run = %v; want context.Canceled", err)
		}
		if st := sched.Stats(); st.Runs != 1 || st.Failures != 0 {
			t.Fatalf("scheduler stats %+v; want one run, no failure", st)
		}
		msgs := mustOutbox(t, st)
		counts = append(counts, len(msgs)-seen)
		seen = len(msgs)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Catch-up: the overdue alert to CMOB and mobile's owner; the nudges
	// before 01-22 are past and not sent.
	if diff := cmp.Diff([]int{2, 0}, counts); diff != "" {
		t.Errorf("messages queued at each start (-want +got):\n%s", diff)
	}
}

// TestLedgerPruning prunes entries older than the horizon, except those
// whose condition still holds: a release overdue for longer than the
// horizon is not alerted again.
func TestLedgerPruning(t *testing.T) {
	f := MustAlertFixture(t)
	f.do(t, "UALICE", "move payments@2.3.0 2027-01-25 because the HSM is late", "move payments@2.3.0 2027-01-21")
	MustSweep(t, f.sweep, day(23, 0)) // overdue now
	f.news(t)
	later := alertStart.Add(LedgerHorizon + 30*24*time.Hour)
	f.clock.Set(later)
	f.sweep.Horizon = 0
	MustSweep(t, f.sweep, later) // what falls due by then (app@1.0's own overdue edge)
	f.news(t)
	f.sweep.Horizon, f.sweep.prunedAt = LedgerHorizon, time.Time{}
	MustSweep(t, f.sweep, later.Add(time.Hour)) // prunes
	if got := f.news(t); len(got) != 0 {
		t.Errorf("a sweep after the horizon queued %v; want nothing (the overdue edge's alert is kept)", got)
	}
	var keys []string
	if err := f.st.View(context.Background(), func(tx *store.Tx) error {
		tx.LedgerEntries("", func(k string, _ time.Time) bool {
			keys = append(keys, k)
			return true
		})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.HasPrefix(k, store.KindSlip+" ") || strings.HasPrefix(k, store.KindRecovery+" ") {
			t.Errorf("ledger keeps %q past the horizon; want it pruned (its edge is no longer late)", k)
		}
	}
	if want := store.KindOverdue + " mobile@5.0 payments@2.3.0 2027-01-22"; !contains(keys, want) {
		t.Errorf("ledger = %q; want it to keep %q", keys, want)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
