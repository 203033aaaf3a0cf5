package boltdb_test

import (
	"path/filepath"
	"testing"

	"relman/store"
	"relman/store/boltdb"
	"relman/store/storetest"
)

func TestKV(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.KV {
		kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "kv.db"), boltdb.Options{})
		if err != nil {
			t.Fatalf("OpenKV() = %v", err)
		}
		return kv
	})
}
