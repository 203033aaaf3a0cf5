package boltdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"relman/store"
)

// ErrInUse is wrapped by the error of Open, OpenKV, Check and WriteCopy
// when another process holds the file's lock past the wait allowed.
var ErrInUse = errors.New("the file is in use by another relman process")

// DamageError is the error of Open and OpenKV (and of WriteCopy, Check's
// Faults) for a file that is damaged as far as relman can tell without
// writing to it: the meta pages, the file's size against the pages they
// say are in use, the root and freelist page headers, and the buckets of
// the data's schema. A file refused with it was opened read-only at most:
// nothing was written to it.
type DamageError struct {
	Path string
	// Faults says what is wrong, each naming the page it is about.
	Faults []string
	// MetaOnly says that only one meta page is damaged and the other is
	// whole: a copy (WriteCopy, relman backup) holds the data as of the
	// whole one's transaction, the one before the last.
	MetaOnly bool
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("%s is damaged: %s", e.Path, strings.Join(e.Faults, "; "))
}

// checkFaultLimit bounds how many faults Check reports from bbolt's
// walk: a damaged branch page can make every page below it unreachable.
const checkFaultLimit = 50

// copyLockTimeout is how long WriteCopy waits for the file's lock: a
// relman that holds it is serving, and will not let go.
const copyLockTimeout = 250 * time.Millisecond

// openBolt opens the bbolt file at path, waiting opts.LockTimeout for its
// lock; read-only with a shared lock if readOnly (nothing is written).
func openBolt(path string, opts Options, readOnly bool) (*bolt.DB, error) {
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, NoSync: opts.NoSync, ReadOnly: readOnly})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (waited %s for its lock)", path, ErrInUse, opts.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return bdb, nil
}

// layoutOf reads the layout of the bbolt file at path (readLayout). It
// returns false for a file that does not exist or is empty: bbolt lays
// out a new database in it.
func layoutOf(path string) (fileLayout, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fileLayout{}, false, nil
	}
	if err != nil {
		return fileLayout{}, false, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fileLayout{}, false, fmt.Errorf("open %s: %w", path, err)
	}
	if fi.Size() == 0 {
		return fileLayout{}, false, nil
	}
	l, err := readLayout(f, fi.Size())
	if err != nil {
		return l, false, fmt.Errorf("read %s: %w", path, err)
	}
	return l, true, nil
}

// precheck checks the bbolt file at path before it is opened for writing,
// without writing a byte: its layout (readLayout), then, opened read-only,
// every key and value (walk) and what check says of it. A file that does not
// exist or is empty passes. What is wrong is a *DamageError.
func precheck(path string, opts Options, check func(store.KV) error) error {
	l, exists, err := layoutOf(path)
	if err != nil || !exists {
		return err
	}
	if len(l.faults) > 0 {
		return &DamageError{Path: path, Faults: l.faults, MetaOnly: l.metaOnly}
	}
	bdb, err := openBolt(path, opts, true)
	if err != nil {
		return err
	}
	defer bdb.Close()
	return guard(path, func() error {
		err := bdb.View(walk)
		if err == nil && check != nil {
			err = check(newDB(bdb))
		}
		if err != nil {
			return &DamageError{Path: path, Faults: []string{err.Error()}}
		}
		return nil
	})
}

// walk reads every key and value of every bucket of t, nested ones too,
// and returns an error naming the first bucket whose keys are out of
// order, as a page damaged or half written leaves them. Reading touches
// every page in use but the freelist, so walk must run under guard.
func walk(t *bolt.Tx) error {
	var sum uint32
	err := t.ForEach(func(name []byte, b *bolt.Bucket) error {
		return walkBucket(fmt.Sprintf("%q", name), b, &sum)
	})
	return err
}

func walkBucket(name string, b *bolt.Bucket, sum *uint32) error {
	c := b.Cursor()
	var prev []byte
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			return fmt.Errorf("bucket %s: key %x comes after key %x: its keys are out of order (a page was damaged or half written)", name, k, prev)
		}
		prev = k
		if v != nil {
			// A value is read where it lies: summing it reads its
			// pages (overflow pages too).
			*sum = crc32.Update(*sum, crc32.IEEETable, v)
			continue
		}
		if nb := b.Bucket(k); nb != nil {
			if err := walkBucket(fmt.Sprintf("%s/%q", name, k), nb, sum); err != nil {
				return err
			}
		}
	}
	return nil
}

// guard runs f with a fault reading the file's mapping turned into a
// panic (debug.SetPanicOnFault: bbolt reads pages through a memory map),
// and turns a panic (such a fault, or one of bbolt's assertions about a
// page, as Page.FastCheck's) into a *DamageError naming path. f's
// transactions must end in deferred calls (bbolt's View does), so that
// none is left open.
func guard(path string, f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &DamageError{Path: path, Faults: []string{fmt.Sprintf("reading its pages failed: %v", r)}}
		}
	}()
	return f()
}

// Report is what Check found in a bbolt file.
type Report struct {
	Path string
	Size int64
	// PageSize, Pages (the high-water mark) and Txid are those of the meta
	// page bbolt reads; zero if neither is whole.
	PageSize int
	Pages    uint64
	Txid     uint64
	// Schema is the data's schema version; Buckets what every bucket holds
	// (read key by key). Both are empty if the file could not be read.
	Schema  int
	Buckets []store.BucketCopy
	// Faults lists what is wrong, each naming the page it is about; none
	// for a whole file.
	Faults []string
}

// Check checks the bbolt file at path without writing to it: what Open
// checks (the meta pages, the file's size, the root and freelist page
// headers, every key and value read in order, the schema's buckets), then
// bbolt's consistency walk (Tx.Check: every page
// reachable once, none both used and free, keys in order). It stops before
// a step that would read past what is known to be whole, since bbolt would
// crash there. It returns an error only if it could not check: the file
// does not exist, or another process holds it (ErrInUse, after
// opts.LockTimeout).
func Check(ctx context.Context, path string, opts Options) (Report, error) {
	r := Report{Path: path}
	fi, err := os.Stat(path)
	if err != nil {
		return r, err
	}
	r.Size = fi.Size()
	if r.Size == 0 {
		r.Faults = []string{"the file is empty (relman would lay out a new database in it)"}
		return r, nil
	}
	l, _, err := layoutOf(path)
	if err != nil {
		return r, err
	}
	r.Faults = l.faults
	if l.ok {
		r.PageSize, r.Pages, r.Txid = l.pageSize, l.meta.pgid, l.meta.txid
	}
	if !l.ok || (len(l.faults) > 0 && !l.metaOnly) {
		return r, nil
	}
	bdb, err := openBolt(path, opts, true)
	if errors.Is(err, ErrInUse) {
		return r, err
	}
	if err != nil {
		r.Faults = append(r.Faults, err.Error())
		return r, nil
	}
	defer bdb.Close()
	err = guard(path, func() error {
		if err := bdb.View(walk); err != nil {
			r.Faults = append(r.Faults, err.Error())
			return err
		}
		kv := newDB(bdb)
		v, err := store.CheckSchema(ctx, kv)
		r.Schema = v
		if err != nil {
			r.Faults = append(r.Faults, "schema: "+err.Error())
		}
		r.Buckets, err = store.Summarize(ctx, kv)
		if err != nil {
			r.Faults = append(r.Faults, "reading every key: "+err.Error())
		}
		return err
	})
	var de *DamageError
	if errors.As(err, &de) {
		// bbolt's walk runs in a goroutine of its own, where a fault
		// cannot be caught: it reads the pages that failed here.
		r.Faults = append(r.Faults, de.Faults...)
		return r, nil
	}
	if err != nil {
		return r, nil
	}
	bdb.View(func(t *bolt.Tx) error {
		n := 0
		for err := range t.Check() {
			if n++; n <= checkFaultLimit {
				r.Faults = append(r.Faults, err.Error())
			}
		}
		if n > checkFaultLimit {
			r.Faults = append(r.Faults, fmt.Sprintf("… and %d more from bbolt's consistency check", n-checkFaultLimit))
		}
		return nil
	})
	return r, nil
}

// Keys returns how many keys the report's buckets hold.
func (r Report) Keys() int {
	n := 0
	for _, b := range r.Buckets {
		n += b.Keys
	}
	return n
}

// WriteCopy writes a consistent copy of the bbolt file at path to w, for
// a relman that is not running: the file is opened read-only, so nothing
// is written to it, waiting briefly for its lock (a relman holding it is
// serving and backs up through its admin listener). It fails with an
// error wrapping ErrInUse if another process holds the file, and with a
// *DamageError if the file is damaged where the copy would be; if only a
// meta page is damaged it copies the data as of the whole one, returning
// the faults it copied past. w may have received part of the file on
// error.
func WriteCopy(ctx context.Context, path string, w io.Writer) (int64, []string, error) {
	l, exists, err := layoutOf(path)
	if err != nil {
		return 0, nil, err
	}
	if !exists {
		return 0, nil, fmt.Errorf("open %s: %w", path, os.ErrNotExist)
	}
	if len(l.faults) > 0 && !l.metaOnly {
		return 0, nil, &DamageError{Path: path, Faults: l.faults}
	}
	bdb, err := openBolt(path, Options{LockTimeout: copyLockTimeout}, true)
	if err != nil {
		return 0, nil, err
	}
	defer bdb.Close()
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	var n int64
	err = guard(path, func() error {
		return bdb.View(func(t *bolt.Tx) error {
			var err error
			n, err = t.WriteTo(w)
			return err
		})
	})
	return n, l.faults, err
}

// OpenReadOnly opens the bbolt file at path as a store.KV for reading
// only, as relman audit reads a database: nothing is written to the file,
// and its read-write transactions fail. It waits opts.LockTimeout (zero:
// 250ms) for the file's lock and then fails with an error wrapping
// ErrInUse, since a relman serving the file holds it; a file that does not
// exist is an error wrapping os.ErrNotExist, and one damaged where bbolt
// would misread it a *DamageError.
func OpenReadOnly(path string, opts Options) (store.KV, error) {
	l, exists, err := layoutOf(path)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("open %s: %w", path, os.ErrNotExist)
	}
	if len(l.faults) > 0 {
		return nil, &DamageError{Path: path, Faults: l.faults, MetaOnly: l.metaOnly}
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = copyLockTimeout
	}
	bdb, err := openBolt(path, opts, true)
	if err != nil {
		return nil, err
	}
	return newDB(bdb), nil
}
