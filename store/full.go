package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// fullness remembers whether the database's storage was full at the last
// write that ended, shared by a Store and its fenced copies (Fenced).
type fullness struct {
	err  atomic.Pointer[fullWrite] // the last write that found the storage full, else nil
	runs atomic.Uint64
	// begun numbers read-write transactions as they begin, so that only a
	// write begun after the one that found the storage full clears it: one
	// already committing when the disk filled says nothing of room now.
	begun atomic.Uint64
}

// fullWrite is a write that failed for a full storage: its error, and its
// number (fullness.begun).
type fullWrite struct {
	err error
	n   uint64
}

// beginWrite numbers a read-write transaction about to begin (wrote).
func (s *Store) beginWrite() uint64 { return s.full.begun.Add(1) }

// diskFull marks err as ErrFull when its chain holds the operating
// system's "no space left on device" (ENOSPC) or "disk quota exceeded"
// (EDQUOT). bbolt returns its write and fdatasync errors unwrapped, so
// errors.Is finds them; it formats the errors of growing the file with
// %s, so their text is matched too.
func diskFull(err error) error {
	if err == nil || errors.Is(err, ErrFull) {
		return err
	}
	full := errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
	if !full {
		msg := err.Error()
		full = strings.Contains(msg, syscall.ENOSPC.Error()) || strings.Contains(msg, syscall.EDQUOT.Error())
	}
	if !full {
		return err
	}
	return fmt.Errorf("%w (%w)", err, ErrFull)
}

// wrote classifies the outcome of read-write transaction n (beginWrite)
// (diskFull), records whether it found the storage full (a success of a
// write begun after the last that found it full clears it; other failures
// leave it as it was), and returns it.
func (s *Store) wrote(n uint64, err error) error {
	err = diskFull(err)
	full := ErrorCode(err) == EFull
	if err != nil && !full {
		return err
	}
	if full {
		s.full.err.Store(&fullWrite{err: err, n: n})
		s.full.runs.Add(1)
	} else if last := s.full.err.Load(); last != nil && n > last.n {
		s.full.err.CompareAndSwap(last, nil)
	}
	return err
}

// Full returns the error of the last write that failed because the
// database's storage is full (ErrorCode EFull), or nil: before any such
// failure, and again once a write has succeeded after it.
func (s *Store) Full() error {
	if p := s.full.err.Load(); p != nil {
		return p.err
	}
	return nil
}

// FullWrites returns how many read-write transactions of this Store (and
// its fenced copies) failed because the storage was full.
func (s *Store) FullWrites() uint64 { return s.full.runs.Load() }

// keyWriteCheck is where CheckWrite writes (meta bucket): the time of the
// last check, 8 bytes of Unix nanoseconds.
var keyWriteCheck = []byte("write check")

// CheckWrite commits one small write (the time at, under a key of its own
// in the meta bucket) to learn whether the database takes writes again
// after its storage was full, when no command has written since; its
// outcome counts as any write's for Full. It returns the write's error.
func (s *Store) CheckWrite(ctx context.Context, at time.Time) error {
	return s.update(ctx, func(tx KVTx) error {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(at.UnixNano()))
		return tx.Bucket(bucketMeta).Put(keyWriteCheck, b[:])
	})
}
