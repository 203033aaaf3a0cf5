package storetest_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
	"relman/store/boltdb"
	"relman/store/storetest"
)

func mustKV(t *testing.T) store.KV {
	t.Helper()
	kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	return kv
}

// write puts k1…k3 and deletes k0 in bucket "b" in one transaction, and
// returns each operation's error and Commit's.
func write(t *testing.T, kv store.KV) (ops []error, commit error) {
	t.Helper()
	tx, err := kv.Begin(context.Background(), true)
	if err != nil {
		t.Fatalf("Begin(true) = %v", err)
	}
	defer tx.Rollback()
	b := tx.Bucket([]byte("b"))
	ops = append(ops, b.Put([]byte("k1"), []byte("1")), b.Delete([]byte("k0")), b.Put([]byte("k2"), []byte("2")), b.Put([]byte("k3"), []byte("3")))
	return ops, tx.Commit()
}

func TestFailAfter(t *testing.T) {
	raw := mustKV(t)
	tx, err := raw.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.CreateBucketIfNotExists([]byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Bucket([]byte("b")).Put([]byte("k0"), []byte("0")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	before := storetest.Dump(t, raw)

	kv := storetest.FailAfter(raw, 2)
	ops, commit := write(t, kv)
	for i, err := range ops {
		if failed := errors.Is(err, storetest.ErrWriteFailed); failed != (i >= 2) {
			t.Errorf("write %d of FailAfter(kv, 2)'s transaction = %v; want it to fail: %v", i+1, err, i >= 2)
		}
	}
	if commit == nil {
		t.Error("Commit() after a failed write = nil; want an error")
	}
	if diff := cmp.Diff(before, storetest.Dump(t, raw)); diff != "" {
		t.Errorf("a transaction with a failed write kept something (-before +after):\n%s", diff)
	}
	if got, want := kv.Writes(), []int{4}; !cmp.Equal(got, want) {
		t.Errorf("Writes() = %v; want %v", got, want)
	}
	if got := kv.Failed(); got != 2 {
		t.Errorf("Failed() = %d; want 2", got)
	}

	kv.Reset()
	kv.On.Store(false)
	ops, commit = write(t, kv)
	if err := errors.Join(append(ops, commit)...); err != nil {
		t.Fatalf("writes with On unset = %v; want none to fail", err)
	}
	if got, want := kv.Writes(), []int{4}; !cmp.Equal(got, want) || kv.Failed() != 0 {
		t.Errorf("Writes(), Failed() with On unset = %v, %d; want %v, 0", got, kv.Failed(), want)
	}
	want := map[string]storetest.Bucket{"b": {Pairs: map[string]string{"k1": "1", "k2": "2", "k3": "3"}}}
	if diff := cmp.Diff(want, storetest.Dump(t, raw)); diff != "" {
		t.Errorf("Dump after the writes (-want +got):\n%s", diff)
	}
}

func TestAwayKV(t *testing.T) {
	down := new(atomic.Bool)
	kv := storetest.AwayKV{KV: mustKV(t), Down: down}
	down.Store(true)
	if _, err := kv.Begin(context.Background(), false); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Begin() while down = %v; want an error wrapping store.ErrUnavailable", err)
	}
	down.Store(false)
	tx, err := kv.Begin(context.Background(), false)
	if err != nil {
		t.Fatalf("Begin() once back = %v", err)
	}
	tx.Rollback()
}
