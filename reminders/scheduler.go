package reminders

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"relman/store"
)

// Job is what a Scheduler runs: it asks the store what is due as of now and
// acts on it. ctx ends when the scheduler is stopping; a job should stop at a
// transaction boundary then, so that it records everything it sent.
type Job func(ctx context.Context, now time.Time) error

// Scheduler runs a Job on a cron schedule in the workspace time zone, and
// once at start: robfig/cron does not catch up on runs missed while relman
// was down, so the first run does. A run that panics is recovered and
// logged; a run due while the previous one is still going is skipped
// (counted and logged), never queued behind it.
//
// It reads the time only from its Clock and waits only through After, so
// tests drive it with a store.FakeClock and a channel they fire, or call
// Trigger directly, and never sleep.
type Scheduler struct {
	schedule cron.Schedule
	loc      *time.Location
	clock    store.Clock
	job      Job
	log      *slog.Logger

	// After returns a channel that delivers once d has passed; time.After
	// when nil. Tests replace it before Run.
	After func(d time.Duration) <-chan time.Time

	mu      sync.Mutex
	running bool
	wg      sync.WaitGroup

	runs, skips, panics, failures atomic.Uint64
}

// NewScheduler returns a Scheduler that runs job on spec (a cron spec as
// ParseSchedule accepts, RELMAN_SWEEP) evaluated in loc. It fails with
// ParseSchedule's message when spec is not a schedule. A nil log discards.
func NewScheduler(spec string, loc *time.Location, clock store.Clock, job Job, log *slog.Logger) (*Scheduler, error) {
	sched, err := ParseSchedule(spec)
	if err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{schedule: sched, loc: loc, clock: clock, job: job, log: log}, nil
}

// Next returns the first scheduled run strictly after t, in UTC.
func (s *Scheduler) Next(t time.Time) time.Time {
	return s.schedule.Next(t.In(s.loc)).UTC()
}

// Run triggers the job at once, then at every scheduled time, until ctx
// ends. It returns ctx's error after the running job, if any, has finished.
//
// Slots are read on the wall clock, which NTP may step. Run remembers the
// latest slot it ran (the start counts as one), so a clock stepped back
// runs no slot up to it again: Run waits for the clock to pass it, and a
// timer that fires before its slot on the stepped clock waits on. A clock
// stepped forward over several slots gets one run, as of the time the
// timer fires, and the job catches up as it does after downtime.
func (s *Scheduler) Run(ctx context.Context) error {
	after := s.After
	if after == nil {
		after = time.After
	}
	last := s.clock.Now()
	s.Trigger(ctx, last)
	for {
		now := s.clock.Now()
		slot := s.Next(later(now, last))
		select {
		case <-ctx.Done():
			s.Wait()
			return ctx.Err()
		case <-after(slot.Sub(now)):
			if now := s.clock.Now(); !now.Before(slot) {
				last = slot
				s.Trigger(ctx, now)
			}
		}
	}
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// Trigger starts a run of the job at now in its own goroutine and reports
// whether it did: while the previous run is still going it skips this one,
// counts it and logs it. Wait waits for the run to end.
func (s *Scheduler) Trigger(ctx context.Context, now time.Time) bool {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		n := s.skips.Add(1)
		s.log.Warn("sweep skipped: the previous run is still going", "at", now, "skipped", n)
		return false
	}
	s.running = true
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			s.running = false
			s.mu.Unlock()
		}()
		s.run(ctx, now)
	}()
	return true
}

// run calls the job once; a panic costs this run, not the process.
func (s *Scheduler) run(ctx context.Context, now time.Time) {
	s.runs.Add(1)
	defer func() {
		if p := recover(); p != nil {
			s.panics.Add(1)
			s.log.Error("sweep panicked", "at", now, "err", fmt.Errorf("panic: %v", p), "stack", string(debug.Stack()))
		}
	}()
	if err := s.job(ctx, now); err != nil {
		s.failures.Add(1)
		s.log.Error("sweep failed", "at", now, "err", err)
	}
}

// Wait blocks until no run is going.
func (s *Scheduler) Wait() { s.wg.Wait() }

// Stats counts the runs started, the runs skipped because the previous one
// was still going, and the runs that panicked or returned an error.
type Stats struct {
	Runs, Skips, Panics, Failures uint64
}

// Stats returns the counts so far.
func (s *Scheduler) Stats() Stats {
	return Stats{Runs: s.runs.Load(), Skips: s.skips.Load(), Panics: s.panics.Load(), Failures: s.failures.Load()}
}
