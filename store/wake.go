package store

import "context"

// Waker is a KV shared by several processes that can wake the others when
// a transaction commits (PostgreSQL's LISTEN/NOTIFY): a replica that
// queues outbox messages wakes the leader's worker at once instead of at
// its next poll. It is optional; with one process (bbolt) the process's
// own Notify reaches its worker.
type Waker interface {
	// Wake, called inside tx, a read-write transaction of this KV, wakes
	// every process watching topic when tx commits, and no one if it
	// rolls back.
	Wake(tx KVTx, topic string) error
	// Watch calls fn each time a committed transaction of any process
	// woke topic, until ctx ends (then it returns nil) or its connection
	// fails (then it returns the error; wake-ups meanwhile are lost, so
	// the caller should look for work itself before watching again).
	Watch(ctx context.Context, topic string, fn func()) error
}

// The topics: transactions that queued outbox messages; a released
// leader lease (a Leaser wakes it, so followers take over at once).
const (
	topicOutbox = "outbox"
	TopicLease  = "lease"
)

// WatchOutbox calls fn whenever a transaction of any process sharing the
// database queued outbox messages (Tx.Enqueue), until ctx ends, as
// Waker.Watch does. Without a Waker it returns nil at once.
func (s *Store) WatchOutbox(ctx context.Context, fn func()) error {
	w, ok := s.kv.(Waker)
	if !ok {
		return nil
	}
	return w.Watch(ctx, topicOutbox, fn)
}

// WatchLease calls fn whenever the leader lease is released, as
// WatchOutbox does.
func (s *Store) WatchLease(ctx context.Context, fn func()) error {
	w, ok := s.kv.(Waker)
	if !ok {
		return nil
	}
	return w.Watch(ctx, TopicLease, fn)
}

// CanWake reports whether the KV wakes other processes (Waker).
func (s *Store) CanWake() bool {
	_, ok := s.kv.(Waker)
	return ok
}

// wake, at the end of a read-write transaction's work, wakes the other
// processes' outbox workers if tx queued messages.
func (s *Store) wake(tx *Tx) error {
	if !tx.enqueued {
		return nil
	}
	w, ok := s.kv.(Waker)
	if !ok {
		return nil
	}
	return w.Wake(tx.kv, topicOutbox)
}
