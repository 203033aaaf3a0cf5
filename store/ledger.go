package store

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// Alert ledger keys. Tx.MarkSent records a key the first time an alert is
// queued, in the transaction that queues it; a key names what the alert is
// about (an edge, a release, an external item, a subscription), its kind,
// and the dates involved, so a repeated check sends nothing twice while a
// further change (new dates, a new key) is a new alert. Every key is
// "<kind> <subject> <dates…>" with a fixed number of dates per kind after
// the subject, so two different alerts never share a key even when a
// subject contains spaces (an external item's name).

// Alert kinds, the first word of a ledger key.
const (
	KindSlip      = "slip"      // an edge's provider is due after its needed-by date
	KindRecovery  = "recovery"  // a slipped edge is on track again
	KindOverdue   = "overdue"   // an edge's needed-by date passed, the provider not delivered
	KindCancelled = "cancelled" // an edge's provider was cancelled
	KindUpcoming  = "upcoming"  // a needed-by date is N days away, not yet met
	KindReconfirm = "reconfirm" // an external item was not confirmed for a while
	KindDigest    = "digest"    // a subscription's scheduled digest
	// KindChecklist: a release's checklist item is due in N days, or
	// overdue ("0d" after its due date).
	KindChecklist = "checklist"
)

// ChecklistKey names the reminder about item n of release ref, due on due,
// sent daysBefore days ahead of it (7 and 1), or, for daysBefore 0, that
// it is overdue. A new due date makes new reminders.
func ChecklistKey(ref Ref, n int, due Date, daysBefore int) string {
	return string(appendChecklistKey(nil, ref, n, due, daysBefore))
}

func appendChecklistKey(b []byte, ref Ref, n int, due Date, daysBefore int) []byte {
	b = append(b, KindChecklist...)
	b = append(b, ' ')
	b = append(b, ref.Product...)
	b = append(b, '@')
	b = append(b, ref.Version...)
	b = append(b, '#')
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, ' ')
	b = due.appendISO(b)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(daysBefore), 10)
	return append(b, 'd')
}

// ChecklistSent is Sent(ChecklistKey(ref, n, due, daysBefore)) without
// making the key a string: the sweep asks it of every open item in a
// reminder window or overdue.
func (tx *Tx) ChecklistSent(ref Ref, n int, due Date, daysBefore int) bool {
	return tx.kv.Bucket(bucketLedger).Get(appendChecklistKey(tx.kbuf[:0], ref, n, due, daysBefore)) != nil
}

// SlipKey names the slip alert for dep when its provider is due on
// providerDate, after neededBy (the edge's needed-by date, or the
// consumer's target when the edge sets none).
func SlipKey(dep Dependency, neededBy, providerDate Date) string {
	return ledgerKey(KindSlip, dep.Key(), neededBy.String(), providerDate.String())
}

// RecoveryKey names the alert that dep is on track again after the slip
// SlipKey(dep, neededBy, providerDate) named: one recovery per slip.
func RecoveryKey(dep Dependency, neededBy, providerDate Date) string {
	return ledgerKey(KindRecovery, dep.Key(), neededBy.String(), providerDate.String())
}

// OverdueKey names the alert that dep's needed-by date passed before its
// provider was delivered.
func OverdueKey(dep Dependency, neededBy Date) string {
	return ledgerKey(KindOverdue, dep.Key(), neededBy.String())
}

// CancelledKey names the alert that dep's provider was cancelled at the
// given instant (a reopened and again cancelled provider is a new alert).
func CancelledKey(dep Dependency, cancelledAt time.Time) string {
	return ledgerKey(KindCancelled, dep.Key(), instant(cancelledAt))
}

// UpcomingKey names the nudge sent daysBefore days ahead of dep's needed-by
// date (7 and 1); moving the needed-by date makes new nudges.
func UpcomingKey(dep Dependency, neededBy Date, daysBefore int) string {
	return ledgerKey(KindUpcoming, dep.Key(), neededBy.String(), strconv.Itoa(daysBefore)+"d")
}

// ReconfirmKey names the re-confirm request for the external item named
// name (any spelling: the key uses ExternalKey) last confirmed at
// lastConfirmed; confirming it again makes the next request a new alert.
func ReconfirmKey(name string, lastConfirmed time.Time) string {
	return ledgerKey(KindReconfirm, "ext:"+ExternalKey(name), instant(lastConfirmed))
}

// DigestKey names the digest of the subscription with key subscription
// (Subscription.Key) for the scheduled slot: a digest missed while relman
// was down is sent once, for its latest slot.
func DigestKey(subscription string, slot time.Time) string {
	return ledgerKey(KindDigest, subscription, instant(slot))
}

// DigestSentFrom reports whether the ledger holds a digest of the
// subscription with key subscription (Subscription.Key) for slot or a later
// slot: a slot is due only while it does not, so a wall clock stepped back
// past a slot already sent sends neither that slot again nor an earlier
// one after it. It reads one key: DigestKey's instants sort by time.
func (tx *Tx) DigestSentFrom(subscription string, slot time.Time) bool {
	prefix := []byte(ledgerKey(KindDigest, subscription) + " ")
	k, _ := tx.kv.Bucket(bucketLedger).Cursor().Seek([]byte(DigestKey(subscription, slot)))
	return k != nil && bytes.HasPrefix(k, prefix)
}

func ledgerKey(kind, subject string, dates ...string) string {
	n := len(kind) + 1 + len(subject)
	for _, d := range dates {
		n += 1 + len(d)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(kind)
	b.WriteByte(' ')
	b.WriteString(subject)
	for _, d := range dates {
		b.WriteByte(' ')
		b.WriteString(d)
	}
	return b.String()
}

func instant(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// PruneLedger deletes the ledger entries recorded (MarkSent's transaction
// time) before before, and returns how many it deleted. Entries whose time
// cannot be read are kept. Pruning forgets that an alert was sent: pick
// before so that nothing pruned can fall due again — older than any alert
// the due-check still considers — or it is sent a second time.
func (tx *Tx) PruneLedger(before time.Time) (int, error) {
	return tx.PruneLedgerExcept(before, nil)
}

// PruneLedgerExcept is PruneLedger, keeping the entries whose key keep
// (when not nil) reports true: the alerts whose condition still holds,
// which would fall due again if forgotten.
func (tx *Tx) PruneLedgerExcept(before time.Time, keep func(key string) bool) (int, error) {
	b := tx.kv.Bucket(bucketLedger)
	// A cursor is invalid once its bucket changes: collect, then delete.
	var old [][]byte
	c := b.Cursor()
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		var at time.Time
		if err := at.UnmarshalText(v); err != nil {
			continue
		}
		if at.Before(before) && (keep == nil || !keep(string(k))) {
			old = append(old, append([]byte(nil), k...))
		}
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

// Sent reports whether the alert with the given key is in the ledger,
// without recording it: for checks that only ask what is due (MarkSent
// records, in the transaction that queues the alert).
func (tx *Tx) Sent(key string) bool {
	return tx.kv.Bucket(bucketLedger).Get(tx.key(key)) != nil
}

// QueueOnce enqueues msgs and records key in the ledger, unless key is
// there already; it reports whether it queued them. Call it in the
// transaction that finds the alert due: the alert and its record commit
// together or not at all, so a crash can neither lose an alert nor send
// it twice.
func (tx *Tx) QueueOnce(key string, msgs ...*Message) (bool, error) {
	first, err := tx.MarkSent(key)
	if err != nil || !first {
		return false, err
	}
	for _, m := range msgs {
		if err := tx.Enqueue(m); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Forget removes keys from the alert ledger, so the alerts they name can
// be sent again. Missing keys are not an error.
func (tx *Tx) Forget(keys ...string) error {
	b := tx.kv.Bucket(bucketLedger)
	for _, k := range keys {
		if err := b.Delete(tx.key(k)); err != nil {
			return err
		}
	}
	return nil
}

// LedgerEntries calls fn with every ledger key that starts with prefix, in
// byte order, and the time it was recorded, until fn returns false.
// Entries whose time cannot be read are skipped.
func (tx *Tx) LedgerEntries(prefix string, fn func(key string, at time.Time) bool) {
	c := tx.kv.Bucket(bucketLedger).Cursor()
	p := []byte(prefix)
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		var at time.Time
		if err := at.UnmarshalText(v); err != nil {
			continue
		}
		if !fn(string(k), at) {
			return
		}
	}
}

// edgeKindDates is how many dates follow the subject in the key of each
// kind of alert about an edge.
var edgeKindDates = map[string]int{KindSlip: 2, KindRecovery: 2, KindOverdue: 1, KindCancelled: 1, KindUpcoming: 2}

// RekeyLedger moves the ledger entries about the edge with key old
// (Dependency.Key) to the edge key to, keeping when each was recorded, and
// returns how many it moved: a renamed release's edges keep the alerts
// they were sent, so none is sent again under the new name.
func (tx *Tx) RekeyLedger(old, to string) (int, error) {
	b := tx.kv.Bucket(bucketLedger)
	type move struct {
		from, to, v []byte
	}
	var moves []move
	for kind, n := range edgeKindDates {
		p := []byte(kind + " " + old + " ")
		c := b.Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			rest := string(k[len(p):])
			if strings.Count(rest, " ") != n-1 { // another edge whose key old begins (an external item's name with a space)
				continue
			}
			moves = append(moves, move{append([]byte(nil), k...), []byte(kind + " " + to + " " + rest), append([]byte(nil), v...)})
		}
	}
	for _, m := range moves {
		if err := b.Delete(m.from); err != nil {
			return 0, err
		}
		if err := b.Put(m.to, m.v); err != nil {
			return 0, err
		}
	}
	return len(moves), nil
}
