package store

import (
	"context"
	"errors"
	"io"
)

// ErrNoBackup is what KVTx.WriteTo returns, wrapped, from a backend whose
// data is not a file (PostgreSQL): such a database is backed up by copying
// it into a bbolt file with Copy.
var ErrNoBackup = errors.New("this database is not backed up by relman")

// KV is the ordered key-value database a Store keeps its data in: named
// buckets of byte keys in sorted order, changed only in serializable
// transactions. It is bbolt's model; store/boltdb provides it from a bbolt
// file. store/storetest checks that a backend behaves as described here.
type KV interface {
	// Begin starts a transaction, read-write if writable. At most one
	// read-write transaction is open at a time: Begin(true) waits for the
	// previous one to end. A backend may end that wait when the previous
	// one calls Commit, before its Commit returns, and commit both together
	// (store/postgres groups commits so): the next one sees the previous
	// one's changes, and each Commit returns nil only once both are
	// durable. So a read-write transaction must not wait, while open, for
	// another writer's Commit to have returned. A read-only transaction
	// sees a snapshot of the data as of Begin. Every transaction must end
	// in Commit or Rollback.
	// ctx bounds the wait for the write lock where the backend supports
	// it, and is the context of the transaction's queries.
	Begin(ctx context.Context, writable bool) (KVTx, error)
	// Close releases the database. Transactions must have ended.
	Close() error
}

// Batcher is a KV that can group concurrent read-write transactions into
// one commit (bbolt's DB.Batch): many writers pay for one disk sync. It is
// optional; Store.Batch falls back to one transaction per call without it.
type Batcher interface {
	// Batch runs fn in a read-write transaction that it may share with other
	// concurrent Batch calls, and returns once that transaction has
	// committed (fn's changes are durable) or fn failed. fn may run more
	// than once (when another fn of its group fails the group is retried
	// without it), so it must be idempotent within its transaction; it must
	// not call Commit or Rollback. If fn returns an error, or an operation
	// of fn failed, none of fn's changes are kept and Batch returns an
	// error; the other calls of the group are unaffected. ctx is checked
	// before fn is queued.
	Batch(ctx context.Context, fn func(KVTx) error) error
}

// KVTx is one transaction of a KV. It and everything read through it are
// valid only until Commit or Rollback, and only in the goroutine that began
// it.
type KVTx interface {
	// Bucket returns the named bucket, or nil if there is none.
	Bucket(name []byte) KVBucket
	// CreateBucketIfNotExists creates the named bucket unless it exists.
	// Only a read-write transaction may call it.
	CreateBucketIfNotExists(name []byte) error
	// Writable reports whether the transaction is read-write.
	Writable() bool
	// WriteTo writes a consistent copy of the whole database, as this
	// transaction sees it, to w, in the backend's file format; or, from a
	// backend backed up with its own tools, returns an error wrapping
	// ErrNoBackup without writing anything.
	WriteTo(w io.Writer) (int64, error)
	// Commit makes a read-write transaction's changes durable, or returns an
	// error and keeps none of them. If any operation of the transaction
	// returned an error, Commit keeps nothing and returns an error (as
	// PostgreSQL aborts a transaction at its first failed statement).
	Commit() error
	// Rollback ends the transaction and discards its changes. After Commit
	// it does nothing (it may return an error, which callers ignore).
	Rollback() error
}

// KVBucket is a bucket as one transaction sees it. A key is not retained
// after the call it was passed to returns, so callers may reuse its
// memory; byte slices a bucket returns are valid only during the
// transaction and must not be modified.
type KVBucket interface {
	// Get returns the value of k, or nil if k is absent.
	Get(k []byte) []byte
	// Put sets k to v. k must not be empty. v must stay unchanged until
	// the transaction ends.
	Put(k, v []byte) error
	// Delete removes k; a missing k is not an error.
	Delete(k []byte) error
	// NextSequence returns the bucket's next number, starting at 1; a
	// rolled-back transaction does not consume numbers.
	NextSequence() (uint64, error)
	// Cursor returns a cursor over the bucket's keys in byte order. It is
	// invalid once the bucket is changed.
	Cursor() KVCursor
}

// KVCursor walks the keys of a bucket in byte order, either way. Its
// methods return a nil key past the last (or before the first) one.
type KVCursor interface {
	// Seek moves to the first key >= k and returns it and its value.
	Seek(k []byte) (key, value []byte)
	// Next moves to the following key and returns it and its value.
	Next() (key, value []byte)
	// Last moves to the last key and returns it and its value.
	Last() (key, value []byte)
	// Prev moves to the preceding key and returns it and its value.
	Prev() (key, value []byte)
}

// KVFailer is implemented by a KVTx whose reads can fail, as a database
// server's can: Get and cursors have no error to return, so such a backend
// records the first failure and Err returns it. Store checks it after every
// transaction's work and before trusting what was read, so a lost
// connection is an error, never a missing record.
type KVFailer interface {
	Err() error
}

// kvErr returns the first failure t recorded, if it records them.
func kvErr(t KVTx) error {
	if f, ok := t.(KVFailer); ok {
		return f.Err()
	}
	return nil
}

// KVLister is implemented by a KVTx that can list its buckets, as both
// backends do. Copy needs it to find every bucket of a database.
type KVLister interface {
	// Buckets returns the names of every bucket, in byte order.
	Buckets() ([][]byte, error)
}

// KVSequencer is implemented by a KVBucket whose sequence (the last number
// NextSequence returned) can be read and set, as both backends' can. Copy
// needs it so that numbers handed out after a copy continue after the
// copied ones.
type KVSequencer interface {
	// Sequence returns the bucket's current sequence: 0 for a bucket whose
	// NextSequence was never called.
	Sequence() (uint64, error)
	// SetSequence sets the bucket's sequence; the next NextSequence
	// returns n+1. Only a read-write transaction may call it.
	SetSequence(n uint64) error
}

// KVLoader is implemented by a KVBucket that sets many keys in one call
// more cheaply than with one Put each, as a database server's bucket does
// in one round trip. Copy uses it when the target's buckets have it.
type KVLoader interface {
	// PutMany sets keys[i] to values[i] for every i, as Put would. The keys
	// must be distinct and not empty; keys and values must stay unchanged
	// until the transaction ends.
	PutMany(keys, values [][]byte) error
}

// KVReader is implemented by a KV that reads one key without a
// transaction more cheaply than View would, as a database server does in
// one round trip instead of a transaction's several. The read sees the
// data committed at one instant. Store.Generation uses it: every cached
// lookup reads the generation first.
type KVReader interface {
	// ReadKey returns a copy of the value of key in the top-level bucket,
	// nil when the bucket or the key does not exist.
	ReadKey(ctx context.Context, bucket, key []byte) ([]byte, error)
}
