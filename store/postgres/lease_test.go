package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"relman/store"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
)

// mustLeasers opens n KVs on one fresh database, as n replicas would.
func mustLeasers(tb testing.TB, n int) (string, []*postgres.DB) {
	tb.Helper()
	dsn := pgtest.MustDatabase(tb)
	var dbs []*postgres.DB
	for range n {
		kv, err := postgres.OpenKV(context.Background(), dsn)
		if err != nil {
			tb.Fatalf("OpenKV() = %v", err)
		}
		tb.Cleanup(func() { kv.Close() })
		dbs = append(dbs, kv)
	}
	return dsn, dbs
}

func mustAcquire(tb testing.TB, l store.Leaser, holder string, ttl time.Duration) (uint64, bool) {
	tb.Helper()
	epoch, ok, err := l.Acquire(context.Background(), holder, ttl)
	if err != nil {
		tb.Fatalf("Acquire(%q) = %v", holder, err)
	}
	return epoch, ok
}

// waitAcquire tries to acquire every 50ms until it succeeds or d passes.
func waitAcquire(tb testing.TB, l store.Leaser, holder string, ttl, d time.Duration) (uint64, time.Duration) {
	tb.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if epoch, ok := mustAcquire(tb, l, holder, ttl); ok {
			return epoch, time.Since(start)
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("%s did not acquire the lease within %v", holder, d)
		case <-tick.C:
		}
	}
}

func TestLease(t *testing.T) {
	const ttl = time.Second
	ctx := context.Background()
	t.Run("OnlyOneLeads", func(t *testing.T) {
		_, dbs := mustLeasers(t, 2)
		ea, okA := mustAcquire(t, dbs[0], "a", ttl)
		_, okB := mustAcquire(t, dbs[1], "b", ttl)
		if !okA || okB {
			t.Fatalf("Acquire(a), Acquire(b) = %t, %t; want true, false", okA, okB)
		}
		if ea != 1 {
			t.Errorf("first epoch = %d; want 1", ea)
		}
		if _, ok := mustAcquire(t, dbs[0], "a", ttl); ok {
			t.Errorf("Acquire(a) while a holds the lease = true; want false (acquiring is not renewing)")
		}
	})
	t.Run("LeaseLeftOnTheServersClock", func(t *testing.T) {
		_, dbs := mustLeasers(t, 1)
		var lc store.LeaseClock = dbs[0]
		if left, err := lc.LeaseLeft(ctx); left != 0 || err != nil {
			t.Errorf("LeaseLeft() never taken = %v, %v; want 0", left, err)
		}
		e, _ := mustAcquire(t, dbs[0], "a", ttl)
		if left, err := lc.LeaseLeft(ctx); left <= ttl/2 || left > ttl || err != nil {
			t.Errorf("LeaseLeft() just taken for %v = %v, %v; want a little under it", ttl, left, err)
		}
		if err := dbs[0].Release(ctx, "a", e); err != nil {
			t.Fatal(err)
		}
		if left, err := lc.LeaseLeft(ctx); left != 0 || err != nil {
			t.Errorf("LeaseLeft() released = %v, %v; want 0", left, err)
		}
	})
	t.Run("FollowerTakesOverWithinTTL", func(t *testing.T) {
		_, dbs := mustLeasers(t, 2)
		ea, _ := mustAcquire(t, dbs[0], "a", ttl)
		// a renews twice, then stops (crashes): b takes over within the TTL.
		for range 2 {
			time.Sleep(ttl / 2)
			if ok, err := dbs[0].Renew(ctx, "a", ea, ttl); !ok || err != nil {
				t.Fatalf("Renew(a, %d) = %t, %v; want true", ea, ok, err)
			}
			if _, ok := mustAcquire(t, dbs[1], "b", ttl); ok {
				t.Fatalf("Acquire(b) while a renews = true; want false")
			}
		}
		eb, took := waitAcquire(t, dbs[1], "b", ttl, 5*ttl)
		if took > ttl+500*time.Millisecond {
			t.Errorf("b took over %v after a's last renewal; want within the TTL %v", took, ttl)
		}
		if eb != ea+1 {
			t.Errorf("b's epoch = %d; want %d (a's + 1)", eb, ea+1)
		}
		// The OpenBao 2097 fault: a late renewal must not take it back.
		if ok, err := dbs[0].Renew(ctx, "a", ea, ttl); ok || err != nil {
			t.Errorf("Renew(a, %d) after b took over = %t, %v; want false, nil", ea, ok, err)
		}
		if _, ok := mustAcquire(t, dbs[0], "a", ttl); ok {
			t.Errorf("Acquire(a) after its failed renewal = true; want false: b holds the lease")
		}
		if ok, err := dbs[1].Renew(ctx, "b", eb, ttl); !ok || err != nil {
			t.Errorf("Renew(b, %d) = %t, %v; want true", eb, ok, err)
		}
	})
	t.Run("ReleaseHandsOverAtOnce", func(t *testing.T) {
		_, dbs := mustLeasers(t, 2)
		ea, _ := mustAcquire(t, dbs[0], "a", time.Hour)
		if err := dbs[0].Release(ctx, "a", ea); err != nil {
			t.Fatalf("Release(a) = %v", err)
		}
		eb, ok := mustAcquire(t, dbs[1], "b", time.Hour)
		if !ok || eb != ea+1 {
			t.Fatalf("Acquire(b) after a released = %d, %t; want %d, true", eb, ok, ea+1)
		}
		// A stale holder's release leaves the new lease alone.
		if err := dbs[0].Release(ctx, "a", ea); err != nil {
			t.Fatalf("Release(a) again = %v", err)
		}
		if _, ok := mustAcquire(t, dbs[0], "a", time.Hour); ok {
			t.Errorf("Acquire(a) after a stale Release = true; want false: b holds the lease")
		}
	})
	t.Run("EpochsOnlyGrow", func(t *testing.T) {
		_, dbs := mustLeasers(t, 2)
		var last uint64
		for i := range 6 {
			db, holder := dbs[i%2], []string{"a", "b"}[i%2]
			e, ok := mustAcquire(t, db, holder, time.Hour)
			if !ok || e <= last {
				t.Fatalf("acquisition %d = %d, %t; want an epoch above %d", i, e, ok, last)
			}
			last = e
			if err := db.Release(ctx, holder, e); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestFencedWrite(t *testing.T) {
	dsn := pgtest.MustDatabase(t)
	ctx := context.Background()
	a, b := MustOpen(t, dsn), MustOpen(t, dsn)
	la, lb := a.Leaser(), b.Leaser()
	if la == nil {
		t.Fatal("Leaser() of a PostgreSQL store = nil")
	}
	ea, _ := mustAcquire(t, la, "a", time.Hour)
	enqueue := func(s *store.Store, channel string) error {
		return s.Update(ctx, "relman", t0, func(tx *store.Tx) error {
			return tx.Enqueue(&store.Message{Channel: channel, Doc: store.Doc{Text: "hi"}})
		})
	}
	if err := enqueue(a.Fenced("a", ea), "CLEADER"); err != nil {
		t.Fatalf("fenced write of the leader = %v; want nil", err)
	}
	if err := la.Release(ctx, "a", ea); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustAcquire(t, lb, "b", time.Hour); !ok {
		t.Fatal("Acquire(b) after a released = false")
	}
	err := enqueue(a.Fenced("a", ea), "CSTALE")
	if !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("fenced write with a stale epoch = %v; want ErrNotLeader", err)
	}
	// A made-up epoch of the right holder fails too.
	if err := enqueue(b.Fenced("b", 99), "CSTALE"); !errors.Is(err, store.ErrNotLeader) {
		t.Errorf("fenced write with a wrong epoch = %v; want ErrNotLeader", err)
	}
	var got []string
	if err := b.View(ctx, func(tx *store.Tx) error {
		q, err := tx.Outbox()
		for _, m := range q {
			got = append(got, m.Channel)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "CLEADER" {
		t.Errorf("outbox after a stale fenced write = %q; want only [CLEADER]", got)
	}
}

// TestTakeoverWaitsForFencedWrite: a fenced transaction holds the lease
// row, so a follower cannot take an expired lease until the leader's
// write has committed; the write lands before the handover, never after.
func TestTakeoverWaitsForFencedWrite(t *testing.T) {
	dsn := pgtest.MustDatabase(t)
	ctx := context.Background()
	a, b := MustOpen(t, dsn), MustOpen(t, dsn)
	const ttl = 200 * time.Millisecond
	ea, _ := mustAcquire(t, a.Leaser(), "a", ttl)
	inTx, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.Fenced("a", ea).Update(ctx, "relman", t0, func(tx *store.Tx) error {
			close(inTx)
			<-release
			return tx.Enqueue(&store.Message{Channel: "CLATE", Doc: store.Doc{Text: "hi"}})
		})
	}()
	<-inTx
	time.Sleep(2 * ttl) // the lease expires while a's transaction is open
	acquired := make(chan bool, 1)
	go func() {
		_, ok, err := b.Leaser().Acquire(ctx, "b", time.Hour)
		if err != nil {
			t.Error(err)
		}
		acquired <- ok
	}()
	select {
	case ok := <-acquired:
		t.Fatalf("Acquire(b) = %t while a's fenced write was open; want it to wait", ok)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("a's fenced write = %v; want nil (it held the lease)", err)
	}
	if ok := <-acquired; !ok {
		t.Fatalf("Acquire(b) after a's write = false; want true (the lease expired)")
	}
}

// TestWakeOnEnqueue: a transaction that queues outbox messages wakes a
// watcher on another connection when it commits, and not when it rolls
// back.
func TestWakeOnEnqueue(t *testing.T) {
	dsn := pgtest.MustDatabase(t)
	a, b := MustOpen(t, dsn), MustOpen(t, dsn)
	if !b.CanWake() {
		t.Fatal("CanWake() of a PostgreSQL store = false")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	woken := make(chan struct{}, 10)
	wctx, stop := context.WithCancel(ctx)
	watched := make(chan error, 1)
	go func() { watched <- b.WatchOutbox(wctx, func() { woken <- struct{}{} }) }()
	enqueue := func(fail error) error {
		return a.Update(ctx, "relman", t0, func(tx *store.Tx) error {
			if err := tx.Enqueue(&store.Message{Channel: "C1", Doc: store.Doc{Text: "hi"}}); err != nil {
				return err
			}
			return fail
		})
	}
	// The watcher may not be listening yet: enqueue until it hears one.
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for heard := false; !heard; {
		if err := enqueue(nil); err != nil {
			t.Fatal(err)
		}
		select {
		case <-woken:
			heard = true
		case <-tick.C:
		case <-deadline.C:
			t.Fatal("the watcher was not woken by a committed Enqueue within 10s")
		}
	}
	time.Sleep(200 * time.Millisecond) // let wake-ups of earlier rounds arrive
	for len(woken) > 0 {
		<-woken
	}
	if err := enqueue(errors.New("changed my mind")); err == nil {
		t.Fatal("Update returning an error = nil")
	}
	if err := a.Update(ctx, "relman", t0, func(tx *store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-woken:
		t.Error("the watcher was woken by a rolled-back Enqueue or an Update that queued nothing")
	case <-time.After(300 * time.Millisecond):
	}
	stop()
	if err := <-watched; err != nil {
		t.Errorf("WatchOutbox after its ctx ended = %v; want nil", err)
	}
}

// TestReleaseWakesFollowers: Release wakes WatchLease on another
// connection, so a follower takes over without waiting for its next try.
func TestReleaseWakesFollowers(t *testing.T) {
	dsn := pgtest.MustDatabase(t)
	a, b := MustOpen(t, dsn), MustOpen(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	woken := make(chan struct{}, 10)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go b.WatchLease(wctx, func() { woken <- struct{}{} })
	// The watcher may not be listening yet: take and release until it hears.
	for i := 0; ; i++ {
		e, ok := mustAcquire(t, a.Leaser(), "a", time.Hour)
		if !ok {
			t.Fatal("Acquire(a) of a released lease = false")
		}
		if err := a.Leaser().Release(ctx, "a", e); err != nil {
			t.Fatal(err)
		}
		select {
		case <-woken:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if i == 100 {
			t.Fatal("WatchLease was not woken by 100 releases")
		}
	}
}
