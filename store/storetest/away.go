package storetest

import (
	"context"
	"fmt"
	"sync/atomic"

	"relman/store"
)

// AwayKV is a KV whose database is away while Down is set: Begin fails
// with an error wrapping store.ErrUnavailable, as store/postgres's does
// when the server cannot be reached or has cut its connections.
// Transactions begun before Down was set go on. Only KV's methods are
// passed through: the backend's optional interfaces (store.Batcher,
// store.KVReader) are hidden.
type AwayKV struct {
	store.KV
	Down *atomic.Bool
}

// Begin fails while k.Down is set, and begins a transaction of the
// wrapped KV otherwise.
func (k AwayKV) Begin(ctx context.Context, writable bool) (store.KVTx, error) {
	if k.Down.Load() {
		return nil, fmt.Errorf("begin: connection refused (%w)", store.ErrUnavailable)
	}
	return k.KV.Begin(ctx, writable)
}
