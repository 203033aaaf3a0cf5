package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
	"relman/store/boltdb"
)

// batchReleases has n goroutines each add release p<i>@1.0 with s.Batch at
// the same moment; call i fails after its write when fail(i). It returns
// each call's error.
func batchReleases(tb testing.TB, s *store.Store, n int, fail func(i int) error) []error {
	tb.Helper()
	rels := make([]store.Release, n)
	for i := range n {
		rels[i] = MustRelease(tb, fmt.Sprintf("p%03d@1.0", i), "2027-03-01")
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Batch(context.Background(), "U1", t0, func(tx *store.Tx) error {
				r := rels[i] // a copy per run: fn may run more than once
				if err := tx.PutRelease("add", &r); err != nil {
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

// releaseNames returns the refs of the releases in s's Graph.
func releaseNames(tb testing.TB, s *store.Store) []string {
	tb.Helper()
	var names []string
	MustView(tb, s, func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		for _, r := range g.Releases() {
			names = append(names, r.Ref.String())
		}
		return nil
	})
	slices.Sort(names)
	return names
}

// plainKV hides a KV's Batch, as a backend without one would.
type plainKV struct{ store.KV }

func TestStoreBatch(t *testing.T) {
	t.Run("ConcurrentCallsAllLandOnDisk", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "relman.db")
		s := MustOpen(t, path)
		releaseNames(t, s) // cache the empty Graph, which the batch must not leave behind
		const n = 100
		for i, err := range batchReleases(t, s, n, func(int) error { return nil }) {
			if err != nil {
				t.Fatalf("Batch call %d = %v", i, err)
			}
		}
		var want []string
		for i := range n {
			want = append(want, fmt.Sprintf("p%03d@1.0", i))
		}
		if diff := cmp.Diff(want, releaseNames(t, s)); diff != "" {
			t.Errorf("releases seen by the same Store (-want +got):\n%s", diff)
		}
		if gen, err := s.Generation(context.Background()); err != nil || gen != n {
			t.Errorf("Generation() = %d, %v; want %d (one per change)", gen, err, n)
		}
		MustClose(t, s)
		if diff := cmp.Diff(want, releaseNames(t, MustOpen(t, path))); diff != "" {
			t.Errorf("releases after reopening (-want +got):\n%s", diff)
		}
	})

	t.Run("FailingCallFailsAlone", func(t *testing.T) {
		t.Parallel()
		s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
		boom := errors.New("boom")
		const n = 40
		errs := batchReleases(t, s, n, func(i int) error {
			if i%5 == 2 {
				return boom
			}
			return nil
		})
		var want []string
		for i, err := range errs {
			if i%5 == 2 {
				if !errors.Is(err, boom) {
					t.Errorf("failing call %d = %v; want its own error", i, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("call %d = %v; want nil", i, err)
			}
			want = append(want, fmt.Sprintf("p%03d@1.0", i))
		}
		if diff := cmp.Diff(want, releaseNames(t, s)); diff != "" {
			t.Errorf("releases (-want +got): only the failing calls' are missing\n%s", diff)
		}
	})

	t.Run("WithoutBatcherIsUpdate", func(t *testing.T) {
		t.Parallel()
		kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.New(context.Background(), plainKV{kv}, "plain")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		boom := errors.New("boom")
		errs := batchReleases(t, s, 10, func(i int) error {
			if i == 4 {
				return boom
			}
			return nil
		})
		for i, err := range errs {
			if want := i == 4; errors.Is(err, boom) != want || (err != nil) != want {
				t.Errorf("call %d = %v; want failure %t", i, err, want)
			}
		}
		if got := len(releaseNames(t, s)); got != 9 {
			t.Errorf("releases = %d; want 9", got)
		}
	})
}
