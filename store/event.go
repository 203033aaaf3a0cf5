package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"time"
)

// bucketEvents remembers which Slack events were received, so that a retry
// Slack sends to another replica is dropped there too. It holds two kinds
// of keys: "i"+id → the time received (8 bytes, Unix nanoseconds), and
// "t"+time+id → nothing, the same record ordered by time for pruning.
var bucketEvents = []byte("events")

// pruneEvents bounds how many expired records one FirstDelivery removes, so
// that a call's work stays small however many expired meanwhile.
const pruneEvents = 16

// FirstDelivery records that the event id (Slack's event_id) was received
// at at and reports whether this is its first delivery within ttl: of any
// number of calls with one id, by any processes sharing the database, the
// first one committed gets true and the others false, until ttl after it.
// Each call also forgets a few records older than ttl. On error nothing is
// recorded and the caller cannot tell.
func (s *Store) FirstDelivery(ctx context.Context, id string, at time.Time, ttl time.Duration) (bool, error) {
	first := false
	err := s.update(ctx, func(tx KVTx) error {
		first = false // a retried transaction starts over
		b := tx.Bucket(bucketEvents)
		idKey := append([]byte("i"), id...)
		if v := b.Get(idKey); len(v) == 8 {
			seen := time.Unix(0, int64(binary.BigEndian.Uint64(v)))
			if at.Sub(seen) <= ttl {
				return nil
			}
			if err := b.Delete(eventTimeKey(seen, id)); err != nil {
				return err
			}
		}
		if err := pruneDeliveries(b, at.Add(-ttl)); err != nil {
			return err
		}
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(at.UnixNano()))
		if err := b.Put(idKey, v[:]); err != nil {
			return err
		}
		first = true
		return b.Put(eventTimeKey(at, id), []byte{})
	})
	return first && err == nil, err
}

// eventTimeKey is the key of an event's record in time order.
func eventTimeKey(at time.Time, id string) []byte {
	k := make([]byte, 9, 9+len(id))
	k[0] = 't'
	binary.BigEndian.PutUint64(k[1:], uint64(at.UnixNano()))
	return append(k, id...)
}

// pruneDeliveries removes up to pruneEvents records of events received
// before cutoff.
func pruneDeliveries(b KVBucket, cutoff time.Time) error {
	limit := eventTimeKey(cutoff, "")
	var old [][]byte
	c := b.Cursor()
	for k, _ := c.Seek([]byte("t")); k != nil && k[0] == 't' && bytes.Compare(k, limit) < 0 && len(old) < pruneEvents; k, _ = c.Next() {
		old = append(old, append([]byte(nil), k...))
	}
	for _, k := range old {
		id := k[9:]
		if err := b.Delete(append([]byte("i"), id...)); err != nil {
			return err
		}
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
