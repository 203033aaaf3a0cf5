package outbox

import (
	"context"
	"fmt"
	"time"

	"relman/store"
)

// compose sets m's words from its notice as of now (Render), in the zone
// of whoever reads it, and reports whether it is still to be delivered: not
// when it no longer holds, nor when it is what its reader was last told
// of its subject (store.Tx.Told).
// The words it composed go into the store with m only if m is marked
// Sending; every attempt composes them again.
func (o *Outbox) compose(ctx context.Context, m *store.Message) (bool, error) {
	workspace := o.workspace()
	reader := workspace
	if m.DM {
		reader = o.zone(ctx, m.Channel)
	}
	now := o.Clock.Now()
	var doc store.Doc
	keep := false
	err := o.store().View(ctx, func(tx *store.Tx) error {
		if tx.Told(m.Channel, m.Notice) {
			return nil // the last they heard of it: nothing new to say
		}
		var err error
		doc, keep, err = o.Render(tx, m, now, reader, workspace)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("compose notice %s: %w", m.Notice.Key, err)
	}
	if keep {
		m.Doc = doc
	}
	return keep, nil
}

// dropNotice removes m, whose notice no longer holds at its delivery (the
// slip recovered, the vote closed), or was the last its reader was told of
// its subject: told now, it would be false, or nothing new.
func (o *Outbox) dropNotice(ctx context.Context, m *store.Message) (outcome, error) {
	if err := o.store().Update(context.WithoutCancel(ctx), "relman", o.Clock.Now(), func(tx *store.Tx) error {
		return tx.DeleteMessage(m.ID)
	}); err != nil {
		return outcome{}, fmt.Errorf("drop notice %d: %w", m.ID, err)
	}
	o.log().Info("outbox notice dropped: what it reported no longer holds",
		"message", m.ID, "channel", m.Channel, "kind", m.Notice.Kind, "key", m.Notice.Key)
	o.metrics().OutboxNoticesDropped("untrue", 1)
	if o.Dropped != nil {
		o.Dropped(m)
	}
	return outcome{dropped: true}, nil
}

// collapseNotices deletes every queued notice that a later queued notice
// about the same subject (store.Notice.Subject) for the same reader
// (Channel) supersedes, and returns the queue without them: the newer is
// composed from the state at its delivery, so it says the latest, and
// the reader hears once. Channels under delivery (busy) are left alone, as
// are messages that may be in Slack already (Sending).
func (o *Outbox) collapseNotices(ctx context.Context, queue []store.Message, busy map[string]bool) ([]store.Message, error) {
	if o.Render == nil {
		return queue, nil
	}
	type audience struct{ channel, subject string }
	collapsible := func(m *store.Message) bool {
		return m.Notice != nil && m.Notice.Subject != "" && !m.Parked && !m.Sending && !busy[m.Channel]
	}
	newest := map[audience]uint64{}
	for i := range queue {
		if m := &queue[i]; collapsible(m) {
			a := audience{m.Channel, m.Notice.Subject}
			newest[a] = max(newest[a], m.ID)
		}
	}
	var stale []uint64
	kept := queue[:0:0]
	for i := range queue {
		m := &queue[i]
		if collapsible(m) && m.ID != newest[audience{m.Channel, m.Notice.Subject}] {
			stale = append(stale, m.ID)
			continue
		}
		kept = append(kept, *m)
	}
	if len(stale) == 0 {
		return queue, nil
	}
	if err := o.store().Update(context.WithoutCancel(ctx), "relman", o.Clock.Now(), func(tx *store.Tx) error {
		for _, id := range stale {
			if err := tx.DeleteMessage(id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("drop superseded notices: %w", err)
	}
	o.log().Debug("outbox notices superseded by newer ones", "dropped", len(stale))
	o.metrics().OutboxNoticesDropped("superseded", len(stale))
	return kept, nil
}

// workspace is the workspace zone (Loc), UTC when unset.
func (o *Outbox) workspace() *time.Location {
	if o.Loc == nil {
		return time.UTC
	}
	return o.Loc
}
