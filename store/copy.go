package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
)

// BucketCopy says what Copy copied of one bucket: its name, how many keys
// it holds, its sequence (the last number NextSequence handed out) and a
// SHA-256 of its keys and values in order.
type BucketCopy struct {
	Name     string
	Keys     int
	Sequence uint64
	Sum      [sha256.Size]byte
}

// Copy copies every bucket of src (its keys, values and sequence) into
// dst, which must hold no data, in one read-only transaction of src and one
// read-write transaction of dst: the copy is whole or nothing. It then
// reads dst back in a new transaction and checks that every bucket has the
// same number of keys, the same checksum and the same sequence as src, and
// that dst has no other bucket. A src without buckets is refused. It returns what it copied, by bucket in
// byte order. dstName names dst in the error that refuses a dst holding
// data (naming its first non-empty bucket). Both KVs' transactions must
// implement KVLister and their buckets KVSequencer, as both backends' do.
// The data is copied as it is, whatever its schema version: New migrates it
// when dst is opened as a Store.
func Copy(ctx context.Context, dst, src KV, dstName string) ([]BucketCopy, error) {
	st, err := src.Begin(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("read the source: %w", err)
	}
	defer st.Rollback()
	dt, err := dst.Begin(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("write the target: %w", err)
	}
	defer dt.Rollback()
	// Checked under the target's write lock, so a relman starting on the
	// target meanwhile cannot slip its data in between.
	if err := checkEmpty(dt, dstName); err != nil {
		return nil, err
	}
	copied, err := copyBuckets(dt, st)
	if kerr := kvErr(st); kerr != nil {
		return nil, fmt.Errorf("read the source: %w", kerr)
	}
	if kerr := kvErr(dt); kerr != nil {
		return nil, fmt.Errorf("write the target: %w", kerr)
	}
	if err != nil {
		return nil, err
	}
	if err := dt.Commit(); err != nil {
		return nil, fmt.Errorf("write the target: %w", err)
	}
	st.Rollback()
	got, err := Summarize(ctx, dst)
	if err != nil {
		return nil, fmt.Errorf("check the copy: %w", err)
	}
	if err := compare(copied, got); err != nil {
		return nil, fmt.Errorf("check the copy: %w", err)
	}
	return copied, nil
}

// checkEmpty returns an error naming the first bucket t sees that holds a
// key or has a sequence, if there is one.
func checkEmpty(t KVTx, name string) error {
	sum, err := summarize(t)
	if err == nil {
		err = kvErr(t)
	}
	if err != nil {
		return fmt.Errorf("look at the target %s: %w", name, err)
	}
	for _, b := range sum {
		if b.Keys > 0 || b.Sequence > 0 {
			return fmt.Errorf("the target %s is not empty: its bucket %q holds %d keys (sequence %d); copy only into an empty database (a new bbolt file, or a PostgreSQL database relman has not used)", name, b.Name, b.Keys, b.Sequence)
		}
	}
	return nil
}

// copyBuckets copies every bucket of src into dst and returns what it
// copied, summed as it was read.
func copyBuckets(dst, src KVTx) ([]BucketCopy, error) {
	names, err := bucketNames(src)
	if err != nil {
		return nil, fmt.Errorf("read the source: %w", err)
	}
	if len(names) == 0 {
		// Most likely the arguments were swapped: copying nothing would
		// only make an empty target look like a copy.
		return nil, errors.New("the source holds no data (it has no buckets): is it the database relman ran on?")
	}
	var copied []BucketCopy
	for _, name := range names {
		sb := src.Bucket(name)
		if sb == nil {
			return nil, fmt.Errorf("read the source: bucket %q is listed but missing", name)
		}
		if err := dst.CreateBucketIfNotExists(name); err != nil {
			return nil, fmt.Errorf("create bucket %q: %w", name, err)
		}
		db := dst.Bucket(name)
		if db == nil {
			return nil, fmt.Errorf("create bucket %q: it is missing after creation", name)
		}
		bc := BucketCopy{Name: string(name)}
		h := sha256.New()
		load := newLoader(db)
		c := sb.Cursor()
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			if err := load.put(k, v); err != nil {
				return nil, fmt.Errorf("copy bucket %q: %w", name, err)
			}
			bc.Keys++
			sumPair(h, k, v)
		}
		if err := load.flush(); err != nil {
			return nil, fmt.Errorf("copy bucket %q: %w", name, err)
		}
		h.Sum(bc.Sum[:0])
		if bc.Sequence, err = sequence(sb); err != nil {
			return nil, fmt.Errorf("read the sequence of bucket %q: %w", name, err)
		}
		seq, ok := db.(KVSequencer)
		if !ok {
			return nil, errors.New("the target cannot set a bucket's sequence")
		}
		if err := seq.SetSequence(bc.Sequence); err != nil {
			return nil, fmt.Errorf("set the sequence of bucket %q: %w", name, err)
		}
		copied = append(copied, bc)
	}
	return copied, nil
}

// loadBatch is how many keys a loader hands a KVLoader at once.
const loadBatch = 1000

// loader puts keys into a bucket, many at a time when the bucket is a
// KVLoader. It copies keys and values: the target keeps them until its
// transaction ends, and the source's are valid only as long as its
// cursor's page.
type loader struct {
	b            KVBucket
	many         KVLoader
	keys, values [][]byte
}

func newLoader(b KVBucket) *loader {
	l := &loader{b: b}
	l.many, _ = b.(KVLoader)
	return l
}

func (l *loader) put(k, v []byte) error {
	k, v = append([]byte(nil), k...), append([]byte(nil), v...)
	if l.many == nil {
		if err := l.b.Put(k, v); err != nil {
			return fmt.Errorf("put %q: %w", k, err)
		}
		return nil
	}
	l.keys, l.values = append(l.keys, k), append(l.values, v)
	if len(l.keys) == loadBatch {
		return l.flush()
	}
	return nil
}

func (l *loader) flush() error {
	if len(l.keys) == 0 {
		return nil
	}
	err := l.many.PutMany(l.keys, l.values)
	l.keys, l.values = nil, nil
	return err
}

// Summarize counts the keys of every bucket of kv and sums them as Copy
// does, in one read-only transaction.
func Summarize(ctx context.Context, kv KV) ([]BucketCopy, error) {
	t, err := kv.Begin(ctx, false)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	sum, err := summarize(t)
	if kerr := kvErr(t); kerr != nil {
		return nil, kerr
	}
	return sum, err
}

func summarize(t KVTx) ([]BucketCopy, error) {
	names, err := bucketNames(t)
	if err != nil {
		return nil, err
	}
	var sum []BucketCopy
	for _, name := range names {
		b := t.Bucket(name)
		if b == nil {
			return nil, fmt.Errorf("bucket %q is listed but missing", name)
		}
		bc := BucketCopy{Name: string(name)}
		h := sha256.New()
		c := b.Cursor()
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			bc.Keys++
			sumPair(h, k, v)
		}
		h.Sum(bc.Sum[:0])
		if bc.Sequence, err = sequence(b); err != nil {
			return nil, fmt.Errorf("bucket %q: %w", name, err)
		}
		sum = append(sum, bc)
	}
	return sum, nil
}

// compare returns an error describing the first difference between what
// was copied and what the target holds.
func compare(want, got []BucketCopy) error {
	have := make(map[string]BucketCopy, len(got))
	for _, b := range got {
		have[b.Name] = b
	}
	for _, w := range want {
		g, ok := have[w.Name]
		switch {
		case !ok:
			return fmt.Errorf("bucket %q is missing from the target", w.Name)
		case g.Keys != w.Keys:
			return fmt.Errorf("bucket %q: the target has %d keys; the source %d", w.Name, g.Keys, w.Keys)
		case g.Sum != w.Sum:
			return fmt.Errorf("bucket %q: the target's keys or values differ from the source's (checksum %x, source %x)", w.Name, g.Sum[:6], w.Sum[:6])
		case g.Sequence != w.Sequence:
			return fmt.Errorf("bucket %q: the target's sequence is %d; the source's %d", w.Name, g.Sequence, w.Sequence)
		}
		delete(have, w.Name)
	}
	for name := range have {
		return fmt.Errorf("the target has bucket %q, which the source does not", name)
	}
	return nil
}

func bucketNames(t KVTx) ([][]byte, error) {
	l, ok := t.(KVLister)
	if !ok {
		return nil, errors.New("the database cannot list its buckets")
	}
	return l.Buckets()
}

func sequence(b KVBucket) (uint64, error) {
	s, ok := b.(KVSequencer)
	if !ok {
		return 0, errors.New("the database cannot read a bucket's sequence")
	}
	return s.Sequence()
}

// sumPair adds a key and its value to h, each prefixed by its length so
// that no two different buckets sum alike.
func sumPair(h hash.Hash, k, v []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(k)))
	h.Write(n[:])
	h.Write(k)
	binary.BigEndian.PutUint64(n[:], uint64(len(v)))
	h.Write(n[:])
	h.Write(v)
}
