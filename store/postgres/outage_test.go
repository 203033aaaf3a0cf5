package postgres_test

import (
	"context"
	"testing"
	"time"

	"relman/store"
	"relman/store/postgres/pgtest"
)

// TestDatabaseAway: when the server drops relman's connections or stops
// accepting them, a transaction fails with EUnavailable and keeps nothing,
// and once the database is back the next one succeeds without reopening.
func TestDatabaseAway(t *testing.T) {
	ctx := context.Background()
	t.Run("ReconnectsAfterBackendsAreTerminated", func(t *testing.T) {
		dsn := pgtest.MustDatabase(t)
		s := MustOpen(t, dsn)
		put(t, s, MustRelease(t, "payments@2.3.0", "2027-03-01"))
		if n := pgtest.Terminate(t, dsn); n == 0 {
			t.Fatal("pg_terminate_backend ended no connection; the test would prove nothing")
		}
		put(t, s, MustRelease(t, "auth@1.4.0", "2027-03-01")) // the first write after: no error
		if !has(t, s, "payments@2.3.0") || !has(t, s, "auth@1.4.0") {
			t.Error("after the server ended relman's connections, a release is missing")
		}
	})
	t.Run("UnreachableIsUnavailableThenRecovers", func(t *testing.T) {
		dsn := pgtest.MustDatabase(t)
		s := MustOpen(t, dsn)
		put(t, s, MustRelease(t, "payments@2.3.0", "2027-03-01"))
		restore := pgtest.Cut(t, dsn)
		start := time.Now()
		r := MustRelease(t, "auth@1.4.0", "2027-03-01")
		err := s.Update(ctx, "UALICE", t0, func(tx *store.Tx) error { return tx.PutRelease("release.add", &r) })
		if code := store.ErrorCode(err); code != store.EUnavailable {
			t.Errorf("Update while the database is away = %v (code %q); want code %q", err, code, store.EUnavailable)
		}
		if d := time.Since(start); d > 12*time.Second {
			t.Errorf("Update while the database is away took %s; want a few seconds at most", d)
		}
		if err := s.View(ctx, func(*store.Tx) error { return nil }); store.ErrorCode(err) != store.EUnavailable {
			t.Errorf("View while the database is away = %v; want code %q", err, store.EUnavailable)
		}
		restore()
		put(t, s, MustRelease(t, "search@1.0.0", "2027-03-01"))
		if has(t, s, "auth@1.4.0") {
			t.Error("the release of the failed Update was kept")
		}
		if !has(t, s, "payments@2.3.0") || !has(t, s, "search@1.0.0") {
			t.Error("after the database came back, a release is missing")
		}
	})
	t.Run("ConnectionLostMidTransactionKeepsNothing", func(t *testing.T) {
		dsn := pgtest.MustDatabase(t)
		s := MustOpen(t, dsn)
		put(t, s, MustRelease(t, "payments@2.3.0", "2027-03-01"))
		a, b := MustRelease(t, "auth@1.4.0", "2027-03-01"), MustRelease(t, "search@1.0.0", "2027-03-01")
		err := s.Update(ctx, "UALICE", t0, func(tx *store.Tx) error {
			if err := tx.PutRelease("release.add", &a); err != nil {
				return err
			}
			pgtest.Terminate(t, dsn) // the server ends the connection between two writes
			return tx.PutRelease("release.add", &b)
		})
		if code := store.ErrorCode(err); code != store.EUnavailable {
			t.Errorf("Update whose connection was ended = %v (code %q); want code %q", err, code, store.EUnavailable)
		}
		if has(t, s, "auth@1.4.0") || has(t, s, "search@1.0.0") {
			t.Error("a write of the transaction whose connection was ended was kept")
		}
		if !has(t, s, "payments@2.3.0") {
			t.Error("an earlier release is missing")
		}
	})
}

// TestConnectionLostBeforeFirstRead: a reader whose connection is ended
// before it looks at any bucket gets EUnavailable, not a panic on a bucket
// it took for missing (as the outbox worker once did, killing relman).
func TestConnectionLostBeforeFirstRead(t *testing.T) {
	dsn := pgtest.MustDatabase(t)
	s := MustOpen(t, dsn)
	err := s.View(context.Background(), func(tx *store.Tx) error {
		pgtest.Terminate(t, dsn)
		_, err := tx.Outbox()
		return err
	})
	if code := store.ErrorCode(err); code != store.EUnavailable {
		t.Errorf("View whose connection was ended before reading = %v (code %q); want code %q", err, code, store.EUnavailable)
	}
}
