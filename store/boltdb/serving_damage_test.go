package boltdb_test

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relman/store"
	"relman/store/boltdb"
)

// mustBigStore returns an open store whose file holds n releases (audit
// entries and all), so that its pages run well past half of the file.
func mustBigStore(t *testing.T, n int) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relman.db")
	st, err := boltdb.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		err := st.Update(t.Context(), "U1", at, func(tx *store.Tx) error {
			r := &store.Release{Ref: store.Ref{Product: fmt.Sprintf("p%04d", i), Version: "1.0"},
				Target: mustDate(t, "2027-01-15"), Owner: "U1", Channel: "C1", Status: store.Planned,
				CreatedAt: at, CreatedBy: "U1"}
			return tx.PutRelease("add", r)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return st, path
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// A bbolt file cut short while relman serves it: a read of a page past the
// new end faults, which is an error saying the file is damaged (not a
// crash); every later transaction is refused the same way, and nothing is
// written to the file again.
func TestServingRefusesAFileCutShortUnderIt(t *testing.T) {
	st, path := mustBigStore(t, 1500)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	before := fileHash(t, path)

	err = st.View(t.Context(), func(tx *store.Tx) error {
		_, err := tx.Releases() // every release page, past the end too
		return err
	})
	if store.ErrorCode(err) != store.EDamaged || !strings.Contains(err.Error(), path) {
		t.Fatalf("reading every release of a file cut short = %v; want an EDamaged error naming %s", err, path)
	}
	if got := st.Damaged(); !errors.Is(got, store.ErrDamaged) {
		t.Errorf("Damaged() = %v; want ErrDamaged", got)
	}
	err = st.Update(t.Context(), "U1", time.Now(), func(tx *store.Tx) error {
		return tx.PutRelease("add", &store.Release{Ref: store.Ref{Product: "late", Version: "1"}, Target: mustDate(t, "2027-02-01"),
			Owner: "U1", Status: store.Planned})
	})
	if store.ErrorCode(err) != store.EDamaged {
		t.Errorf("a write after the damage = %v; want EDamaged", err)
	}
	if err := st.Close(); err != nil {
		t.Logf("Close: %v", err)
	}
	if fileHash(t, path) != before {
		t.Errorf("the damaged file changed after the damage was found")
	}
}

// A write that finds the file shorter than the pages in use is refused
// before it writes a byte, even when nothing it read faulted.
func TestServingWritesNothingToAFileCutShort(t *testing.T) {
	st, path := mustBigStore(t, 300)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inUse := pagesInUse(b)
	if inUse > fi.Size() || inUse < fi.Size()/4 {
		t.Fatalf("the meta pages say %d bytes are in use of a %d-byte file", inUse, fi.Size())
	}
	// One byte short: the last page in use is cut, which no read of this
	// write needs.
	if err := os.Truncate(path, inUse-1); err != nil {
		t.Fatal(err)
	}
	before := fileHash(t, path)
	err = st.Update(t.Context(), "U1", time.Now(), func(tx *store.Tx) error {
		return tx.PutRelease("add", &store.Release{Ref: store.Ref{Product: "late", Version: "1"}, Target: mustDate(t, "2027-02-01"),
			Owner: "U1", Status: store.Planned})
	})
	if store.ErrorCode(err) != store.EDamaged || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("a write to a file cut short = %v; want EDamaged saying it was cut short", err)
	}
	if fileHash(t, path) != before {
		t.Errorf("the write changed the file cut short")
	}
}

func mustDate(t *testing.T, s string) store.Date {
	t.Helper()
	d, err := store.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pagesInUse reads the high-water mark of the bbolt file b from the meta
// page of the latest transaction, in bytes: page size times pgid (meta:
// after the 16-byte page header, magic, version, page size and flags, 4
// bytes each, the root bucket, 16, the freelist page, 8, then pgid, then
// txid).
func pagesInUse(b []byte) int64 {
	ps := int64(binary.NativeEndian.Uint32(b[16+8:]))
	best, hwm := uint64(0), int64(0)
	for _, off := range []int64{0, ps} {
		m := b[off+16:]
		pgid, txid := binary.NativeEndian.Uint64(m[40:]), binary.NativeEndian.Uint64(m[48:])
		if txid >= best {
			best, hwm = txid, int64(pgid)*ps
		}
	}
	return hwm
}
