package outbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"relman/store"
)

// Leader defaults: the lease lasts LeaseTTL, is renewed every
// LeaseRenew, and a follower tries to take it every LeaseRetry, or when
// the holder's lease runs out if that comes first (store.LeaseClock). A
// leader that crashes is replaced within LeaseTTL of its last renewal.
const (
	LeaseTTL   = 10 * time.Second
	LeaseRenew = 3 * time.Second
	LeaseRetry = 2 * time.Second
)

// Leader runs Lead on one replica at a time among those sharing a
// database: the one holding the leader lease (store.Leaser). Every replica
// runs a Leader; a follower tries to take the lease every Retry; the
// leader renews it every Renew and runs Lead under a context that ends
// when it stops leading: a renewal that fails (another replica took the
// lease, or the database could not be reached before the lease ran out),
// or Lead returning (a fenced write found the lease gone:
// store.ErrNotLeader). When Run's context ends the leader stops Lead,
// waits for it, and releases the lease so another replica takes over at
// once.
//
// With no Leaser (bbolt: one process) the replica always leads: Lead runs
// once, with epoch 0, until Run's context ends, and its error is Run's.
type Leader struct {
	Leaser store.Leaser
	// Holder names this replica in the lease; unique per process.
	Holder string
	// TTL, Renew and Retry default to LeaseTTL, LeaseRenew and LeaseRetry.
	TTL, Renew, Retry time.Duration
	// Lead does the leader's work until ctx ends; epoch is the lease's,
	// to fence its writes with (store.Store.Fenced).
	Lead    func(ctx context.Context, epoch uint64) error
	Log     *slog.Logger
	Metrics Metrics // nil: none

	once sync.Once
	poke chan struct{}
	// until is when the lease this replica holds runs out unless renewed
	// (Unix nanoseconds, this process's clock); 0 while it follows.
	until atomic.Int64
}

// Until returns when the lease this replica holds runs out unless it is
// renewed, by this process's clock (never later than the database's); zero
// while it follows, and with no Leaser (it leads for good). A post still
// under way then is abandoned (Outbox.LeaseUntil), so none can land in
// Slack after a new leader looked for it there.
func (l *Leader) Until() time.Time {
	if n := l.until.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Poke makes a follower try to take the lease now rather than at its
// next try: the leader released it (store.Store.WatchLease).
func (l *Leader) Poke() {
	select {
	case l.pokes() <- struct{}{}:
	default:
	}
}

func (l *Leader) pokes() chan struct{} {
	l.once.Do(func() { l.poke = make(chan struct{}, 1) })
	return l.poke
}

// Run elects until ctx ends. It returns nil then, or Lead's error when
// there is no Leaser.
func (l *Leader) Run(ctx context.Context) error {
	log := l.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if l.Leaser == nil {
		l.metrics().Leading(true, 0)
		defer l.metrics().Leading(false, 0)
		return l.Lead(ctx, 0)
	}
	ttl, renew, retry := cmp.Or(l.TTL, LeaseTTL), cmp.Or(l.Renew, LeaseRenew), cmp.Or(l.Retry, LeaseRetry)
	l.metrics().Leading(false, 0)
	for {
		start := time.Now()
		actx, cancel := context.WithTimeout(ctx, ttl)
		epoch, ok, err := l.Leaser.Acquire(actx, l.Holder, ttl)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("leader lease: could not ask for it; following", "holder", l.Holder, "err", err)
		case ok:
			l.lead(ctx, log, epoch, start.Add(ttl), ttl, renew)
		}
		t := time.NewTimer(l.nextTry(ctx, retry, err == nil && !ok))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-l.pokes():
			t.Stop()
		}
	}
}

// leaseMargin is how long after the lease runs out a follower tries to
// take it: the database's clock has moved on by then.
const leaseMargin = 20 * time.Millisecond

// nextTry is how long a follower waits before it asks for the lease again:
// retry, or, when another holder has it (held) and the Leaser is a
// LeaseClock, just until that lease runs out if that comes first.
func (l *Leader) nextTry(ctx context.Context, retry time.Duration, held bool) time.Duration {
	lc, ok := l.Leaser.(store.LeaseClock)
	if !held || !ok {
		return retry
	}
	left, err := lc.LeaseLeft(ctx)
	if err != nil {
		return retry
	}
	return min(retry, left+leaseMargin)
}

// lead runs Lead for the term epoch until it ends; until is when the
// lease runs out by this process's clock unless renewed (measured from
// before the call that took or renewed it, so never later than the
// database's).
func (l *Leader) lead(ctx context.Context, log *slog.Logger, epoch uint64, until time.Time, ttl, renew time.Duration) {
	log = log.With("holder", l.Holder, "epoch", epoch)
	log.Info("leader lease taken: this replica leads (outbox and sweep)")
	l.until.Store(until.UnixNano())
	defer l.until.Store(0)
	l.metrics().Leading(true, epoch)
	lctx, stop := context.WithCancelCause(ctx)
	done := make(chan error, 1)
	go func() { done <- l.Lead(lctx, epoch) }()
	tick := time.NewTicker(renew)
	defer tick.Stop()
	expire := time.NewTimer(time.Until(until))
	defer expire.Stop()
	var why error
	for why == nil {
		select {
		case <-ctx.Done():
			why = errShutdown
		case err := <-done:
			done <- err // for the wait below
			switch {
			case ctx.Err() != nil:
				// Lead saw the shutdown first (its ctx is ctx's child):
				// still a shutdown, and the lease is released.
				why = errShutdown
			case err != nil:
				why = fmt.Errorf("the leader's work stopped: %w", err)
			default:
				why = errors.New("the leader's work stopped")
			}
		case <-expire.C:
			why = errors.New("the lease ran out before it could be renewed")
		case <-tick.C:
			start := time.Now()
			rctx, cancel := context.WithDeadline(ctx, until)
			ok, err := l.Leaser.Renew(rctx, l.Holder, epoch, ttl)
			cancel()
			switch {
			case ok:
				until = start.Add(ttl)
				l.until.Store(until.UnixNano())
				expire.Reset(time.Until(until))
			case err == nil:
				why = errors.New("another replica took the lease")
			case ctx.Err() == nil:
				log.Warn("leader lease: renewal failed; retrying until it runs out", "err", err, "runs_out", until)
			}
		}
	}
	l.metrics().Leading(false, epoch)
	stop(why)
	<-done
	if why == errShutdown {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err := l.Leaser.Release(rctx, l.Holder, epoch)
		cancel()
		if err != nil {
			log.Warn("leader lease: release failed; another replica takes over when it runs out", "err", err)
			return
		}
		log.Info("leader lease released: this replica follows")
		return
	}
	log.Warn("leader lease lost: this replica follows", "why", why.Error())
}

var errShutdown = errors.New("shutting down")

func (l *Leader) metrics() Metrics { return metricsOr(l.Metrics) }
