package postgres

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"relman/store"
)

// Grouped commits. Read-write transactions of one DB take turns; a turn
// that ends while another Begin(true) is waiting hands the PostgreSQL
// transaction (and the write lock it holds) over to the next, instead of
// committing it: consecutive read-write transactions share one PostgreSQL
// transaction, a group, and one COMMIT — one WAL flush, one round trip —
// and a lone writer commits at once, without waiting for company.
//
// Each transaction of a group keeps its changes in its own buffer until
// its Commit, which adds them to the group's: a transaction that fails or
// rolls back leaves nothing behind, and the others are unaffected. The
// next one reads the previous ones' changes (they come before it, as if
// committed). Commit returns when the group's COMMIT has returned, so a
// nil error still means the changes are durable, and no other process (or
// reader) can see them before. A failed statement aborts the group's
// transaction, and every Commit of the group then returns an error: nothing
// of the group is kept. As with bbolt's Batch, a transaction must not
// wait during its turn for another writer's Commit to have returned: that
// Commit waits for the group, which waits for it.

// maxGroup bounds how many transactions share one COMMIT, and with it how
// long the first of them waits for it.
const maxGroup = 128

// group is one PostgreSQL transaction shared by consecutive read-write
// transactions of the KV. Its fields are used only by the transaction
// whose turn it is.
type group struct {
	conn *connTx
	// seqs holds every bucket and its sequence, as read at BEGIN (under
	// the write lock, so no other process changes them) with the
	// committed changes of the group's transactions.
	seqs map[string]uint64
	// known holds values read from the server (or sent to it) in this
	// group: they cannot change under the write lock.
	known map[bk]entry
	// whole holds the keys and values of buckets a cursor read to the
	// end from the start, with no change to them since: later cursors
	// over them in the group are answered without asking.
	whole map[string]*page
	// pending holds the changes of the group's committed transactions
	// that have not been sent yet.
	pending writes
	// writes is relman_meta's "writes" at BEGIN; -1 if unknown.
	writes int64
	// members counts the transactions that committed into the group.
	members int
	// broken is the failure of a statement, which aborted the transaction.
	broken error
	// done is closed when the group has ended; err is its COMMIT's result.
	done chan struct{}
	err  error
}

// page is keys and their values, in key order.
type page struct{ keys, values [][]byte }

// writer is a DB's read-write side: whose turn it is, who waits for it,
// and the open group.
type writer struct {
	mu    sync.Mutex
	busy  bool            // a read-write transaction holds the turn
	queue []chan struct{} // Begin(true) calls waiting, first come first served
	g     *group          // the open group, used only by the turn's holder
	// conn is the connection the groups use, kept between them (by the
	// turn's holder): a writer never waits behind readers for one of
	// the pool's.
	conn *pgxpool.Conn
	// known and whole are what the last group read or wrote, valid while
	// relman_meta's "writes" is still at writes: then no one changed the
	// data since, and the next group starts with them.
	known  map[bk]entry
	whole  map[string]*page
	writes int64
}

// maxKnown bounds how many keys a DB keeps from one group to the next.
const maxKnown = 20000

// takeTurn waits for the write turn until ctx ends.
func (w *writer) takeTurn(ctx context.Context) error {
	w.mu.Lock()
	if !w.busy {
		w.busy = true
		w.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	w.queue = append(w.queue, ch)
	w.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	w.mu.Lock()
	if i := slices.Index(w.queue, ch); i >= 0 {
		w.queue = slices.Delete(w.queue, i, i+1)
		w.mu.Unlock()
		return ctx.Err()
	}
	w.mu.Unlock()
	return nil // the turn came as ctx ended: take it, the caller must end it
}

// passTurn gives the turn to the first waiting Begin(true), if any.
func (w *writer) passTurn() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		w.busy = false
		return
	}
	close(w.queue[0])
	w.queue = w.queue[1:]
}

// waiting reports whether a Begin(true) waits for the turn.
func (w *writer) waiting() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue) > 0
}

// writeBegin starts a group: BEGIN, the write lock, every bucket with its
// sequence, and the generation (the store reads it first), in one round
// trip.
var writeBegin = fmt.Sprintf(`BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SELECT pg_advisory_xact_lock(%d); `+
	`SELECT bucket, seq FROM relman_buckets; `+
	`SELECT value FROM relman_kv WHERE bucket = '\x%x'::bytea AND key = '\x%x'::bytea; `+
	`SELECT value FROM relman_meta WHERE key = 'writes'`, writeLock, genBucket, genKey)

// readWrites reads relman_meta's "writes" at COMMIT: -1 when the row is
// missing, which keeps nothing for the next group.
const readWrites = `SELECT coalesce((SELECT value FROM relman_meta WHERE key = 'writes'), -1)`

// beginWrite waits for the write turn and joins the open group, or starts
// one.
func (d *DB) beginWrite(ctx context.Context) (*tx, error) {
	if err := d.w.takeTurn(ctx); err != nil {
		return nil, fmt.Errorf("begin on %s: %w", d.name, unavailable(err))
	}
	if err := ctx.Err(); err != nil {
		// The turn came as ctx ended: end it, and the group if it was
		// handed over.
		if d.w.g != nil {
			d.endTurn(d.w.g)
		} else {
			d.w.passTurn()
		}
		return nil, fmt.Errorf("begin on %s: %w", d.name, unavailable(err))
	}
	if d.w.g == nil {
		g, err := d.startGroup(ctx)
		if err != nil {
			d.w.passTurn()
			return nil, err
		}
		d.w.g = g
	}
	return &tx{ctx: ctx, writable: true, db: d, g: d.w.g, conn: d.w.g.conn}, nil
}

// startGroup begins a group's PostgreSQL transaction.
func (d *DB) startGroup(ctx context.Context) (*group, error) {
	var c *connTx
	var err error
	if kept := d.w.conn; kept != nil {
		d.w.conn = nil
		c, err = beginOn(ctx, kept, writeBegin)
	} else {
		c, err = d.begin(ctx, writeBegin)
	}
	if err != nil && ctx.Err() == nil && transient(err) {
		d.pool.Reset() // see Begin
		c, err = d.begin(ctx, writeBegin)
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("begin on %s: %w", d.name, unavailable(cerr))
		}
		return nil, fmt.Errorf("begin on %s: %w", d.name, unavailable(err))
	}
	g := &group{conn: c, seqs: make(map[string]uint64), known: make(map[bk]entry), whole: make(map[string]*page), done: make(chan struct{})}
	if len(c.res) != 5 {
		rollback(c)
		return nil, fmt.Errorf("begin on %s: %d results to the first statements; want 5", d.name, len(c.res))
	}
	g.writes = -1
	if rows := c.res[4].Rows; len(rows) == 1 {
		if n, err := strconv.ParseInt(string(rows[0][0]), 10, 64); err == nil {
			g.writes = n
		}
	}
	if d.w.known != nil && g.writes >= 0 && g.writes == d.w.writes {
		g.known, g.whole = d.w.known, d.w.whole // no one wrote since the last group
	}
	d.w.known, d.w.whole = nil, nil
	for _, row := range c.res[2].Rows {
		name, err := decodeBytea(row[0])
		if err == nil {
			var n uint64
			n, err = strconv.ParseUint(string(row[1]), 10, 64)
			g.seqs[string(name)] = n
		}
		if err != nil {
			rollback(c)
			return nil, fmt.Errorf("begin on %s: read the buckets: %w", d.name, err)
		}
	}
	e := entry{gone: true}
	if rows := c.res[3].Rows; len(rows) == 1 {
		v, err := decodeBytea(rows[0][0])
		if err != nil {
			rollback(c)
			return nil, fmt.Errorf("begin on %s: read the generation: %w", d.name, err)
		}
		e = entry{v: v}
	}
	g.known[bk{string(genBucket), string(genKey)}] = e
	return g, nil
}

// endTurn ends the turn of the group's current transaction: hand the group
// to a waiting Begin(true), or end it — COMMIT when a transaction
// committed into it, ROLLBACK otherwise — and tell its transactions.
func (d *DB) endTurn(g *group) {
	if g.broken == nil && g.members < maxGroup && d.w.waiting() {
		d.w.passTurn() // the group stays open for the next
		return
	}
	d.w.g = nil
	switch {
	case g.broken != nil:
		rollback(g.conn)
		g.err = fmt.Errorf("commit: a statement of the transaction failed (nothing was kept): %w", g.broken)
	case g.members == 0:
		ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
		if _, err := g.conn.c.Exec(ctx, "ROLLBACK"); err == nil {
			g.conn.done, d.w.conn = true, g.conn.c
			if g.writes >= 0 && len(g.known) <= maxKnown {
				// Nothing was written: what it read stays valid.
				d.w.known, d.w.whole, d.w.writes = g.known, g.whole, g.writes
			}
		} else {
			rollback(g.conn)
		}
		cancel()
	default:
		var writes int64
		if writes, g.err = g.commit(); g.err == nil {
			d.w.conn = g.conn.c
			if writes >= 0 && len(g.known) <= maxKnown {
				d.w.known, d.w.whole, d.w.writes = g.known, g.whole, writes
			}
		}
	}
	close(g.done)
	d.w.passTurn()
}

// commitTimeout bounds a group's COMMIT, which waits for the WAL flush. It
// does not end with the context of the transaction that happens to send it:
// the other transactions of the group wait for it too.
const commitTimeout = 30 * time.Second

// commit sends the group's pending changes and COMMIT in one round trip,
// and returns relman_meta's "writes" as the changes left it.
func (g *group) commit() (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	batch := &pgx.Batch{}
	n := g.pending.queue(batch)
	batch.Queue(readWrites)
	batch.Queue("COMMIT")
	br := g.conn.c.SendBatch(ctx, batch)
	var err error
	for range n {
		if _, err = br.Exec(); err != nil {
			break
		}
	}
	var writes int64
	if err == nil {
		err = br.QueryRow().Scan(&writes)
	}
	if err == nil {
		t, cerr := br.Exec()
		err = cerr
		if err == nil && t.String() == "ROLLBACK" {
			err = pgx.ErrTxCommitRollback
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		rollback(g.conn)
		return 0, fmt.Errorf("commit: %w", classify(err))
	}
	g.conn.done = true // the connection is kept for the next group
	g.sent()
	return writes, nil
}

// sent records the pending changes, now on the server, as known. Their
// values are copied: the callers that wrote them may reuse their memory
// once their Commit returns, and known may outlive the group.
func (g *group) sent() {
	for k, e := range g.pending.kv {
		e.v = bytes.Clone(e.v)
		g.known[k] = e
	}
	g.pending = writes{}
}

var _ store.Batcher = (*DB)(nil)

// Batch runs fn in a read-write transaction and commits it (store.Batcher).
// Every read-write transaction of a DB may share its COMMIT with those that
// wait for their turn meanwhile (see group), so Batch is that transaction
// run as a closure: fn runs once, and a failing fn, or one whose operation
// failed, keeps nothing and leaves the others of its group unaffected.
func (d *DB) Batch(ctx context.Context, fn func(store.KVTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t, err := d.Begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.Rollback() // after Commit, does nothing
	if err := fn(t); err != nil {
		return err
	}
	return t.Commit()
}
