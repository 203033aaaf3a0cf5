package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"relman/store"
)

// A panic in an Update's fn must end the transaction as an error does:
// commands.Service recovers panics and keeps using the store.
func TestUpdatePanicRollsBack(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	gen := MustGeneration(t, s)
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recover() = %v; want the panic of fn", p)
			}
		}()
		s.Update(context.Background(), "UMALLORY", t0, func(tx *store.Tx) error {
			if err := tx.PutProduct("product.create", &store.Product{Name: "mobile"}); err != nil {
				return err
			}
			panic("boom")
		})
	}()

	if got := MustGeneration(t, s); got != gen {
		t.Errorf("Generation() after a panicking Update = %d; want %d", got, gen)
	}
	// Had the panic left the read-write transaction open, this would block.
	MustUpdate(t, s, "UBOB", t0, func(tx *store.Tx) error {
		if p, err := tx.Product("mobile"); store.ErrorCode(err) != store.ENotFound {
			t.Errorf("after a panicking Update Product(mobile) = %v, %v; want code %q", p, err, store.ENotFound)
		}
		if log, err := tx.AuditLog(0, 0); err != nil || len(log) != 0 {
			t.Errorf("after a panicking Update AuditLog(0, 0) = %d entries, %v; want none", len(log), err)
		}
		return nil
	})
}

// MustGeneration returns s.Generation.
func MustGeneration(tb testing.TB, s *store.Store) uint64 {
	tb.Helper()
	gen, err := s.Generation(context.Background())
	if err != nil {
		tb.Fatalf("Generation() = %v", err)
	}
	return gen
}
