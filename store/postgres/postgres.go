// Package postgres keeps a store.Store in a PostgreSQL database. It is the
// only importer of github.com/jackc/pgx: the adapters here give a database
// the shape of store.KV.
//
// The buckets live in four tables relman creates at Open: relman_buckets
// (a bucket's name and its NextSequence counter, so a rolled-back
// transaction gives its numbers back), relman_kv (bucket, key, value; keys
// are bytea, which PostgreSQL orders byte by byte as bbolt does),
// relman_meta (the version of this layout, and a count of writes), and
// relman_lease (the leader lease, store.Leaser; see lease.go). A
// read-write transaction is
// READ COMMITTED and takes a transaction-level advisory lock as its first
// statement, so there is one writer at a time across every process sharing
// the database; a read-only transaction is REPEATABLE READ READ ONLY, its
// snapshot fixed at Begin.
//
// Read-write transactions of one DB take turns and share commits (group.go):
// while one is open, those waiting for their turn join its PostgreSQL
// transaction, each after the one before it, and the last of them sends
// one COMMIT for all — one WAL flush. Each Commit returns when that COMMIT
// has, so nothing is acknowledged before it is durable, and a transaction
// that fails or rolls back leaves the others of its group alone. A
// read-write transaction sends no change before its group commits (writes.go):
// Put, Delete, NextSequence and CreateBucketIfNotExists are kept and sent
// in a few statements in the COMMIT's round trip; reads see them. BEGIN,
// the lock, every bucket's sequence and the generation go in one round
// trip, and what a group has read it does not ask again (the lock keeps
// other writers out); the next group starts with it when relman_meta's
// "writes" — bumped by a trigger on every statement that changes
// relman_kv or relman_buckets, whoever sends it — shows no one else wrote
// in between.
//
// Caveats: every Get and cursor page that is not answered so is a round trip
// to the server. A Get or cursor whose query fails returns nil as if the key
// were absent, and a reader's Bucket whose query fails returns a bucket whose
// operations all fail (not nil, which would say it does not exist); the
// failure makes Commit fail — in a read-write transaction the Commit of
// every transaction of its group, since the statement aborted their shared
// PostgreSQL transaction — and Err (store.KVFailer) reports it in a
// read-only transaction too. Failures that mean the server is away wrap
// store.ErrUnavailable, and a Begin after the server dropped the pool's
// connections reconnects. WriteTo is not supported (there is no file to
// write): boltdb.BackupFile copies a Store on PostgreSQL into a bbolt file
// with store.Copy instead.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
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
			// relman_meta's "writes" counts the statements that changed
			// relman_kv or relman_buckets, whoever sent them: a writer
			// that finds it where its last commit left it knows no one
			// else wrote since, and keeps what it read (group.go).
			`INSERT INTO relman_meta (key, value) VALUES ('writes', 0) ON CONFLICT DO NOTHING`,
			`CREATE OR REPLACE FUNCTION relman_count_writes() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN UPDATE relman_meta SET value = value + 1 WHERE key = 'writes'; RETURN NULL; END $$`,
			`CREATE OR REPLACE TRIGGER relman_kv_writes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON relman_kv
				FOR EACH STATEMENT EXECUTE FUNCTION relman_count_writes()`,
			`CREATE OR REPLACE TRIGGER relman_buckets_writes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON relman_buckets
				FOR EACH STATEMENT EXECUTE FUNCTION relman_count_writes()`,
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
	// so a reader need not ask the server again.
	buckets sync.Map
	// w is the read-write side: turns and grouped commits (group.go).
	w writer
}

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
	if writable {
		return d.beginWrite(ctx)
	}
	// BEGIN and the transaction's first statement go in one round trip
	// (the simple protocol runs several statements in one query); the
	// SELECT fixes the reader's snapshot now. It reads the generation,
	// which the store reads first in every transaction
	// (store.GenerationKey): that Get is then answered without asking.
	t, err := d.begin(ctx, readBegin)
	if err != nil && ctx.Err() == nil && transient(err) {
		// The server dropped a connection of the pool (it restarted, failed
		// over, or terminated its backends): the pool's other idle
		// connections are likely gone too. Drop them all and try once more
		// on a new one; nothing was done in the transaction yet.
		d.pool.Reset()
		t, err = d.begin(ctx, readBegin)
	}
	if err != nil {
		// Begin fails only when the server or the wait for it does: the
		// user may try again.
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("begin on %s: %w", d.name, unavailable(cerr))
		}
		return nil, fmt.Errorf("begin on %s: %w", d.name, unavailable(err))
	}
	return &tx{ctx: ctx, conn: t, db: d, gen: t.first, genRead: true}, nil
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
	d.w.mu.Lock()
	if d.w.conn != nil && !d.w.busy {
		d.w.conn.Release()
		d.w.conn = nil
	}
	d.w.mu.Unlock()
	d.pool.Close()
	return nil
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
