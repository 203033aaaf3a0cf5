package store

import "runtime/debug"

// KVDamage is implemented by a KV whose reads go straight to a file that
// can be damaged under a running relman (bbolt maps its file into memory:
// a file truncated or overwritten makes a read fault, or bbolt panic on a
// page it cannot make sense of). The Store asks it about every panic out
// of a transaction, so that damage is an error (EDamaged) rather than a
// crash, and then refuses every later transaction.
type KVDamage interface {
	// Recover returns, for p, a panic recovered from a transaction of the
	// KV, an error wrapping ErrDamaged when p came from reading damaged
	// data, and marks the KV damaged (every later Begin fails with that
	// error); it returns nil for any other panic, which is re-raised.
	Recover(p any) error
	// Damaged returns the error of a KV found damaged, or nil.
	Damaged() error
}

// Damaged returns why the database's file was found damaged while
// serving (an error wrapping ErrDamaged), or nil: relman then writes
// nothing more to it (/readyz says so).
func (s *Store) Damaged() error {
	if d, ok := s.kv.(KVDamage); ok {
		return d.Damaged()
	}
	return nil
}

// faults turns a fault reading mapped memory into a panic for the calling
// goroutine (debug.SetPanicOnFault), for the transaction it is about to
// run; the deferred damaged puts the setting back.
func faults() bool { return debug.SetPanicOnFault(true) }

// damaged, deferred by every transaction, restores the goroutine's fault
// setting (old, from faults) and turns a panic that the KV says came from
// damaged data into the transaction's error (*errp). Any other panic
// goes on.
func (s *Store) damaged(errp *error, old bool) {
	debug.SetPanicOnFault(old)
	p := recover()
	if p == nil {
		return
	}
	if d, ok := s.kv.(KVDamage); ok {
		if err := d.Recover(p); err != nil {
			*errp = err
			return
		}
	}
	panic(p)
}
