package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"relman/store"
)

// tx is a transaction of a DB (store.KVTx). A read-only one has a
// connection of its own; a read-write one belongs to a group (group.go),
// whose connection it uses during its turn, and keeps its changes in own
// until it commits.
type tx struct {
	ctx      context.Context
	conn     *connTx
	writable bool
	// err is the first error an operation of the transaction
	// returned: Commit then keeps nothing, as store.KVTx requires.
	err     error
	done    bool
	buckets []*bucket
	db      *DB
	// gen is the generation the reader's first statement read (text
	// format), valid when genRead: Get answers it without asking.
	gen     []byte
	genRead bool
	// g is a read-write transaction's group, and own its changes.
	g   *group
	own writes
}

// genBucket and genKey are where the store keeps its generation.
var genBucket, genKey = store.GenerationKey()

// readBegin starts a read-only transaction and reads the generation, which
// fixes its snapshot.
var readBegin = fmt.Sprintf(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; `+
	`SELECT value FROM relman_kv WHERE bucket = '\x%x'::bytea AND key = '\x%x'::bytea`, genBucket, genKey)

// begin takes a connection of the pool and runs begin on it: BEGIN and the
// transaction's first statements, whose results it keeps.
func (d *DB) begin(ctx context.Context, begin string) (*connTx, error) {
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return beginOn(ctx, c, begin)
}

// beginOn is begin on the connection c, which it releases on error.
func beginOn(ctx context.Context, c *pgxpool.Conn, begin string) (*connTx, error) {
	res, err := c.Conn().PgConn().Exec(ctx, begin).ReadAll()
	if err == nil {
		for _, r := range res {
			if err = r.Err; err != nil {
				break
			}
		}
	}
	if err != nil {
		c.Release() // not idle: the pool closes it, which rolls back
		return nil, err
	}
	t := &connTx{c: c, res: res}
	if last := res[len(res)-1]; len(last.Rows) == 1 && len(last.Rows[0]) == 1 {
		t.first = last.Rows[0][0] // text format
	}
	return t, nil
}

// connTx is a transaction Begin opened on a connection of the pool; ending
// it gives the connection back (closed instead, when it is not idle then).
type connTx struct {
	c    *pgxpool.Conn
	done bool
	// res holds the results of the statements sent with BEGIN, in text
	// format (bytea as \x and hex); first is the first value of the last
	// one, nil when it returned no row.
	res   []*pgconn.Result
	first []byte
}

// Rollback ends the transaction and gives the connection back.
func (t *connTx) Rollback(ctx context.Context) error {
	if t.done {
		return pgx.ErrTxClosed
	}
	t.done = true
	defer t.c.Release()
	_, err := t.c.Exec(ctx, "ROLLBACK")
	return err
}

// end ends a read-only transaction without waiting for the server: the
// ROLLBACK's answer is read, and the connection given back, in the
// background. Nothing the reader did can be lost, so its caller need not
// wait the round trip.
func (t *connTx) end() {
	if t.done {
		return
	}
	t.done = true
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	rr := t.c.Conn().PgConn().Exec(ctx, "ROLLBACK")
	go func() {
		defer cancel()
		rr.ReadAll() // a failure leaves the connection broken: the pool closes it
		t.c.Release()
	}()
}

// rollback ends t on the server even when the transaction's context has
// ended; a connection it cannot roll back is closed, which rolls back too.
func rollback(t *connTx) error {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	return t.Rollback(ctx)
}

// Err returns the first operation of the transaction that failed
// (store.KVFailer): a Get or a cursor that failed reads as missing, so the
// store asks here before trusting what it read.
func (t *tx) Err() error { return t.err }

var _ store.KVFailer = (*tx)(nil)

// fail records err as the transaction's first error, and returns it,
// marked store.ErrUnavailable when the server is away.
func (t *tx) fail(err error) error {
	err = classify(err)
	if err != nil && t.err == nil {
		t.err = err
	}
	return err
}

// readOnly is the error of a change in a read-only transaction. It is
// returned without asking the server, so the transaction stays usable.
var errReadOnly = errors.New("postgres: a read-only transaction cannot change the data")

func (t *tx) Bucket(name []byte) store.KVBucket {
	for _, b := range t.buckets {
		if string(b.name) == string(name) {
			return b
		}
	}
	b := &bucket{name: append([]byte(nil), name...), tx: t}
	if t.writable {
		if !t.hasBucket(string(name)) {
			return nil
		}
		t.buckets = append(t.buckets, b)
		return b
	}
	if t.db != nil {
		if _, ok := t.db.buckets.Load(string(name)); ok {
			t.buckets = append(t.buckets, b)
			return b
		}
	}
	found := false
	err := t.query(`SELECT 1 FROM relman_buckets WHERE bucket = $1`, []any{name}, func(pgx.Rows) error {
		found = true
		return nil
	})
	if err != nil {
		// Whether the bucket exists is unknown, and the transaction is
		// failed: return a bucket whose every operation fails too, rather
		// than nil, which callers take for a bucket that is not there (and
		// the store, whose schema buckets always exist, would dereference).
		t.fail(fmt.Errorf("bucket %q: %w", name, err))
		return b
	}
	if !found {
		return nil
	}
	if t.db != nil {
		t.db.buckets.Store(string(name), struct{}{})
	}
	t.buckets = append(t.buckets, b)
	return b
}

// hasBucket reports whether a read-write transaction sees the bucket: the
// group read every bucket at BEGIN, under the write lock.
func (t *tx) hasBucket(name string) bool {
	if _, ok := t.g.seqs[name]; ok {
		return true
	}
	return slices.Contains(t.own.created, name)
}

func (t *tx) CreateBucketIfNotExists(name []byte) error {
	if !t.writable {
		return errReadOnly
	}
	if len(name) == 0 {
		return t.fail(errors.New("postgres: a bucket needs a name"))
	}
	if !t.hasBucket(string(name)) {
		t.own.created = append(t.own.created, string(name))
	}
	return nil
}

func (t *tx) Writable() bool { return t.writable }

// ErrNoBackup is what WriteTo returns: a database on PostgreSQL is not a
// file; boltdb.BackupFile copies it into one with store.Copy.
var ErrNoBackup = fmt.Errorf("%w: relman's data is in PostgreSQL, which has no file to write: copy it into a bbolt file with store.Copy (relman backup does) or use pg_dump", store.ErrNoBackup)

// WriteTo returns ErrNoBackup.
func (t *tx) WriteTo(io.Writer) (int64, error) { return 0, ErrNoBackup }

// errEnded is the error of an operation after Commit or Rollback.
var errEnded = errors.New("postgres: the transaction has ended")

// Commit commits a read-write transaction into its group and waits for the
// group's COMMIT (group.go): nil means its changes are durable.
func (t *tx) Commit() error {
	if t.done {
		return errEnded
	}
	t.done = true
	if !t.writable {
		if t.err != nil {
			rollback(t.conn)
			return fmt.Errorf("commit after an error in the transaction (nothing was kept): %w", t.err)
		}
		t.conn.end()
		return nil
	}
	g := t.g
	if t.err != nil {
		t.db.endTurn(g) // t's changes are dropped with own
		return fmt.Errorf("commit after an error in the transaction (nothing was kept): %w", t.err)
	}
	for b, n := range t.own.seqs {
		g.seqs[b] = n
	}
	for _, b := range t.own.created {
		if _, ok := g.seqs[b]; !ok {
			g.seqs[b] = 0
		}
	}
	for k := range t.own.kv {
		delete(g.whole, k.b)
	}
	g.pending.merge(&t.own)
	t.own = writes{}
	g.members++
	t.db.endTurn(g)
	<-g.done
	return g.err
}

// Rollback ends the transaction; a read-write one's changes were never
// sent, and its group goes on without them.
func (t *tx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	if !t.writable {
		t.conn.end()
		return nil
	}
	t.own = writes{}
	t.db.endTurn(t.g)
	return nil
}

// query runs q with args and calls each for every row. In a read-write
// transaction the group's pending changes go first, in the same round
// trip; a failure there or of q aborts the group's transaction.
func (t *tx) query(q string, args []any, each func(pgx.Rows) error) error {
	if t.done {
		return errEnded
	}
	err := t.roundTrip(q, args, each)
	if err != nil && t.g != nil && t.g.broken == nil {
		t.g.broken = err
	}
	return err
}

func (t *tx) roundTrip(q string, args []any, each func(pgx.Rows) error) error {
	scan := func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	if t.g == nil || t.g.pending.empty() {
		rows, err := t.conn.c.Query(t.ctx, q, args...)
		if err != nil {
			return err
		}
		return scan(rows)
	}
	batch := &pgx.Batch{}
	n := t.g.pending.queue(batch)
	batch.Queue(q, args...)
	br := t.conn.c.SendBatch(t.ctx, batch)
	var err error
	for range n {
		if _, err = br.Exec(); err != nil {
			break
		}
	}
	if err == nil {
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			err = scan(rows)
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	t.g.sent()
	return nil
}
