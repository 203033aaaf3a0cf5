package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

func TestCCBPersistsWithoutBumpingTheGeneration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relman.db")
	s := MustOpen(t, path)
	ctx := context.Background()
	gen, err := s.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	board := store.NewBoard("payments")
	board.Members = []string{"c", "a", "b", "a"}
	def := store.NewBoard("")
	def.Members = []string{"z"}
	cr := store.ChangeRequest{Release: store.Ref{Product: "payments", Version: "2.3.0"}, Title: "swap the PSP", Requester: "a",
		Board: "payments", PolicySnapshot: board, Deadline: t0.Add(72 * time.Hour), Channel: "C1"}
	d := store.Delegation{From: "a", To: "d", Until: store.NewDate(2027, time.January, 20)}
	MustUpdate(t, s, "root", t0, func(tx *store.Tx) error {
		for _, b := range []*store.Board{&board, &def} {
			if err := tx.PutBoard("ccb.board", b); err != nil {
				return err
			}
		}
		if err := tx.NewChangeRequest("ccb.request", &cr); err != nil {
			return err
		}
		return tx.PutDelegation("ccb.delegate", &d)
	})
	var second store.ChangeRequest
	MustUpdate(t, s, "b", t0.Add(time.Minute), func(tx *store.Tx) error {
		second = cr
		second.Votes = map[string]store.Ballot{"b": {Voter: "b", Choice: store.Approve, At: t0.Add(time.Minute)}}
		second.History = []store.Ballot{second.Votes["b"]}
		if err := tx.PutChangeRequest("ccb.vote", &second); err != nil {
			return err
		}
		next := cr
		return tx.NewChangeRequest("ccb.request", &next)
	})
	if got, err := s.Generation(ctx); err != nil || got != gen {
		t.Errorf("Generation() after CCB writes = %d, %v; want %d (votes must not invalidate the graph)", got, err, gen)
	}
	if cr.ID != 1 || cr.Thread != "cr:1" || cr.Status != store.CROpen || !cr.CreatedAt.Equal(t0) {
		t.Errorf("NewChangeRequest set ID %d, Thread %q, Status %q, CreatedAt %v; want 1, cr:1, open, %v", cr.ID, cr.Thread, cr.Status, cr.CreatedAt, t0)
	}
	MustClose(t, s)
	s = MustOpen(t, path)
	MustView(t, s, func(tx *store.Tx) error {
		got, err := tx.ChangeRequest(1)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(&second, got); diff != "" {
			t.Errorf("ChangeRequest(1) (-want +got):\n%s", diff)
		}
		all, err := tx.ChangeRequests()
		if err != nil {
			return err
		}
		if len(all) != 2 || all[0].ID != 1 || all[1].ID != 2 {
			t.Errorf("ChangeRequests() = %d CRs; want CR-1, CR-2", len(all))
		}
		if _, err := tx.ChangeRequest(3); store.ErrorCode(err) != store.ENotFound {
			t.Errorf("ChangeRequest(3) error = %v; want not found", err)
		}
		b, err := tx.Board("payments")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"a", "b", "c"}, b.Members); diff != "" {
			t.Errorf("Board members stored sorted, once each (-want +got):\n%s", diff)
		}
		bs, err := tx.Boards()
		if err != nil {
			return err
		}
		if len(bs) != 2 || bs[0].Product != "" || bs[1].Product != "payments" {
			t.Errorf("Boards() = %+v; want the default board, then payments", bs)
		}
		if _, err := tx.Board("auth"); store.ErrorCode(err) != store.ENotFound {
			t.Errorf("Board(auth) error = %v; want not found", err)
		}
		ds, err := tx.Delegations()
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]store.Delegation{d}, ds, dateEq); diff != "" {
			t.Errorf("Delegations() (-want +got):\n%s", diff)
		}
		log, err := tx.AuditLog(0, 0)
		if err != nil {
			return err
		}
		var subjects []string
		for _, a := range log {
			subjects = append(subjects, a.Action+" "+a.Subject)
		}
		want := []string{"ccb.board board payments", "ccb.board board default", "ccb.request CR-1", "ccb.delegate delegation a ", "ccb.vote CR-1", "ccb.request CR-2"}
		if diff := cmp.Diff(want, subjects); diff != "" {
			t.Errorf("audit log (-want +got):\n%s", diff)
		}
		return nil
	})
}
