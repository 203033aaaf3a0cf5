package postgres

import (
	"context"
	"runtime"
	"testing"

	"github.com/jackc/pgx/v5"

	"relman/store"
	"relman/store/postgres/pgtest"
)

// openGroupKV opens a new database with one bucket, b.
func openGroupKV(t *testing.T) *DB {
	t.Helper()
	d, err := OpenKV(context.Background(), pgtest.MustDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	tx, err := d.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.CreateBucketIfNotExists([]byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return d
}

// grouped begins a first read-write transaction, puts a=1 in it, and has
// a second Begin(true) queue behind it; then commits the first, which hands
// its group to the second. It returns the second transaction and the
// first one's Commit result, which arrives when the group ends.
func grouped(t *testing.T, d *DB) (store.KVTx, chan error) {
	t.Helper()
	first, err := d.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Bucket([]byte("b")).Put([]byte("a"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	second := make(chan store.KVTx)
	go func() {
		tx, err := d.Begin(context.Background(), true)
		if err != nil {
			t.Error(err)
		}
		second <- tx
	}()
	for !d.w.waiting() {
		runtime.Gosched()
	}
	firstDone := make(chan error, 1)
	go func() { firstDone <- first.Commit() }()
	tx := <-second
	if tx == nil {
		t.FailNow()
	}
	return tx, firstDone
}

// read returns the value of k in b as a new reader sees it.
func read(t *testing.T, d *DB, k string) []byte {
	t.Helper()
	tx, err := d.Begin(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	return tx.Bucket([]byte("b")).Get([]byte(k))
}

func TestGroupedCommits(t *testing.T) {
	t.Run("SharedCommitAcknowledgedOnlyWhenDurable", func(t *testing.T) {
		d := openGroupKV(t)
		second, firstDone := grouped(t, d)
		if got := second.Bucket([]byte("b")).Get([]byte("a")); string(got) != "1" {
			t.Errorf("the next transaction of the group reads a = %q; want the first one's %q", got, "1")
		}
		select {
		case err := <-firstDone:
			t.Fatalf("the first Commit returned (%v) before its group's COMMIT", err)
		default:
		}
		if got := read(t, d, "a"); got != nil {
			t.Errorf("a reader sees a = %q before the group's COMMIT; want nothing", got)
		}
		if err := second.Bucket([]byte("b")).Put([]byte("c"), []byte("3")); err != nil {
			t.Fatal(err)
		}
		if err := second.Commit(); err != nil {
			t.Fatalf("second Commit() = %v", err)
		}
		if err := <-firstDone; err != nil {
			t.Fatalf("first Commit() = %v", err)
		}
		if a, c := read(t, d, "a"), read(t, d, "c"); string(a) != "1" || string(c) != "3" {
			t.Errorf("after the group's COMMIT a = %q, c = %q; want 1 and 3", a, c)
		}
	})
	t.Run("RolledBackMemberLeavesTheOthers", func(t *testing.T) {
		d := openGroupKV(t)
		second, firstDone := grouped(t, d)
		if err := second.Bucket([]byte("b")).Put([]byte("c"), []byte("3")); err != nil {
			t.Fatal(err)
		}
		second.Rollback()
		if err := <-firstDone; err != nil {
			t.Fatalf("first Commit() after the next of its group rolled back = %v; want nil", err)
		}
		if a, c := read(t, d, "a"), read(t, d, "c"); string(a) != "1" || c != nil {
			t.Errorf("a = %q, c = %q; want 1 and nothing", a, c)
		}
	})
	t.Run("FailedStatementFailsTheWholeGroup", func(t *testing.T) {
		d := openGroupKV(t)
		second, firstDone := grouped(t, d)
		kt := second.(*tx)
		err := kt.query(`SELECT 1/0`, nil, func(pgx.Rows) error { return nil })
		if err == nil {
			t.Fatal("SELECT 1/0 = nil; want an error")
		}
		kt.fail(err)
		if err := second.Commit(); err == nil {
			t.Error("Commit() after a statement failed = nil; want an error")
		}
		if err := <-firstDone; err == nil {
			t.Error("first Commit() of a group whose transaction aborted = nil; want an error: nothing was kept")
		}
		if a := read(t, d, "a"); a != nil {
			t.Errorf("a = %q after its group failed; want nothing", a)
		}
		// The next transaction starts a new group.
		tx, err := d.Begin(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		tx.Bucket([]byte("b")).Put([]byte("d"), []byte("4"))
		if err := tx.Commit(); err != nil {
			t.Fatalf("Commit() after a failed group = %v", err)
		}
	})
}

// get returns the value of k in b as a new read-write transaction of d
// sees it, and rolls the transaction back.
func get(t *testing.T, d *DB, k string) []byte {
	t.Helper()
	tx, err := d.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	return append([]byte(nil), tx.Bucket([]byte("b")).Get([]byte(k))...)
}

// put sets k to v in b in a read-write transaction of d.
func put(t *testing.T, d *DB, k string, v []byte) {
	t.Helper()
	tx, err := d.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Bucket([]byte("b")).Put([]byte(k), v); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestKnownAcrossGroups: what a group read or wrote is kept for the next
// group only while no one else wrote: a write by another process (another
// DB on the same database) is seen at once, and a caller reusing the
// memory of a value it put does not change what the next group reads.
func TestKnownAcrossGroups(t *testing.T) {
	a := openGroupKV(t)
	b, err := OpenKV(context.Background(), a.pool.Config().ConnConfig.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	buf := []byte("1")
	put(t, a, "k", buf)
	buf[0] = 'X' // the caller's memory, reused after Commit returned
	if got := get(t, a, "k"); string(got) != "1" {
		t.Errorf("next group reads k = %q; want %q", got, "1")
	}
	put(t, b, "k", []byte("2")) // another process
	if got := get(t, a, "k"); string(got) != "2" {
		t.Errorf("after another process set k, a group reads k = %q; want %q", got, "2")
	}
	tx, err := b.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	tx.Bucket([]byte("b")).Delete([]byte("k"))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := get(t, a, "k"); len(got) != 0 {
		t.Errorf("after another process deleted k, a group reads k = %q; want nothing", got)
	}
}
