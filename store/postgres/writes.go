package postgres

import (
	"bytes"
	"slices"

	"github.com/jackc/pgx/v5"
)

// A read-write transaction does not send its changes as they are made:
// Put, Delete, NextSequence, CreateBucketIfNotExists and Wake are kept in
// a writes buffer and sent at commit, in a few statements in the round
// trip of the COMMIT. Reads look in the buffer first, so a transaction
// sees its own changes.

// bk names a key of a bucket.
type bk struct{ b, k string }

// entry is a key's value, or its absence (gone).
type entry struct {
	v    []byte
	gone bool
}

// writes is what a transaction changed and has not sent yet.
type writes struct {
	kv      map[bk]entry
	seqs    map[string]uint64 // a bucket's sequence, as set
	created []string          // buckets created, in order
	notify  []string          // channels to NOTIFY at commit
}

func (w *writes) empty() bool {
	return len(w.kv) == 0 && len(w.seqs) == 0 && len(w.created) == 0 && len(w.notify) == 0
}

func (w *writes) put(b, k string, e entry) {
	if w.kv == nil {
		w.kv = make(map[bk]entry)
	}
	w.kv[bk{b, k}] = e
}

func (w *writes) setSeq(b string, n uint64) {
	if w.seqs == nil {
		w.seqs = make(map[string]uint64)
	}
	w.seqs[b] = n
}

func (w *writes) wake(channel string) {
	if !slices.Contains(w.notify, channel) {
		w.notify = append(w.notify, channel)
	}
}

// merge adds o's changes to w, o's winning.
func (w *writes) merge(o *writes) {
	for k, e := range o.kv {
		w.put(k.b, k.k, e)
	}
	for b, n := range o.seqs {
		w.setSeq(b, n)
	}
	for _, b := range o.created {
		if !slices.Contains(w.created, b) {
			w.created = append(w.created, b)
		}
	}
	for _, c := range o.notify {
		w.wake(c)
	}
}

// inBucket returns the changed keys of bucket b in byte order, with their
// entries.
func (w *writes) inBucket(b string) []overlaid {
	var out []overlaid
	for k, e := range w.kv {
		if k.b == b {
			out = append(out, overlaid{key: []byte(k.k), entry: e})
		}
	}
	slices.SortFunc(out, func(x, y overlaid) int { return bytes.Compare(x.key, y.key) })
	return out
}

// overlaid is a changed key a cursor merges with the server's keys.
type overlaid struct {
	key []byte
	entry
}

// queue appends the statements that send w to batch, and returns how many
// it appended: new buckets first (relman_kv refers to them), then
// sequences, keys set, keys deleted and notifications.
func (w *writes) queue(batch *pgx.Batch) int {
	n := 0
	if len(w.created) > 0 {
		names := make([][]byte, len(w.created))
		for i, b := range w.created {
			names[i] = []byte(b)
		}
		batch.Queue(`INSERT INTO relman_buckets (bucket) SELECT unnest($1::bytea[]) ON CONFLICT DO NOTHING`, names)
		n++
	}
	if len(w.seqs) > 0 {
		var names [][]byte
		var seqs []int64
		for b, s := range w.seqs {
			names, seqs = append(names, []byte(b)), append(seqs, int64(s))
		}
		batch.Queue(`UPDATE relman_buckets r SET seq = u.s FROM unnest($1::bytea[], $2::bigint[]) AS u (b, s) WHERE r.bucket = u.b`, names, seqs)
		n++
	}
	var pb, pk, pv, db, dk [][]byte
	for k, e := range w.kv {
		if e.gone {
			db, dk = append(db, []byte(k.b)), append(dk, []byte(k.k))
			continue
		}
		v := e.v
		if v == nil {
			v = []byte{}
		}
		pb, pk, pv = append(pb, []byte(k.b)), append(pk, []byte(k.k)), append(pv, v)
	}
	if len(pk) > 0 {
		batch.Queue(`INSERT INTO relman_kv (bucket, key, value) SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[])
			ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value`, pb, pk, pv)
		n++
	}
	if len(dk) > 0 {
		batch.Queue(`DELETE FROM relman_kv d USING unnest($1::bytea[], $2::bytea[]) AS u (b, k) WHERE d.bucket = u.b AND d.key = u.k`, db, dk)
		n++
	}
	if len(w.notify) > 0 {
		batch.Queue(`SELECT pg_notify(c, '') FROM unnest($1::text[]) AS c`, w.notify)
		n++
	}
	return n
}
