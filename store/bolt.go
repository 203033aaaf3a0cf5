package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout of the file this build writes. Open migrates
// older files up to it and refuses newer ones.
const SchemaVersion = 3

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
}

// Store is relman's database: one bbolt file.
type Store struct {
	db   *bolt.DB
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

// Options tune Open.
type Options struct {
	// LockTimeout bounds the wait for the file lock another process holds.
	// Zero means one second.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. For benchmarks only.
	NoSync bool
}

// Open opens (creating if needed) the database file at path, migrates an
// older schema, and refuses a file written by a newer relman. If another
// process holds the file, Open fails after opts.LockTimeout with an error
// naming the file.
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, NoSync: opts.NoSync})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: the file is in use by another relman process (waited %s for its lock)", path, opts.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := db.Update(s.migrate); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// migrate brings the file to SchemaVersion.
func (s *Store) migrate(tx *bolt.Tx) error {
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
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
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

// Generation counts the committed changes to the domain (releases,
// products, external items, dependencies). Equal generations mean the same
// data, so it can key caches of what is computed from it.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in one read-write transaction on behalf of actor at the
// instant at (recorded in audit entries). If fn returns an error nothing fn
// did is kept, and Update returns that error.
func (s *Store) Update(actor string, at time.Time, fn func(tx *Tx) error) error {
	var domain bool
	err := s.db.Update(func(btx *bolt.Tx) error {
		tx := &Tx{s: s, btx: btx, actor: actor, at: at.UTC()}
		err := fn(tx)
		domain = tx.dirty
		return err
	})
	// Only changes to releases, products, external items or dependencies
	// make the shared graph stale; outbox bookkeeping does not.
	if err == nil && domain {
		// After the commit: a reader that sees the new data with the old
		// generation may serve the previous graph for the instant before
		// this Update returns, never after.
		s.gen.Add(1)
	}
	return err
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(tx *Tx) error) error {
	// The generation is read before the snapshot is taken, so the snapshot
	// holds at least that generation's data: a Graph cached under it can be
	// newer than its generation, never older.
	gen := s.gen.Load()
	return s.db.View(func(btx *bolt.Tx) error {
		return fn(&Tx{s: s, btx: btx, gen: gen})
	})
}

// Backup writes a consistent copy of the whole database to w and returns the
// number of bytes written.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// BackupFile writes a consistent copy of the database to a new file at path.
func (s *Store) BackupFile(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	n, err := s.Backup(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	return n, nil
}
