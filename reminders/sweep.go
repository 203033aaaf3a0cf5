package reminders

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"relman/commands"
	"relman/store"
)

// Alert is one piece of news that is due: its messages are queued once,
// under Key (a store ledger key such as store.ReconfirmKey), in the
// transaction that finds them due.
type Alert struct {
	Key      string
	Messages []store.Message
}

// Check answers "what is due as of now?" over a transaction; loc is the
// workspace zone, in which dates are read. It only reads: Sweep queues.
type Check func(tx *store.Tx, now time.Time, loc *time.Location) ([]Alert, error)

// Sweep runs checks and queues what they find due that the ledger has not
// seen: the job the Scheduler runs. Every check runs in one transaction
// with the queueing, so a sweep that fails halfway queues and records
// nothing, and a repeated or concurrent sweep (or a command that queued the
// same alert) sends nothing twice.
type Sweep struct {
	Store  *store.Store
	Loc    *time.Location // the workspace zone; UTC when nil
	Checks []Check
	// Notify, when set, is called after a sweep queued messages: it wakes
	// the outbox (bot.Outbox.Notify).
	Notify func()
	Log    *slog.Logger
}

// Run sweeps as of now and returns how many alerts it queued. It has the
// shape of a Job.
func (s *Sweep) Run(ctx context.Context, now time.Time) (int, error) {
	loc := s.Loc
	if loc == nil {
		loc = time.UTC
	}
	queued := 0
	err := s.Store.Update(ctx, "relman", now, func(tx *store.Tx) error {
		queued = 0 // a retried transaction starts over
		for _, check := range s.Checks {
			alerts, err := check(tx, now, loc)
			if err != nil {
				return err
			}
			for _, a := range alerts {
				msgs := make([]*store.Message, len(a.Messages))
				for i := range a.Messages {
					msgs[i] = &a.Messages[i]
				}
				first, err := tx.QueueOnce(a.Key, msgs...)
				if err != nil {
					return fmt.Errorf("queue %s: %w", a.Key, err)
				}
				if first {
					queued++
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	if queued > 0 {
		if s.Log != nil {
			s.Log.Info("sweep queued alerts", "alerts", queued, "at", now)
		}
		if s.Notify != nil {
			s.Notify()
		}
	}
	return queued, nil
}

// Job returns Run as a Job for a Scheduler.
func (s *Sweep) Job() Job {
	return func(ctx context.Context, now time.Time) error {
		_, err := s.Run(ctx, now)
		return err
	}
}

// ReconfirmAfter is how long an external item's date may go unconfirmed
// before its owner is asked whether it still holds.
const ReconfirmAfter = 14 * 24 * time.Hour

// Reconfirms is the Check for external items whose owner has not confirmed
// their date for ReconfirmAfter while a planned release still waits for
// them (due today or later, at least one planned consumer): one DM to the
// owner per confirmation (store.ReconfirmKey), held for their working
// hours, with "Still on <date>" and "New date…" buttons.
func Reconfirms(tx *store.Tx, now time.Time, loc *time.Location) ([]Alert, error) {
	today := store.DateOf(now, loc)
	xs, err := tx.Externals()
	if err != nil {
		return nil, err
	}
	stale := map[string]*store.External{}
	for i := range xs {
		x := &xs[i]
		if x.Owner == "" || x.Due.Before(today) || now.Sub(x.LastConfirmed) < ReconfirmAfter {
			continue
		}
		if tx.Sent(store.ReconfirmKey(x.Name, x.LastConfirmed)) {
			continue
		}
		stale[store.ExternalKey(x.Name)] = x
	}
	if len(stale) == 0 {
		return nil, nil
	}
	deps, err := tx.Dependencies()
	if err != nil {
		return nil, err
	}
	type wait struct {
		refs     []store.Ref
		neededBy store.Date
	}
	waits := map[string]*wait{}
	for _, d := range deps {
		if stale[d.External] == nil {
			continue
		}
		r, err := tx.Release(d.Consumer)
		if err != nil || r.Status != store.Planned {
			continue // a consumer that is gone, shipped or cancelled waits for nothing
		}
		need := d.NeededBy
		if need.IsZero() {
			need = r.Target
		}
		w := waits[d.External]
		if w == nil {
			w = &wait{neededBy: need}
			waits[d.External] = w
		}
		w.refs = append(w.refs, d.Consumer)
		if need.Before(w.neededBy) {
			w.neededBy = need
		}
	}
	var alerts []Alert
	for _, x := range xs {
		w := waits[store.ExternalKey(x.Name)]
		if stale[store.ExternalKey(x.Name)] == nil || w == nil {
			continue
		}
		doc := commands.ReconfirmRequest(x, w.refs, w.neededBy, now, loc)
		alerts = append(alerts, Alert{
			Key:      store.ReconfirmKey(x.Name, x.LastConfirmed),
			Messages: []store.Message{{Channel: x.Owner, DM: true, Quiet: true, Doc: doc}},
		})
	}
	return alerts, nil
}
