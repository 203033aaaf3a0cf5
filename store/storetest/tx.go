package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// prepare writes what testRollback and testCommitAfterError then try to
// change: the bucket with a=1 and b=2, and its sequence at 1.
func prepare(t *testing.T, kv store.KV) [][2]string {
	t.Helper()
	withBucket(t, kv)
	update(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		put(t, b, "a", "1")
		put(t, b, "b", "2")
		nextSequence(t, tx, bucket)
	})
	return [][2]string{{"a", "1"}, {"b", "2"}}
}

// change makes every kind of change in tx.
func change(t *testing.T, tx store.KVTx) {
	t.Helper()
	b := mustBucket(t, tx, bucket)
	put(t, b, "a", "changed")
	put(t, b, "c", "added")
	if err := b.Delete([]byte("b")); err != nil {
		t.Fatal(err)
	}
	nextSequence(t, tx, bucket)
	if err := tx.CreateBucketIfNotExists([]byte("new")); err != nil {
		t.Fatal(err)
	}
}

// unchanged checks that the data is as prepare left it.
func unchanged(t *testing.T, kv store.KV, want [][2]string, after string) {
	t.Helper()
	view(t, kv, func(tx store.KVTx) {
		if diff := cmp.Diff(want, contents(t, tx, bucket)); diff != "" {
			t.Errorf("data after %s (-want +got):\n%s", after, diff)
		}
		if b := tx.Bucket([]byte("new")); b != nil {
			t.Errorf("the bucket created in %s exists", after)
		}
	})
	update(t, kv, func(tx store.KVTx) {
		if got := nextSequence(t, tx, bucket); got != 2 {
			t.Errorf("NextSequence() after %s = %d; want 2", after, got)
		}
	})
}

func testRollback(t *testing.T, kv store.KV) {
	want := prepare(t, kv)
	tx, err := kv.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	change(t, tx)
	if err := tx.Rollback(); err != nil {
		t.Fatalf("Rollback() = %v", err)
	}
	unchanged(t, kv, want, "a rolled-back transaction")
}

func testCommitAfterError(t *testing.T, kv store.KV) {
	want := prepare(t, kv)
	tx, err := kv.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	change(t, tx)
	if err := mustBucket(t, tx, bucket).Put(nil, []byte("v")); err == nil {
		t.Fatal("Put with an empty key = nil; want an error")
	}
	if err := tx.Commit(); err == nil {
		t.Error("Commit() after an operation failed = nil; want an error")
	}
	unchanged(t, kv, want, "a Commit after an error")
}

// testOneWriter has two writers increment a counter. The second begins
// while the first is open; it must wait, then see the first's commit, so
// neither increment is lost.
func testOneWriter(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	counter := []byte("counter")
	increment := func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		n := 0
		if v := b.Get(counter); v != nil {
			n = int(v[0])
		}
		if err := b.Put(counter, []byte{byte(n + 1)}); err != nil {
			t.Error(err)
		}
	}
	first, err := kv.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	increment(first)

	calling, began, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		close(calling)
		second, err := kv.Begin(context.Background(), true)
		close(began)
		if err != nil {
			done <- err
			return
		}
		increment(second)
		done <- second.Commit()
	}()
	<-calling
	// Give the second writer every chance to get past Begin if the
	// backend let it: it must not have.
	for range 1000 {
		runtime.Gosched()
	}
	select {
	case <-began:
		t.Error("a second Begin(true) returned while the first read-write transaction was open")
	default:
	}
	if err := first.Commit(); err != nil {
		t.Fatalf("first Commit() = %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("second writer: %v", err)
	}
	view(t, kv, func(tx store.KVTx) {
		if got := mustBucket(t, tx, bucket).Get(counter); len(got) != 1 || got[0] != 2 {
			t.Errorf("counter after two writers incremented it = %v; want [2]", got)
		}
	})
}

// testBeginContext checks that a cancelled context stops Begin. A backend
// whose wait for the write lock honours the context returns ctx's error; one
// that cannot interrupt the wait (bbolt) returns the transaction when the
// first writer ends, which is allowed.
func testBeginContext(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, writable := range []bool{false, true} {
		if tx, err := kv.Begin(ctx, writable); !errors.Is(err, context.Canceled) {
			if err == nil {
				tx.Rollback()
			}
			t.Errorf("Begin(cancelled, %v) = %v; want context.Canceled", writable, err)
		}
	}

	first, err := kv.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	type result struct {
		tx  store.KVTx
		err error
	}
	calling, done := make(chan struct{}), make(chan result, 1)
	go func() {
		close(calling)
		tx, err := kv.Begin(ctx, true)
		done <- result{tx, err}
	}()
	<-calling
	cancel()
	var r result
	select {
	case r = <-done: // the backend gave up waiting
	default:
		first.Rollback() // it can only wait for the lock
		r = <-done
	}
	first.Rollback()
	switch {
	case r.err == nil:
		t.Log("the backend cannot interrupt a Begin waiting for the write lock")
		r.tx.Rollback()
	case !errors.Is(r.err, context.Canceled):
		t.Errorf("Begin(true) cancelled while waiting = %v; want context.Canceled", r.err)
	}
}

// testSnapshot checks that a reader sees the data as of its Begin, while a
// writer commits changes to it, and that readers begun after see them.
func testSnapshot(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	// Grow the data and free it again, so the writer below has room
	// without growing the file (bbolt remaps a growing file, which waits
	// for open readers).
	update(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		for i := range 500 {
			put(t, b, fmt.Sprintf("filler-%03d", i), string(make([]byte, 2000)))
		}
	})
	update(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		for i := range 500 {
			if err := b.Delete(fmt.Appendf(nil, "filler-%03d", i)); err != nil {
				t.Fatal(err)
			}
		}
		put(t, b, "a", "1")
		put(t, b, "b", "2")
	})
	want := [][2]string{{"a", "1"}, {"b", "2"}}

	reader, err := kv.Begin(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback()
	if diff := cmp.Diff(want, contents(t, reader, bucket)); diff != "" {
		t.Fatalf("reader before the commit (-want +got):\n%s", diff)
	}
	update(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		put(t, b, "a", "changed")
		put(t, b, "c", "added")
		if err := b.Delete([]byte("b")); err != nil {
			t.Fatal(err)
		}
		if err := tx.CreateBucketIfNotExists([]byte("new")); err != nil {
			t.Fatal(err)
		}
	})
	if diff := cmp.Diff(want, contents(t, reader, bucket)); diff != "" {
		t.Errorf("reader begun before a commit, after it (-want +got):\n%s", diff)
	}
	if b := reader.Bucket([]byte("new")); b != nil {
		t.Error("reader begun before a commit sees the bucket it created")
	}
	view(t, kv, func(tx store.KVTx) {
		want := [][2]string{{"a", "changed"}, {"c", "added"}}
		if diff := cmp.Diff(want, contents(t, tx, bucket)); diff != "" {
			t.Errorf("reader begun after the commit (-want +got):\n%s", diff)
		}
	})
}

func testWriteTo(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	update(t, kv, func(tx store.KVTx) { put(t, mustBucket(t, tx, bucket), "a", "1") })
	view(t, kv, func(tx store.KVTx) {
		var buf bytes.Buffer
		n, err := tx.WriteTo(&buf)
		if errors.Is(err, store.ErrNoBackup) {
			if n != 0 || buf.Len() != 0 {
				t.Errorf("WriteTo() = %d, %v, and wrote %d bytes; want nothing written with ErrNoBackup", n, err, buf.Len())
			}
			t.Logf("WriteTo() = %v: the backend is backed up with its own tools", err)
			return
		}
		if err != nil || n != int64(buf.Len()) || n == 0 {
			t.Errorf("WriteTo() = %d, %v, and wrote %d bytes; want the same non-zero count and nil", n, err, buf.Len())
		}
	})
}
