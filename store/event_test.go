package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relman/store"
	"relman/store/boltdb"
)

func TestFirstDelivery(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	first := func(tb testing.TB, s *store.Store, id string, at time.Time) bool {
		tb.Helper()
		ok, err := s.FirstDelivery(ctx, id, at, time.Hour)
		if err != nil {
			tb.Fatalf("FirstDelivery(%q) = %v", id, err)
		}
		return ok
	}
	t.Run("RetryIsNotFirst", func(t *testing.T) {
		s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
		if !first(t, s, "Ev1", t0) {
			t.Errorf("FirstDelivery(Ev1) = false; want true the first time")
		}
		if first(t, s, "Ev1", t0.Add(5*time.Minute)) {
			t.Errorf("FirstDelivery(Ev1) of a retry 5 minutes later = true; want false")
		}
		if !first(t, s, "Ev2", t0.Add(5*time.Minute)) {
			t.Errorf("FirstDelivery(Ev2) = false; want true: another event")
		}
	})
	t.Run("ForgottenAfterTTL", func(t *testing.T) {
		s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
		for i := range 40 {
			first(t, s, fmt.Sprintf("Ev%d", i), t0)
		}
		if !first(t, s, "Ev0", t0.Add(61*time.Minute)) {
			t.Errorf("FirstDelivery(Ev0) after the TTL = false; want true")
		}
		// Each call prunes a few expired records: after enough calls none
		// of the 40 is left.
		for i := range 5 {
			first(t, s, fmt.Sprintf("Late%d", i), t0.Add(2*time.Hour))
		}
		for i := 1; i < 40; i++ {
			if !first(t, s, fmt.Sprintf("Ev%d", i), t0.Add(2*time.Hour+time.Minute)) {
				t.Errorf("FirstDelivery(Ev%d) two hours on = false; want true", i)
			}
		}
	})
	t.Run("OneWinnerAmongProcesses", func(t *testing.T) {
		// Two Stores on one KV, as two replicas on one database.
		kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer kv.Close()
		var stores [2]*store.Store
		for i := range stores {
			if stores[i], err = store.New(ctx, kv, "relman.db"); err != nil {
				t.Fatal(err)
			}
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				ok, err := stores[i%2].FirstDelivery(ctx, "EvSame", t0, time.Hour)
				if err != nil {
					t.Errorf("FirstDelivery(EvSame) = %v", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Errorf("8 concurrent FirstDelivery(EvSame) on two Stores: %d got true; want 1", n)
		}
	})
}
