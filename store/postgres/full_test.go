package postgres_test

import (
	"context"
	"strings"
	"testing"

	"relman/store"
	"relman/store/postgres/pgtest"
)

// TestDiskFull: the server's disk_full (SQLSTATE 53100) is EFull, not a
// passing outage: the write keeps nothing, the store says it is full, and
// the next write once there is room succeeds and clears it.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.MustDatabase(t)
	s := MustOpen(t, dsn)
	put(t, s, MustRelease(t, "payments@2.3.0", "2027-03-01"))
	// The server answers disk_full to every change of relman's data, as
	// it does when it cannot extend a table's file.
	pgtest.Exec(t, dsn, `CREATE FUNCTION relman_test_full() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$`)
	pgtest.Exec(t, dsn, `CREATE TRIGGER relman_test_full BEFORE INSERT OR UPDATE ON relman_kv FOR EACH ROW EXECUTE FUNCTION relman_test_full()`)

	r := MustRelease(t, "auth@1.4.0", "2027-03-01")
	err := s.Update(ctx, "UALICE", t0, func(tx *store.Tx) error { return tx.PutRelease("release.add", &r) })
	if code := store.ErrorCode(err); code != store.EFull {
		t.Fatalf("Update on a full disk = %v (code %q); want %q", err, code, store.EFull)
	}
	if !strings.Contains(store.ErrorMessage(err), "storage is full") {
		t.Errorf("ErrorMessage = %q; want it to say the storage is full", store.ErrorMessage(err))
	}
	if s.Full() == nil || s.FullWrites() != 1 {
		t.Errorf("Full() = %v, FullWrites() = %d; want an error and 1", s.Full(), s.FullWrites())
	}
	if has(t, s, "auth@1.4.0") {
		t.Error("the release of the failed Update was kept")
	}

	pgtest.Exec(t, dsn, `DROP TRIGGER relman_test_full ON relman_kv`)
	put(t, s, MustRelease(t, "search@1.0.0", "2027-03-01"))
	if s.Full() != nil {
		t.Errorf("after a write succeeded Full() = %v; want nil", s.Full())
	}
}
