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
	"context"
	"testing"

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
