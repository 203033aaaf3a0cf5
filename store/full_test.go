package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"relman/store"
	"relman/store/boltdb"
	"relman/store/storetest"
)

// A write that finds the disk full fails with EFull and keeps nothing;
// Full says so until a write succeeds again, and FullWrites counts it.
func TestFullDisk(t *testing.T) {
	kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	full := &storetest.FullKV{KV: kv}
	s, err := store.New(context.Background(), full, "full")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r := MustRelease(t, "payments@2.3.0", "2027-01-15")
	add := func() error {
		return s.Update(context.Background(), "UALICE", t0, func(tx *store.Tx) error { return tx.PutRelease("release.add", &r) })
	}
	if s.Full() != nil || s.FullWrites() != 0 {
		t.Fatalf("a new store: Full() = %v, FullWrites() = %d; want nil, 0", s.Full(), s.FullWrites())
	}

	full.Full.Store(true)
	err = add()
	if store.ErrorCode(err) != store.EFull || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Update on a full disk = %v (code %q); want EFull wrapping ENOSPC", err, store.ErrorCode(err))
	}
	if msg := store.ErrorMessage(err); !strings.Contains(msg, "storage is full") || !strings.Contains(msg, "nothing was changed") {
		t.Errorf("ErrorMessage = %q; want it to say the storage is full and nothing was changed", msg)
	}
	if s.Full() == nil || s.FullWrites() != 1 {
		t.Errorf("after a full write: Full() = %v, FullWrites() = %d; want an error, 1", s.Full(), s.FullWrites())
	}
	if err := s.CheckWrite(context.Background(), t0); store.ErrorCode(err) != store.EFull {
		t.Errorf("CheckWrite on a full disk = %v; want EFull", err)
	}
	// A failure of another kind says nothing about room: Full stays.
	bad := s.Update(context.Background(), "UALICE", t0, func(tx *store.Tx) error { return store.Errorf(store.EInvalid, "no") })
	if store.ErrorCode(bad) != store.EInvalid || s.Full() == nil || s.FullWrites() != 2 {
		t.Errorf("after an invalid command: err %v, Full() = %v, FullWrites() = %d; want EInvalid, still full, 2", bad, s.Full(), s.FullWrites())
	}
	MustView(t, s, func(tx *store.Tx) error {
		if _, err := tx.Release(r.Ref); store.ErrorCode(err) != store.ENotFound {
			t.Errorf("Release(%s) after the failed add = %v; want not found", r.Ref, err)
		}
		return nil
	})

	full.Full.Store(false)
	if err := s.CheckWrite(context.Background(), t0); err != nil {
		t.Fatalf("CheckWrite with room again = %v", err)
	}
	if s.Full() != nil {
		t.Errorf("after a successful write Full() = %v; want nil", s.Full())
	}
	if err := add(); err != nil {
		t.Errorf("Update with room again = %v", err)
	}
	if s.FullWrites() != 2 {
		t.Errorf("FullWrites() = %d; want 2 (it counts, it never goes down)", s.FullWrites())
	}
}

// bbolt formats the errors of growing its file with %s: the text still
// says the disk is full.
func TestFullDiskFromText(t *testing.T) {
	kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.New(context.Background(), kv, "full")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT} {
		grow := fmt.Errorf("file resize error: %s", errno)
		err := s.Update(context.Background(), "UALICE", t0, func(*store.Tx) error { return grow })
		if store.ErrorCode(err) != store.EFull {
			t.Errorf("Update failing with %q = %v (code %q); want EFull", grow, err, store.ErrorCode(err))
		}
	}
}
