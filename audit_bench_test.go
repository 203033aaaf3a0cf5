package main

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
	"relman/store/storetest"
)

var auditEpoch = time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC)

// mustAuditFile writes a bbolt file holding 100,000 audit entries
// (storetest.FillAudit) and returns its path.
func mustAuditFile(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "relman.db")
	st, err := boltdb.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	storetest.FillAudit(b, st, 100_000, auditEpoch)
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchExport runs relman audit against where (relman not running), to
// io.Discard, in each format.
func benchExport(b *testing.B, where string) {
	for _, format := range []string{"jsonl", "csv"} {
		b.Run(format, func(b *testing.B) {
			a := auditArgs{db: where, format: format}
			for b.Loop() {
				if err := runAudit(context.Background(), config{}, a, io.Discard, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuditExport100k exports 100,000 audit entries from a bbolt
// file and, with RELMAN_TEST_PG, from PostgreSQL (a copy of the file).
func BenchmarkAuditExport100k(b *testing.B) {
	path := mustAuditFile(b)
	b.Run("bbolt", func(b *testing.B) { benchExport(b, path) })
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.MustDatabase(b)
		src, err := boltdb.OpenReadOnly(path, boltdb.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer src.Close()
		dst, err := postgres.OpenKV(context.Background(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.Copy(context.Background(), dst, src, dsn); err != nil {
			b.Fatal(err)
		}
		dst.Close()
		benchExport(b, dsn)
	})
}
