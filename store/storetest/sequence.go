package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

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
