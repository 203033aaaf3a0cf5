package reminders

import (
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
