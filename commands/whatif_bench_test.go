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

// BenchmarkMovePreview previews a move (`move … preview`) at the scale of
// a large organisation (MustOrgStore: 10,000 releases, 31,000
// dependencies), through Service.Execute: the move's own code in a write
// transaction that is rolled back, then the report. The store's Graph is
// shared, as after any lookup or change in this process. "calm" moves a
// mid-train release a day later (no edge changes state); "slip" moves a
// late-train release 15 days later (an edge slips: the preview walks the
// risk before and after and composes the alert); "wide" moves a
// first-train release two months later: 20 edges slip, each alert about a
// consumer thousands of releases depend on. "calm/1000CRs" is calm after
// 1,000 change requests (decided, five votes each) were added, which the
// preview reads to name those it touches.
func BenchmarkMovePreview(b *testing.B) {
	path := MustOrgStore(b)
	for _, bc := range []struct {
		name, ref string
		days      int
		crs       int
	}{
		{"calm", "payments-000@2.0.0", 1, 0},
		{"slip", "payments-400@2.5.0", 15, 0},
		{"wide", "payments-000@1.0.0", 60, 0},
		{"calm/1000CRs", "payments-000@2.0.0", 1, 1000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			kv, err := boltdb.OpenKV(path, boltdb.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer kv.Close()
			st, err := store.New(context.Background(), kv, path)
			if err != nil {
				b.Fatal(err)
			}
			svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC}
			if bc.crs > 0 {
				MustDecidedCRs(b, st, bc.crs)
			}
			ref, _ := store.ParseRef(bc.ref)
			var target store.Date
			if err := st.View(context.Background(), func(tx *store.Tx) error {
				r, err := tx.Release(ref)
				if err == nil {
					target = r.Target
				}
				return err
			}); err != nil {
				b.Fatal(err)
			}
			text := fmt.Sprintf("move %s %s because bench preview", bc.ref, target.AddDays(bc.days))
			req := commands.Request{User: alice, Channel: defaultChannel, Command: "/release", Text: text}
			// A lookup shares the Graph, as the sweep or any lookup does.
			svc.Execute(context.Background(), commands.Request{User: alice, Channel: defaultChannel, Command: "/release", Text: "show " + bc.ref})
			r := svc.Execute(context.Background(), req)
			if !r.OK() || !strings.Contains(r.Doc.Text, "Preview, nothing saved") {
				b.Fatalf("Execute(%q) = %s", text, r.Doc.Text)
			}
			for _, l := range strings.Split(r.Doc.Text, "\n") {
				if strings.Contains(l, "Newly at risk") || strings.Contains(l, "Who hears") || strings.Contains(l, "No dependency") || strings.Contains(l, "late for") {
					b.Logf("%s: %s", bc.name, l)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if r := svc.Execute(context.Background(), req); !r.OK() {
					b.Fatalf("Execute(%q) failed: %s", text, r.Doc.Text)
				}
			}
		})
	}
}

// MustDecidedCRs adds n decided change requests, each with five votes, on
// releases payments-000@1.0.0 … (one each, by product).
func MustDecidedCRs(b *testing.B, st *store.Store, n int) {
	b.Helper()
	err := st.Update(context.Background(), alice, epoch, func(tx *store.Tx) error {
		if _, err := tx.ChangeRequest(1); err == nil {
			return nil // added by an earlier run (-count)
		}
		for i := range n {
			cr := &store.ChangeRequest{
				Release: store.Ref{Product: fmt.Sprintf("payments-%03d", i%500), Version: fmt.Sprintf("%d.%d.0", 1+i/5000, i/500%10)},
				Title:   fmt.Sprintf("change %d of the card flow", i), Requester: alice,
				PolicySnapshot: store.Board{Members: []string{"U1", "U2", "U3", "U4", "U5"}, Policy: store.Majority, Deadline: 72 * time.Hour, Default: store.Reject},
				Deadline:       epoch.Add(-time.Hour), Status: store.CRApproved, Votes: map[string]store.Ballot{}, Channel: defaultChannel,
			}
			for _, u := range cr.PolicySnapshot.Members {
				ballot := store.Ballot{Voter: u, Choice: store.Approve, At: epoch}
				cr.Votes[u] = ballot
				cr.History = append(cr.History, ballot)
			}
			if err := tx.NewChangeRequest("ccb.request", cr); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("add %d change requests: %v", n, err)
	}
}
