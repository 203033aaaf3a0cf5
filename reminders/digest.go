package reminders

import (
	"fmt"
	"slices"
	"time"

	"relman/commands"
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

// onDay reports whether sub has a digest on slot's day in its zone.
func onDay(sub store.Subscription, slot time.Time) bool {
	return sub.OnDay(slot.In(sub.Location()).Weekday())
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
// at or before now came after they were made and neither it nor a later
// slot is in the ledger. Only the latest slot counts: a digest missed while
// relman was down (or while the wall clock stepped forward over it) goes
// out once, late, not once per missed slot; a subscription made (or
// changed) after today's slot waits for the next one; and a wall clock
// stepped back over a slot sends nothing, not even an earlier slot that
// was skipped.
func DueDigests(tx *store.Tx, now time.Time) ([]DueDigest, error) {
	subs, err := tx.Subscriptions()
	if err != nil {
		return nil, err
	}
	var due []DueDigest
	for _, s := range subs {
		slot := LastDigest(s, now)
		d := DueDigest{Subscription: s, Slot: slot}
		if slot.Before(s.CreatedAt) || tx.DigestSentFrom(s.Key(), slot) {
			continue
		}
		due = append(due, d)
	}
	slices.SortStableFunc(due, func(a, b DueDigest) int { return a.Slot.Compare(b.Slot) })
	return due, nil
}

// digestLookback bounds how many earlier slots Digests looks through for
// the last digest sent: a month of daily digests.
const digestLookback = 31

// Digests is the Check for scheduled digests (SPEC §5): for every
// subscription whose slot has come (DueDigests), one message under the
// slot's ledger key (DueDigest.Key) to the subscription's channel, or to
// the user by DM, composed by commands.Digest for its products. What
// shipped since the last digest sent (or, for a subscription's first, since
// the slot before) is news. A DM digest is not held for working hours: the
// subscriber chose its time. loc is the workspace zone, in which dates are
// read. A digest that lists releases at risk carries the timeline picture
// of its products (render.Digester.Timeline). Digests are the sweep's (scope.All) alone: a command's check for
// what it touched never sends one. It only reads: Sweep queues.
func Digests(tx *store.Tx, _ *store.Graph, now time.Time, loc *time.Location, scope Scope) ([]Alert, error) {
	if !scope.All {
		return nil, nil
	}
	due, err := DueDigests(tx, now)
	if err != nil {
		return nil, err
	}
	if len(due) == 0 {
		return nil, nil
	}
	since := make([]time.Time, len(due))
	earliest := now
	for i, d := range due {
		since[i] = lastSent(tx, d.Subscription, d.Slot)
		if since[i].Before(earliest) {
			earliest = since[i]
		}
	}
	dg, err := commands.LoadDigester(tx, earliest, now, loc)
	if err != nil {
		return nil, fmt.Errorf("digests: %w", err)
	}
	freezes, err := tx.Freezes()
	if err != nil {
		return nil, fmt.Errorf("digests: %w", err)
	}
	alerts := make([]Alert, 0, len(due))
	for i, d := range due {
		sub := d.Subscription
		doc := dg.Digest(&sub, since[i])
		// A digest that lists releases at risk carries their timeline
		// picture; the digest's text stands alone if it cannot be posted.
		alerts = append(alerts, Alert{
			Key:      d.Key(),
			Messages: []store.Message{{Channel: sub.Channel, DM: sub.DM, Doc: doc, Picture: dg.Timeline(&sub, freezes)}},
		})
	}
	return alerts, nil
}

// lastSent returns when the last digest of sub before slot was composed:
// the instant the ledger recorded it for the latest slot before slot it
// holds, looking back at most digestLookback slots (its slot if the
// instant cannot be read); the slot just before when it finds none (a
// first digest, or one after a long silence). What a digest composed late
// already told (a sweep that ran after its slot) is not told again.
func lastSent(tx *store.Tx, sub store.Subscription, slot time.Time) time.Time {
	prev := LastDigest(sub, slot.Add(-time.Second))
	for s, i := prev, 0; i < digestLookback && !s.Before(sub.CreatedAt); i++ {
		if at, ok := tx.SentAt(store.DigestKey(sub.Key(), s)); ok {
			if at.IsZero() {
				return s
			}
			return at
		}
		s = LastDigest(sub, s.Add(-time.Second))
	}
	return prev
}
