package outbox

import (
	"context"
	"fmt"
	"time"

	"relman/reminders"
	"relman/store"
)

// hold keeps a quiet DM for its recipient's working hours: when now is
// outside them it records the next working time as the message's NotBefore
// and reports true. It is asked at every attempt, so a retry that falls
// after hours waits too.
func (o *Outbox) hold(ctx context.Context, m *store.Message, now time.Time) (bool, error) {
	if !m.DM || !m.Quiet {
		return false, nil
	}
	loc := o.zone(ctx, m.Channel)
	at := reminders.NextWorkingTime(now, loc)
	if !at.After(now) {
		return false, nil
	}
	m.NotBefore = at
	if err := o.store().Update(context.WithoutCancel(ctx), "relman", now, func(tx *store.Tx) error {
		return tx.PutMessage(m)
	}); err != nil {
		return false, fmt.Errorf("hold message %d: %w", m.ID, err)
	}
	o.log().Info("outbox DM held for working hours", "message", m.ID, "user", m.Channel, "until", at, "zone", loc.String())
	if o.Held != nil {
		o.Held(m, loc)
	}
	return true, nil
}

// zone is user's time zone, else the workspace's.
func (o *Outbox) zone(ctx context.Context, user string) *time.Location {
	if o.Zones != nil {
		loc, err := o.Zones.Location(ctx, user)
		if err == nil && loc != nil {
			return loc
		}
		o.log().Warn("time zone lookup failed; using the workspace zone", "user", user, "err", err)
	}
	if o.Loc == nil {
		return time.UTC
	}
	return o.Loc
}
