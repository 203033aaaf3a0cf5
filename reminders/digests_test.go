package reminders

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/store"
)

// MustDo runs /release lines as UALICE in CREL at the service's clock.
func MustDo(tb testing.TB, svc *commands.Service, lines ...string) {
	tb.Helper()
	for _, line := range lines {
		if r := svc.Execute(context.Background(), commands.Request{User: "UALICE", Channel: "CREL", Command: "/release", Text: line}); !r.OK() {
			tb.Fatalf("%s: %s", line, r.Doc.Text)
		}
	}
}

// sweepDigests sweeps for digests every step from from until before to and
// returns the instants at which one was queued.
func sweepDigests(tb testing.TB, st *store.Store, from, to time.Time, step time.Duration) []time.Time {
	tb.Helper()
	s := &Sweep{Store: st, Checks: []Check{Digests}}
	var at []time.Time
	for now := from; now.Before(to); now = now.Add(step) {
		for range MustSweep(tb, s, now) {
			at = append(at, now)
		}
	}
	return at
}

// digestsQueued returns the digests in st's outbox after the first skip
// messages.
func digestsQueued(tb testing.TB, st *store.Store, skip int) []store.Message {
	tb.Helper()
	return mustOutbox(tb, st)[skip:]
}

func TestDigests(t *testing.T) {
	berlinDaily := func(created time.Time) store.Subscription {
		return store.Subscription{Channel: "UKIM", DM: true, Cadence: store.Daily, Hour: 9, Zone: "Europe/Berlin", Weekends: true, CreatedAt: created, CreatedBy: "UKIM"}
	}
	utc := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

	t.Run("KeepsNineOClockInBerlinWhenTheClocksSpringForward", func(t *testing.T) {
		st := MustStore(t)
		MustSubscribe(t, st, berlinDaily(utc(2027, 3, 26, 12)))
		// Sunday 2027-03-28 02:00 CET becomes 03:00 CEST: 09:00 in Berlin
		// is 08:00 UTC on Saturday and 07:00 UTC on Sunday.
		got := sweepDigests(t, st, utc(2027, 3, 27, 0), utc(2027, 3, 29, 0), 15*time.Minute)
		want := []time.Time{utc(2027, 3, 27, 8), utc(2027, 3, 28, 7)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("digests queued at (-want +got):\n%s", diff)
		}
	})

	t.Run("KeepsNineOClockInBerlinWhenTheClocksFallBack", func(t *testing.T) {
		st := MustStore(t)
		MustSubscribe(t, st, berlinDaily(utc(2027, 10, 29, 12)))
		// Sunday 2027-10-31 03:00 CEST becomes 02:00 CET: 09:00 in Berlin
		// is 07:00 UTC on Saturday and 08:00 UTC on Sunday.
		got := sweepDigests(t, st, utc(2027, 10, 30, 0), utc(2027, 11, 1, 0), 15*time.Minute)
		want := []time.Time{utc(2027, 10, 30, 7), utc(2027, 10, 31, 8)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("digests queued at (-want +got):\n%s", diff)
		}
	})

	t.Run("SendsAWeeklyDigestOnItsWeekdayOnly", func(t *testing.T) {
		st := MustStore(t)
		sub := store.Subscription{Channel: "CREL", Cadence: store.Weekly, Weekday: time.Wednesday, Hour: 17, Minute: 30, Zone: "America/New_York", CreatedAt: utc(2027, 1, 4, 0), CreatedBy: "UKIM"}
		MustSubscribe(t, st, sub)
		got := sweepDigests(t, st, utc(2027, 1, 4, 0), utc(2027, 1, 18, 0), 30*time.Minute)
		// 17:30 EST is 22:30 UTC, on Wednesdays 2027-01-06 and 01-13.
		want := []time.Time{time.Date(2027, 1, 6, 22, 30, 0, 0, time.UTC), time.Date(2027, 1, 13, 22, 30, 0, 0, time.UTC)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("digests queued at (-want +got):\n%s", diff)
		}
	})

	t.Run("RepeatedChecksSendOnce", func(t *testing.T) {
		st := MustStore(t)
		MustSubscribe(t, st, berlinDaily(utc(2027, 1, 4, 0)))
		s := &Sweep{Store: st, Checks: []Check{Digests, Digests}}
		at := utc(2027, 1, 4, 8)
		for i, want := range []int{1, 0, 0} {
			if n := MustSweep(t, s, at.Add(time.Duration(i)*time.Minute)); n != want {
				t.Errorf("sweep %d: queued %d; want %d", i+1, n, want)
			}
		}
		if n := len(mustOutbox(t, st)); n != 1 {
			t.Errorf("outbox holds %d messages; want 1", n)
		}
	})

	t.Run("SendsADigestMissedWhileDownOnceLate", func(t *testing.T) {
		st := MustStore(t)
		MustSubscribe(t, st, berlinDaily(utc(2027, 1, 4, 0)))
		// Down from Monday morning until Thursday noon: Thursday's digest
		// goes out once, not four.
		got := sweepDigests(t, st, utc(2027, 1, 7, 12), utc(2027, 1, 7, 18), time.Hour)
		if diff := cmp.Diff([]time.Time{utc(2027, 1, 7, 12)}, got); diff != "" {
			t.Errorf("digests queued at (-want +got):\n%s", diff)
		}
	})

	t.Run("DMsTheSubscriberAtOnceAndPostsToAChannel", func(t *testing.T) {
		st := MustStore(t)
		MustSubscribe(t, st, berlinDaily(utc(2027, 1, 4, 0)),
			store.Subscription{Channel: "CREL", Cadence: store.Daily, Hour: 9, Zone: "UTC", CreatedAt: utc(2027, 1, 4, 0), CreatedBy: "UKIM"})
		// Saturday: a DM digest is not held for working hours.
		sweepDigests(t, st, utc(2027, 1, 9, 10), utc(2027, 1, 9, 11), time.Hour)
		got := digestsQueued(t, st, 0)
		if len(got) != 2 {
			t.Fatalf("queued %d messages; want 2", len(got))
		}
		for _, m := range got {
			wantDM := m.Channel == "UKIM"
			if m.DM != wantDM || m.Quiet || !m.NotBefore.IsZero() {
				t.Errorf("queued to %s: DM %v, Quiet %v, NotBefore %v; want DM %v, not held", m.Channel, m.DM, m.Quiet, m.NotBefore, wantDM)
			}
		}
	})

	t.Run("SaysNothingInOneLine", func(t *testing.T) {
		st := MustStore(t)
		MustSubscribe(t, st, berlinDaily(utc(2027, 1, 4, 0)))
		sweepDigests(t, st, utc(2027, 1, 4, 8), utc(2027, 1, 4, 9), time.Hour)
		got := digestsQueued(t, st, 0)
		if len(got) != 1 {
			t.Fatalf("queued %d messages; want 1", len(got))
		}
		want := ":zzz: Digest for every product, Mon 2027-01-04: nothing at risk, nothing due in the next 4 weeks, no slipped dependency, no request awaiting an answer, no CR awaiting votes, no external item awaiting confirmation and nothing shipped since Sun 2027-01-03."
		if got[0].Doc.Text != want {
			t.Errorf("digest = %q; want %q", got[0].Doc.Text, want)
		}
	})

	t.Run("CoversOnlyItsProducts", func(t *testing.T) {
		st := MustStore(t)
		svc := &commands.Service{Alerts: DueAfterCommand, Store: st, Clock: store.NewFakeClock(utc(2027, 1, 4, 6)), Loc: time.UTC}
		MustDo(t, svc, "add auth 1.4.0 2027-01-08", "add payments 2.3.0 2027-01-15", "add mobile 5.0 2027-01-29",
			"depend payments@2.3.0 on auth@1.4.0", "move auth@1.4.0 2027-01-20 because HSM firmware")
		skip := len(mustOutbox(t, st))
		sub := berlinDaily(utc(2027, 1, 4, 0))
		sub.Products = []string{"auth"}
		MustSubscribe(t, st, sub)
		sweepDigests(t, st, utc(2027, 1, 4, 8), utc(2027, 1, 4, 9), time.Hour)
		got := digestsQueued(t, st, skip)
		if len(got) != 1 {
			t.Fatalf("queued %d messages; want 1", len(got))
		}
		text := got[0].Doc.Text
		// payments@2.3.0 is auth's consumer: its slip is auth's news too.
		for _, want := range []string{"Digest for auth", "*auth@1.4.0* — Wed 2027-01-20", "*payments@2.3.0*: *auth@1.4.0* needed by"} {
			if !strings.Contains(text, want) {
				t.Errorf("digest lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "mobile") || strings.Contains(text, "At risk") {
			t.Errorf("digest for auth shows another product's releases or risks:\n%s", text)
		}
	})

	t.Run("ListsWhatShippedSinceTheLastDigest", func(t *testing.T) {
		st := MustStore(t)
		clock := store.NewFakeClock(utc(2027, 1, 4, 6))
		svc := &commands.Service{Alerts: DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
		MustDo(t, svc, "add auth 1.4.0 2027-01-08", "add payments 2.3.0 2027-01-15", "add web 3.1 2027-01-20", "ship auth@1.4.0")
		MustSubscribe(t, st, berlinDaily(utc(2027, 1, 4, 0)))
		sweepDigests(t, st, utc(2027, 1, 4, 8), utc(2027, 1, 4, 9), time.Hour) // Monday's: auth shipped
		clock.Set(utc(2027, 1, 5, 14))
		MustDo(t, svc, "ship payments@2.3.0")
		// Down Wednesday and Thursday: Friday's digest reaches back to Monday's.
		clock.Set(utc(2027, 1, 8, 7))
		MustDo(t, svc, "ship web@3.1")
		skip := len(mustOutbox(t, st))
		sweepDigests(t, st, utc(2027, 1, 8, 8), utc(2027, 1, 8, 9), time.Hour)
		got := digestsQueued(t, st, skip)
		if len(got) != 1 {
			t.Fatalf("queued %d messages; want 1", len(got))
		}
		text := got[0].Doc.Text
		for _, want := range []string{"Shipped since Mon 2027-01-04", "*payments@2.3.0* — shipped Tue 2027-01-05", "*web@3.1* — shipped Fri 2027-01-08"} {
			if !strings.Contains(text, want) {
				t.Errorf("digest lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "auth@1.4.0") {
			t.Errorf("digest repeats auth@1.4.0, shipped before Monday's digest:\n%s", text)
		}
	})

	t.Run("ListsFreezesAndRolesChangedSinceTheLastDigest", func(t *testing.T) {
		st := MustStore(t)
		clock := store.NewFakeClock(utc(2027, 1, 4, 6))
		svc := &commands.Service{Alerts: DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
		MustDo(t, svc, "add payments 2.3.0 2027-01-15", "add auth 1.4.0 2027-01-20", "role payments release-manager <@UALICE>")
		sub := berlinDaily(utc(2027, 1, 4, 0))
		sub.Products = []string{"payments"}
		MustSubscribe(t, st, sub)
		sweepDigests(t, st, utc(2027, 1, 4, 8), utc(2027, 1, 4, 9), time.Hour) // Monday's: the role
		clock.Set(utc(2027, 1, 5, 14))
		MustDo(t, svc, "freeze payments 2027-02-01 2027-02-05 because the PCI audit", "role auth release-manager <@UBOB>",
			"role payments@2.3.0 release-engineer <@UKIM>", "freeze remove FZ-1")
		skip := len(mustOutbox(t, st))
		sweepDigests(t, st, utc(2027, 1, 6, 8), utc(2027, 1, 6, 9), time.Hour) // Wednesday's, the first since Monday's
		got := digestsQueued(t, st, skip)
		if len(got) != 1 {
			t.Fatalf("queued %d messages; want 1", len(got))
		}
		want := "*:loudspeaker: Freezes and roles changed since Mon 2027-01-04*\n" +
			"• Tue 2027-01-05 — :snowflake: <@UALICE> froze payments from Mon 2027-02-01 to Fri 2027-02-05 (*FZ-1*): “the PCI audit”\n" +
			"• Tue 2027-01-05 — :bust_in_silhouette: <@UALICE> set the release-engineer of *payments@2.3.0*: <@UKIM>\n" +
			"• Tue 2027-01-05 — :snowflake: <@UALICE> removed *FZ-1* (payments, from Mon 2027-02-01 to Fri 2027-02-05: “the PCI audit”)"
		text := got[0].Doc.Text
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, text)
		}
		if strings.Contains(text, "release-manager") {
			t.Errorf("digest repeats a role set before the last digest, or tells one of a product it does not cover:\n%s", text)
		}
	})

	t.Run("DoesNotRepeatNewsADigestComposedLateTold", func(t *testing.T) {
		st := MustStore(t)
		clock := store.NewFakeClock(utc(2027, 1, 4, 6))
		svc := &commands.Service{Alerts: DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
		MustDo(t, svc, "add payments 2.3.0 2027-01-15")
		MustSubscribe(t, st, store.Subscription{Channel: "CREL", Cadence: store.Daily, Hour: 9, Zone: "UTC", Weekends: true, CreatedAt: utc(2027, 1, 4, 0), CreatedBy: "UKIM"})
		// After Monday's 09:00 slot, before the sweep that sends it at 09:30.
		clock.Set(utc(2027, 1, 4, 9).Add(10 * time.Minute))
		MustDo(t, svc, "role payments release-manager <@UALICE>")
		skip := len(mustOutbox(t, st))
		sweepDigests(t, st, utc(2027, 1, 4, 9).Add(30*time.Minute), utc(2027, 1, 4, 10), time.Hour)
		sweepDigests(t, st, utc(2027, 1, 5, 9), utc(2027, 1, 5, 10), time.Hour)
		got := digestsQueued(t, st, skip)
		if len(got) != 2 {
			t.Fatalf("queued %d messages; want 2", len(got))
		}
		const news = "set the release-manager of product payments"
		if !strings.Contains(got[0].Doc.Text, news) {
			t.Errorf("Monday's digest, composed at 09:30, lacks the role set at 09:10:\n%s", got[0].Doc.Text)
		}
		if strings.Contains(got[1].Doc.Text, news) {
			t.Errorf("Tuesday's digest repeats the role Monday's told:\n%s", got[1].Doc.Text)
		}
	})

	t.Run("SaysWhatDigestNowSays", func(t *testing.T) {
		st := MustStore(t)
		slot := time.Date(2027, 1, 18, 9, 0, 0, 0, time.UTC) // a Monday, 14 days after Stripe SDK was confirmed
		clock := store.NewFakeClock(utc(2027, 1, 4, 6))
		svc := &commands.Service{Alerts: DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
		MustDo(t, svc, "add auth 1.4.0 2027-01-08", "add payments 2.3.0 2027-01-15", "add mobile 5.0 2027-01-29",
			"depend payments@2.3.0 on auth@1.4.0", "move auth@1.4.0 2027-01-20 because HSM firmware",
			`depend mobile@5.0 on external "Stripe SDK" due 2027-01-27 owner <@USAM|sam>`)
		clock.Set(utc(2027, 1, 12, 12))
		MustDo(t, svc, "add web 1.0 2027-01-12", "ship web@1.0")
		MustSubscribe(t, st, store.Subscription{Channel: "UKIM", DM: true, Cadence: store.Weekly, Weekday: time.Monday, Hour: 9, Zone: "UTC", CreatedAt: utc(2027, 1, 4, 0), CreatedBy: "UKIM"})
		skip := len(mustOutbox(t, st))
		// A weekly digest reaches back a week, as digest now does.
		clock.Set(slot)
		sweepDigests(t, st, slot, slot.Add(time.Minute), time.Minute)
		got := digestsQueued(t, st, skip)
		if len(got) != 1 {
			t.Fatalf("queued %d messages; want 1", len(got))
		}
		now := svc.Execute(context.Background(), commands.Request{User: "UKIM", Channel: "CREL", Command: "/release", Text: "digest now"})
		body := func(d store.Doc) store.Doc { d.Sections = d.Sections[:len(d.Sections)-1]; d.Text = ""; return d } // all but the footer
		if diff := cmp.Diff(body(now.Doc), body(got[0].Doc)); diff != "" {
			t.Errorf("scheduled digest differs from digest now (-now +scheduled):\n%s", diff)
		}
		for _, want := range []string{"At risk", "Next 4 weeks", "Slipped and overdue", "awaiting confirmation", "*web@1.0* — shipped Tue 2027-01-12"} {
			if !strings.Contains(got[0].Doc.Text, want) {
				t.Errorf("digest lacks %q:\n%s", want, got[0].Doc.Text)
			}
		}
	})
	t.Run("CarriesTheTimelineWhenItListsReleasesAtRisk", func(t *testing.T) {
		st := MustStore(t)
		clock := store.NewFakeClock(utc(2027, 1, 4, 6))
		svc := &commands.Service{Alerts: DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
		MustDo(t, svc, "add auth 1.4.0 2027-01-08", "add payments 2.3.0 2027-01-15", "add web 1.0 2027-01-20",
			"depend payments@2.3.0 on auth@1.4.0", "move auth@1.4.0 2027-01-20 because HSM firmware")
		for _, ch := range []string{"CPAY", "CWEB"} {
			products := map[string][]string{"CPAY": {"payments"}, "CWEB": {"web"}}[ch]
			MustSubscribe(t, st, store.Subscription{Channel: ch, Cadence: store.Daily, Hour: 9, Zone: "UTC", Products: products, CreatedAt: utc(2027, 1, 4, 0), CreatedBy: "UKIM"})
		}
		skip := len(mustOutbox(t, st))
		sweepDigests(t, st, utc(2027, 1, 4, 9), utc(2027, 1, 4, 9).Add(time.Minute), time.Minute)
		got := map[string]*store.Timeline{}
		for _, m := range digestsQueued(t, st, skip) {
			got[m.Channel] = m.Picture
		}
		if p := got["CPAY"]; p == nil || p.Lanes[0].Name != "auth" || len(p.Edges) != 1 || !p.Edges[0].Slipped {
			t.Errorf("payments' digest (payments at risk) carries %+v; want the timeline of payments with auth's slip", p)
		}
		if p, ok := got["CWEB"]; !ok || p != nil {
			t.Errorf("web's digest (nothing at risk; queued: %v) carries %+v; want no picture", ok, p)
		}
	})
}
