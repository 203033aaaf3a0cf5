package postgres

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"relman/store"
)

// bucket is a bucket as one transaction sees it (store.KVBucket).
type bucket struct {
	name []byte
	tx   *tx
}

// cursor walks a bucket a page of keys at a time (store.KVCursor).
type cursor struct {
	b *bucket
	// page holds the keys and values of the last query, at the
	// cursor's position i; more says whether keys may follow it.
	keys, values [][]byte
	i            int
	more         bool
	// desc says the page runs backwards (Last, Prev): keys[i+1] precedes
	// keys[i].
	desc bool
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
	c.desc = false
	c.fetch(`SELECT key, value FROM relman_kv WHERE bucket = $1 AND key >= $2 ORDER BY key LIMIT $3`, k)
	return c.current()
}

func (c *cursor) Next() (key, value []byte) {
	if c.desc {
		// Turning around: the keys after the current one.
		if c.i >= len(c.keys) {
			return nil, nil
		}
		c.desc = false
		c.fetch(`SELECT key, value FROM relman_kv WHERE bucket = $1 AND key > $2 ORDER BY key LIMIT $3`, c.keys[c.i])
		return c.current()
	}
	if c.i < len(c.keys) {
		c.i++
	}
	if c.i == len(c.keys) && c.more {
		c.fetch(`SELECT key, value FROM relman_kv WHERE bucket = $1 AND key > $2 ORDER BY key LIMIT $3`, c.keys[len(c.keys)-1])
	}
	return c.current()
}

func (c *cursor) Last() (key, value []byte) {
	c.desc = true
	c.fetch(`SELECT key, value FROM relman_kv WHERE bucket = $1 AND key >= $2 ORDER BY key DESC LIMIT $3`, []byte{})
	return c.current()
}

func (c *cursor) Prev() (key, value []byte) {
	if !c.desc {
		// Turning around: the keys before the current one.
		if c.i >= len(c.keys) {
			return nil, nil
		}
		c.desc = true
		c.fetch(`SELECT key, value FROM relman_kv WHERE bucket = $1 AND key < $2 ORDER BY key DESC LIMIT $3`, c.keys[c.i])
		return c.current()
	}
	if c.i < len(c.keys) {
		c.i++
	}
	if c.i == len(c.keys) && c.more {
		c.fetch(`SELECT key, value FROM relman_kv WHERE bucket = $1 AND key < $2 ORDER BY key DESC LIMIT $3`, c.keys[len(c.keys)-1])
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

// decodeBytea decodes a bytea in PostgreSQL's text format (hex: \x…).
func decodeBytea(text []byte) ([]byte, error) {
	if !bytes.HasPrefix(text, []byte(`\x`)) {
		return nil, fmt.Errorf("bytea %.20q is not in hex format", text)
	}
	v := make([]byte, hex.DecodedLen(len(text)-2))
	_, err := hex.Decode(v, text[2:])
	return v, err
}
