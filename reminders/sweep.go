package reminders

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"relman/store"
)

// Sweep runs checks over everything (Everything) and queues what
// they find due that the ledger has not seen: the job the Scheduler runs.
// It asks first in a read transaction; when something is due, every check
// runs again in one write transaction with the queueing, so a sweep that
// fails halfway queues and records nothing, and a repeated or concurrent
// sweep (or a command that queued the same alert) sends nothing twice.
type Sweep struct {
	Store  *store.Store
	Loc    *time.Location // the workspace zone; UTC when nil
	Checks []Check
	// Notify, when set, is called after a sweep queued messages: it wakes
	// the outbox (outbox.Outbox.Notify, in bot/outbox).
	Notify func()
	Log    *slog.Logger
	// Horizon, when not zero, prunes ledger entries recorded more than
	// Horizon before the sweep, at most once a day (LedgerHorizon in
	// production), keeping those whose condition still holds
	// (LiveAlertKeys): an edge still late, overdue or without its
	// cancelled provider is not alerted again however old its alert.
	Horizon time.Duration

	mu       sync.Mutex
	prunedAt time.Time
}

// LedgerHorizon is how long the ledger remembers a sent alert whose
// condition no longer holds: far beyond any alert that can fall due again
// (an upcoming nudge is at most 7 days ahead of its date, a digest's
// latest slot at most a week old, a re-confirm request is keyed by the
// confirmation it follows).
const LedgerHorizon = 180 * 24 * time.Hour

// Checks are the due-checks the sweep runs: every kind of edge alert
// (slips, overdue needed-by dates, cancelled providers, recoveries,
// upcoming needed-by dates), the reminders of checklist items due soon or
// overdue, the re-confirm requests of external items,
// the digests whose time has come, the reminders to vote on change
// requests, and the change requests whose deadline passed undecided.
var Checks = []Check{EdgeAlerts, ChecklistAlerts, Reconfirms, Digests, VoteNags, CRDeadlines}

// Run sweeps as of now and returns how many alerts it queued. It has the
// shape of a Job.
func (s *Sweep) Run(ctx context.Context, now time.Time) (int, error) {
	loc := s.Loc
	if loc == nil {
		loc = time.UTC
	}
	prune := s.Horizon > 0 && s.dueToPrune(now)
	if !prune {
		// Most sweeps find nothing new: ask in a read transaction first,
		// so they never hold the write lock commands wait for.
		due := false
		err := s.Store.View(ctx, func(tx *store.Tx) error {
			g, err := tx.Graph()
			if err != nil {
				return err
			}
			for _, check := range s.Checks {
				alerts, err := check(tx, g, now, loc, Everything())
				if err != nil {
					return err
				}
				if len(alerts) > 0 {
					due = true
					return nil
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("sweep: %w", err)
		}
		if !due {
			return 0, nil
		}
	}
	queued, messages, pruned := 0, 0, 0
	err := s.Store.Update(store.WithVia(ctx, store.ViaScheduler), "relman", now, func(tx *store.Tx) error {
		queued, messages, pruned = 0, 0, 0 // a retried transaction starts over
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		for _, check := range s.Checks {
			alerts, err := check(tx, g, now, loc, Everything())
			if err != nil {
				return err
			}
			for _, a := range alerts {
				n, err := QueueAlert(tx, a)
				if err != nil {
					return err
				}
				if n > 0 {
					queued++
					messages += n
				}
			}
		}
		if prune {
			live := LiveAlertKeys(g, now, loc)
			if pruned, err = tx.PruneLedgerExcept(now.Add(-s.Horizon), func(k string) bool { return live[k] }); err != nil {
				return fmt.Errorf("prune the ledger: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	if prune {
		s.mu.Lock()
		s.prunedAt = now
		s.mu.Unlock()
		if pruned > 0 && s.Log != nil {
			s.Log.Info("sweep pruned the alert ledger", "entries", pruned, "before", now.Add(-s.Horizon))
		}
	}
	if queued > 0 {
		if s.Log != nil {
			s.Log.Info("sweep queued alerts", "alerts", queued, "messages", messages, "at", now)
		}
		if s.Notify != nil {
			s.Notify()
		}
	}
	return queued, nil
}

// dueToPrune reports whether a day has passed since the last pruning.
func (s *Sweep) dueToPrune(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prunedAt.IsZero() || now.Sub(s.prunedAt) >= 24*time.Hour
}

// Job returns Run as a Job for a Scheduler.
func (s *Sweep) Job() Job {
	return func(ctx context.Context, now time.Time) error {
		_, err := s.Run(ctx, now)
		return err
	}
}
