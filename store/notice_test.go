package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"relman/store"
)

// TestRenameNotices: notices held about a renamed release, and what each
// reader was told of them, follow the new name; those about a release whose
// name merely contains the old one, or about another edge, do not move.
func TestRenameNotices(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	ctx := context.Background()
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	app, lib, lib2 := store.Ref{Product: "app", Version: "1"}, store.Ref{Product: "lib", Version: "1"}, store.Ref{Product: "lib", Version: "1.1"}
	mar1, mar5 := store.NewDate(2027, 3, 1), store.NewDate(2027, 3, 5)
	notice := func(d store.Dependency) *store.Notice {
		return &store.Notice{Kind: store.KindSlip, Subject: store.EdgeSubject(d.Key()), Key: store.SlipKey(d, mar1, mar5), Edge: &d}
	}
	onLib := store.Dependency{Consumer: app, Provider: lib}
	onLib2 := store.Dependency{Consumer: app, Provider: lib2}
	onExt := store.Dependency{Consumer: lib, External: "lib 1 sdk"}
	if err := s.Update(ctx, "relman", at, func(tx *store.Tx) error {
		for _, d := range []store.Dependency{onLib, onLib2, onExt} {
			if err := tx.Enqueue(&store.Message{Channel: "U1", DM: true, Notice: notice(d)}); err != nil {
				return err
			}
			if err := tx.MarkTold("C1", notice(d)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	lib9 := store.Ref{Product: "lib", Version: "9"}
	if err := s.Update(ctx, "relman", at, func(tx *store.Tx) error {
		n, err := tx.RenameNotices(lib, lib9)
		if n != 2 {
			t.Errorf("RenameNotices(lib@1, lib@9) changed %d notices; want 2 (the edge on lib@1, lib@1's on the SDK)", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := []store.Dependency{
		{Consumer: app, Provider: lib9},
		onLib2,
		{Consumer: lib9, External: "lib 1 sdk"},
	}
	if err := s.View(ctx, func(tx *store.Tx) error {
		msgs, err := tx.Outbox()
		if err != nil {
			return err
		}
		for i, m := range msgs {
			if got, w := *m.Notice, *notice(want[i]); got.Subject != w.Subject || got.Key != w.Key || got.Edge.Key() != w.Edge.Key() {
				t.Errorf("notice %d = %q %q on %q; want %q %q on %q", i, got.Subject, got.Key, got.Edge.Key(), w.Subject, w.Key, w.Edge.Key())
			}
			if !tx.Told("C1", notice(want[i])) {
				t.Errorf("C1 was told of %s; after the rename the ledger does not say so", want[i].Key())
			}
		}
		if tx.Told("C1", notice(onLib)) {
			t.Errorf("C1's record of %s is still under the old name", onLib.Key())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
