package store

import (
	"context"
	"encoding/binary"
	"time"
)

// keyConsoleClock is where the console keeps its fake clock (meta
// bucket): how far ahead of the real time it stands, 8 bytes of
// nanoseconds. relman serve never reads it.
var keyConsoleClock = []byte("console clock")

// ConsoleClock returns how far ahead of the real time the console's fake
// clock stood when the console last saved it (SetConsoleClock), or 0.
func (s *Store) ConsoleClock(ctx context.Context) (time.Duration, error) {
	var d time.Duration
	err := s.view(ctx, func(tx KVTx) error {
		if b := tx.Bucket(bucketMeta).Get(keyConsoleClock); len(b) == 8 {
			d = time.Duration(binary.BigEndian.Uint64(b))
		}
		return nil
	})
	return d, err
}

// SetConsoleClock saves how far ahead of the real time the console's
// fake clock stands, so that a console started again on the same
// database carries on from there (ConsoleClock). It changes nothing else.
func (s *Store) SetConsoleClock(ctx context.Context, ahead time.Duration) error {
	return s.update(ctx, func(tx KVTx) error {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(ahead))
		return tx.Bucket(bucketMeta).Put(keyConsoleClock, b[:])
	})
}
