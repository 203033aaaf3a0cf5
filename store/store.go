package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// SchemaVersion is the layout of the data this build writes. New migrates
// older files up to it and refuses newer ones.
const SchemaVersion = 4

var (
	bucketMeta      = []byte("meta")
	bucketProducts  = []byte("products")
	bucketReleases  = []byte("releases")
	bucketExternals = []byte("externals")
	bucketDeps      = []byte("dependencies")
	bucketAudit     = []byte("audit")
	bucketOutbox    = []byte("outbox")
	bucketPosted    = []byte("posted")
	bucketLedger    = []byte("ledger")
	bucketParked    = []byte("parked")

	keySchema = []byte("schema")
)

// schemaBuckets lists the buckets each schema version introduced.
var schemaBuckets = map[int][][]byte{
	1: {bucketMeta, bucketProducts, bucketReleases, bucketExternals, bucketDeps, bucketAudit},
	2: {bucketOutbox, bucketPosted, bucketLedger},
	3: {bucketParked}, // parked messages leave the outbox so delivery never rescans them
	4: {bucketSubscriptions},
}

// Store is relman's database, kept in a KV.
type Store struct {
	kv   KV
	path string
	// gen counts committed updates; graph caches the Graph of a generation
	// for read-only transactions, so lookups do not decode every release.
	gen   atomic.Uint64
	graph atomic.Pointer[graphCache]
}

type graphCache struct {
	gen uint64
	g   *Graph
}

// Options tune how a backend opens a Store (store/boltdb's Open).
type Options struct {
	// LockTimeout bounds the wait for the file lock another process holds.
	// Zero means one second.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. For benchmarks only.
	NoSync bool
}

// New returns the Store kept in kv, whose file is at path (what Path
// reports). It migrates data of an older schema and refuses data written by
// a newer relman. On error kv is left open for the caller to close.
func New(ctx context.Context, kv KV, path string) (*Store, error) {
	s := &Store{kv: kv, path: path}
	if err := s.update(ctx, migrate); err != nil {
		return nil, err
	}
	return s, nil
}

// migrate brings the data to SchemaVersion.
func migrate(tx KVTx) error {
	v := 0
	if meta := tx.Bucket(bucketMeta); meta != nil {
		if b := meta.Get(keySchema); len(b) == 4 {
			v = int(binary.BigEndian.Uint32(b))
		}
	}
	if v > SchemaVersion {
		return fmt.Errorf("the file has schema version %d but this relman knows only up to %d: run a newer relman", v, SchemaVersion)
	}
	for next := v + 1; next <= SchemaVersion; next++ {
		for _, name := range schemaBuckets[next] {
			if err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("migrate to schema %d: %w", next, err)
			}
		}
	}
	if v == SchemaVersion {
		return nil
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], SchemaVersion)
	return tx.Bucket(bucketMeta).Put(keySchema, b[:])
}

// update runs fn in one read-write transaction of the KV and commits it if
// fn returns nil. If fn fails or panics nothing it did is kept.
func (s *Store) update(ctx context.Context, fn func(KVTx) error) error {
	t, err := s.kv.Begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.Rollback() // after Commit, does nothing
	if err := fn(t); err != nil {
		return err
	}
	return t.Commit()
}

// view runs fn in one read-only transaction of the KV.
func (s *Store) view(ctx context.Context, fn func(KVTx) error) error {
	t, err := s.kv.Begin(ctx, false)
	if err != nil {
		return err
	}
	defer t.Rollback()
	return fn(t)
}

// Generation counts the committed changes to the domain (releases,
// products, external items, dependencies). Equal generations mean the same
// data, so it can key caches of what is computed from it.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close releases the file.
func (s *Store) Close() error { return s.kv.Close() }

// Update runs fn in one read-write transaction on behalf of actor at the
// instant at (recorded in audit entries). If fn returns an error nothing fn
// did is kept, and Update returns that error.
func (s *Store) Update(ctx context.Context, actor string, at time.Time, fn func(tx *Tx) error) error {
	tx := &Tx{s: s, actor: actor, at: at.UTC()}
	err := s.update(ctx, func(kt KVTx) error {
		tx.kv = kt
		return fn(tx)
	})
	// Only changes to releases, products, external items or dependencies
	// make the shared graph stale; outbox bookkeeping does not.
	if err == nil && tx.dirty {
		// After the commit: a reader that sees the new data with the old
		// generation may serve the previous graph for the instant before
		// this Update returns, never after.
		s.gen.Add(1)
	}
	return err
}

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(tx *Tx) error) error {
	// The generation is read before the snapshot is taken, so the snapshot
	// holds at least that generation's data: a Graph cached under it can be
	// newer than its generation, never older.
	gen := s.gen.Load()
	return s.view(ctx, func(kt KVTx) error {
		return fn(&Tx{s: s, kv: kt, gen: gen})
	})
}

// Backup writes a consistent copy of the whole database to w and returns the
// number of bytes written.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx KVTx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// BackupFile writes a consistent copy of the database to a new file at path.
func (s *Store) BackupFile(ctx context.Context, path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	n, err := s.Backup(ctx, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	return n, nil
}
