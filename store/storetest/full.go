package storetest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"

	"relman/store"
)

// FullKV is a KV on a disk that fills up: while Full is set, every
// read-write transaction's Commit fails as bbolt's does when the disk has
// no room for the pages it writes, with an *os.PathError wrapping
// syscall.ENOSPC, and keeps nothing. Reads, and writes before Commit,
// work as usual (bbolt writes only when it commits). Like FailingKV it
// passes through only KV's methods.
type FullKV struct {
	store.KV
	// Full says whether commits fail for want of room.
	Full atomic.Bool
	// Path names the file in the errors (default "relman.db").
	Path string
}

// Begin begins a transaction of the wrapped KV; a read-write one's Commit
// fails while Full is set.
func (k *FullKV) Begin(ctx context.Context, writable bool) (store.KVTx, error) {
	t, err := k.KV.Begin(ctx, writable)
	if err != nil || !writable {
		return t, err
	}
	return &fullTx{KVTx: t, kv: k}, nil
}

type fullTx struct {
	store.KVTx
	kv *FullKV
}

// Commit rolls back and fails with ENOSPC while the disk is full.
func (t *fullTx) Commit() error {
	if !t.kv.Full.Load() {
		return t.KVTx.Commit()
	}
	t.KVTx.Rollback()
	path := t.kv.Path
	if path == "" {
		path = "relman.db"
	}
	return fmt.Errorf("commit: %w", &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC})
}
