package outbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relman/commands"
	"relman/commands/render"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// delivery is one notice as it reached the transport, and what was true
// then by an independent reading of the store.
type delivery struct {
	at      time.Time
	channel string
	notice  store.Notice
	text    string
	false   string // why it was not true at delivery ("" when it was)
}

// witness is a Sender that, at each post, re-derives from the store
// whether the notice it carries is true at that instant.
type witness struct {
	st    *store.Store
	clock store.Clock
	mu    sync.Mutex
	got   []delivery
}

func (w *witness) Send(ctx context.Context, m *store.Message, thread, update *store.Posted) (store.Posted, error) {
	if m.Notice != nil {
		now := w.clock.Now()
		d := delivery{at: now, channel: m.Channel, notice: *m.Notice, text: m.Doc.Text}
		if err := w.st.View(ctx, func(tx *store.Tx) error {
			d.false = untrue(tx, m, now)
			return nil
		}); err != nil {
			return store.Posted{}, err
		}
		w.mu.Lock()
		w.got = append(w.got, d)
		w.mu.Unlock()
	}
	return store.Posted{Channel: m.Channel, TS: fmt.Sprint(m.ID)}, nil
}

// untrue says why the notice of m, delivered at now in a UTC workspace, is
// false then: its edge in the wrong state, or words that do not say the
// edge's state as of today; "" when it is true.
func untrue(tx *store.Tx, m *store.Message, now time.Time) string {
	n := m.Notice
	g, err := tx.Graph()
	if err != nil {
		return err.Error()
	}
	today := store.DateOf(now, time.UTC)
	if n.Kind == store.KindOwner {
		return untrueOwner(tx, m, today)
	}
	var e store.Edge
	found := false
	for _, d := range g.Dependencies(n.Edge.Consumer) {
		if d.Key() == n.Edge.Key() {
			e, found = g.EdgeState(d, today)
		}
	}
	if !found {
		return "its edge is gone"
	}
	ok := false
	switch n.Kind {
	case store.KindSlip:
		ok = e.Kind == store.Late
	case store.KindOverdue:
		ok = e.Kind == store.Overdue
	case store.KindCancelled:
		ok = e.Kind == store.ProviderCancelled
	case store.KindRecovery:
		ok = e.Kind == store.OnTrack || e.Kind == store.Delivered
	case store.KindUpcoming:
		ok = (e.Kind == store.OnTrack || e.Kind == store.Late) && !e.NeededBy.Before(today)
	case store.KindHandshake:
		ok = e.Handshake == store.HandshakeRequested
	case store.KindCommitted:
		ok = e.Handshake == store.HandshakeCommitted
	case store.KindCountered:
		if e.Handshake != store.HandshakeCountered {
			return fmt.Sprintf("a %s notice, and the request is %s", n.Kind, e.Handshake)
		}
		if when := render.When(e.Proposed, today); !strings.Contains(m.Doc.Text, "proposes "+when) {
			return fmt.Sprintf("it does not say the proposed date as %q", when)
		}
		return ""
	case store.KindAccepted:
		if e.Handshake != store.HandshakeCommitted {
			return fmt.Sprintf("a %s notice, and the request is %s", n.Kind, e.Handshake)
		}
		if by := "by " + e.NeededBy.Pretty() + " (was"; !strings.Contains(m.Doc.Text, by) {
			return fmt.Sprintf("it does not say the needed-by date as %q", by)
		}
		return ""
	}
	if !ok {
		return fmt.Sprintf("a %s notice, and the edge is %v (%s)", n.Kind, e.Kind, e.Handshake)
	}
	if words := render.EdgeStateText(e, today); !strings.Contains(m.Doc.Text, words) {
		return fmt.Sprintf("it does not say %q", words)
	}
	if when := render.When(e.NeededBy, today); !strings.Contains(m.Doc.Text, "by "+when) {
		return fmt.Sprintf("it does not say the needed-by date as %q", when)
	}
	return ""
}

// untrueOwner says why m, the news to a release's new owner, is false as
// of today: they no longer own it, or it does not say its target as of
// today; "" when it is true.
func untrueOwner(tx *store.Tx, m *store.Message, today store.Date) string {
	r, err := tx.Release(m.Notice.Release)
	if err != nil {
		return fmt.Sprintf("its release %s: %v", m.Notice.Release, err)
	}
	if r.Owner != m.Channel {
		return fmt.Sprintf("%s is owned by %s", r.Ref, r.Owner)
	}
	if !strings.Contains(m.Doc.Text, "owner of *"+r.Ref.String()+"*, target "+render.When(r.Target, today)) {
		return fmt.Sprintf("it does not say %s's target as %q", r.Ref, render.When(r.Target, today))
	}
	return ""
}

// TestNoticesProperty plays random commands and clock advances against
// relman's due-checks and the outbox (sweeps between them, DMs held for
// working hours), and checks every notice delivered: true at its delivery
// by an independent reading of the store, and no reader told the same
// transition of a subject twice in a row.
func TestNoticesProperty(t *testing.T) {
	runs, steps := 25, 40
	if testing.Short() {
		runs = 5
	}
	var delivered atomic.Int64
	t.Cleanup(func() { // after the parallel runs
		if delivered.Load() < int64(runs) {
			t.Errorf("%d runs delivered %d notices in all; want at least one a run on average: the property was hardly exercised", runs, delivered.Load())
		}
	})
	for run := range runs {
		seed := uint64(run) + 1
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			delivered.Add(int64(noticesProperty(t, seed, steps)))
		})
	}
}

// noticesProperty plays one random session and returns how many notices
// it delivered.
func noticesProperty(t *testing.T, seed uint64, steps int) int {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 15))
	st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	start := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	clock := store.NewFakeClock(start)
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC, Admins: []string{"UALICE"}}
	sweep := &reminders.Sweep{Store: st, Loc: time.UTC, Checks: reminders.Checks}
	w := &witness{st: st, clock: clock}
	o := &Outbox{Store: st, Sender: w, Clock: clock, Spacing: -1, Parallel: 1, Render: reminders.RenderNotice, Loc: time.UTC}
	var log []string
	as := func(user, text string) {
		r := svc.Execute(ctx, commands.Request{User: user, Channel: "CGEN", Command: "/release", Text: text})
		log = append(log, clock.Now().Format("Mon 01-02 15:04")+" "+text+" → "+strings.SplitN(r.Doc.Text, "\n", 2)[0])
	}
	do := func(text string) { as("UALICE", text) }
	flush := func() {
		if _, err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, line := range []string{
		"add a 1.0 2027-01-15 channel <#CA|a> owner <@UKIM|kim>", // asked to commit (a handshake)
		"add b 1.0 2027-01-22 channel <#CB|b>",
		"add c 1.0 2027-01-29 channel <#CC|c>",
		"role b@1.0 release-manager <@UBOB|bob>",
		"role c@1.0 release-manager <@URITA|rita>",
		"depend b@1.0 on a@1.0 by 2027-01-18",
		"depend c@1.0 on b@1.0",
		"depend c@1.0 on a@1.0 by 2027-01-20",
	} {
		do(line)
	}
	flush()
	// The providers a and b are renamed back and forth (1.0, 1.1) while
	// news of them is held.
	version := map[string]string{"a": "1.0", "b": "1.0", "c": "1.0"}
	rel := func(p string) string { return p + "@" + version[p] }
	provider := func() string { return rel([]string{"a", "b"}[rng.IntN(2)]) }
	users := []string{"UKIM", "UBOB", "URITA"}
	for range steps {
		switch k := rng.IntN(17); {
		case k < 5:
			date := start.AddDate(0, 0, 5+rng.IntN(28)).Format("2006-01-02")
			do(fmt.Sprintf("move %s %s anyway because step", provider(), date))
		case k < 6:
			do("ship " + provider())
		case k < 7:
			do("reopen " + provider())
		case k < 8:
			date := start.AddDate(0, 0, 7+rng.IntN(25)).Format("2006-01-02")
			do(fmt.Sprintf("depend %s on %s by %s", rel("c"), rel("a"), date))
		case k < 9:
			as("UKIM", fmt.Sprintf("commit %s on %s anyway", rel("c"), rel("a")))
		case k < 10:
			date := start.AddDate(0, 0, 7+rng.IntN(25)).Format("2006-01-02")
			as("UKIM", fmt.Sprintf("propose %s on %s %s anyway because step", rel("c"), rel("a"), date))
		case k < 11:
			as("URITA", fmt.Sprintf("accept %s on %s", rel("c"), rel("a")))
		case k < 12:
			u := users[rng.IntN(len(users))]
			do(fmt.Sprintf("set %s owner <@%s|%s>", rel("c"), u, strings.ToLower(u[1:])))
		case k < 13:
			p := []string{"a", "b"}[rng.IntN(2)]
			to := map[string]string{"1.0": "1.1", "1.1": "1.0"}[version[p]]
			do(fmt.Sprintf("set %s version %s", rel(p), to))
			version[p] = to
		default:
			clock.Advance(time.Duration(1+rng.IntN(40)) * time.Hour)
			if _, err := sweep.Run(ctx, clock.Now()); err != nil {
				t.Fatal(err)
			}
			log = append(log, clock.Now().Format("Mon 01-02 15:04")+" sweep")
		}
		flush()
	}
	// Let what is held come out: a week of sweeps and deliveries.
	for range 7 * 4 {
		clock.Advance(6 * time.Hour)
		if _, err := sweep.Run(ctx, clock.Now()); err != nil {
			t.Fatal(err)
		}
		flush()
	}

	last := map[string]string{} // reader and subject → the transition last told
	for _, d := range w.got {
		if d.false != "" {
			t.Errorf("%s to %s at %s is false then: %s\n%s", d.notice.Kind, d.channel, d.at.Format("Mon 01-02 15:04"), d.false, d.text)
		}
		k := d.channel + " " + d.notice.Subject
		if last[k] == d.notice.Key {
			t.Errorf("%s told %q twice in a row (the second at %s)", d.channel, d.notice.Key, d.at.Format("Mon 01-02 15:04"))
		}
		last[k] = d.notice.Key
	}
	if t.Failed() {
		t.Logf("seed %d; the session:\n%s", seed, strings.Join(log, "\n"))
	}
	return len(w.got)
}
