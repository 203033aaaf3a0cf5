package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// dmsTo returns the queued handshake DMs to user.
func dmsTo(st *store.Store, tb testing.TB, user string) []store.Message {
	tb.Helper()
	var out []store.Message
	for _, m := range MustOutbox(tb, st) {
		if m.DM && m.Channel == user && strings.HasPrefix(m.Doc.Text, ":handshake:") {
			out = append(out, m)
		}
	}
	return out
}

func mustDep(tb testing.TB, st *store.Store, consumer store.Ref, provider string) *store.Dependency {
	tb.Helper()
	var d *store.Dependency
	if err := st.View(context.Background(), func(tx *store.Tx) (err error) {
		d, err = tx.Dependency(consumer, provider)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return d
}

var mobile = store.Ref{Product: "mobile", Version: "5.0"}

func TestHandshakeRequest(t *testing.T) {
	t.Run("AsksTheProviderByDMWithButtons", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDoAll(t, svc, alice, "/release set payments@2.3.0 owner <@UBOB>", "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-20")
		dms := dmsTo(svc.Store, t, bob)
		if len(dms) != 1 || !dms[0].Quiet {
			t.Fatalf("DMs to bob = %+v; want one request, held for working hours", dms)
		}
		if !strings.Contains(dms[0].Doc.Text, ":handshake: Can you deliver *payments@2.3.0* by Wed 2027-01-20 (in 16 days) for *mobile@5.0*?") {
			t.Errorf("request = %q", dms[0].Doc.Text)
		}
		checkButtonsFormatted(t, dms[0].Doc)
		bs := dms[0].Doc.Buttons
		if len(bs) != 2 || bs[0].Text != "Yes, committed" || bs[1].Text != "Propose another date…" {
			t.Fatalf("buttons = %+v; want Yes, committed and Propose another date…", bs)
		}
		if cmd, ok := render.RunCommand(bs[0].ActionID, bs[0].Value); !ok || cmd != "commit mobile@5.0 on payments@2.3.0" {
			t.Errorf("Yes, committed runs %q, %v", cmd, ok)
		}
		ask, ok := render.AskForm(bs[1].ActionID, bs[1].Value)
		if filled, err := ask.Fill("2027-01-25", "QA"); !ok || err != nil || !ask.Reason || filled != `propose mobile@5.0 on payments@2.3.0 2027-01-25 because "QA"` {
			t.Errorf("Propose fills to %q, %v (form %+v)", filled, err, ask)
		}
		if d := mustDep(t, svc.Store, mobile, "payments@2.3.0"); d.Handshake != store.HandshakeRequested || d.RequestedBy != alice || !d.RequestedAt.Equal(epoch) {
			t.Errorf("dependency = %+v; want requested by alice now", d)
		}
	})

	t.Run("AsksNobodyWhenTheAskerAnswersForTheProvider", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		r := MustDo(t, svc, alice, "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-20")
		if d := mustDep(t, svc.Store, mobile, "payments@2.3.0"); d.Handshake != "" || strings.Contains(r.Doc.Text, "requested") {
			t.Errorf("alice asking herself: dependency %+v, reply %q; want no handshake", d, r.Doc.Text)
		}
	})

	t.Run("ANewNeededByDateAsksAgain", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDoAll(t, svc, alice, "/release set payments@2.3.0 owner <@UBOB>", "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-20")
		MustDo(t, svc, bob, "/release commit mobile@5.0 on payments@2.3.0")
		MustDo(t, svc, alice, "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-22")
		if d := mustDep(t, svc.Store, mobile, "payments@2.3.0"); d.Handshake != store.HandshakeRequested || d.AnsweredBy != "" {
			t.Errorf("dependency = %+v; want requested again", d)
		}
		if n := len(dmsTo(svc.Store, t, bob)); n != 2 {
			t.Errorf("%d DMs to bob; want 2 requests", n)
		}
		// Without a date of its own ("by target") the dependency asks nothing.
		MustDo(t, svc, alice, "/release depend mobile@5.0 on payments@2.3.0 by target")
		if d := mustDep(t, svc.Store, mobile, "payments@2.3.0"); d.Handshake != "" {
			t.Errorf("dependency = %+v; want no handshake", d)
		}
	})

	t.Run("AMoveThatCapsTheNeededByAsksAgain", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDoAll(t, svc, alice, "/release set payments@2.3.0 owner <@UBOB>", "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-27")
		MustDo(t, svc, bob, "/release commit mobile@5.0 on payments@2.3.0")
		MustDo(t, svc, alice, "/release move mobile@5.0 2027-01-25")
		d := mustDep(t, svc.Store, mobile, "payments@2.3.0")
		if d.NeededBy != store.NewDate(2027, 1, 25) || d.Handshake != store.HandshakeRequested {
			t.Errorf("dependency = %+v; want needed by Mon 2027-01-25, requested again", d)
		}
		dms := dmsTo(svc.Store, t, bob)
		if len(dms) != 2 || !strings.Contains(dms[1].Doc.Text, "by Mon 2027-01-25") {
			t.Errorf("DMs to bob = %+v; want a second request for Mon 2027-01-25", dms)
		}
	})
}

func TestHandshakeAnswers(t *testing.T) {
	t.Run("TheConsumerHearsACommitment", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDoAll(t, svc, alice, "/release set payments@2.3.0 owner <@UBOB>", "/release role mobile@5.0 release-manager <@USAM>",
			"/release depend mobile@5.0 on payments@2.3.0 by 2027-01-20")
		MustDo(t, svc, bob, "/release commit mobile@5.0 on payments@2.3.0")
		dms := dmsTo(svc.Store, t, sam)
		if len(dms) != 1 || !strings.Contains(dms[0].Doc.Text, "<@UBOB> committed to deliver *payments@2.3.0* by Wed 2027-01-20") {
			t.Errorf("DMs to sam = %+v; want the commitment", dms)
		}
		if n := len(dmsTo(svc.Store, t, alice)); n != 0 {
			t.Errorf("%d DMs to alice, who is not mobile's release manager any more; want 0", n)
		}
	})

	t.Run("AnAcceptedProposalIsTheNewNeededBy", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDoAll(t, svc, alice, "/release set payments@2.3.0 owner <@UBOB>", "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-20")
		MustDo(t, svc, bob, "/release propose mobile@5.0 on payments@2.3.0 2027-01-26 because &lt;!here&gt; QA")
		dms := dmsTo(svc.Store, t, alice)
		if len(dms) != 1 || !strings.Contains(dms[0].Doc.Text, "proposes Tue 2027-01-26 (in 22 days) instead: “&lt;!here&gt; QA”") {
			t.Fatalf("DMs to alice = %+v; want the counter-proposal, escaped", dms)
		}
		checkButtonsFormatted(t, dms[0].Doc)
		bs := dms[0].Doc.Buttons
		cmd, ok := render.RunCommand(bs[0].ActionID, bs[0].Value)
		if len(bs) != 1 || bs[0].Text != "Accept Tue 2027-01-26" || !ok {
			t.Fatalf("buttons = %+v; want Accept Tue 2027-01-26", bs)
		}
		// A newer proposal makes the old button refuse.
		MustDo(t, svc, bob, "/release propose mobile@5.0 on payments@2.3.0 2027-01-27 because QA again")
		MustFail(t, svc, alice, "/release "+cmd, store.EConflict)
		MustDo(t, svc, alice, "/release accept mobile@5.0 on payments@2.3.0")
		d := mustDep(t, svc.Store, mobile, "payments@2.3.0")
		if d.NeededBy != store.NewDate(2027, 1, 27) || d.Handshake != store.HandshakeCommitted || !d.Proposed.IsZero() {
			t.Errorf("dependency = %+v; want needed by Wed 2027-01-27, committed", d)
		}
	})
}

// A committed provider moved past the needed-by date breaks its
// commitment, and the slip alert says so; a request never answered is no
// commitment.
func TestBrokenCommitment(t *testing.T) {
	for _, tt := range []struct {
		name   string
		answer string
		want   bool
	}{
		{"AfterACommitment", "/release commit mobile@5.0 on payments@2.3.0", true},
		{"NotWithoutOne", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := MustService(t, root)
			MustFixture(t, svc)
			MustDoAll(t, svc, alice, "/release set payments@2.3.0 owner <@UBOB>", "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-20")
			if tt.answer != "" {
				MustDo(t, svc, bob, tt.answer)
			}
			svc.Clock.(*store.FakeClock).Advance(24 * time.Hour)
			MustDo(t, svc, bob, "/release move payments@2.3.0 2027-01-22 because the HSM is late")
			var slip string
			for _, m := range MustOutbox(t, svc.Store) {
				if m.Channel == "CMOB" && strings.HasPrefix(m.Doc.Text, ":warning: *Slip*") {
					slip = m.Doc.Text
				}
			}
			got := strings.Contains(slip, "Broken commitment: *payments@2.3.0* had committed to deliver by Wed 2027-01-20 (<@UBOB>, on Mon 2027-01-04).")
			if slip == "" || got != tt.want {
				t.Errorf("slip alert %q; want broken commitment said: %v", slip, tt.want)
			}
		})
	}
}

// A request unanswered for more than 3 working days is listed in digests.
func TestDigestUnansweredRequests(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	// Asked Monday 2027-01-04.
	MustDoAll(t, svc, alice, "/release set payments@2.3.0 owner <@UBOB>", "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-20")
	for day, want := range map[string]bool{"2027-01-07": false, "2027-01-08": true, "2027-01-09": true} {
		d, _ := store.ParseDate(day)
		now := d.Time(time.UTC).Add(10 * time.Hour)
		var doc store.Doc
		if err := svc.Store.View(context.Background(), func(tx *store.Tx) (err error) {
			doc, err = commands.Digest(tx, &store.Subscription{Products: []string{"payments"}}, now.Add(-24*time.Hour), now, time.UTC)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(doc.Text, "*:handshake: Requests awaiting an answer*\n• *mobile@5.0* asked for *payments@2.3.0* by Wed 2027-01-20 on Mon 2027-01-04 — no answer for ")
		if got != want {
			t.Errorf("digest on %s lists the request: %v; want %v\n%s", day, got, want, doc.Text)
		}
	}
}
