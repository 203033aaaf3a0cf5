package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// batcher adapts a test of store.Batcher; it is skipped for a backend that
// does not offer Batch.
func batcher(fn func(t *testing.T, kv store.KV, b store.Batcher)) func(t *testing.T, kv store.KV) {
	return func(t *testing.T, kv store.KV) {
		b, ok := kv.(store.Batcher)
		if !ok {
			t.Skip("the backend has no Batch")
		}
		fn(t, kv, b)
	}
}

// batchWriters runs n concurrent Batch calls; call i puts key k<i> and then
// returns fail(i). It returns each call's error.
func batchWriters(b store.Batcher, n int, fail func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = b.Batch(context.Background(), func(tx store.KVTx) error {
				bk := tx.Bucket(bucket)
				if bk == nil {
					return errors.New("no bucket")
				}
				if err := bk.Put(fmt.Appendf(nil, "k%03d", i), []byte("v")); err != nil {
					return err
				}
				return fail(i)
			})
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// batchKeys returns the keys in bucket.
func batchKeys(t *testing.T, kv store.KV) []string {
	t.Helper()
	var out []string
	view(t, kv, func(tx store.KVTx) {
		for _, kv := range contents(t, tx, bucket) {
			out = append(out, kv[0])
		}
	})
	return out
}

func testBatchAllLand(t *testing.T, kv store.KV, b store.Batcher) {
	withBucket(t, kv)
	const n = 200
	for i, err := range batchWriters(b, n, func(int) error { return nil }) {
		if err != nil {
			t.Errorf("Batch call %d = %v; want nil", i, err)
		}
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("k%03d", i))
	}
	if diff := cmp.Diff(want, batchKeys(t, kv)); diff != "" {
		t.Errorf("keys after %d concurrent Batch calls returned (-want +got):\n%s", n, diff)
	}
}

func testBatchFailsAlone(t *testing.T, kv store.KV, b store.Batcher) {
	withBucket(t, kv)
	const n = 50
	boom := errors.New("boom")
	failing := func(i int) bool { return i%7 == 3 }
	errs := batchWriters(b, n, func(i int) error {
		if failing(i) {
			return boom
		}
		return nil
	})
	var want []string
	for i, err := range errs {
		if failing(i) {
			if !errors.Is(err, boom) {
				t.Errorf("failing Batch call %d = %v; want its own error", i, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Batch call %d = %v; want nil (another call's failure must not fail it)", i, err)
		}
		want = append(want, fmt.Sprintf("k%03d", i))
	}
	if diff := cmp.Diff(want, batchKeys(t, kv)); diff != "" {
		t.Errorf("keys (-want +got): the failing calls' keys must be absent, every other present:\n%s", diff)
	}
}

func testBatchOperationError(t *testing.T, kv store.KV, b store.Batcher) {
	want := prepare(t, kv)
	err := b.Batch(context.Background(), func(tx store.KVTx) error {
		bk := tx.Bucket(bucket)
		if err := bk.Put([]byte("a"), []byte("changed")); err != nil {
			return err
		}
		_ = bk.Put(nil, []byte("v")) // fails; fn ignores it
		return nil
	})
	if err == nil {
		t.Error("Batch after an operation failed = nil; want an error")
	}
	unchanged(t, kv, want, "a Batch whose operation failed")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := b.Batch(ctx, func(store.KVTx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Batch(cancelled) = %v, ran fn %t; want context.Canceled without running fn", err, ran)
	}
}
