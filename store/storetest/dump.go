package storetest

import (
	"context"
	"testing"

	"relman/store"
)

// Bucket is everything one bucket holds: its keys and values (as strings,
// so a diff of two dumps reads well) and its sequence.
type Bucket struct {
	Sequence uint64
	Pairs    map[string]string
}

// Dump reads every bucket of kv in one read-only transaction, by name, or
// fails tb. The transactions of kv must implement store.KVLister and their
// buckets store.KVSequencer, as both backends' do. Comparing the dumps
// taken before and after something shows whatever it changed, down to a
// sequence number it used.
func Dump(tb testing.TB, kv store.KV) map[string]Bucket {
	tb.Helper()
	t, err := kv.Begin(context.Background(), false)
	if err != nil {
		tb.Fatalf("Begin(false) = %v", err)
	}
	defer t.Rollback()
	l, ok := t.(store.KVLister)
	if !ok {
		tb.Fatalf("%T cannot list its buckets", t)
	}
	names, err := l.Buckets()
	if err != nil {
		tb.Fatalf("Buckets() = %v", err)
	}
	out := make(map[string]Bucket, len(names))
	for _, name := range names {
		b := t.Bucket(name)
		if b == nil {
			tb.Fatalf("Bucket(%q) = nil; it is listed", name)
		}
		s, ok := b.(store.KVSequencer)
		if !ok {
			tb.Fatalf("bucket %q (%T) cannot read its sequence", name, b)
		}
		d := Bucket{Pairs: map[string]string{}}
		if d.Sequence, err = s.Sequence(); err != nil {
			tb.Fatalf("Sequence() of %q = %v", name, err)
		}
		c := b.Cursor()
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			d.Pairs[string(k)] = string(v)
		}
		out[string(name)] = d
	}
	if f, ok := t.(store.KVFailer); ok {
		if err := f.Err(); err != nil {
			tb.Fatalf("dump: %v", err)
		}
	}
	return out
}
