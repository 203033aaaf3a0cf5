package boltdb_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relman/store/boltdb"
)

// mustStoreFile returns the path of a new bbolt file holding an empty
// relman store.
func mustStoreFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relman.db")
	s, err := boltdb.Open(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpenRefusesDamage(t *testing.T) {
	for _, tc := range []struct {
		name         string
		damage       func(b []byte) []byte
		wantFault    string
		wantMetaOnly bool
	}{
		{"Truncated", func(b []byte) []byte { return b[:len(b)/2] }, "the file was cut short", false},
		{"MetaPageOne", func(b []byte) []byte {
			ps := binary.NativeEndian.Uint32(b[16+8:])
			b[int(ps)+16+48] ^= 1 // meta page 1's txid
			return b
		}, "meta page 1: its checksum does not match", true},
		{"Garbage", func(b []byte) []byte { return bytes.Repeat([]byte("garbage!"), len(b)/8) }, "both meta pages are damaged", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := mustStoreFile(t)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b = tc.damage(b)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := boltdb.Open(path, boltdb.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open of a damaged file = nil error")
			}
			var de *boltdb.DamageError
			if !errors.As(err, &de) || de.Path != path || de.MetaOnly != tc.wantMetaOnly || !strings.Contains(err.Error(), tc.wantFault) {
				t.Errorf("Open = %v (%#v); want a DamageError for %s saying %q, MetaOnly %v", err, de, path, tc.wantFault, tc.wantMetaOnly)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
				t.Errorf("Open changed the damaged file")
			}
			r, err := boltdb.Check(t.Context(), path, boltdb.Options{})
			if err != nil || len(r.Faults) == 0 || !strings.Contains(r.Faults[0], tc.wantFault) {
				t.Errorf("Check = %v, faults %q; want the first saying %q", err, r.Faults, tc.wantFault)
			}
		})
	}
}

func TestCheckFindsNoFaultInAStore(t *testing.T) {
	path := mustStoreFile(t)
	r, err := boltdb.Check(t.Context(), path, boltdb.Options{})
	if err != nil || len(r.Faults) > 0 {
		t.Fatalf("Check = %v, faults %q; want none", err, r.Faults)
	}
	if r.Schema == 0 || len(r.Buckets) == 0 || r.PageSize == 0 || r.Pages < 4 {
		t.Errorf("Check = %+v; want the schema, buckets and layout of the file", r)
	}
}
