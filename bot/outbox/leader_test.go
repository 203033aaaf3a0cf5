package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"relman/store"
)

// fakeLeaser is an in-memory store.Leaser that behaves as the PostgreSQL
// one does, on the clock of the test's synctest bubble: it can be taken
// by another holder (steal) or stop answering (down).
type fakeLeaser struct {
	mu       sync.Mutex
	holder   string
	epoch    uint64
	until    time.Time
	down     bool
	released []uint64
}

var errDown = errors.New("fake: the database is unreachable")

func (f *fakeLeaser) Acquire(_ context.Context, holder string, ttl time.Duration) (uint64, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return 0, false, errDown
	}
	if time.Now().Before(f.until) {
		return 0, false, nil
	}
	f.holder, f.epoch, f.until = holder, f.epoch+1, time.Now().Add(ttl)
	return f.epoch, true, nil
}

func (f *fakeLeaser) Renew(_ context.Context, holder string, epoch uint64, ttl time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return false, errDown
	}
	if f.holder != holder || f.epoch != epoch {
		return false, nil
	}
	f.until = time.Now().Add(ttl)
	return true, nil
}

func (f *fakeLeaser) Release(_ context.Context, holder string, epoch uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.holder == holder && f.epoch == epoch {
		f.until = time.Time{}
		f.released = append(f.released, epoch)
	}
	return nil
}

func (f *fakeLeaser) CheckLease(store.KVTx, string, uint64) error { return nil }

func (f *fakeLeaser) Holds(_ context.Context, holder string, epoch uint64) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.holder == holder && f.epoch == epoch && time.Now().Before(f.until), nil
}

// LeaseLeft makes fakeLeaser a store.LeaseClock.
func (f *fakeLeaser) LeaseLeft(context.Context) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return 0, errDown
	}
	return max(time.Until(f.until), 0), nil
}

// steal gives the lease to another holder for d.
func (f *fakeLeaser) steal(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holder, f.epoch, f.until = "other", f.epoch+1, time.Now().Add(d)
}

func (f *fakeLeaser) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// term is one call of Lead as the test sees it.
type term struct {
	epoch uint64
	ended chan struct{} // closed when Lead's ctx ended
}

// leaderFixture runs a Leader on l until the test ends; lead, when set,
// is what Lead does after announcing its term.
func leaderFixture(t *testing.T, l store.Leaser, lead func(ctx context.Context) error) (*Leader, chan term, func()) {
	t.Helper()
	terms := make(chan term, 10)
	ld := &Leader{Leaser: l, Holder: "me", TTL: 300 * time.Millisecond, Renew: 50 * time.Millisecond, Retry: 20 * time.Millisecond,
		Metrics: &leaderMetrics{},
		Lead: func(ctx context.Context, epoch uint64) error {
			tm := term{epoch: epoch, ended: make(chan struct{})}
			terms <- tm
			defer close(tm.ended)
			if lead != nil {
				return lead(ctx)
			}
			<-ctx.Done()
			return nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ld.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Leader.Run after its ctx ended = %v; want nil", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			stop()
		}
	})
	return ld, terms, stop
}

func nextTerm(t *testing.T, terms chan term) term {
	t.Helper()
	select {
	case tm := <-terms:
		return tm
	case <-time.After(5 * time.Second):
		t.Fatal("Lead was not called within 5s")
		return term{}
	}
}

func waitEnded(t *testing.T, tm term, why string) {
	t.Helper()
	select {
	case <-tm.ended:
	case <-time.After(5 * time.Second):
		t.Fatalf("Lead's ctx of epoch %d did not end within 5s after %s", tm.epoch, why)
	}
}

// leaderMetrics records what a Leader tells its Metrics.
type leaderMetrics struct {
	noMetrics
	mu      sync.Mutex
	leading bool
	epoch   uint64
}

func (m *leaderMetrics) Leading(leading bool, epoch uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.leading = leading
	if epoch > 0 {
		m.epoch = epoch
	}
}

func checkLeaderMetrics(t *testing.T, m Metrics, leading bool, epoch uint64) {
	t.Helper()
	lm := m.(*leaderMetrics)
	lm.mu.Lock()
	defer lm.mu.Unlock()
	if lm.leading != leading {
		t.Errorf("leading = %v; want %v", lm.leading, leading)
	}
	if lm.epoch != epoch {
		t.Errorf("epoch = %v; want %v", lm.epoch, epoch)
	}
}

func TestLeader(t *testing.T) {
	t.Run("NoLeaserAlwaysLeads", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			m := &leaderMetrics{}
			want := errors.New("worker failed")
			ld := &Leader{Metrics: m, Lead: func(ctx context.Context, epoch uint64) error {
				if epoch != 0 {
					t.Errorf("Lead epoch without a Leaser = %d; want 0", epoch)
				}
				checkLeaderMetrics(t, m, true, 0)
				return want
			}}
			if err := ld.Run(context.Background()); err != want {
				t.Errorf("Run = %v; want Lead's error %v", err, want)
			}
		})
	})
	t.Run("LeadsAndReleasesOnShutdown", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeLeaser{}
			ld, terms, stop := leaderFixture(t, f, nil)
			tm := nextTerm(t, terms)
			checkLeaderMetrics(t, ld.Metrics, true, 1)
			time.Sleep(4 * ld.TTL / 3) // renewals keep the term past its first TTL
			select {
			case <-tm.ended:
				t.Fatal("Lead's ctx ended while the lease was renewed")
			default:
			}
			stop()
			waitEnded(t, tm, "shutdown")
			if fmt.Sprint(f.released) != "[1]" {
				t.Errorf("released epochs = %v; want [1]", f.released)
			}
			checkLeaderMetrics(t, ld.Metrics, false, 1)
		})
	})
	t.Run("StepsDownWhenAnotherTakesTheLease", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeLeaser{}
			_, terms, _ := leaderFixture(t, f, nil)
			tm := nextTerm(t, terms)
			f.steal(200 * time.Millisecond)
			waitEnded(t, tm, "another holder took the lease")
			// Once the other's lease runs out, this one leads again, at a later epoch.
			if tm2 := nextTerm(t, terms); tm2.epoch != 3 {
				t.Errorf("epoch after taking the lease back = %d; want 3", tm2.epoch)
			}
			f.mu.Lock()
			if len(f.released) != 0 {
				t.Errorf("released epochs = %v; want none (a lost lease is not released)", f.released)
			}
			f.mu.Unlock()
		})
	})
	t.Run("FollowerTakesTheLeaseWhenItRunsOut", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeLeaser{}
			f.steal(300 * time.Millisecond) // a leader that then died
			led := make(chan uint64, 1)
			ld := &Leader{Leaser: f, Holder: "me", TTL: 300 * time.Millisecond, Renew: 50 * time.Millisecond,
				Retry:   time.Hour, // it must not wait for its next try
				Metrics: &leaderMetrics{},
				Lead: func(ctx context.Context, epoch uint64) error {
					led <- epoch
					<-ctx.Done()
					return nil
				}}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			start := time.Now()
			go func() { done <- ld.Run(ctx) }()
			defer func() { cancel(); <-done }()
			select {
			case epoch := <-led:
				if epoch != 2 {
					t.Errorf("Lead epoch = %d; want 2", epoch)
				}
				if d := time.Since(start); d > time.Second {
					t.Errorf("took the lease %v after it was stolen for 300ms; want right after it ran out", d)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the follower did not take the lease within 5s of it running out, with its next try an hour away")
			}
		})
	})
	t.Run("UntilIsTheLeasesEndWhileLeading", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeLeaser{}
			ld, terms, stop := leaderFixture(t, f, nil)
			tm := nextTerm(t, terms)
			if u := ld.Until(); u.IsZero() || u.After(time.Now().Add(ld.TTL)) {
				t.Errorf("Until() while leading = %v; want within the TTL %v from now", u, ld.TTL)
			}
			stop()
			waitEnded(t, tm, "shutdown")
			if u := ld.Until(); !u.IsZero() {
				t.Errorf("Until() after stepping down = %v; want zero", u)
			}
		})
	})
	t.Run("StepsDownWhenTheLeaseRunsOutUnrenewed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeLeaser{}
			ld, terms, _ := leaderFixture(t, f, nil)
			tm := nextTerm(t, terms)
			f.setDown(true)
			start := time.Now()
			waitEnded(t, tm, "the database went away")
			if d := time.Since(start); d > ld.TTL+200*time.Millisecond {
				t.Errorf("stepped down %v after the database went away; want within the TTL %v", d, ld.TTL)
			}
			checkLeaderMetrics(t, ld.Metrics, false, 1)
		})
	})
	t.Run("StepsDownWhenAFencedWriteFails", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeLeaser{}
			lost := fmt.Errorf("outbox: %w", store.ErrNotLeader)
			first := true
			_, terms, _ := leaderFixture(t, f, func(ctx context.Context) error {
				if first {
					first = false
					return lost
				}
				<-ctx.Done()
				return nil
			})
			tm := nextTerm(t, terms)
			waitEnded(t, tm, "Lead failed")
			if tm2 := nextTerm(t, terms); tm2.epoch <= tm.epoch {
				t.Errorf("next term's epoch = %d; want above %d", tm2.epoch, tm.epoch)
			}
		})
	})
}
