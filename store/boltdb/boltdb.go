// Package boltdb keeps a store.Store in a bbolt file. It is the only
// importer of go.etcd.io/bbolt: the adapters here give bbolt's DB, Tx,
// Bucket and Cursor the shape of store.KV and its companions, and add
// nothing to them.
package boltdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"relman/store"
)

// Options tune how Open opens a bbolt file.
type Options struct {
	// LockTimeout bounds the wait for the file lock another process holds.
	// Zero means one second.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. For benchmarks only.
	NoSync bool
}

// Open opens (creating if needed) the bbolt file at path as a Store,
// migrates an older schema, and refuses a file written by a newer relman.
// Before opening an existing file for writing it checks it read-only, as
// OpenKV does, and also that the buckets of its schema are there
// (store.CheckSchema); a file that fails is refused with a *DamageError
// and nothing written. If another process holds the file, Open fails after
// opts.LockTimeout with an error naming the file.
func Open(path string, opts Options) (*store.Store, error) {
	kv, err := openKV(path, opts, func(kv store.KV) error {
		_, err := store.CheckSchema(context.Background(), kv)
		return err
	})
	if err != nil {
		return nil, err
	}
	s, err := store.New(context.Background(), kv, path)
	if err != nil {
		kv.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// OpenKV opens (creating if needed) the bbolt file at path as a store.KV,
// without looking at its data. Several Stores may share one KV (store.New),
// as several processes share one database. An existing file is first
// checked without writing to it, where bbolt would crash or misread
// it: both meta pages, the file's size against the pages they say are in
// use, the root and freelist page headers, and, opened read-only, every
// key and value read in order. A file that fails is refused with a
// *DamageError; opening it for writing would write to it. These reads
// cost about as much as reading the file once.
func OpenKV(path string, opts Options) (store.KV, error) {
	return openKV(path, opts, nil)
}

func openKV(path string, opts Options, check func(store.KV) error) (store.KV, error) {
	if err := precheck(path, opts, check); err != nil {
		return nil, err
	}
	bdb, err := openBolt(path, opts, false)
	if err != nil {
		return nil, err
	}
	return newDB(bdb), nil
}

// BackupFile writes a consistent copy of s to a new bbolt file at path
// (one that does not exist yet) and returns its size. A bbolt store is
// written as it is (Tx.WriteTo); a store on another backend (PostgreSQL) is
// copied with store.Copy from one read-only snapshot into the new file,
// which then opens as a relman store with the same data. On error no file
// is left at path.
func BackupFile(ctx context.Context, s *store.Store, path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	n, err := s.Backup(ctx, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, store.ErrNoBackup) {
		// Nothing was written: the file is empty, and bbolt lays out
		// an empty file as a new database.
		n, err = CopyFile(ctx, path, func(dst store.KV) error {
			_, err := s.CopyTo(ctx, dst, path)
			return err
		})
	}
	if err != nil {
		os.Remove(path)
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	return n, nil
}

// CopyFile opens the bbolt file at path (an empty or a new one) as a
// store.KV, lets copy fill it (with store.Copy), closes it and returns its
// size. It does not remove the file on error.
func CopyFile(ctx context.Context, path string, copy func(dst store.KV) error) (int64, error) {
	kv, err := OpenKV(path, Options{})
	if err != nil {
		return 0, err
	}
	err = copy(kv)
	if cerr := kv.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// WriteBackup writes a consistent copy of s to w as a bbolt file and
// returns its size: Store.Backup for a bbolt store, and for a store on
// another backend a copy made as BackupFile makes it, in a temporary file
// that is removed afterwards. On error w may have received part of the
// file, unless the error is from before anything was written.
func WriteBackup(ctx context.Context, s *store.Store, w io.Writer) (int64, error) {
	n, err := s.Backup(ctx, w)
	if !errors.Is(err, store.ErrNoBackup) {
		return n, err
	}
	dir, err := os.MkdirTemp("", "relman-backup-")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "relman.db")
	if _, err := BackupFile(ctx, s, path); err != nil {
		return 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	return io.Copy(w, f)
}

// The adapters give bbolt the shape of store.KV. cursor is a struct of one
// pointer, so storing one in an interface value does not allocate; a
// transaction's buckets are made once per transaction.
type (
	db struct {
		*bolt.DB
		// damage is set once a read of the file faulted or bbolt
		// panicked on a page while serving (Recover), or a write found
		// the file shorter than the pages in use: every later Begin
		// fails with it, so nothing more is written to the file.
		damage *atomic.Pointer[DamageError]
	}
	tx struct {
		*bolt.Tx
		db db
		// size is the file size, in bytes, the pages in use at Begin
		// need (a writable transaction's; Commit checks the file).
		size int64
		// err is the first error an operation of the transaction
		// returned: Commit then keeps nothing, as store.KVTx requires.
		err     error
		buckets []*bucket
	}
	bucket struct {
		*bolt.Bucket
		name string
		tx   *tx
	}
	cursor struct{ *bolt.Cursor }
)

var (
	_ store.KV       = db{}
	_ store.Batcher  = db{}
	_ store.KVDamage = db{}
	_ store.KVTx     = (*tx)(nil)
	_ store.KVBucket = (*bucket)(nil)
	_ store.KVCursor = cursor{}

	_ store.KVLister    = (*tx)(nil)
	_ store.KVSequencer = (*bucket)(nil)
)

// Begin starts a transaction. bbolt cannot give up waiting for the write
// lock: ctx is only checked before waiting.
func (d db) Begin(ctx context.Context, writable bool) (store.KVTx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := d.Damaged(); err != nil {
		return nil, err
	}
	t, err := d.DB.Begin(writable)
	if err != nil {
		return nil, err
	}
	bt := &tx{Tx: t, db: d}
	if writable {
		bt.size = t.Size()
	}
	return bt, nil
}

// Batch runs fn through bbolt's DB.Batch, which groups the calls of
// concurrent goroutines into one transaction, committed after at most
// MaxBatchDelay (10ms) or MaxBatchSize calls. An operation of fn that failed
// fails fn, so bbolt retries the group without it.
func (d db) Batch(ctx context.Context, fn func(store.KVTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.Damaged(); err != nil {
		return err
	}
	return d.DB.Batch(func(bt *bolt.Tx) error {
		// bbolt may run a group in a goroutine of its own: a fault there
		// must panic (bbolt then retries this call alone, in the
		// caller's goroutine, where the Store recovers it) rather than
		// crash the process.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		t := &tx{Tx: bt, db: d, size: bt.Size()}
		if err := fn(t); err != nil {
			return err
		}
		if t.err != nil {
			return fmt.Errorf("an operation failed in the transaction (nothing was kept): %w", t.err)
		}
		return nil
	})
}

// fail records err as the transaction's first error, and returns it.
func (t *tx) fail(err error) error {
	if err != nil && t.err == nil {
		t.err = err
	}
	return err
}

func (t *tx) Bucket(name []byte) store.KVBucket {
	for _, b := range t.buckets {
		if b.name == string(name) {
			return b
		}
	}
	bb := t.Tx.Bucket(name)
	if bb == nil {
		return nil // not a non-nil interface holding a nil *bucket
	}
	b := &bucket{Bucket: bb, name: string(name), tx: t}
	t.buckets = append(t.buckets, b)
	return b
}

func (t *tx) CreateBucketIfNotExists(name []byte) error {
	_, err := t.Tx.CreateBucketIfNotExists(name)
	return t.fail(err)
}

func (t *tx) Commit() error {
	if t.err != nil {
		t.Tx.Rollback()
		return fmt.Errorf("commit after an error in the transaction (nothing was kept): %w", t.err)
	}
	if err := t.db.checkSize(t.size); err != nil {
		t.Tx.Rollback()
		return err
	}
	return t.Tx.Commit()
}

func (b *bucket) Put(k, v []byte) error { return b.tx.fail(b.Bucket.Put(k, v)) }

func (b *bucket) Delete(k []byte) error { return b.tx.fail(b.Bucket.Delete(k)) }

func (b *bucket) NextSequence() (uint64, error) {
	n, err := b.Bucket.NextSequence()
	return n, b.tx.fail(err)
}

// Buckets returns the names of the top-level buckets, in byte order.
func (t *tx) Buckets() ([][]byte, error) {
	var names [][]byte
	err := t.Tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		names = append(names, append([]byte(nil), name...))
		return nil
	})
	return names, err
}

func (b *bucket) Sequence() (uint64, error) { return b.Bucket.Sequence(), nil }

func (b *bucket) SetSequence(n uint64) error { return b.tx.fail(b.Bucket.SetSequence(n)) }

func (b *bucket) Cursor() store.KVCursor { return cursor{b.Bucket.Cursor()} }

func newDB(bdb *bolt.DB) db { return db{DB: bdb, damage: new(atomic.Pointer[DamageError])} }

// Damaged returns the damage found while serving, wrapping
// store.ErrDamaged, or nil.
func (d db) Damaged() error {
	if de := d.damage.Load(); de != nil {
		return fmt.Errorf("%w (%w)", de, store.ErrDamaged)
	}
	return nil
}

// Recover says whether p, a panic out of a transaction, came from the
// file's damage: a fault reading its mapping (debug.SetPanicOnFault made
// it a panic), or a panic raised inside bbolt (its assertions about a
// page, as Page.FastCheck's). Then the file is marked damaged, with what
// a cheap look at its layout finds besides, and the error returned.
func (d db) Recover(p any) error {
	_, fault := p.(interface{ Addr() uintptr })
	if !fault && !panickedIn(debug.Stack(), "go.etcd.io/bbolt") {
		return nil
	}
	faults := []string{fmt.Sprintf("reading its pages failed while serving: %v", p)}
	if l, _, err := layoutOf(d.Path()); err == nil {
		faults = append(faults, l.faults...)
	}
	return d.mark(&DamageError{Path: d.Path(), Faults: faults})
}

// checkSize fails a commit, before it writes anything, when the file is
// shorter than the size pages in use needed at Begin: it was truncated
// under relman, and writing would extend it with holes where data was.
func (d db) checkSize(size int64) error {
	fi, err := os.Stat(d.Path())
	if err != nil {
		return fmt.Errorf("check %s before writing: %w", d.Path(), err)
	}
	if fi.Size() >= size {
		return nil
	}
	return d.mark(&DamageError{Path: d.Path(), Faults: []string{
		fmt.Sprintf("the file is %d bytes long, but the pages in use need %d: it was cut short while relman was serving", fi.Size(), size)}})
}

// mark records de as the file's damage (the first found stands) and
// returns the error every later Begin returns.
func (d db) mark(de *DamageError) error {
	d.damage.CompareAndSwap(nil, de)
	return d.Damaged()
}

// panickedIn says whether the panic whose goroutine's stack is stack
// (debug.Stack, called while it unwinds) was raised in a function of the
// package path pkg: the first function named after the panic call that is
// not the runtime's.
func panickedIn(stack []byte, pkg string) bool {
	_, after, ok := bytes.Cut(stack, []byte("\npanic("))
	if !ok {
		return false
	}
	lines := bytes.Split(after, []byte("\n"))
	for _, l := range lines[1:] {
		if len(l) == 0 || l[0] == '\t' || bytes.HasPrefix(l, []byte("runtime.")) {
			continue // a file line, or the runtime raising it (an index out of range, a fault)
		}
		return bytes.HasPrefix(l, []byte(pkg))
	}
	return false
}
