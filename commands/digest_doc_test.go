package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// The digest now rows of commandCases.
func init() {
	commandCases["digest"] = append(commandCases["digest"],
		commandCase{name: "ShowsTheDigestNow", line: "/release digest now", want: []string{"Digest for every product · Mon 2027-01-04", "*:calendar: Next 4 weeks (to Mon 2027-02-01)*", "*auth@1.4.0* — Fri 2027-01-08 (in 4 days)"}},
		commandCase{name: "ShowsOneProductsDigestNow", line: "/release digest now mobile", want: []string{"Digest for mobile", "`/release digest daily 09:00 me` sends you this every morning"}},
		commandCase{name: "RejectsAnUnknownProductNow", line: "/release digest now paymnts", code: store.EInvalid, want: []string{`there is no product "paymnts"`}},
		commandCase{name: "RejectsAChannelNow", line: "/release digest now <#CPAY|payments-releases>", code: store.EInvalid, want: []string{"a digest asked for now is shown only to you"}},
	)
}

func TestDigestDoc(t *testing.T) {
	day := 24 * time.Hour

	t.Run("PutsAtRiskFirstWithTheRootCause", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release move auth@1.4.0 2027-01-20 because HSM firmware")
		svc.Clock.(*store.FakeClock).Set(epoch.Add(15 * day)) // Stripe SDK unconfirmed for 15 days
		MustDo(t, svc, alice, "/release add web 1.0 2027-01-19")
		MustDo(t, svc, alice, "/release ship web@1.0")
		before := MustSnapshot(t, svc.Store)
		r := MustDo(t, svc, bob, "/release digest now")
		assertUnchanged(t, before, MustSnapshot(t, svc.Store))
		if r.Queued != 0 {
			t.Errorf("digest now queued %d messages; want it private", r.Queued)
		}
		text := r.Doc.Text
		order := []string{
			"*:warning: At risk*",
			"• *payments@2.3.0* — Fri 2027-01-15 (4 days ago) · <@UALICE>: *auth@1.4.0* is overdue (needed 4 days ago, not shipped) (moved by <@UALICE> on Mon 2027-01-04: “HSM firmware”)",
			"• *mobile@5.0* — Fri 2027-01-29 (in 10 days) · <@UALICE>: *auth@1.4.0* is overdue (needed 4 days ago, not shipped) (moved by <@UALICE> on Mon 2027-01-04: “HSM firmware”) — through *payments@2.3.0*",
			"*:calendar: Next 4 weeks (to Tue 2027-02-16)*",
			":warning: *payments@2.3.0* — Fri 2027-01-15 (4 days ago) · <@UALICE> · :warning: *overdue* · *at risk*",
			":calendar: *auth@1.4.0* — Wed 2027-01-20 (tomorrow) · <@UALICE>",
			":warning: *mobile@5.0* — Fri 2027-01-29 (in 10 days) · <@UALICE> · *at risk*",
			"*:link: Slipped and overdue dependencies*",
			"• *payments@2.3.0*: *auth@1.4.0* needed by Fri 2027-01-15, due Wed 2027-01-20 — :warning: *overdue (needed 4 days ago, not shipped)*",
			"*:hourglass: External items awaiting confirmation*",
			":warning: external “Stripe SDK” — due Wed 2027-01-20 (tomorrow) · <@USAM> · *not confirmed for 15 days* · needed by 1 release",
			"*:white_check_mark: Shipped since Tue 2027-01-12*",
			":white_check_mark: *web@1.0* — shipped Tue 2027-01-19 · <@UALICE>",
		}
		at := 0
		for _, want := range order {
			i := strings.Index(text[at:], want)
			if i < 0 {
				t.Fatalf("digest lacks %q after position %d:\n%s", want, at, text)
			}
			at += i + len(want)
		}
	})

	t.Run("CapsALongSectionWithTheCommandThatShowsAll", func(t *testing.T) {
		svc := MustService(t)
		for i := range 20 {
			MustDo(t, svc, alice, fmt.Sprintf("/release add payments 1.%d 2027-01-%02d", i, 5+i))
		}
		MustDo(t, svc, alice, "/release add payments 2.0 2027-03-01") // past the 4 weeks
		r := MustDo(t, svc, alice, "/release digest now payments")
		for _, want := range []string{":calendar: *payments@1.14* — Tue 2027-01-19", "…and 5 more — `/release list payments due 4w`"} {
			if !strings.Contains(r.Doc.Text, want) {
				t.Errorf("digest lacks %q:\n%s", want, r.Doc.Text)
			}
		}
		if n := strings.Count(r.Doc.Text, "*payments@"); n != 15 {
			t.Errorf("digest lists %d releases; want the first 15", n)
		}
	})

	t.Run("KeepsEverySectionWithinSlacksLimits", func(t *testing.T) {
		svc := MustService(t)
		long := strings.Repeat("the HSM vendor &lt;!channel&gt; slipped again ", 20)
		MustDo(t, svc, alice, "/release add hsm 1.0 2027-01-06")
		for i := range 30 {
			MustDo(t, svc, alice, fmt.Sprintf("/release add p%02d 1.0 2027-01-20", i))
			MustDo(t, svc, alice, fmt.Sprintf("/release depend p%02d@1.0 on hsm@1.0 by 2027-01-10", i))
		}
		MustDo(t, svc, alice, "/release move hsm@1.0 2027-01-25 because "+long)
		r := MustDo(t, svc, alice, "/release digest now")
		if n := len(r.Doc.Sections); n > 40 {
			t.Errorf("digest has %d sections; want few enough for Slack's 50 blocks", n)
		}
		for i, s := range r.Doc.Sections {
			if len(s.Text) > 3000 {
				t.Errorf("section %d has %d characters; Slack takes 3,000", i, len(s.Text))
			}
		}
		if !strings.Contains(r.Doc.Text, "…and 20 more — `/release list at-risk`") {
			t.Errorf("digest does not cap the 30 releases at risk at 10:\n%s", r.Doc.Text)
		}
	})
}

// BenchmarkDigest10k composes the digest of every product over the
// organisation of MustOrgStore (10,000 releases, 31,000 dependencies, 200
// external items) in a read transaction, the way the sweep does. Cold
// reopens the store every iteration, so the graph is decoded from bbolt
// each time, as after a restart; AfterMove moves a release before each
// digest, so the store's graph has just changed (nothing the digest asks is
// memoized: the uncached figure as the sweep meets it); Warm reuses the
// graph the store keeps between transactions; TenSubscriptions composes ten
// digests (one of every product, nine of two products) with one Digester,
// as the sweep does when they fall due together.
func BenchmarkDigest10k(b *testing.B) {
	path := MustOrgStore(b)
	now := epoch.Add(40 * 24 * time.Hour)
	sub := &store.Subscription{}
	compose := func(b *testing.B, st *store.Store) {
		err := st.View(context.Background(), func(tx *store.Tx) error {
			doc, err := commands.Digest(tx, sub, now.Add(-7*24*time.Hour), now, time.UTC)
			if err == nil && !strings.Contains(doc.Text, "At risk") {
				err = fmt.Errorf("digest shows nothing at risk:\n%s", doc.Text)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			st := mustOpen(b, path)
			b.StartTimer()
			compose(b, st)
			b.StopTimer()
			st.Close()
			b.StartTimer()
		}
	})
	b.Run("AfterMove", func(b *testing.B) {
		st := mustOpen(b, path)
		defer st.Close()
		svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(now), Loc: time.UTC}
		compose(b, st)
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			date := "2027-04-20"
			if i%2 == 1 {
				date = "2027-04-21"
			}
			i++
			if r := svc.Execute(context.Background(), commands.Request{User: alice, Channel: defaultChannel, Command: "/release", Text: "move payments-000@2.0.0 " + date + " because bench"}); !r.OK() {
				b.Fatal(r.Doc.Text)
			}
			b.StartTimer()
			compose(b, st)
		}
	})
	b.Run("TenSubscriptions", func(b *testing.B) {
		st := mustOpen(b, path)
		defer st.Close()
		compose(b, st)
		subs := make([]*store.Subscription, 10)
		for i := range subs {
			subs[i] = &store.Subscription{Products: []string{fmt.Sprintf("payments-%03d", i*7), fmt.Sprintf("payments-%03d", i*7+1)}}
		}
		subs[0].Products = nil // one for every product
		b.ReportAllocs()
		for b.Loop() {
			err := st.View(context.Background(), func(tx *store.Tx) error {
				dg, err := commands.LoadDigester(tx, now.Add(-7*24*time.Hour), now, time.UTC)
				if err != nil {
					return err
				}
				for _, sub := range subs {
					dg.Digest(sub, now.Add(-7*24*time.Hour))
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Warm", func(b *testing.B) {
		st := mustOpen(b, path)
		defer st.Close()
		compose(b, st)
		b.ReportAllocs()
		for b.Loop() {
			compose(b, st)
		}
	})
}

func mustOpen(b *testing.B, path string) *store.Store {
	b.Helper()
	st, err := boltdb.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	return st
}
