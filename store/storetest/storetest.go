// Package storetest checks that a backend of store.KV behaves as the store
// package relies on: ordered buckets, cursors, sequences, one writer at a
// time, snapshot isolation of readers, and transactions that keep all or
// nothing; and, for a backend that is a store.Batcher, grouped commits in
// which every call lands and a failing call fails alone. A backend's tests call Run with a function that opens a new,
// empty KV:
//
//	func TestKV(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.KV { … })
//	}
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// Run runs the conformance tests, each on a KV that open returns new and
// empty. Run closes each KV when its test ends.
func Run(t *testing.T, open func(t *testing.T) store.KV) {
	tests := []struct {
		name string
		fn   func(t *testing.T, kv store.KV)
	}{
		{"Buckets", testBuckets},
		{"GetPutDelete", testGetPutDelete},
		{"KeysInByteOrder", testKeyOrder},
		{"CursorsAcrossPages", testCursorPages},
		{"NextSequence", testNextSequence},
		{"ListBucketsAndSetSequence", testListAndSetSequence},
		{"PutMany", testPutMany},
		{"RollbackKeepsNothing", testRollback},
		{"CommitAfterAnErrorKeepsNothing", testCommitAfterError},
		{"OneWriterAtATime", testOneWriter},
		{"BeginHonoursContext", testBeginContext},
		{"ReadersSeeASnapshot", testSnapshot},
		{"WriteTo", testWriteTo},
		{"RehearseKeepsNothing", testRehearseKeepsNothing},
		{"BatchConcurrentCallsAllLand", batcher(testBatchAllLand)},
		{"BatchFailingCallFailsAlone", batcher(testBatchFailsAlone)},
		{"BatchAfterAnOperationErrorKeepsNothing", batcher(testBatchOperationError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := open(t)
			t.Cleanup(func() {
				if err := kv.Close(); err != nil {
					t.Errorf("Close() = %v", err)
				}
			})
			tt.fn(t, kv)
		})
	}
}

var bucket = []byte("things")

// update runs fn in a read-write transaction and commits it.
func update(t *testing.T, kv store.KV, fn func(tx store.KVTx)) {
	t.Helper()
	tx, err := kv.Begin(context.Background(), true)
	if err != nil {
		t.Fatalf("Begin(true) = %v", err)
	}
	defer tx.Rollback()
	fn(tx)
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit() = %v", err)
	}
}

// view runs fn in a read-only transaction.
func view(t *testing.T, kv store.KV, fn func(tx store.KVTx)) {
	t.Helper()
	tx, err := kv.Begin(context.Background(), false)
	if err != nil {
		t.Fatalf("Begin(false) = %v", err)
	}
	defer tx.Rollback()
	fn(tx)
}

// mustBucket returns the named bucket of tx, which must exist.
func mustBucket(t *testing.T, tx store.KVTx, name []byte) store.KVBucket {
	t.Helper()
	b := tx.Bucket(name)
	if b == nil {
		t.Fatalf("Bucket(%q) = nil; want the bucket", name)
	}
	return b
}

// withBucket creates the test bucket.
func withBucket(t *testing.T, kv store.KV) {
	t.Helper()
	update(t, kv, func(tx store.KVTx) {
		if err := tx.CreateBucketIfNotExists(bucket); err != nil {
			t.Fatalf("CreateBucketIfNotExists(%q) = %v", bucket, err)
		}
	})
}

func put(t *testing.T, b store.KVBucket, k, v string) {
	t.Helper()
	if err := b.Put([]byte(k), []byte(v)); err != nil {
		t.Fatalf("Put(%q, %q) = %v", k, v, err)
	}
}

// contents returns every key and value of the named bucket as tx sees it,
// walking a cursor from the first key; nil if there is no such bucket.
func contents(t *testing.T, tx store.KVTx, name []byte) [][2]string {
	t.Helper()
	b := tx.Bucket(name)
	if b == nil {
		return nil
	}
	out := [][2]string{}
	c := b.Cursor()
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		out = append(out, [2]string{string(k), string(v)})
	}
	return out
}

func testBuckets(t *testing.T, kv store.KV) {
	view(t, kv, func(tx store.KVTx) {
		if tx.Writable() {
			t.Error("Writable() of a read-only transaction = true")
		}
		if b := tx.Bucket(bucket); b != nil {
			t.Errorf("Bucket(%q) of a new KV = %v; want nil", bucket, b)
		}
		if err := tx.CreateBucketIfNotExists(bucket); err == nil {
			t.Error("CreateBucketIfNotExists in a read-only transaction = nil; want an error")
		}
	})
	update(t, kv, func(tx store.KVTx) {
		if !tx.Writable() {
			t.Error("Writable() of a read-write transaction = false")
		}
		for range 2 {
			if err := tx.CreateBucketIfNotExists(bucket); err != nil {
				t.Fatalf("CreateBucketIfNotExists(%q) = %v", bucket, err)
			}
		}
		put(t, mustBucket(t, tx, bucket), "k", "in things")
		if err := tx.CreateBucketIfNotExists([]byte("other")); err != nil {
			t.Fatalf("CreateBucketIfNotExists(other) = %v", err)
		}
		if got := mustBucket(t, tx, []byte("other")).Get([]byte("k")); got != nil {
			t.Errorf("Get(k) in another bucket = %q; want nil: buckets are separate", got)
		}
	})
	update(t, kv, func(tx store.KVTx) {
		if err := tx.CreateBucketIfNotExists(bucket); err != nil {
			t.Fatalf("CreateBucketIfNotExists(%q) of an existing bucket = %v", bucket, err)
		}
	})
	view(t, kv, func(tx store.KVTx) {
		if diff := cmp.Diff([][2]string{{"k", "in things"}}, contents(t, tx, bucket)); diff != "" {
			t.Errorf("bucket after creating it again (-want +got):\n%s", diff)
		}
	})
}

func testGetPutDelete(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	update(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		if got := b.Get([]byte("a")); got != nil {
			t.Errorf("Get(a) of a missing key = %q; want nil", got)
		}
		key := []byte("a")
		if err := b.Put(key, []byte("1")); err != nil {
			t.Fatal(err)
		}
		key[0] = 'z' // the bucket does not retain keys
		if got := string(b.Get([]byte("a"))); got != "1" {
			t.Errorf("Get(a) after Put(a, 1) in the same transaction = %q; want 1", got)
		}
		put(t, b, "b", "2")
		put(t, b, "b", "3")
		put(t, b, "c", "")
		if got := b.Get([]byte("c")); got == nil || len(got) != 0 {
			t.Errorf("Get(c) after Put(c, empty) = %v; want an empty, non-nil value", got)
		}
		if err := b.Delete([]byte("missing")); err != nil {
			t.Errorf("Delete(missing) = %v; want nil", err)
		}
	})
	update(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		if err := b.Delete([]byte("c")); err != nil {
			t.Fatalf("Delete(c) = %v", err)
		}
		if got := b.Get([]byte("c")); got != nil {
			t.Errorf("Get(c) after Delete(c) = %q; want nil", got)
		}
	})
	view(t, kv, func(tx store.KVTx) {
		want := [][2]string{{"a", "1"}, {"b", "3"}}
		if diff := cmp.Diff(want, contents(t, tx, bucket)); diff != "" {
			t.Errorf("committed data (-want +got):\n%s", diff)
		}
	})
}

// keys are byte strings whose byte order differs from other orders one
// might implement by mistake: prefixes, bytes above 0x7f, NULs, and
// numbers whose decimal and byte orders disagree.
var keys = []string{
	"", "\x00", "\x00\x00", "\x01", "1", "10", "2", "A", "Z", "a", "a\x00", "a@1", "a@1.0", "a@10", "a@2", "a-b@1", "ab",
	"payments@2.3.0", "payments@2.3.0 ext:stripe sdk", "payments@2.3.0 payments@2.2.0", "\x7f", "\x80", "é", "\xff", "\xff\xff",
}

func testKeyOrder(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	want := slices.Clone(keys[1:]) // not the empty key
	slices.SortFunc(want, func(a, b string) int { return bytes.Compare([]byte(a), []byte(b)) })
	shuffled := slices.Clone(want)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	update(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		for _, k := range shuffled {
			put(t, b, k, "v"+k)
		}
	})
	view(t, kv, func(tx store.KVTx) {
		var got []string
		for _, kv := range contents(t, tx, bucket) {
			got = append(got, kv[0])
			if kv[1] != "v"+kv[0] {
				t.Errorf("value of %q = %q; want %q", kv[0], kv[1], "v"+kv[0])
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("keys from a cursor (-want +got):\n%s", diff)
		}
		c := mustBucket(t, tx, bucket).Cursor()
		for _, seek := range []string{"", "\x00\x00\x00", "a@1", "a@1.", "a@3", "payments@2.3.0 ", "\xfe", "\xff\xff\xff"} {
			k, v := c.Seek([]byte(seek))
			i, _ := slices.BinarySearchFunc(want, seek, func(a, b string) int { return bytes.Compare([]byte(a), []byte(b)) })
			if i == len(want) {
				if k != nil {
					t.Errorf("Seek(%q) past the last key = %q; want nil", seek, k)
				}
				continue
			}
			if string(k) != want[i] || string(v) != "v"+want[i] {
				t.Errorf("Seek(%q) = %q, %q; want %q, %q", seek, k, v, want[i], "v"+want[i])
			}
			if i+1 < len(want) {
				if k, _ := c.Next(); string(k) != want[i+1] {
					t.Errorf("Next() after Seek(%q) = %q; want %q", seek, k, want[i+1])
				}
			}
		}
		c.Seek([]byte(want[len(want)-1]))
		if k, v := c.Next(); k != nil || v != nil {
			t.Errorf("Next() after the last key = %q, %q; want nil, nil", k, v)
		}
	})
}

func testCursorPages(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	const n = 5000 // with 200-byte values, many pages of any backend
	value := func(i int) string { return fmt.Sprintf("%0200d", i) }
	key := func(i int) string { return fmt.Sprintf("key-%06d", i) }
	// Written in two transactions, in an order that is not the key order.
	for part := range 2 {
		update(t, kv, func(tx store.KVTx) {
			b := mustBucket(t, tx, bucket)
			for j := range n {
				if i := (j * 7919) % n; i%2 == part {
					put(t, b, key(i), value(i))
				}
			}
		})
	}
	view(t, kv, func(tx store.KVTx) {
		c := mustBucket(t, tx, bucket).Cursor()
		i := 0
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			if string(k) != key(i) || string(v) != value(i) {
				t.Fatalf("cursor's key %d = %q (value %.12q…); want %q", i, k, v, key(i))
			}
			i++
		}
		if i != n {
			t.Errorf("cursor walked %d keys; want %d", i, n)
		}
		for _, at := range []int{0, 1, n / 3, n / 2, n - 1} {
			k, _ := c.Seek([]byte(key(at)))
			for j := at; j < min(at+300, n); j++ {
				if string(k) != key(j) {
					t.Fatalf("key %d after Seek(%q) = %q; want %q", j-at, key(at), k, key(j))
				}
				k, _ = c.Next()
			}
		}
		// A cursor over a prefix, as the store lists one product's releases.
		prefix := []byte("key-0025")
		var got int
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			got++
		}
		if got != 100 {
			t.Errorf("keys with prefix %q = %d; want 100", prefix, got)
		}
	})
}

func nextSequence(t *testing.T, tx store.KVTx, name []byte) uint64 {
	t.Helper()
	n, err := mustBucket(t, tx, name).NextSequence()
	if err != nil {
		t.Fatalf("NextSequence() = %v", err)
	}
	return n
}

func testNextSequence(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	other := []byte("other")
	update(t, kv, func(tx store.KVTx) {
		if err := tx.CreateBucketIfNotExists(other); err != nil {
			t.Fatal(err)
		}
		for want := uint64(1); want <= 3; want++ {
			if got := nextSequence(t, tx, bucket); got != want {
				t.Errorf("NextSequence() = %d; want %d", got, want)
			}
		}
		if got := nextSequence(t, tx, other); got != 1 {
			t.Errorf("NextSequence() of another bucket = %d; want 1: each bucket counts for itself", got)
		}
	})
	// A rolled-back transaction does not consume numbers.
	tx, err := kv.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := nextSequence(t, tx, bucket); got != 4 {
		t.Errorf("NextSequence() after 3 committed = %d; want 4", got)
	}
	nextSequence(t, tx, bucket)
	if err := tx.Rollback(); err != nil {
		t.Fatalf("Rollback() = %v", err)
	}
	update(t, kv, func(tx store.KVTx) {
		if got := nextSequence(t, tx, bucket); got != 4 {
			t.Errorf("NextSequence() after a rolled-back transaction used 4 and 5 = %d; want 4", got)
		}
	})
}

// testListAndSetSequence checks the optional KVLister and KVSequencer,
// which store.Copy needs, when the backend has them.
func testListAndSetSequence(t *testing.T, kv store.KV) {
	update(t, kv, func(tx store.KVTx) {
		for _, name := range []string{"zeta", "alpha", "mid"} {
			if err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				t.Fatal(err)
			}
		}
		l, ok := tx.(store.KVLister)
		if !ok {
			t.Skip("the backend's transactions are not a store.KVLister")
		}
		names, err := l.Buckets()
		if err != nil {
			t.Fatalf("Buckets() = %v", err)
		}
		if diff := cmp.Diff([]string{"alpha", "mid", "zeta"}, strs(names)); diff != "" {
			t.Errorf("Buckets() (-want +got):\n%s", diff)
		}
		s, ok := mustBucket(t, tx, []byte("mid")).(store.KVSequencer)
		if !ok {
			t.Skip("the backend's buckets are not a store.KVSequencer")
		}
		if n, err := s.Sequence(); n != 0 || err != nil {
			t.Errorf("Sequence() of a new bucket = %d, %v; want 0", n, err)
		}
		if err := s.SetSequence(41); err != nil {
			t.Fatalf("SetSequence(41) = %v", err)
		}
	})
	update(t, kv, func(tx store.KVTx) {
		s := mustBucket(t, tx, []byte("mid")).(store.KVSequencer)
		if n, err := s.Sequence(); n != 41 || err != nil {
			t.Errorf("Sequence() after SetSequence(41) = %d, %v; want 41", n, err)
		}
		if got := nextSequence(t, tx, []byte("mid")); got != 42 {
			t.Errorf("NextSequence() after SetSequence(41) = %d; want 42", got)
		}
	})
}

// testPutMany checks the optional KVLoader when the backend has it.
func testPutMany(t *testing.T, kv store.KV) {
	withBucket(t, kv)
	update(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		l, ok := b.(store.KVLoader)
		if !ok {
			t.Skip("the backend's buckets are not a store.KVLoader")
		}
		if err := b.Put([]byte("b"), []byte("old")); err != nil {
			t.Fatal(err)
		}
		if err := l.PutMany([][]byte{[]byte("a"), []byte("b"), []byte("c")}, [][]byte{[]byte("1"), []byte("2"), {}}); err != nil {
			t.Fatalf("PutMany() = %v", err)
		}
	})
	view(t, kv, func(tx store.KVTx) {
		b := mustBucket(t, tx, bucket)
		for k, want := range map[string]string{"a": "1", "b": "2", "c": ""} {
			if got := b.Get([]byte(k)); got == nil || string(got) != want {
				t.Errorf("Get(%q) after PutMany = %q; want %q", k, got, want)
			}
		}
	})
}

func strs(bs [][]byte) []string {
	var out []string
	for _, b := range bs {
		out = append(out, string(b))
	}
	return out
}

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
