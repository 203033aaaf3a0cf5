package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// SchemaVersion is the layout of the data this build writes. New migrates
// older data up to it and refuses newer.
const SchemaVersion = 8

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
	// bucketCalendars holds calendar feed subscriptions (schema 7).
	bucketCalendars = []byte("calendars")

	keySchema     = []byte("schema")
	keyGeneration = []byte("generation")
)

// schemaBuckets lists the buckets each schema version introduced.
var schemaBuckets = map[int][][]byte{
	1: {bucketMeta, bucketProducts, bucketReleases, bucketExternals, bucketDeps, bucketAudit},
	2: {bucketOutbox, bucketPosted, bucketLedger},
	3: {bucketParked}, // parked messages leave the outbox so delivery never rescans them
	4: {bucketSubscriptions},
	5: {bucketBoards, bucketCRs, bucketDelegations},                // CCB: kept apart from the release graph
	6: {bucketEvents},                                              // Slack events received, shared by replicas
	7: {bucketFreezes, bucketCalendars, bucketAsks, bucketChanges}, // freeze windows; calendar feeds; forms open on any replica; what each generation changed
	// 8: stages and checklists. A product's pipeline and a release's
	// stages and checklist are fields of their records, absent from older
	// ones (the default pipeline, nothing planned, no checklist; a shipped
	// release reached every stage); products' checklist templates have a
	// bucket.
	8: {bucketChecklists},
}

// Store is relman's database, kept in a KV.
type Store struct {
	kv   KV
	name string
	// graph is the Graph of the latest generation this Store has seen, so
	// lookups do not decode every release and changes are applied to it.
	graph *atomic.Pointer[graphCache]
	// gens shares generation reads when kv reads a key in one round trip
	// (KVReader); nil otherwise.
	gens *genReads
	// fence, when set, runs first in every read-write transaction and
	// fails it when this process no longer leads (Fenced).
	fence func(KVTx) error
	// holds, when set, asks the database whether this process still
	// leads (CheckLeader).
	holds func(context.Context) error
	// decodes counts the Graphs decoded from every record (GraphDecodes).
	decodes *atomic.Uint64
	// full is whether the last write found the storage full (Full).
	full *fullness
}

// GraphDecodes returns how many times the store decoded the whole Graph
// from the database: at the first lookup, and when it could not bring its
// Graph up to date from the change records (another process's changes
// are otherwise read key by key).
func (s *Store) GraphDecodes() uint64 { return s.decodes.Load() }

type graphCache struct {
	gen uint64
	g   *Graph
}

// cachedGraph returns the shared Graph of generation gen, or nil.
func (s *Store) cachedGraph(gen uint64) *Graph {
	if c := s.graph.Load(); c != nil && c.gen == gen {
		return c.g
	}
	return nil
}

// cacheGraph shares g as the Graph of generation gen, unless the store
// already has one of a later generation.
func (s *Store) cacheGraph(gen uint64, g *Graph) {
	next := &graphCache{gen: gen, g: g}
	for {
		c := s.graph.Load()
		if c != nil && c.gen >= gen {
			return
		}
		if s.graph.CompareAndSwap(c, next) {
			return
		}
	}
}

// New returns the Store kept in kv; name says where the data is (a file
// path for bbolt), for messages and Name. It migrates data of an older
// schema and refuses data written by a newer relman. On error kv is left
// open for the caller to close.
func New(ctx context.Context, kv KV, name string) (*Store, error) {
	s := &Store{kv: kv, name: name, graph: new(atomic.Pointer[graphCache]), decodes: new(atomic.Uint64), full: new(fullness)}
	if r, ok := kv.(KVReader); ok {
		s.gens = &genReads{r: r}
	}
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
		return fmt.Errorf("the data has schema version %d but this relman knows only up to %d: run a newer relman", v, SchemaVersion)
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
// fn returns nil. If fn fails or panics nothing it did is kept. An error
// saying the storage is full wraps ErrFull (Full).
func (s *Store) update(ctx context.Context, fn func(KVTx) error) error {
	return s.wrote(s.updateKV(ctx, fn))
}

func (s *Store) updateKV(ctx context.Context, fn func(KVTx) error) error {
	t, err := s.kv.Begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.Rollback() // after Commit, does nothing
	if s.fence != nil {
		if err := s.fence(t); err != nil {
			return err
		}
	}
	err = fn(t)
	if kerr := kvErr(t); kerr != nil {
		return fmt.Errorf("the database failed: %w", kerr) // what fn concluded rests on a failed read
	}
	if err != nil {
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
	err = fn(t)
	if kerr := kvErr(t); kerr != nil {
		return fmt.Errorf("the database failed: %w", kerr) // what fn concluded rests on a failed read
	}
	return err
}

// generation reads the generation of the data tx sees: the number of
// committed transactions that changed the domain (releases, products,
// external items, dependencies). It is kept in the database and bumped in
// the transaction that makes the change, so equal generations mean the same
// data in every process sharing the database.
func generation(tx KVTx) uint64 {
	if meta := tx.Bucket(bucketMeta); meta != nil {
		if b := meta.Get(keyGeneration); len(b) == 8 {
			return binary.BigEndian.Uint64(b)
		}
	}
	return 0
}

// Generation returns the generation of the data as of now. Equal
// generations mean the same data, so it can key caches of what is computed
// from it.
func (s *Store) Generation(ctx context.Context) (uint64, error) {
	if s.gens != nil {
		return s.gens.get(ctx)
	}
	var gen uint64
	err := s.view(ctx, func(tx KVTx) error {
		gen = generation(tx)
		return nil
	})
	return gen, err
}

// Name says where the data is (for bbolt, the file's path).
func (s *Store) Name() string { return s.name }

// Close releases the database.
func (s *Store) Close() error { return s.kv.Close() }

// Update runs fn in one read-write transaction on behalf of actor at the
// instant at (recorded in audit entries). If fn returns an error nothing fn
// did is kept, and Update returns that error.
func (s *Store) Update(ctx context.Context, actor string, at time.Time, fn func(tx *Tx) error) error {
	tx := &Tx{s: s, actor: actor, via: viaOf(ctx), at: at.UTC()}
	err := s.update(ctx, func(kt KVTx) error {
		tx.kv, tx.gen, tx.enqueued = kt, generation(kt), false
		return s.apply(tx, fn)
	})
	if err == nil && tx.dirty {
		if g := tx.committed(); g != nil {
			s.cacheGraph(tx.gen+1, g)
		}
	}
	return err
}

// apply runs fn in the write transaction tx, then does what every write
// transaction ends with: wake the outbox's worker for what it queued, and
// bump the generation when the domain changed.
func (s *Store) apply(tx *Tx, fn func(tx *Tx) error) error {
	if err := fn(tx); err != nil {
		return err
	}
	if err := s.wake(tx); err != nil {
		return err
	}
	// Only changes to releases, products, external items or dependencies
	// make a new generation; outbox bookkeeping does not.
	if !tx.dirty {
		return nil
	}
	if err := tx.recordChanges(tx.gen + 1); err != nil {
		return err
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], tx.gen+1)
	return tx.kv.Bucket(bucketMeta).Put(keyGeneration, b[:])
}

// Batch is Update for writes that arrive together, such as a burst of
// votes: when the KV is a Batcher, concurrent Batch calls share one commit
// (one disk sync) instead of one each. Every caller's change is durable when
// its Batch returns nil, and a failing fn fails only its own call. fn may run
// more than once, each time in a new transaction, so it must not have side
// effects outside tx (counters, channels) that a second run would repeat.
// Without a Batcher, Batch is Update.
func (s *Store) Batch(ctx context.Context, actor string, at time.Time, fn func(tx *Tx) error) error {
	b, ok := s.kv.(Batcher)
	if !ok || s.fence != nil {
		return s.Update(ctx, actor, at, fn)
	}
	var last *Tx // the run of fn that was committed, when Batch succeeds
	err := s.wrote(b.Batch(ctx, func(kt KVTx) error {
		tx := &Tx{s: s, actor: actor, via: viaOf(ctx), at: at.UTC(), kv: kt, gen: generation(kt)}
		last = tx
		return s.apply(tx, fn)
	}))
	// Each fn of a group reads the generation the previous one wrote, so
	// the Graph of this call's generation is right even though a later
	// call of the group committed with it.
	if err == nil && last != nil && last.dirty {
		if g := last.committed(); g != nil {
			s.cacheGraph(last.gen+1, g)
		}
	}
	return err
}

// errRehearsal ends a Rehearse's transaction so that it rolls back.
var errRehearsal = errors.New("store: rehearsal rolled back")

// Rehearse runs fn in a read-write transaction, as Update does, and then
// rolls back whatever fn did, even when fn succeeds: fn sees its own
// changes (Graph, Queued) and can report them, but nothing is kept — no
// record, no outbox message, no ledger entry, no new generation, no wake-up
// of an outbox worker, and the store's shared Graph is not replaced. It
// returns fn's error, or nil when fn succeeded. Being a write transaction,
// it waits for other writers as Update does, so fn sees the state a change
// made now would meet.
func (s *Store) Rehearse(ctx context.Context, actor string, at time.Time, fn func(tx *Tx) error) error {
	tx := &Tx{s: s, actor: actor, via: viaOf(ctx), at: at.UTC()}
	err := s.update(ctx, func(kt KVTx) error {
		tx.kv, tx.gen = kt, generation(kt)
		if err := fn(tx); err != nil {
			return err
		}
		return errRehearsal
	})
	if errors.Is(err, errRehearsal) {
		return nil
	}
	return err
}

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(tx *Tx) error) error {
	return s.view(ctx, func(kt KVTx) error {
		return fn(&Tx{s: s, kv: kt, gen: generation(kt)})
	})
}

// CopyTo copies the whole database into dst, which must hold no data, with
// Copy: from one read-only transaction of s, so the copy is one consistent
// snapshot (on PostgreSQL a REPEATABLE READ one) even while others write.
// dstName names dst in errors.
func (s *Store) CopyTo(ctx context.Context, dst KV, dstName string) ([]BucketCopy, error) {
	return Copy(ctx, dst, s.kv, dstName)
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
