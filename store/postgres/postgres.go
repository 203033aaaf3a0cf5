// Package postgres keeps a store.Store in a PostgreSQL database. It is the
// only importer of github.com/jackc/pgx: the adapters here give a database
// the shape of store.KV.
//
// The buckets live in three tables relman creates at Open: relman_buckets
// (a bucket's name and its NextSequence counter, so a rolled-back
// transaction gives its numbers back), relman_kv (bucket, key, value; keys
// are bytea, which PostgreSQL orders byte by byte as bbolt does), and
// relman_meta (the version of this layout), and relman_lease (the leader
// lease, store.Leaser; see lease.go). A read-write transaction is
// READ COMMITTED and takes a transaction-level advisory lock as its first
// statement, so there is one writer at a time across every process sharing
// the database; a read-only transaction is REPEATABLE READ READ ONLY, its
// snapshot fixed at Begin.
//
// Caveats: every Get and cursor page is a round trip to the server. A Get
// or cursor whose query fails returns nil as if the key were absent, and a
// Bucket whose query fails returns a bucket whose operations all fail (not
// nil, which would say it does not exist); the failure makes Commit fail,
// and Err (store.KVFailer) reports it in a read-only transaction too.
// Failures that mean the server is away wrap store.ErrUnavailable, and a
// Begin after the server dropped the pool's connections reconnects. WriteTo
// is not supported (there is no file to write): boltdb.BackupFile copies a
// Store on PostgreSQL into a bbolt file with store.Copy instead.
package postgres

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"relman/store"
)

// Layout is the version of the tables this package creates. Open refuses
// a database whose tables a newer relman laid out.
const Layout = 1

// writeLock is the key of the advisory lock every read-write transaction
// holds. Advisory locks are per database, so databases do not share it.
const writeLock int64 = 0x72656c6d616e // "relman"

// connectTimeout bounds how long Open waits for the server.
const connectTimeout = 5 * time.Second

// pageSize is how many keys a cursor fetches per query.
const pageSize = 256

// IsDSN reports whether s names a PostgreSQL database rather than a file:
// a postgres:// or postgresql:// URL, or a keyword/value string such as
// "host=db dbname=relman".
func IsDSN(s string) bool {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return true
	}
	for _, f := range strings.Fields(s) {
		k, _, ok := strings.Cut(f, "=")
		if ok && (k == "host" || k == "dbname" || k == "user" || k == "port" || k == "service") {
			return true
		}
	}
	return false
}

// CheckDSN reports whether dsn parses as a PostgreSQL connection string,
// without connecting. The error never contains the password.
func CheckDSN(dsn string) error {
	_, err := parseDSN(dsn)
	return err
}

func parseDSN(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message hides the password but would echo the rest; the
		// setting's name is the caller's to add.
		return nil, fmt.Errorf("not a PostgreSQL connection string (postgres://user:password@host/db or host=… dbname=…): %w", err)
	}
	return cfg, nil
}

// Open connects to the PostgreSQL database dsn names, creates relman's
// tables unless they exist, and returns the Store kept in them, migrating
// an older schema and refusing data of a newer relman. A dsn that does not
// parse, or a server that cannot be reached within a few seconds, is an
// error that says which. The error never contains the password.
func Open(ctx context.Context, dsn string) (*store.Store, error) {
	kv, err := OpenKV(ctx, dsn)
	if err != nil {
		return nil, err
	}
	s, err := store.New(ctx, kv, kv.name)
	if err != nil {
		kv.Close()
		return nil, fmt.Errorf("open %s: %w", kv.name, err)
	}
	return s, nil
}

// OpenKV connects to dsn and creates relman's tables unless they exist,
// without looking at relman's data.
func OpenKV(ctx context.Context, dsn string) (*DB, error) {
	d, err := connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*connectTimeout)
	defer cancel()
	if err := d.createTables(ctx); err != nil {
		d.pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", d.name, err)
	}
	return d, nil
}

// connect makes the pool of connections to dsn, without a query.
func connect(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > connectTimeout {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// Writers waiting for the write lock each hold a connection;
		// leave room for readers beside them.
		cfg.MaxConns = 16
	}
	name := fmt.Sprintf("postgres %s/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Database)
	ctx, cancel := context.WithTimeout(ctx, 2*connectTimeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", name, err)
	}
	return &DB{pool: pool, name: name}, nil
}

// createTables lays out relman's tables, under the write lock so that
// processes starting together do not race.
func (d *DB) createTables(ctx context.Context) error {
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLock); err != nil {
			return err
		}
		for _, q := range []string{
			`CREATE TABLE IF NOT EXISTS relman_meta (key text PRIMARY KEY, value bigint NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS relman_buckets (bucket bytea PRIMARY KEY, seq bigint NOT NULL DEFAULT 0)`,
			`CREATE TABLE IF NOT EXISTS relman_kv (
				bucket bytea NOT NULL REFERENCES relman_buckets (bucket),
				key bytea NOT NULL,
				value bytea NOT NULL,
				PRIMARY KEY (bucket, key))`,
			`CREATE TABLE IF NOT EXISTS relman_lease (
				name text PRIMARY KEY,
				holder text NOT NULL,
				epoch bigint NOT NULL,
				valid_until timestamptz NOT NULL)`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("create tables: %w", err)
			}
		}
		var layout int64
		err := tx.QueryRow(ctx, `SELECT value FROM relman_meta WHERE key = 'layout'`).Scan(&layout)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			_, err = tx.Exec(ctx, `INSERT INTO relman_meta (key, value) VALUES ('layout', $1)`, Layout)
			return err
		case err != nil:
			return err
		case layout > Layout:
			return fmt.Errorf("the database's tables have layout %d but this relman knows only up to %d: run a newer relman", layout, Layout)
		}
		return nil
	})
}

// DB is a PostgreSQL database as a store.KV.
type DB struct {
	pool *pgxpool.Pool
	name string
	// reader is the connection ReadKey keeps for itself, its statement
	// prepared: the shared generation reads go through it one at a time.
	readMu sync.Mutex
	reader *pgxpool.Conn
	// buckets holds the names of the buckets known to exist (string →
	// struct{}): a bucket, once created and committed, is never removed,
	// so a transaction need not ask the server again.
	buckets sync.Map
}

type (
	tx struct {
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
	bucket struct {
		name []byte
		tx   *tx
	}
	cursor struct {
		b *bucket
		// page holds the keys and values of the last query, at the
		// cursor's position i; more says whether keys may follow it.
		keys, values [][]byte
		i            int
		more         bool
	}
)

var (
	_ store.KV       = (*DB)(nil)
	_ store.KVTx     = (*tx)(nil)
	_ store.KVBucket = (*bucket)(nil)
	_ store.KVCursor = (*cursor)(nil)

	_ store.KVLister    = (*tx)(nil)
	_ store.KVSequencer = (*bucket)(nil)
	_ store.KVLoader    = (*bucket)(nil)
)

// Begin starts a transaction. A read-write one waits for the write lock
// until ctx ends, and returns ctx's error then. ctx is the context of every
// query of the transaction.
func (d *DB) Begin(ctx context.Context, writable bool) (store.KVTx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// BEGIN and the transaction's first statement go in one round trip
	// (the simple protocol runs several statements in one query): a
	// reader's SELECT fixes its snapshot now; a writer's takes the write
	// lock.
	//
	// A reader's first statement reads the generation, which the store
	// reads first in every transaction (store.GenerationKey): that Get is
	// then answered without asking again.
	begin := readBegin
	if writable {
		begin = fmt.Sprintf(`BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SELECT pg_advisory_xact_lock(%d)`, writeLock)
	}
	t, err := d.begin(ctx, begin)
	if err != nil && ctx.Err() == nil && transient(err) {
		// The server dropped a connection of the pool (it restarted, failed
		// over, or terminated its backends): the pool's other idle
		// connections are likely gone too. Drop them all and try once more
		// on a new one; nothing was done in the transaction yet.
		d.pool.Reset()
		t, err = d.begin(ctx, begin)
	}
	if err != nil {
		// Begin fails only when the server or the wait for it does: the
		// user may try again.
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("begin on %s: %w", d.name, unavailable(cerr))
		}
		return nil, fmt.Errorf("begin on %s: %w", d.name, unavailable(err))
	}
	kt := &tx{ctx: ctx, tx: t, writable: writable, db: d}
	if !writable {
		kt.gen, kt.genRead = t.first, true
	}
	return kt, nil
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

// Name names the database for messages: its host and database, never the
// password.
func (d *DB) Name() string { return d.name }

// Close closes every connection.
func (d *DB) Close() error {
	d.readMu.Lock()
	if d.reader != nil {
		d.reader.Release()
		d.reader = nil
	}
	d.readMu.Unlock()
	d.pool.Close()
	return nil
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

func (b *bucket) Get(k []byte) []byte {
	if t := b.tx; t.genRead && bytes.Equal(b.name, genBucket) && bytes.Equal(k, genKey) {
		if t.gen == nil {
			return nil
		}
		v, err := decodeBytea(t.gen)
		if err != nil {
			t.fail(fmt.Errorf("get %q from %q: %w", k, b.name, err))
			return nil
		}
		return v
	}
	var v []byte
	err := b.tx.tx.QueryRow(b.tx.ctx, `SELECT value FROM relman_kv WHERE bucket = $1 AND key = $2`, b.name, k).Scan(&v)
	if err != nil {
		if !errors.Is(err, pgx.ErrNoRows) {
			b.tx.fail(fmt.Errorf("get %q from %q: %w", k, b.name, err))
		}
		return nil
	}
	if v == nil {
		v = []byte{}
	}
	return v
}

func (b *bucket) Put(k, v []byte) error {
	if !b.tx.writable {
		return errReadOnly
	}
	if len(k) == 0 {
		return b.tx.fail(fmt.Errorf("put into %q: the key is empty", b.name))
	}
	if v == nil {
		v = []byte{}
	}
	_, err := b.tx.tx.Exec(b.tx.ctx, `INSERT INTO relman_kv (bucket, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value`, b.name, k, v)
	if err != nil {
		err = fmt.Errorf("put %q into %q: %w", k, b.name, err)
	}
	return b.tx.fail(err)
}

// PutMany sets every key in one statement, one round trip instead of one
// per key (store.Copy loads buckets with it).
func (b *bucket) PutMany(keys, values [][]byte) error {
	if !b.tx.writable {
		return errReadOnly
	}
	if len(keys) != len(values) {
		return b.tx.fail(fmt.Errorf("put into %q: %d keys but %d values", b.name, len(keys), len(values)))
	}
	vs := make([][]byte, len(values))
	for i, k := range keys {
		if len(k) == 0 {
			return b.tx.fail(fmt.Errorf("put into %q: a key is empty", b.name))
		}
		if vs[i] = values[i]; vs[i] == nil {
			vs[i] = []byte{}
		}
	}
	_, err := b.tx.tx.Exec(b.tx.ctx, `INSERT INTO relman_kv (bucket, key, value)
		SELECT $1, k, v FROM unnest($2::bytea[], $3::bytea[]) AS t (k, v)
		ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value`, b.name, keys, vs)
	if err != nil {
		err = fmt.Errorf("put %d keys into %q: %w", len(keys), b.name, err)
	}
	return b.tx.fail(err)
}

func (b *bucket) Delete(k []byte) error {
	if !b.tx.writable {
		return errReadOnly
	}
	_, err := b.tx.tx.Exec(b.tx.ctx, `DELETE FROM relman_kv WHERE bucket = $1 AND key = $2`, b.name, k)
	if err != nil {
		err = fmt.Errorf("delete %q from %q: %w", k, b.name, err)
	}
	return b.tx.fail(err)
}

func (b *bucket) NextSequence() (uint64, error) {
	if !b.tx.writable {
		return 0, errReadOnly
	}
	var n int64
	err := b.tx.tx.QueryRow(b.tx.ctx, `UPDATE relman_buckets SET seq = seq + 1 WHERE bucket = $1 RETURNING seq`, b.name).Scan(&n)
	if err != nil {
		return 0, b.tx.fail(fmt.Errorf("next sequence of %q: %w", b.name, err))
	}
	return uint64(n), nil
}

// Buckets returns the names of every bucket, in byte order.
func (t *tx) Buckets() ([][]byte, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT bucket FROM relman_buckets ORDER BY bucket`)
	if err != nil {
		return nil, t.fail(fmt.Errorf("list buckets: %w", err))
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, t.fail(fmt.Errorf("list buckets: %w", err))
	}
	return names, nil
}

func (b *bucket) Sequence() (uint64, error) {
	var n int64
	err := b.tx.tx.QueryRow(b.tx.ctx, `SELECT seq FROM relman_buckets WHERE bucket = $1`, b.name).Scan(&n)
	if err != nil {
		return 0, b.tx.fail(fmt.Errorf("sequence of %q: %w", b.name, err))
	}
	return uint64(n), nil
}

// SetSequence sets the bucket's counter. PostgreSQL's bigint holds numbers
// up to 2⁶³-1; a larger n is an error.
func (b *bucket) SetSequence(n uint64) error {
	if !b.tx.writable {
		return errReadOnly
	}
	if n > math.MaxInt64 {
		return b.tx.fail(fmt.Errorf("set sequence of %q to %d: more than PostgreSQL's bigint holds", b.name, n))
	}
	_, err := b.tx.tx.Exec(b.tx.ctx, `UPDATE relman_buckets SET seq = $2 WHERE bucket = $1`, b.name, int64(n))
	if err != nil {
		err = fmt.Errorf("set sequence of %q: %w", b.name, err)
	}
	return b.tx.fail(err)
}

func (b *bucket) Cursor() store.KVCursor { return &cursor{b: b} }

func (c *cursor) Seek(k []byte) (key, value []byte) {
	if k == nil {
		k = []byte{}
	}
	c.fetch(`SELECT key, value FROM relman_kv WHERE bucket = $1 AND key >= $2 ORDER BY key LIMIT $3`, k)
	return c.current()
}

func (c *cursor) Next() (key, value []byte) {
	if c.i < len(c.keys) {
		c.i++
	}
	if c.i == len(c.keys) && c.more {
		c.fetch(`SELECT key, value FROM relman_kv WHERE bucket = $1 AND key > $2 ORDER BY key LIMIT $3`, c.keys[len(c.keys)-1])
	}
	return c.current()
}

func (c *cursor) current() (key, value []byte) {
	if c.i >= len(c.keys) {
		return nil, nil
	}
	return c.keys[c.i], c.values[c.i]
}

// fetch replaces the cursor's page with the result of q, a query of the
// bucket's keys from k on.
func (c *cursor) fetch(q string, k []byte) {
	c.keys, c.values, c.i, c.more = c.keys[:0:0], c.values[:0:0], 0, false
	rows, err := c.b.tx.tx.Query(c.b.tx.ctx, q, c.b.name, k, pageSize)
	if err != nil {
		c.b.tx.fail(fmt.Errorf("cursor over %q: %w", c.b.name, err))
		return
	}
	defer rows.Close()
	for rows.Next() {
		var k, v []byte
		if err := rows.Scan(&k, &v); err != nil {
			c.b.tx.fail(fmt.Errorf("cursor over %q: %w", c.b.name, err))
			c.keys, c.values = nil, nil
			return
		}
		if v == nil {
			v = []byte{}
		}
		c.keys, c.values = append(c.keys, k), append(c.values, v)
	}
	if err := rows.Err(); err != nil {
		c.b.tx.fail(fmt.Errorf("cursor over %q: %w", c.b.name, err))
		c.keys, c.values = nil, nil
		return
	}
	c.more = len(c.keys) == pageSize
}

var _ store.KVReader = (*DB)(nil)

// ReadKey reads one key in one statement, outside any transaction: one
// round trip where a read-only transaction takes several.
func (d *DB) ReadKey(ctx context.Context, bucket, key []byte) ([]byte, error) {
	d.readMu.Lock()
	defer d.readMu.Unlock()
	if d.reader == nil {
		c, err := d.pool.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("read on %s: %w", d.name, classify(err))
		}
		if _, err := c.Conn().Prepare(ctx, readKeyStmt, `SELECT value FROM relman_kv WHERE bucket = $1 AND key = $2`); err != nil {
			c.Release()
			return nil, fmt.Errorf("read on %s: %w", d.name, classify(err))
		}
		d.reader = c
	}
	rr := d.reader.Conn().PgConn().ExecPrepared(ctx, readKeyStmt, [][]byte{bucket, key}, binary2, binary1)
	var v []byte
	found := false
	for rr.NextRow() {
		v, found = append([]byte{}, rr.Values()[0]...), true
	}
	if _, err := rr.Close(); err != nil {
		d.reader.Release() // the pool closes it unless it is idle
		d.reader = nil
		return nil, fmt.Errorf("read on %s: %w", d.name, classify(err))
	}
	if !found {
		return nil, nil
	}
	return v, nil
}

// readKeyStmt is ReadKey's statement, prepared on its connection.
const readKeyStmt = "relman_read_key"

// Parameter and result formats of ReadKey: bytea in binary.
var binary2, binary1 = []int16{1, 1}, []int16{1}

// decodeBytea decodes a bytea in PostgreSQL's text format (hex: \x…).
func decodeBytea(text []byte) ([]byte, error) {
	if !bytes.HasPrefix(text, []byte(`\x`)) {
		return nil, fmt.Errorf("bytea %.20q is not in hex format", text)
	}
	v := make([]byte, hex.DecodedLen(len(text)-2))
	_, err := hex.Decode(v, text[2:])
	return v, err
}
