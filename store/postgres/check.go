package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// OpenExisting connects to dsn as OpenKV does, but creates nothing: it
// fails if relman's tables are not there (relman has not used the
// database) or a newer relman laid them out. relman check opens a
// database with it, so that checking writes nothing. The error never
// contains the password.
func OpenExisting(ctx context.Context, dsn string) (*DB, error) {
	d, err := connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*connectTimeout)
	defer cancel()
	var layout int64
	err = d.pool.QueryRow(ctx, `SELECT value FROM relman_meta WHERE key = 'layout'`).Scan(&layout)
	switch {
	case isUndefinedTable(err):
		err = errors.New("relman has not used this database (it has no relman_meta table)")
	case errors.Is(err, pgx.ErrNoRows):
		err = errors.New("relman_meta records no layout: relman's tables are incomplete")
	case err == nil && layout > Layout:
		err = fmt.Errorf("the database's tables have layout %d but this relman knows only up to %d: run a newer relman", layout, Layout)
	}
	if err != nil {
		d.pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", d.name, err)
	}
	return d, nil
}

// BucketRows counts the rows of relman_kv that belong to each bucket in
// relman_buckets, by bucket name, with one aggregate query in one
// snapshot: a count the server makes apart from the cursors that read the
// keys, so relman check can compare the two.
func (d *DB) BucketRows(ctx context.Context) (map[string]int64, error) {
	rows, err := d.pool.Query(ctx, `SELECT b.bucket, count(k.key) FROM relman_buckets b LEFT JOIN relman_kv k ON k.bucket = b.bucket GROUP BY b.bucket`)
	if err != nil {
		return nil, fmt.Errorf("count the rows of %s: %w", d.name, err)
	}
	counts := make(map[string]int64)
	for rows.Next() {
		var name []byte
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("count the rows of %s: %w", d.name, err)
		}
		counts[string(name)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count the rows of %s: %w", d.name, err)
	}
	return counts, nil
}

// isUndefinedTable reports whether err is PostgreSQL's undefined_table
// (42P01).
func isUndefinedTable(err error) bool {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pe.Code == "42P01"
}
