package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"relman/store"
)

// ErrWriteFailed is the error of a write a FailingKV failed.
var ErrWriteFailed = errors.New("storetest: the write failed")

// FailingKV is a KV whose read-write transactions fail part-way, for tests
// that a change is never half applied: while On is set, each read-write
// transaction may make its first n writes (Put and Delete calls), and
// every write after them fails with ErrWriteFailed without reaching the
// database. As the store.KVTx contract requires, a transaction with a
// failed write keeps nothing: its Commit rolls back and returns an error.
// It counts the writes of every read-write transaction, failing or not,
// so a test can check that the failure fell before the last write. Only
// KV's methods are passed through: the backend's optional interfaces
// (store.Batcher, store.KVReader) are hidden, so a Store on it runs one
// transaction per Batch call.
type FailingKV struct {
	store.KV
	// On says whether writes fail; FailAfter sets it.
	On atomic.Bool

	after int

	mu     sync.Mutex
	writes []int // Put and Delete calls of each read-write transaction, in order of Begin
	failed int   // writes failed
}

// FailAfter returns kv with every read-write transaction limited to n
// writes (the write n+1 and those after it fail), On from the start.
func FailAfter(kv store.KV, n int) *FailingKV {
	k := &FailingKV{KV: kv, after: n}
	k.On.Store(true)
	return k
}

// Writes returns how many writes (Put and Delete calls, failed or not)
// each read-write transaction begun since the last Reset made, in the
// order they began.
func (k *FailingKV) Writes() []int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]int(nil), k.writes...)
}

// Failed returns how many writes k has failed since the last Reset.
func (k *FailingKV) Failed() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.failed
}

// Reset forgets the writes counted so far.
func (k *FailingKV) Reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.writes, k.failed = nil, 0
}

// Begin begins a transaction of the wrapped KV; a read-write one counts
// its writes and, while On is set, fails those past the limit.
func (k *FailingKV) Begin(ctx context.Context, writable bool) (store.KVTx, error) {
	t, err := k.KV.Begin(ctx, writable)
	if err != nil || !writable {
		return t, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.writes = append(k.writes, 0)
	return &failingTx{KVTx: t, kv: k, i: len(k.writes) - 1, fail: k.On.Load()}, nil
}

type failingTx struct {
	store.KVTx
	kv     *FailingKV
	i      int  // index of this transaction's count in kv.writes
	fail   bool // the limit applies
	failed error
}

type failingBucket struct {
	store.KVBucket
	name []byte
	tx   *failingTx
}

// write counts a write and returns the error that fails it, if it does.
func (t *failingTx) write(op string, bucket, key []byte) error {
	k := t.kv
	k.mu.Lock()
	defer k.mu.Unlock()
	k.writes[t.i]++
	if !t.fail || k.writes[t.i] <= k.after {
		return nil
	}
	k.failed++
	err := fmt.Errorf("%s %q in %q, write %d of a transaction allowed %d: %w", op, key, bucket, k.writes[t.i], k.after, ErrWriteFailed)
	if t.failed == nil {
		t.failed = err
	}
	return err
}

func (t *failingTx) Bucket(name []byte) store.KVBucket {
	b := t.KVTx.Bucket(name)
	if b == nil {
		return nil
	}
	return failingBucket{b, append([]byte(nil), name...), t}
}

// Err reports the first failed write, as a database server's transaction
// does (store.KVFailer), or the wrapped transaction's own failure.
func (t *failingTx) Err() error {
	if t.failed != nil {
		return t.failed
	}
	if f, ok := t.KVTx.(store.KVFailer); ok {
		return f.Err()
	}
	return nil
}

// Commit keeps nothing after a failed write.
func (t *failingTx) Commit() error {
	if t.failed != nil {
		t.KVTx.Rollback()
		return fmt.Errorf("commit after a failed write (nothing was kept): %w", t.failed)
	}
	return t.KVTx.Commit()
}

func (b failingBucket) Put(k, v []byte) error {
	if err := b.tx.write("put", b.name, k); err != nil {
		return err
	}
	return b.KVBucket.Put(k, v)
}

func (b failingBucket) Delete(k []byte) error {
	if err := b.tx.write("delete", b.name, k); err != nil {
		return err
	}
	return b.KVBucket.Delete(k)
}
