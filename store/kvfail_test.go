package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	"relman/store"
	"relman/store/boltdb"
)

// errLost is a database connection that went away mid-transaction.
var errLost = errors.New("connection lost")

// lossyKV is a KV whose reads, while lost is set, find nothing and record
// errLost, as a database server's client does when its connection drops.
type lossyKV struct {
	store.KV
	lost *atomic.Bool
}

type lossyTx struct {
	store.KVTx
	lost   bool
	failed bool
}

type lossyBucket struct {
	store.KVBucket
	tx *lossyTx
}

type emptyCursor struct{}

func (k lossyKV) Begin(ctx context.Context, writable bool) (store.KVTx, error) {
	t, err := k.KV.Begin(ctx, writable)
	if err != nil {
		return nil, err
	}
	return &lossyTx{KVTx: t, lost: k.lost.Load()}, nil
}

func (t *lossyTx) Bucket(name []byte) store.KVBucket {
	b := t.KVTx.Bucket(name)
	if b == nil {
		return nil
	}
	return lossyBucket{b, t}
}

func (t *lossyTx) Err() error {
	if t.failed {
		return errLost
	}
	return nil
}

func (b lossyBucket) Get(k []byte) []byte {
	if b.tx.lost {
		b.tx.failed = true
		return nil
	}
	return b.KVBucket.Get(k)
}

func (b lossyBucket) Cursor() store.KVCursor {
	if b.tx.lost {
		b.tx.failed = true
		return emptyCursor{}
	}
	return b.KVBucket.Cursor()
}

func (emptyCursor) Seek([]byte) ([]byte, []byte) { return nil, nil }
func (emptyCursor) Next() ([]byte, []byte)       { return nil, nil }
func (emptyCursor) Last() ([]byte, []byte)       { return nil, nil }
func (emptyCursor) Prev() ([]byte, []byte)       { return nil, nil }

// A read that failed is an error, never a missing record, and a graph read
// through a failure is never kept for later readers.
func TestFailedReadsAreErrorsNotMissingRecords(t *testing.T) {
	kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lost := new(atomic.Bool)
	s, err := store.New(context.Background(), lossyKV{kv, lost}, "lossy")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r := MustRelease(t, "payments@2.3.0", "2027-01-15")
	MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error { return tx.PutRelease("release.add", &r) })

	lost.Store(true)
	err = s.View(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Release(r.Ref)
		return err
	})
	if !errors.Is(err, errLost) || store.ErrorCode(err) == store.ENotFound {
		t.Errorf("View(Release) on a lost connection = %v; want errLost, not not-found", err)
	}
	err = s.View(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Graph()
		return err
	})
	if !errors.Is(err, errLost) {
		t.Errorf("View(Graph) on a lost connection = %v; want errLost", err)
	}
	err = s.Update(context.Background(), "UALICE", t0, func(tx *store.Tx) error {
		if _, err := tx.Release(r.Ref); store.ErrorCode(err) != store.ENotFound {
			return err
		}
		return tx.PutRelease("release.add", &r) // what a command does when it finds nothing
	})
	if !errors.Is(err, errLost) {
		t.Errorf("Update on a lost connection = %v; want errLost and nothing written", err)
	}

	lost.Store(false)
	MustView(t, s, func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		if g.Release(r.Ref) == nil {
			t.Errorf("after the connection came back, the graph lacks %s: a graph read through the failure was kept", r.Ref)
		}
		return nil
	})
}
