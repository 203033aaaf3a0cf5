package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotLeader is what a fenced write (Store.Fenced) fails with, wrapped,
// when its process no longer holds the leader lease at the epoch it was
// fenced with: another replica leads now, and this one must step down.
var ErrNotLeader = errors.New("this replica no longer holds the leader lease")

// Leaser is a KV shared by several processes that elects one of them
// leader with a lease in the database: the leader alone runs the outbox
// worker and the reminders sweep. It is optional: a KV without it (bbolt,
// whose file lock admits one process) has one process, always the leader.
//
// Every time is judged on the database's clock, never the caller's. The
// lease has an epoch that grows by one at every acquisition and never goes
// back, so a write fenced with an epoch can tell an old term from the
// current one.
type Leaser interface {
	// Acquire takes the lease for holder for ttl when it is free (never
	// taken, expired or released), bumping its epoch, and returns the new
	// epoch and true. While another holder's lease is valid it returns
	// false and changes nothing.
	Acquire(ctx context.Context, holder string, ttl time.Duration) (epoch uint64, ok bool, err error)
	// Renew extends holder's lease at epoch to ttl from now. It changes
	// only a lease that holder still holds at epoch, and returns false
	// when it does not (another holder took it): it never takes the lease
	// back.
	Renew(ctx context.Context, holder string, epoch uint64, ttl time.Duration) (bool, error)
	// Release ends holder's lease at epoch at once, so another process can
	// take it without waiting for it to expire. A lease holder no longer
	// holds is left alone. A Leaser that is also a Waker wakes TopicLease,
	// so followers need not wait for their next try.
	Release(ctx context.Context, holder string, epoch uint64) error
	// CheckLease, run inside tx, a read-write transaction of this KV,
	// returns an error wrapping ErrNotLeader unless holder holds the lease
	// at epoch, and keeps the lease from changing hands until tx ends, so
	// what tx writes is written by the leader.
	CheckLease(tx KVTx, holder string, epoch uint64) error
	// Holds reports whether holder holds the lease at epoch and it has not
	// run out, as of the database's now. It locks nothing: a worker asks
	// before an action it cannot take back (a post to Slack), which a
	// fenced write cannot undo.
	Holds(ctx context.Context, holder string, epoch uint64) (bool, error)
}

// LeaseClock is a Leaser that can say how long the current holder's lease
// has left, on the database's clock, so a follower can try to take it the
// moment it runs out instead of at its next try: after a leader dies its
// successor leads within the lease's time of the last renewal.
type LeaseClock interface {
	// LeaseLeft returns how long the lease stays valid unless renewed; 0
	// when it is free (never taken, expired or released).
	LeaseLeft(ctx context.Context) (time.Duration, error)
}

// Leaser returns the KV's Leaser, or nil when the KV has one process only
// (bbolt), which is then always the leader.
func (s *Store) Leaser() Leaser {
	l, _ := s.kv.(Leaser)
	return l
}

// Fenced returns a Store on the same data (sharing its caches) whose every
// read-write transaction first checks that holder still holds the leader
// lease at epoch (Leaser.CheckLease), and otherwise fails with an error
// wrapping ErrNotLeader and changes nothing. Reads are not fenced. Without
// a Leaser it returns s: the only process is the leader.
func (s *Store) Fenced(holder string, epoch uint64) *Store {
	l := s.Leaser()
	if l == nil {
		return s
	}
	f := *s
	f.fence = func(tx KVTx) error { return l.CheckLease(tx, holder, epoch) }
	f.holds = func(ctx context.Context) error {
		ok, err := l.Holds(ctx, holder, epoch)
		switch {
		case err != nil:
			return err
		case !ok:
			return fmt.Errorf("%w (held as %s at epoch %d): it ran out or another replica took it", ErrNotLeader, holder, epoch)
		}
		return nil
	}
	return &f
}

// CheckLeader returns nil unless s is fenced (Fenced) and its holder no
// longer holds the lease at its epoch, or the lease ran out: then an error
// wrapping ErrNotLeader, or the database's error. The outbox asks before
// each post, so a leader that lost the lease without noticing yet does not
// post what the new leader will.
func (s *Store) CheckLeader(ctx context.Context) error {
	if s.holds == nil {
		return nil
	}
	return s.holds(ctx)
}
