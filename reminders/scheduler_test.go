package reminders

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// fakeTimer stands in for time.After: each wait the scheduler asks for is
// sent on asks, and the scheduler wakes when the test fires it.
type fakeTimer struct {
	asks chan wait
}

type wait struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeTimer() *fakeTimer { return &fakeTimer{asks: make(chan wait)} }

func (f *fakeTimer) After(d time.Duration) <-chan time.Time {
	w := wait{d: d, fire: make(chan time.Time, 1)}
	f.asks <- w
	return w.fire
}

// next returns the scheduler's next wait.
func (f *fakeTimer) next(tb testing.TB) wait {
	tb.Helper()
	select {
	case w := <-f.asks:
		return w
	case <-time.After(10 * time.Second): // a hang guard, not a sleep
		tb.Fatal("the scheduler did not wait for its next run")
		return wait{}
	}
}

// recorder is a Job that records the instants it ran at.
type recorder struct {
	mu   sync.Mutex
	at   []time.Time
	ran  chan time.Time
	hold chan struct{} // when set, each run blocks until it is closed or sent on
}

func newRecorder() *recorder { return &recorder{ran: make(chan time.Time, 16)} }

func (r *recorder) job(ctx context.Context, now time.Time) error {
	r.mu.Lock()
	r.at = append(r.at, now)
	r.mu.Unlock()
	r.ran <- now
	if r.hold != nil {
		<-r.hold
	}
	return nil
}

func (r *recorder) times() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.at...)
}

func mustRan(tb testing.TB, r *recorder) time.Time {
	tb.Helper()
	select {
	case t := <-r.ran:
		return t
	case <-time.After(10 * time.Second):
		tb.Fatal("the job did not run")
		return time.Time{}
	}
}

func MustScheduler(tb testing.TB, spec string, loc *time.Location, clock store.Clock, job Job, log *slog.Logger) *Scheduler {
	tb.Helper()
	s, err := NewScheduler(spec, loc, clock, job, log)
	if err != nil {
		tb.Fatalf("NewScheduler(%q) = %v", spec, err)
	}
	return s
}

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("LoadLocation(%q) = %v", name, err)
	}
	return loc
}

func TestSchedulerRun(t *testing.T) {
	t.Run("RunsAtStartThenOnScheduleInTheWorkspaceZone", func(t *testing.T) {
		berlin := mustLoc(t, "Europe/Berlin")
		// Friday 2027-01-08 10:30 in Berlin (09:30 UTC): the catch-up run is
		// now, the next is 09:00 Berlin on Monday, not 09:00 UTC.
		start := time.Date(2027, 1, 8, 9, 30, 0, 0, time.UTC)
		clock := store.NewFakeClock(start)
		rec := newRecorder()
		timer := newFakeTimer()
		s := MustScheduler(t, "0 9 * * 1-5", berlin, clock, rec.job, nil)
		s.After = timer.After
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()

		if got := mustRan(t, rec); !got.Equal(start) {
			t.Errorf("first run at %v; want %v (at once, at start)", got, start)
		}
		w := timer.next(t)
		monday := time.Date(2027, 1, 11, 8, 0, 0, 0, time.UTC)
		if want := monday.Sub(start); w.d != want {
			t.Errorf("waits %v for the next run; want %v (until Monday 09:00 Berlin)", w.d, want)
		}
		s.Wait() // the first run has ended, so the second is not skipped
		clock.Set(monday)
		w.fire <- monday
		if got := mustRan(t, rec); !got.Equal(monday) {
			t.Errorf("second run at %v; want %v", got, monday)
		}
		w = timer.next(t)
		s.Wait()
		if want := 24 * time.Hour; w.d != want {
			t.Errorf("waits %v after Monday's run; want %v", w.d, want)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v; want context.Canceled", err)
		}
		if diff := cmp.Diff([]time.Time{start, monday}, rec.times()); diff != "" {
			t.Errorf("runs (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(Stats{Runs: 2}, s.Stats()); diff != "" {
			t.Errorf("Stats (-want +got):\n%s", diff)
		}
	})

	t.Run("StopsOnlyAfterTheRunningJobFinishes", func(t *testing.T) {
		clock := store.NewFakeClock(time.Date(2027, 1, 8, 9, 30, 0, 0, time.UTC))
		rec := newRecorder()
		rec.hold = make(chan struct{})
		var finished sync.WaitGroup
		finished.Add(1)
		job := func(ctx context.Context, now time.Time) error {
			defer finished.Done()
			return rec.job(ctx, now)
		}
		timer := newFakeTimer()
		s := MustScheduler(t, "@every 1m", time.UTC, clock, job, nil)
		s.After = timer.After
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		mustRan(t, rec)
		timer.next(t)
		cancel()
		select {
		case err := <-done:
			t.Fatalf("Run = %v while the job was still running; want it to wait for the job", err)
		default:
		}
		close(rec.hold)
		<-done
		finished.Wait() // returns at once: the job ended before Run did
	})
}

func TestSchedulerTrigger(t *testing.T) {
	now := time.Date(2027, 1, 8, 9, 30, 0, 0, time.UTC)
	t.Run("SkipsWhileThePreviousRunIsGoing", func(t *testing.T) {
		var logs bytes.Buffer
		rec := newRecorder()
		rec.hold = make(chan struct{})
		s := MustScheduler(t, "@every 1s", time.UTC, store.NewFakeClock(now), rec.job, slog.New(slog.NewTextHandler(&logs, nil)))
		ctx := context.Background()
		if !s.Trigger(ctx, now) {
			t.Fatal("first Trigger = false; want true")
		}
		mustRan(t, rec)
		for i := 1; i <= 2; i++ {
			if s.Trigger(ctx, now.Add(time.Duration(i)*time.Second)) {
				t.Errorf("Trigger while running = true; want false (skipped)")
			}
		}
		close(rec.hold)
		s.Wait()
		if !s.Trigger(ctx, now.Add(3*time.Second)) {
			t.Errorf("Trigger after the run ended = false; want true")
		}
		s.Wait()
		if diff := cmp.Diff(Stats{Runs: 2, Skips: 2}, s.Stats()); diff != "" {
			t.Errorf("Stats (-want +got):\n%s", diff)
		}
		if n := strings.Count(logs.String(), "sweep skipped"); n != 2 {
			t.Errorf("logged %d skips; want 2:\n%s", n, logs.String())
		}
		if !strings.Contains(logs.String(), "skipped=2") {
			t.Errorf("log does not count the skips:\n%s", logs.String())
		}
	})

	t.Run("RecoversAndLogsAPanic", func(t *testing.T) {
		var logs bytes.Buffer
		calls := 0
		job := func(ctx context.Context, now time.Time) error {
			calls++
			if calls == 1 {
				panic("nil map")
			}
			return nil
		}
		s := MustScheduler(t, "@every 1s", time.UTC, store.NewFakeClock(now), job, slog.New(slog.NewTextHandler(&logs, nil)))
		s.Trigger(context.Background(), now)
		s.Wait()
		if !s.Trigger(context.Background(), now.Add(time.Second)) {
			t.Fatal("Trigger after a panic = false; want true (the panic ended that run)")
		}
		s.Wait()
		if diff := cmp.Diff(Stats{Runs: 2, Panics: 1}, s.Stats()); diff != "" {
			t.Errorf("Stats (-want +got):\n%s", diff)
		}
		if !strings.Contains(logs.String(), "sweep panicked") || !strings.Contains(logs.String(), "nil map") {
			t.Errorf("log does not show the panic:\n%s", logs.String())
		}
	})

	t.Run("LogsAFailedRun", func(t *testing.T) {
		var logs bytes.Buffer
		job := func(ctx context.Context, now time.Time) error { return errors.New("disk full") }
		s := MustScheduler(t, "@every 1s", time.UTC, store.NewFakeClock(now), job, slog.New(slog.NewTextHandler(&logs, nil)))
		s.Trigger(context.Background(), now)
		s.Wait()
		if diff := cmp.Diff(Stats{Runs: 1, Failures: 1}, s.Stats()); diff != "" {
			t.Errorf("Stats (-want +got):\n%s", diff)
		}
		if !strings.Contains(logs.String(), "disk full") {
			t.Errorf("log does not show the error:\n%s", logs.String())
		}
	})
}

func TestNewSchedulerRejectsABadSpec(t *testing.T) {
	_, err := NewScheduler("every 15 minutes", time.UTC, store.NewFakeClock(time.Time{}), func(context.Context, time.Time) error { return nil }, nil)
	if err == nil || !strings.Contains(err.Error(), "not a cron schedule") {
		t.Errorf("NewScheduler(bad) = %v; want the ParseSchedule error", err)
	}
}

// TestSchedulerClockSteps drives Run with the wall clock stepped while it
// waits: its timer measures elapsed time, so it fires when that much time
// has passed whatever the wall clock then reads.
func TestSchedulerClockSteps(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2027, 1, d, h, m, 0, 0, time.UTC) }
	type fire struct {
		clock    time.Time     // what the wall clock reads when the timer fires
		wantWait time.Duration // the wait the scheduler asks for next
	}
	for _, tc := range []struct {
		name      string
		start     time.Time
		firstWait time.Duration
		fires     []fire
		wantRuns  []time.Time
	}{
		{name: "AStepBackAnHourDoesNotRunTheSameSlotsAgain",
			start: at(4, 9, 5), firstWait: 10 * time.Minute,
			fires: []fire{
				{clock: at(4, 9, 15), wantWait: 15 * time.Minute},
				// Stepped back an hour while waiting for 09:30: the
				// timer fires at 08:30; 08:30 to 09:15 ran already.
				{clock: at(4, 8, 30), wantWait: time.Hour},
				{clock: at(4, 9, 30), wantWait: 15 * time.Minute},
			},
			wantRuns: []time.Time{at(4, 9, 5), at(4, 9, 15), at(4, 9, 30)}},
		{name: "AStepBackDuringTheFirstWaitDoesNotRunBeforeTheStart",
			start: at(4, 9, 5), firstWait: 10 * time.Minute,
			fires: []fire{
				{clock: at(4, 8, 15), wantWait: time.Hour},
				{clock: at(4, 9, 15), wantWait: 15 * time.Minute},
			},
			wantRuns: []time.Time{at(4, 9, 5), at(4, 9, 15)}},
		{name: "AStepForwardADayRunsOnceToCatchUp",
			start: at(4, 9, 5), firstWait: 10 * time.Minute,
			fires: []fire{
				// Stepped forward a day and 7 minutes while waiting for
				// 09:15: one run as of then, then the next slot.
				{clock: at(5, 9, 22), wantWait: 8 * time.Minute},
				{clock: at(5, 9, 30), wantWait: 15 * time.Minute},
			},
			wantRuns: []time.Time{at(4, 9, 5), at(5, 9, 22), at(5, 9, 30)}},
		{name: "AStepForwardOverAWeekendRunsOnceToCatchUp",
			start: at(8, 17, 0), firstWait: 15 * time.Minute,
			fires: []fire{
				{clock: at(11, 8, 0), wantWait: 15 * time.Minute},
			},
			wantRuns: []time.Time{at(8, 17, 0), at(11, 8, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := store.NewFakeClock(tc.start)
			rec := newRecorder()
			timer := newFakeTimer()
			s := MustScheduler(t, "*/15 * * * *", time.UTC, clock, rec.job, nil)
			s.After = timer.After
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			mustRan(t, rec)
			w := timer.next(t)
			if w.d != tc.firstWait {
				t.Errorf("waits %v after the start; want %v", w.d, tc.firstWait)
			}
			for i, f := range tc.fires {
				s.Wait()
				clock.Set(f.clock)
				w.fire <- f.clock
				w = timer.next(t)
				if w.d != f.wantWait {
					t.Errorf("fire %d at %s: then waits %v; want %v", i, f.clock.Format("Mon 15:04"), w.d, f.wantWait)
				}
			}
			s.Wait()
			cancel()
			<-done
			if diff := cmp.Diff(tc.wantRuns, rec.times()); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSchedulerClockStepsOnTheRealTimer is TestSchedulerClockSteps with
// time.After, in a synctest bubble: the timer counts the bubble's elapsed
// time while the wall clock (the FakeClock) is stepped.
func TestSchedulerClockStepsOnTheRealTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		at := func(h, m int) time.Time { return time.Date(2027, 1, 4, h, m, 0, 0, time.UTC) }
		clock := store.NewFakeClock(at(9, 5))
		rec := newRecorder()
		s := MustScheduler(t, "*/15 * * * *", time.UTC, clock, rec.job, nil)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		// pass lets d elapse while the wall clock moves by d too, then
		// steps the wall clock by step.
		pass := func(d, step time.Duration) {
			clock.Advance(d)
			time.Sleep(d)
			synctest.Wait()
			clock.Advance(step)
		}
		synctest.Wait()
		pass(10*time.Minute, -time.Hour)                // runs at 09:15; then the clock reads 08:15
		pass(15*time.Minute, 0)                         // 08:30: nothing up to 09:15 runs again
		pass(time.Hour, 0)                              // 09:30
		pass(5*time.Minute, 24*time.Hour+2*time.Minute) // 09:35 stepped forward a day: Tuesday 09:37
		pass(10*time.Minute, 0)                         // the timer for 09:45 Monday fires at 09:47 Tuesday: one catch-up run
		pass(13*time.Minute, 0)                         // 10:00 Tuesday
		cancel()
		<-done
		tue := func(h, m int) time.Time { return at(h, m).AddDate(0, 0, 1) }
		want := []time.Time{at(9, 5), at(9, 15), at(9, 30), tue(9, 47), tue(10, 0)}
		if diff := cmp.Diff(want, rec.times()); diff != "" {
			t.Errorf("runs (-want +got):\n%s", diff)
		}
	})
}
