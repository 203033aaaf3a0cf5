package reminders

import (
	"slices"
	"time"

	"relman/store"
)

// NextDigest returns the first scheduled slot of sub strictly after after,
// in UTC. Slots are wall-clock times in the subscriber's zone
// (sub.Location), so a daylight-saving change moves them in UTC: a 09:00
// digest stays at 09:00 on the subscriber's clock. A time the clocks skip
// (02:30 on the night they spring forward) falls where time.Date puts it,
// an hour later; a time they repeat is one slot, not two.
func NextDigest(sub store.Subscription, after time.Time) time.Time {
	loc := sub.Location()
	y, m, d := after.In(loc).Date()
	// Today's slot may still be ahead; a weekly one is at most 7 days on.
	for i := 0; i <= 8; i++ {
		slot := time.Date(y, m, d+i, sub.Hour, sub.Minute, 0, 0, loc)
		if slot.After(after) && onDay(sub, slot) {
			return slot.UTC()
		}
	}
	panic("reminders: no digest slot within 8 days") // unreachable for a valid Subscription
}

// LastDigest returns the latest scheduled slot of sub at or before now, in
// UTC. The due-check sends that slot's digest once (store.DigestKey) when
// it is not before the subscription was made: a digest missed while relman
// was down goes out once, late, not once per missed slot.
func LastDigest(sub store.Subscription, now time.Time) time.Time {
	loc := sub.Location()
	y, m, d := now.In(loc).Date()
	for i := 0; i <= 8; i++ {
		slot := time.Date(y, m, d-i, sub.Hour, sub.Minute, 0, 0, loc)
		if !slot.After(now) && onDay(sub, slot) {
			return slot.UTC()
		}
	}
	panic("reminders: no digest slot within 8 days") // unreachable for a valid Subscription
}

func onDay(sub store.Subscription, slot time.Time) bool {
	return sub.Cadence != store.Weekly || slot.Weekday() == sub.Weekday
}

// DueDigest is a subscription whose digest is due, and the slot it is for.
type DueDigest struct {
	Subscription store.Subscription
	Slot         time.Time
}

// Key is the digest's ledger key (store.DigestKey): mark it in the
// transaction that queues the digest.
func (d DueDigest) Key() string { return store.DigestKey(d.Subscription.Key(), d.Slot) }

// DueDigests returns, in slot order, the subscriptions whose latest slot
// at or before now came after they were made and is not in the ledger.
// Only the latest slot counts: a digest missed while relman was down goes
// out once, late, not once per missed slot; and a subscription made (or
// changed) after today's slot waits for the next one.
func DueDigests(tx *store.Tx, now time.Time) ([]DueDigest, error) {
	subs, err := tx.Subscriptions()
	if err != nil {
		return nil, err
	}
	var due []DueDigest
	for _, s := range subs {
		slot := LastDigest(s, now)
		d := DueDigest{Subscription: s, Slot: slot}
		if slot.Before(s.CreatedAt) || tx.Sent(d.Key()) {
			continue
		}
		due = append(due, d)
	}
	slices.SortStableFunc(due, func(a, b DueDigest) int { return a.Slot.Compare(b.Slot) })
	return due, nil
}
