// Package boltdb keeps a store.Store in a bbolt file. It is the only
// importer of go.etcd.io/bbolt: the adapters here give bbolt's DB, Tx,
// Bucket and Cursor the shape of store.KV and its companions, and add
// nothing to them.
package boltdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"relman/store"
)

// Open opens (creating if needed) the bbolt file at path as a Store,
// migrates an older schema, and refuses a file written by a newer relman.
// If another process holds the file, Open fails after opts.LockTimeout
// with an error naming the file.
func Open(path string, opts store.Options) (*store.Store, error) {
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, NoSync: opts.NoSync})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: the file is in use by another relman process (waited %s for its lock)", path, opts.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s, err := store.New(context.Background(), db{bdb}, path)
	if err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// The adapters are structs of one pointer, so storing one in an interface
// value does not allocate.
type (
	db     struct{ *bolt.DB }
	tx     struct{ *bolt.Tx }
	bucket struct{ *bolt.Bucket }
	cursor struct{ *bolt.Cursor }
)

var (
	_ store.KV       = db{}
	_ store.KVTx     = tx{}
	_ store.KVBucket = bucket{}
	_ store.KVCursor = cursor{}
)

func (d db) Begin(ctx context.Context, writable bool) (store.KVTx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t, err := d.DB.Begin(writable)
	if err != nil {
		return nil, err
	}
	return tx{t}, nil
}

func (t tx) Bucket(name []byte) store.KVBucket {
	b := t.Tx.Bucket(name)
	if b == nil {
		return nil // not a non-nil interface holding a nil *bolt.Bucket
	}
	return bucket{b}
}

func (t tx) CreateBucketIfNotExists(name []byte) error {
	_, err := t.Tx.CreateBucketIfNotExists(name)
	return err
}

func (b bucket) Cursor() store.KVCursor { return cursor{b.Bucket.Cursor()} }
