package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"relman/store"
	"relman/store/storetest"
)

// BenchmarkNews100k reads the news (Tx.News) over an audit log of 100,000
// moves, all within the window asked for: the worst a digest meets, when
// a whole day of changes (or more) came since the last one. Each entry's
// head is read; none is decoded, since none is news.
func BenchmarkNews100k(b *testing.B) {
	st := MustOpen(b, filepath.Join(b.TempDir(), "relman.db"))
	storetest.FillAudit(b, st, 100_000, t0)
	b.ResetTimer()
	for b.Loop() {
		MustView(b, st, func(tx *store.Tx) error {
			ns, err := tx.News(t0, t0.Add(24*time.Hour))
			if err == nil && len(ns) != 0 {
				b.Fatalf("News = %d pieces; want none", len(ns))
			}
			return err
		})
	}
}
