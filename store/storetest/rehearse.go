package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"relman/store"
)

// testRehearseKeepsNothing checks Store.Rehearse on the backend: fn sees
// its own changes and the messages it queued, and afterwards nothing of it
// is kept — records, outbox, ledger, sequences, generation — and the
// store's shared Graph is still the one of the data as it was.
func testRehearseKeepsNothing(t *testing.T, kv store.KV) {
	ctx := context.Background()
	at := time.Date(2027, time.January, 4, 9, 0, 0, 0, time.UTC)
	s, err := store.New(ctx, kv, "rehearse")
	if err != nil {
		t.Fatalf("store.New() = %v", err)
	}
	lib := store.Ref{Product: "lib", Version: "1"}
	target := store.DateOf(at, time.UTC).AddDays(30)
	if err := s.Update(ctx, "UALICE", at, func(tx *store.Tx) error {
		return tx.PutRelease("release.add", &store.Release{Ref: lib, Target: target, Owner: "UALICE", Status: store.Planned, CreatedAt: at})
	}); err != nil {
		t.Fatalf("Update() = %v", err)
	}
	graph := func() *store.Graph {
		t.Helper()
		var g *store.Graph
		if err := s.View(ctx, func(tx *store.Tx) error {
			g, err = tx.Graph()
			return err
		}); err != nil {
			t.Fatalf("View() = %v", err)
		}
		return g
	}
	g0 := graph()
	gen0, err := s.Generation(ctx)
	if err != nil {
		t.Fatalf("Generation() = %v", err)
	}

	moved := target.AddDays(7)
	err = s.Rehearse(ctx, "UALICE", at, func(tx *store.Tx) error {
		r, err := tx.Release(lib)
		if err != nil {
			return err
		}
		r.Target = moved
		if err := tx.PutRelease("release.move", r); err != nil {
			return err
		}
		if err := tx.Enqueue(&store.Message{Channel: "CLIB"}); err != nil {
			return err
		}
		if _, err := tx.QueueOnce("slip lib@1", &store.Message{Channel: "UBOB", DM: true}); err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		if got := g.Release(lib).Target; got != moved {
			t.Errorf("inside Rehearse, Graph() has %s at %s; want its own change, %s", lib, got, moved)
		}
		var to []string
		for _, m := range tx.Queued() {
			to = append(to, m.Channel)
		}
		if len(to) != 2 || to[0] != "CLIB" || to[1] != "UBOB" {
			t.Errorf("inside Rehearse, Queued() goes to %q; want [CLIB UBOB]", to)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Rehearse() = %v; want nil", err)
	}

	if gen, err := s.Generation(ctx); err != nil || gen != gen0 {
		t.Errorf("Generation() after Rehearse = %d, %v; want %d as before", gen, err, gen0)
	}
	if g := graph(); g != g0 {
		t.Error("after Rehearse the store shares another Graph; want the one of the data as it was")
	}
	if err := s.View(ctx, func(tx *store.Tx) error {
		r, err := tx.Release(lib)
		if err != nil {
			return err
		}
		if r.Target != target {
			t.Errorf("after Rehearse %s targets %s; want %s as before", lib, r.Target, target)
		}
		if ms, err := tx.Outbox(); err != nil || len(ms) != 0 {
			t.Errorf("after Rehearse the outbox holds %d messages (%v); want none", len(ms), err)
		}
		if tx.Sent("slip lib@1") {
			t.Error("after Rehearse the ledger has its alert; want nothing kept")
		}
		return nil
	}); err != nil {
		t.Fatalf("View() = %v", err)
	}

	refused := errors.New("refused")
	if err := s.Rehearse(ctx, "UALICE", at, func(*store.Tx) error { return refused }); err != refused {
		t.Errorf("Rehearse(fn failing) = %v; want fn's error", err)
	}
	// The outbox's sequence was given back: the next message is number 1.
	var id uint64
	if err := s.Update(ctx, "UALICE", at, func(tx *store.Tx) error {
		m := &store.Message{Channel: "CLIB"}
		err := tx.Enqueue(m)
		id = m.ID
		return err
	}); err != nil {
		t.Fatalf("Update() = %v", err)
	}
	if id != 1 {
		t.Errorf("the first message queued after Rehearse has ID %d; want 1 (the rehearsal's numbers given back)", id)
	}
}
