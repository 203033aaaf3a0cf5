package postgres

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"slices"

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
	// ov holds a read-write transaction's own changes to the bucket, in
	// key order, at position j; fromServer and fromOwn say which of the
	// two the current key came from (both when it is in both).
	ov                  []overlaid
	j                   int
	fromServer, fromOwn bool
	// desc says the cursor runs backwards (Last, Prev): the page's keys
	// are in descending order and j walks ov down.
	desc bool
}

func (b *bucket) Get(k []byte) []byte {
	t := b.tx
	if t.genRead && bytes.Equal(b.name, genBucket) && bytes.Equal(k, genKey) {
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
	var key bk
	if t.writable {
		key = bk{string(b.name), string(k)}
		for _, m := range []map[bk]entry{t.own.kv, t.g.pending.kv, t.g.known} {
			if e, ok := m[key]; ok {
				if e.gone {
					return nil
				}
				if e.v == nil {
					return []byte{}
				}
				return e.v
			}
		}
	}
	var v []byte
	found := false
	err := t.query(`SELECT value FROM relman_kv WHERE bucket = $1 AND key = $2`, []any{b.name, k}, func(rows pgx.Rows) error {
		found = true
		return rows.Scan(&v)
	})
	if err != nil {
		t.fail(fmt.Errorf("get %q from %q: %w", k, b.name, err))
		return nil
	}
	if t.writable {
		t.g.known[key] = entry{v: v, gone: !found}
	}
	if !found {
		return nil
	}
	if v == nil {
		v = []byte{}
	}
	return v
}

// change checks that the transaction may change the bucket.
func (b *bucket) change() error {
	switch {
	case !b.tx.writable:
		return errReadOnly
	case b.tx.done:
		return errEnded
	}
	return nil
}

func (b *bucket) Put(k, v []byte) error {
	if err := b.change(); err != nil {
		return err
	}
	if len(k) == 0 {
		return b.tx.fail(fmt.Errorf("put into %q: the key is empty", b.name))
	}
	b.tx.own.put(string(b.name), string(k), entry{v: v})
	return nil
}

// PutMany sets every key; like Put, it sends nothing before the commit,
// where each bucket's keys go in one statement (store.Copy loads buckets
// with it).
func (b *bucket) PutMany(keys, values [][]byte) error {
	if err := b.change(); err != nil {
		return err
	}
	if len(keys) != len(values) {
		return b.tx.fail(fmt.Errorf("put into %q: %d keys but %d values", b.name, len(keys), len(values)))
	}
	for _, k := range keys {
		if len(k) == 0 {
			return b.tx.fail(fmt.Errorf("put into %q: a key is empty", b.name))
		}
	}
	for i, k := range keys {
		b.tx.own.put(string(b.name), string(k), entry{v: values[i]})
	}
	return nil
}

func (b *bucket) Delete(k []byte) error {
	if err := b.change(); err != nil {
		return err
	}
	b.tx.own.put(string(b.name), string(k), entry{gone: true})
	return nil
}

// seq returns the bucket's sequence as a read-write transaction sees it.
func (b *bucket) seq() uint64 {
	if n, ok := b.tx.own.seqs[string(b.name)]; ok {
		return n
	}
	return b.tx.g.seqs[string(b.name)]
}

func (b *bucket) NextSequence() (uint64, error) {
	if err := b.change(); err != nil {
		return 0, err
	}
	n := b.seq() + 1
	if n > math.MaxInt64 {
		return 0, b.tx.fail(fmt.Errorf("next sequence of %q: more than PostgreSQL's bigint holds", b.name))
	}
	b.tx.own.setSeq(string(b.name), n)
	return n, nil
}

// Buckets returns the names of every bucket, in byte order.
func (t *tx) Buckets() ([][]byte, error) {
	if t.writable {
		var names [][]byte
		for b := range t.g.seqs {
			names = append(names, []byte(b))
		}
		for _, b := range t.own.created {
			if _, ok := t.g.seqs[b]; !ok {
				names = append(names, []byte(b))
			}
		}
		slices.SortFunc(names, bytes.Compare)
		return names, nil
	}
	var names [][]byte
	err := t.query(`SELECT bucket FROM relman_buckets ORDER BY bucket`, nil, func(rows pgx.Rows) error {
		var b []byte
		err := rows.Scan(&b)
		names = append(names, b)
		return err
	})
	if err != nil {
		return nil, t.fail(fmt.Errorf("list buckets: %w", err))
	}
	return names, nil
}

func (b *bucket) Sequence() (uint64, error) {
	if b.tx.writable {
		return b.seq(), nil
	}
	var n int64
	found := false
	err := b.tx.query(`SELECT seq FROM relman_buckets WHERE bucket = $1`, []any{b.name}, func(rows pgx.Rows) error {
		found = true
		return rows.Scan(&n)
	})
	if err == nil && !found {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return 0, b.tx.fail(fmt.Errorf("sequence of %q: %w", b.name, err))
	}
	return uint64(n), nil
}

// SetSequence sets the bucket's counter. PostgreSQL's bigint holds numbers
// up to 2⁶³-1; a larger n is an error.
func (b *bucket) SetSequence(n uint64) error {
	if err := b.change(); err != nil {
		return err
	}
	if n > math.MaxInt64 {
		return b.tx.fail(fmt.Errorf("set sequence of %q to %d: more than PostgreSQL's bigint holds", b.name, n))
	}
	b.tx.own.setSeq(string(b.name), n)
	return nil
}

func (b *bucket) Cursor() store.KVCursor { return &cursor{b: b} }

// A cursor's queries: a page from a key on, and the page after a key.
const (
	seekFrom  = `SELECT key, value FROM relman_kv WHERE bucket = $1 AND key >= $2 ORDER BY key LIMIT $3`
	nextAfter = `SELECT key, value FROM relman_kv WHERE bucket = $1 AND key > $2 ORDER BY key LIMIT $3`
	lastFirst = `SELECT key, value FROM relman_kv WHERE bucket = $1 ORDER BY key DESC LIMIT $2`
	before    = `SELECT key, value FROM relman_kv WHERE bucket = $1 AND key < $2 ORDER BY key DESC LIMIT $3`
)

func (c *cursor) Seek(k []byte) (key, value []byte) {
	if k == nil {
		k = []byte{}
	}
	c.desc = false
	c.fetch(seekFrom, k)
	c.ov, c.j = nil, 0
	if c.b.tx.writable {
		c.ov = c.b.tx.own.inBucket(string(c.b.name))
		for c.j < len(c.ov) && bytes.Compare(c.ov[c.j].key, k) < 0 {
			c.j++
		}
	}
	return c.current()
}

func (c *cursor) Next() (key, value []byte) {
	if c.desc {
		// Turning around: the keys after the current one.
		k, _ := c.current()
		if k == nil {
			return nil, nil
		}
		k = bytes.Clone(k)
		c.desc = false
		c.fetch(nextAfter, k)
		c.ownFrom(func(o []byte) bool { return bytes.Compare(o, k) > 0 })
		return c.current()
	}
	c.step()
	return c.current()
}

// nextServer moves to the server's next key, fetching the next page when
// the cursor is at the end of one.
func (c *cursor) nextServer() {
	if c.i < len(c.keys) {
		c.i++
	}
	if c.i == len(c.keys) && c.more {
		c.fetch(nextAfter, c.keys[len(c.keys)-1])
	}
}

// Last moves to the bucket's last key, for walking it backwards.
func (c *cursor) Last() (key, value []byte) {
	c.desc = true
	c.fetchDesc(nil)
	c.ownTo(func([]byte) bool { return true })
	return c.current()
}

// Prev moves to the key before the current one.
func (c *cursor) Prev() (key, value []byte) {
	if !c.desc {
		// Turning around: the keys before the current one.
		k, _ := c.current()
		if k == nil {
			return nil, nil
		}
		k = bytes.Clone(k)
		c.desc = true
		c.fetchDesc(k)
		c.ownTo(func(o []byte) bool { return bytes.Compare(o, k) < 0 })
		return c.current()
	}
	c.step()
	return c.current()
}

// step moves past the current key, in the cursor's direction: on the
// server's side, its own side, or both when they hold the same key.
func (c *cursor) step() {
	switch {
	case c.fromServer && c.desc:
		c.prevServer()
	case c.fromServer:
		c.nextServer()
	}
	switch {
	case c.fromOwn && c.desc:
		c.j--
	case c.fromOwn:
		c.j++
	}
}

// first reports whether the server's key a comes before the transaction's
// own changed key b in the cursor's direction.
func (c *cursor) first(a, b []byte) bool {
	if c.desc {
		return bytes.Compare(a, b) > 0
	}
	return bytes.Compare(a, b) < 0
}

// prevServer moves to the server's key before the current one, fetching
// the page before when the cursor is at the end of one.
func (c *cursor) prevServer() {
	if c.i < len(c.keys) {
		c.i++
	}
	if c.i == len(c.keys) && c.more {
		c.fetchDesc(c.keys[len(c.keys)-1])
	}
}

// ownFrom points j at the first of the transaction's own changes whose key
// after(key) holds, walking forwards.
func (c *cursor) ownFrom(after func([]byte) bool) {
	c.ov, c.j = nil, 0
	if c.b.tx.writable {
		c.ov = c.b.tx.own.inBucket(string(c.b.name))
		for c.j < len(c.ov) && !after(c.ov[c.j].key) {
			c.j++
		}
	}
}

// ownTo points j at the last of the transaction's own changes whose key
// before(key) holds, walking backwards (-1 for none).
func (c *cursor) ownTo(before func([]byte) bool) {
	c.ov, c.j = nil, -1
	if c.b.tx.writable {
		c.ov = c.b.tx.own.inBucket(string(c.b.name))
		c.j = len(c.ov) - 1
		for c.j >= 0 && !before(c.ov[c.j].key) {
			c.j--
		}
	}
}

// fetchDesc replaces the cursor's page with the bucket's keys before k
// (every key when k is nil), last first.
func (c *cursor) fetchDesc(k []byte) {
	c.keys, c.values, c.i, c.more = c.keys[:0:0], c.values[:0:0], 0, false
	q, args := lastFirst, []any{c.b.name, pageSize}
	if k != nil {
		q, args = before, []any{c.b.name, k, pageSize}
	}
	err := c.b.tx.query(q, args, func(rows pgx.Rows) error {
		var k, v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		if v == nil {
			v = []byte{}
		}
		c.keys, c.values = append(c.keys, k), append(c.values, v)
		return nil
	})
	if err != nil {
		c.b.tx.fail(fmt.Errorf("cursor over %q: %w", c.b.name, err))
		c.keys, c.values = nil, nil
		return
	}
	c.more = len(c.keys) == pageSize
}

// current returns the first, in the cursor's direction, of the server's
// key and the transaction's own changed key (its own change winning a
// tie), past the keys it deleted.
func (c *cursor) current() (key, value []byte) {
	for {
		c.fromServer, c.fromOwn = false, false
		var sk, ok []byte
		if c.i < len(c.keys) {
			sk = c.keys[c.i]
		}
		if c.j >= 0 && c.j < len(c.ov) {
			ok = c.ov[c.j].key
		}
		switch {
		case sk == nil && ok == nil:
			return nil, nil
		case ok == nil, sk != nil && c.first(sk, ok):
			c.fromServer = true
			return sk, c.values[c.i]
		}
		c.fromOwn = true
		c.fromServer = sk != nil && bytes.Equal(sk, ok)
		e := c.ov[c.j].entry
		if !e.gone {
			if e.v == nil {
				return ok, []byte{}
			}
			return ok, e.v
		}
		c.step()
	}
}

// fetch replaces the cursor's page with the result of q, a query of the
// bucket's keys from k on.
func (c *cursor) fetch(q string, k []byte) {
	c.keys, c.values, c.i, c.more = c.keys[:0:0], c.values[:0:0], 0, false
	t := c.b.tx
	if t.writable {
		if p, ok := t.g.whole[string(c.b.name)]; ok {
			// The group has the whole bucket: the page is every key from k.
			i, _ := slices.BinarySearchFunc(p.keys, k, bytes.Compare)
			if q == nextAfter && i < len(p.keys) && bytes.Equal(p.keys[i], k) {
				i++ // Next's query starts after k
			}
			c.keys, c.values = p.keys[i:len(p.keys):len(p.keys)], p.values[i:len(p.values):len(p.values)]
			return
		}
	}
	err := t.query(q, []any{c.b.name, k, pageSize}, func(rows pgx.Rows) error {
		var k, v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		if v == nil {
			v = []byte{}
		}
		c.keys, c.values = append(c.keys, k), append(c.values, v)
		return nil
	})
	if err != nil {
		t.fail(fmt.Errorf("cursor over %q: %w", c.b.name, err))
		c.keys, c.values = nil, nil
		return
	}
	c.more = len(c.keys) == pageSize
	if t.writable && !c.more && len(k) == 0 && q == seekFrom {
		// Read from the first key to the last: the whole bucket, which
		// only the group's own changes (which drop it) can change.
		t.g.whole[string(c.b.name)] = &page{keys: c.keys, values: c.values}
	}
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
