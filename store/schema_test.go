package store_test

import (
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"relman/store"
	"relman/store/boltdb"
)

func TestCheckSchema(t *testing.T) {
	withBuckets := func(version uint32, names ...string) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucket([]byte("meta"))
			if err != nil {
				return err
			}
			for _, n := range names {
				if _, err := tx.CreateBucket([]byte(n)); err != nil {
					return err
				}
			}
			return meta.Put([]byte("schema"), schemaBytes(version))
		}
	}
	for _, tc := range []struct {
		name    string
		fill    func(tx *bolt.Tx) error
		want    int
		wantErr string
	}{
		{"NewDatabase", func(*bolt.Tx) error { return nil }, 0, ""},
		{"NewerSchemaIsLeftToNew", withBuckets(store.SchemaVersion + 1), store.SchemaVersion + 1, ""},
		{"MissingBuckets", withBuckets(2, "products", "releases", "externals", "dependencies", "audit", "outbox"), 2,
			`the data has schema version 2 but lacks its buckets "posted" (schema 2), "ledger" (schema 2)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "relman.db")
			MustBoltFile(t, path, tc.fill)
			kv, err := boltdb.OpenKV(path, boltdb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer kv.Close()
			got, err := store.CheckSchema(t.Context(), kv)
			if got != tc.want {
				t.Errorf("CheckSchema = %d; want %d", got, tc.want)
			}
			if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("CheckSchema = %v; want an error saying %q", err, tc.wantErr)
			}
		})
	}
	t.Run("FreshStore", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "relman.db")
		s, err := boltdb.Open(path, boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		kv, err := boltdb.OpenKV(path, boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer kv.Close()
		if v, err := store.CheckSchema(t.Context(), kv); v != store.SchemaVersion || err != nil {
			t.Errorf("CheckSchema of a new store = %d, %v; want %d, nil", v, err, store.SchemaVersion)
		}
	})
}
