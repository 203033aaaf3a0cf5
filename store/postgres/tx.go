package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"relman/store"
)

// tx is a transaction of a DB (store.KVTx).
type tx struct {
	ctx      context.Context
	tx       querier
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
	// created says the transaction created a bucket: what it sees of
	// buckets may yet be rolled back, so it tells db nothing.
	created bool
}

// genBucket and genKey are where the store keeps its generation.
var genBucket, genKey = store.GenerationKey()

// readBegin starts a read-only transaction and reads the generation, which
// fixes its snapshot.
var readBegin = fmt.Sprintf(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; `+
	`SELECT value FROM relman_kv WHERE bucket = '\x%x'::bytea AND key = '\x%x'::bytea`, genBucket, genKey)

// begin takes a connection of the pool and runs begin on it: BEGIN and the
// transaction's first statement, whose first value (the generation, for a
// reader) it keeps.
func (d *DB) begin(ctx context.Context, begin string) (*connTx, error) {
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
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
	t := &connTx{c: c}
	if last := res[len(res)-1]; len(last.Rows) == 1 && len(last.Rows[0]) == 1 {
		t.first = last.Rows[0][0] // text format
	}
	return t, nil
}

// querier is what a transaction of the KV uses of its connection.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// connTx is a transaction Begin opened on a connection of the pool; ending
// it gives the connection back (closed instead, when it is not idle then).
type connTx struct {
	c    *pgxpool.Conn
	done bool
	// first is the value the first statement after BEGIN returned, in
	// text format (bytea as \x and hex); nil when it returned no row.
	first []byte
}

func (t *connTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.c.Exec(ctx, sql, args...)
}

func (t *connTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.c.Query(ctx, sql, args...)
}

func (t *connTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.c.QueryRow(ctx, sql, args...)
}

// Commit commits; a transaction the server had already aborted answers
// ROLLBACK to it, which is an error: nothing was kept.
func (t *connTx) Commit(ctx context.Context) error {
	return t.end(ctx, "COMMIT")
}

func (t *connTx) Rollback(ctx context.Context) error {
	return t.end(ctx, "ROLLBACK")
}

func (t *connTx) end(ctx context.Context, sql string) error {
	if t.done {
		return pgx.ErrTxClosed
	}
	t.done = true
	defer t.c.Release()
	tag, err := t.c.Exec(ctx, sql)
	if err == nil && sql == "COMMIT" && tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return err
}

// rollback ends t on the server even when the transaction's context has
// ended; a connection it cannot roll back is closed, which rolls back too.
func rollback(t querier) error {
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
	if t.db != nil {
		if _, ok := t.db.buckets.Load(string(name)); ok {
			t.buckets = append(t.buckets, b)
			return b
		}
	}
	var one int
	err := t.tx.QueryRow(t.ctx, `SELECT 1 FROM relman_buckets WHERE bucket = $1`, name).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		// Whether the bucket exists is unknown, and the transaction is
		// failed: return a bucket whose every operation fails too, rather
		// than nil, which callers take for a bucket that is not there (and
		// the store, whose schema buckets always exist, would dereference).
		t.fail(fmt.Errorf("bucket %q: %w", name, err))
		return b
	}
	if t.db != nil && !t.created {
		t.db.buckets.Store(string(name), struct{}{})
	}
	t.buckets = append(t.buckets, b)
	return b
}

func (t *tx) CreateBucketIfNotExists(name []byte) error {
	if !t.writable {
		return errReadOnly
	}
	if len(name) == 0 {
		return t.fail(errors.New("postgres: a bucket needs a name"))
	}
	t.created = true
	_, err := t.tx.Exec(t.ctx, `INSERT INTO relman_buckets (bucket) VALUES ($1) ON CONFLICT DO NOTHING`, name)
	if err != nil {
		err = fmt.Errorf("create bucket %q: %w", name, err)
	}
	return t.fail(err)
}

func (t *tx) Writable() bool { return t.writable }

// ErrNoBackup is what WriteTo returns: a database on PostgreSQL is not a
// file; boltdb.BackupFile copies it into one with store.Copy.
var ErrNoBackup = fmt.Errorf("%w: relman's data is in PostgreSQL, which has no file to write: copy it into a bbolt file with store.Copy (relman backup does) or use pg_dump", store.ErrNoBackup)

// WriteTo returns ErrNoBackup.
func (t *tx) WriteTo(io.Writer) (int64, error) { return 0, ErrNoBackup }

func (t *tx) Commit() error {
	if t.done {
		return errors.New("postgres: the transaction has ended")
	}
	t.done = true
	if t.err != nil {
		rollback(t.tx)
		return fmt.Errorf("commit after an error in the transaction (nothing was kept): %w", t.err)
	}
	if !t.writable {
		return rollback(t.tx)
	}
	if err := t.tx.Commit(t.ctx); err != nil {
		rollback(t.tx)
		return fmt.Errorf("commit: %w", classify(err))
	}
	return nil
}

func (t *tx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	return rollback(t.tx)
}
