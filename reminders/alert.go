package reminders

import (
	"fmt"
	"time"

	"relman/store"
)

// The ledger's vocabulary (Alert, Scope, Check, QueueAlert) lives here
// rather than in store: store keeps the ledger's mechanics (QueueOnce,
// Sent, Forget), while which news is due, and within what part of the
// graph, is this package's question. Commands reach it only through
// commands.AlertCheck.

// Alert is one piece of news that is due: its messages are queued once,
// under Key (a store ledger key such as store.SlipKey), in the transaction
// that finds them due.
type Alert struct {
	Key      string
	Messages []store.Message
	// Forget lists ledger keys this alert ends, removed when it is queued:
	// a recovery ends the slip it recovers from, so the same slip later is
	// news again; a slip ends an earlier recovery from the same dates.
	Forget []string
	// Apply, when set, makes the change the alert stands for (a CR decided
	// at its deadline) in the transaction that queues the alert, the first
	// time only, and returns how many messages it queued itself.
	Apply func(tx *store.Tx) (int, error)
}

// Scope is the part of the graph a due-check looks at: everything (the
// sweep), or the releases and external items a command touched, whose
// dependencies and dependents are the edges whose state it can change.
type Scope struct {
	All       bool
	Releases  []store.Ref // their own dependencies and their dependents
	Externals []string    // external item names: their dependents
}

// Everything is the sweep's scope.
func Everything() Scope { return Scope{All: true} }

// Check answers "what is due as of now?" over a transaction and its graph,
// within scope; loc is the workspace zone, in which dates are read. It
// only reads: its caller queues (QueueAlert), in the same transaction.
type Check func(tx *store.Tx, g *store.Graph, now time.Time, loc *time.Location, scope Scope) ([]Alert, error)

// QueueAlert enqueues a's messages and records a.Key in the ledger, unless
// the ledger has it already, then runs a.Apply; it returns how many
// messages it queued.
func QueueAlert(tx *store.Tx, a Alert) (int, error) {
	msgs := make([]*store.Message, len(a.Messages))
	for i := range a.Messages {
		msgs[i] = &a.Messages[i]
	}
	first, err := tx.QueueOnce(a.Key, msgs...)
	if err != nil {
		return 0, fmt.Errorf("queue %s: %w", a.Key, err)
	}
	if !first {
		return 0, nil
	}
	if err := tx.Forget(a.Forget...); err != nil {
		return 0, err
	}
	n := len(msgs)
	if a.Apply != nil {
		m, err := a.Apply(tx)
		if err != nil {
			return 0, fmt.Errorf("apply %s: %w", a.Key, err)
		}
		n += m
	}
	return n, nil
}
