package outbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"relman/store"
)

// Sender delivers one outbox message. thread is where to reply (nil for a
// top-level message) and update the message to edit in place (nil to post).
// It returns where the message landed. Errors should be *DeliveryError so the
// outbox knows whether and when to retry.
type Sender interface {
	Send(ctx context.Context, m *store.Message, thread, update *store.Posted) (store.Posted, error)
}

// Permalinker is a Sender that can link to a posted message (Message.LinkOf).
type Permalinker interface {
	Permalink(ctx context.Context, p store.Posted) (string, error)
}

// Finder is a Sender that can tell whether it already posted a message: it
// looks for m (by its outbox ID, which it sends along with every post)
// among the latest messages where m goes (thread's thread when set), and
// returns where it landed, or nil.
type Finder interface {
	Find(ctx context.Context, m *store.Message, thread *store.Posted) (*store.Posted, error)
}

// DeliveryError classifies a failed delivery.
type DeliveryError struct {
	Err        error
	Reason     string        // short label for logs and metrics: ratelimited, server_error, channel_not_found…
	Permanent  bool          // retrying cannot help (channel_not_found, not_in_channel, …)
	RetryAfter time.Duration // the transport asked to wait this long (429 Retry-After)
	// NotPosted says the transport knows the message did not land (Slack
	// answered with an error), so a retry need not look for it first
	// (Finder); without it a failure may have come after the post landed
	// (a timeout, a lost answer).
	NotPosted bool
}

func (e *DeliveryError) Error() string { return e.Err.Error() }
func (e *DeliveryError) Unwrap() error { return e.Err }

// Outbox defaults.
const (
	minBackoff     = 2 * time.Second
	maxBackoff     = 5 * time.Minute
	defaultSpacing = time.Second    // Slack allows about one message per second per channel
	defaultMaxAge  = 24 * time.Hour // a message still failing after this is parked
	// sendTimeout bounds a post (or an edit); lookTimeout the lookup
	// for an earlier post before it (Finder): each its own, so that a slow
	// Slack answering both within them gets the message through.
	sendTimeout = 15 * time.Second
	lookTimeout = 15 * time.Second
	// defaultParallel is how many channels are delivered to at once.
	defaultParallel = 6
	// flushGap is the least time between two flushes Notify starts. A
	// burst of votes wakes the worker hundreds of times a second and each
	// flush reads the whole queue; waiting a moment costs a message 20ms
	// and lets the burst's edits collapse into one.
	flushGap = 20 * time.Millisecond
)

// Outbox delivers the messages queued in the store, oldest first. A message
// is removed only after the transport accepted it, so a crash or an outage
// delays messages and loses none. Messages to one channel keep their order
// and are spaced by Spacing; up to Parallel channels are delivered to at
// once, so one slow channel (or a slow Slack) holds only its own messages.
type Outbox struct {
	Store   *store.Store
	Sender  Sender
	Clock   store.Clock
	Log     *slog.Logger
	Metrics Metrics // nil: none
	// Spacing is the least time between two messages to one channel
	// (default 1s; negative for none); MaxAge is how long a message may keep failing before it
	// is parked (default 24h).
	Spacing time.Duration
	MaxAge  time.Duration
	// Parallel is how many channels are delivered to at once (default 6):
	// each channel's messages go one at a time and in order, and a
	// channel waits for a free slot.
	Parallel int
	// Zones gives the recipient's time zone of a quiet DM (store.Message
	// Quiet): Users in production. Without Zones, or when the lookup
	// fails, the recipient is taken to be in Loc, the workspace zone (UTC
	// when nil).
	Zones interface {
		Location(ctx context.Context, user string) (*time.Location, error)
	}
	Loc *time.Location
	// Render, when set, composes the words of a message that carries a
	// notice (store.Message.Notice) at its delivery, from the state then,
	// in reader's zone (a DM's recipient's, Zones; Loc for a channel),
	// judging whether it still holds in workspace (Loc); false drops the
	// message. reminders.RenderNotice in production. Without it, or for a
	// message without a notice, Doc goes as queued.
	Render func(tx *store.Tx, m *store.Message, now time.Time, reader, workspace *time.Location) (store.Doc, bool, error)
	// Held, when set, is told of each quiet DM held for its recipient's
	// working hours and the zone they were judged in (the console prints
	// it).
	Held func(m *store.Message, loc *time.Location)
	// Dropped, when set, is told of each notice dropped at its delivery
	// because what it reported no longer held (the console prints it).
	Dropped func(m *store.Message)

	// Poll, when positive, makes Run read the queue at least this often
	// even without a Notify: messages another replica queued are found
	// (RELMAN_DB on PostgreSQL, where Notify may not reach the leader).
	Poll time.Duration
	// MaxPicture is the largest picture (Message.Picture, drawn as a PNG)
	// delivered, in bytes (default DefaultMaxPicture); a larger one is
	// left out and the message's text goes alone.
	MaxPicture int
	// LeaseUntil, when set, says when the leader lease runs out unless
	// renewed (Leader.Until; zero for no bound): a call to Slack still
	// under way then is abandoned, so no post can reach Slack after a new
	// leader looked for it there (Finder) and posted it again. It is read
	// again when that time comes, so a renewal meanwhile lets the call go
	// on.
	LeaseUntil func() time.Time

	mu     sync.Mutex
	fenced *store.Store         // while Lead runs: Store fenced by the leader lease
	last   map[string]time.Time // channel → when its last message went out
	paused time.Time            // after a 429 on a post, nothing is sent before this
	// lookPaused: after a 429 on a lookup (Finder), no message that needs
	// one (Message.Sending) is tried before this; the others go.
	lookPaused time.Time
	// tried holds, while Run runs, the channels it attempted a message of;
	// a channel's first message in a Run goes at once, not after a backoff
	// saved by an earlier process. Nil outside Run: backoffs hold.
	tried   map[string]bool
	busy    map[string]bool // channels a flight is delivering to
	slots   chan struct{}   // one per flight under way (Parallel)
	flights sync.WaitGroup
	lost    chan error // a flight found the lease gone (store.ErrNotLeader)
	wake    chan struct{}
}

// Notify wakes the worker: a command queued messages.
func (o *Outbox) Notify() {
	o.init()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *Outbox) init() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.wake == nil {
		o.wake = make(chan struct{}, 1)
		o.last = make(map[string]time.Time)
		o.busy = make(map[string]bool)
		o.slots = make(chan struct{}, cmp.Or(max(o.Parallel, 0), defaultParallel))
		o.lost = make(chan error, 1)
	}
	if o.Spacing == 0 {
		o.Spacing = defaultSpacing
	}
	if o.MaxAge == 0 {
		o.MaxAge = defaultMaxAge
	}
}

// store is the Store the worker reads and records deliveries in.
func (o *Outbox) store() *store.Store {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fenced != nil {
		return o.fenced
	}
	return o.Store
}

// Lead is Run for the leader of several replicas: it reads and records
// through st, Store fenced by the leader lease (store.Store.Fenced), so once
// another replica leads this one can record nothing, and it returns the
// error wrapping store.ErrNotLeader as soon as a write finds that out.
func (o *Outbox) Lead(ctx context.Context, st *store.Store) error {
	o.mu.Lock()
	o.fenced = st
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		o.fenced = nil
		o.mu.Unlock()
	}()
	return o.Run(ctx)
}

// Run delivers messages until ctx ends: after every Notify, whenever a
// waiting message falls due, when a channel's delivery ends, and every
// Poll. Deliveries under way when ctx ends are finished. It returns nil
// when ctx ends, or an error wrapping store.ErrNotLeader when a fenced
// write (Lead) failed: this replica no longer leads. It returns only once
// no delivery it started is under way.
func (o *Outbox) Run(ctx context.Context) error {
	o.init()
	o.mu.Lock()
	o.tried = make(map[string]bool)
	o.mu.Unlock()
	select {
	case <-o.lost: // an earlier Run's
	default:
	}
	defer func() {
		o.flights.Wait()
		o.mu.Lock()
		o.tried = nil
		o.mu.Unlock()
	}()
	for {
		started := time.Now() // real time: this paces CPU work, not the domain
		// The flush says when what it left falls due, so the queue is read
		// once a round, not twice; a flight ending (it may have queued a
		// park's notices) wakes the loop.
		next, exact, err := o.dispatch(ctx)
		if errors.Is(err, store.ErrNotLeader) {
			return fmt.Errorf("outbox: %w", err)
		}
		if err != nil && ctx.Err() == nil {
			o.log().Error("outbox flush failed", "err", err)
		}
		if err != nil || !exact {
			next, err = o.Next()
		}
		var timer *time.Timer
		var due <-chan time.Time
		if err == nil && !next.IsZero() {
			timer = time.NewTimer(max(next.Sub(o.Clock.Now()), 10*time.Millisecond))
			due = timer.C
		}
		var poll <-chan time.Time
		var pollTimer *time.Timer
		if o.Poll > 0 {
			pollTimer = time.NewTimer(o.Poll)
			poll = pollTimer.C
		}
		stop := func() {
			if timer != nil {
				timer.Stop()
			}
			if pollTimer != nil {
				pollTimer.Stop()
			}
		}
		select {
		case <-ctx.Done():
			stop()
			return nil
		case err := <-o.lost:
			stop()
			return fmt.Errorf("outbox: %w", err)
		case <-o.wake:
			if gap := flushGap - time.Since(started); gap > 0 {
				pause := time.NewTimer(gap)
				select {
				case <-ctx.Done():
					pause.Stop()
					stop()
					return nil
				case <-pause.C:
				}
			}
		case <-due:
		case <-poll:
		}
		stop()
	}
}

// Flush tries every message that is due as of the clock's now, channels in
// parallel (Parallel), and returns how many were delivered once every
// delivery it started ended. After a failure, and while a channel is
// within its spacing, later messages to that channel wait, so a channel's
// messages keep their order. It stops early only when ctx ends.
func (o *Outbox) Flush(ctx context.Context) (int, error) {
	o.init()
	queue, err := o.read(ctx)
	if err != nil {
		return 0, err
	}
	if cap(o.slots) == 1 {
		r, waiting := o.inOrder(ctx, queue)
		o.metrics().OutboxDepth(waiting + r.notices - len(r.gone))
		return r.sent, cmp.Or(r.err, ctx.Err())
	}
	var (
		mu       sync.Mutex
		sent     int
		left     int // notices queued less messages gone
		firstErr error
	)
	waiting, _ := o.start(ctx, queue, true, func(r flightResult) {
		mu.Lock()
		defer mu.Unlock()
		sent += r.sent
		left += r.notices - len(r.gone)
		if firstErr == nil {
			firstErr = r.err
		}
	})
	o.flights.Wait()
	o.metrics().OutboxDepth(waiting + left)
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return sent, firstErr
}

// collapseEdits deletes every queued edit (Message.UpdateOf) that a later
// queued edit of the same message supersedes, and returns the queue without
// them. Edits are composed from stored state in the transaction that queues
// them, so the newest is the freshest and the older ones need never be sent:
// a burst of edits costs one chat.update per spacing interval, not one each.
//
// The messages of channels under delivery (busy) are left alone: a flight
// may be sending one of them.
func (o *Outbox) collapseEdits(ctx context.Context, queue []store.Message, busy map[string]bool) ([]store.Message, error) {
	newest := map[string]uint64{}
	for _, m := range queue {
		if m.UpdateOf != "" && !m.Parked && !busy[m.Channel] {
			newest[m.UpdateOf] = max(newest[m.UpdateOf], m.ID)
		}
	}
	var stale []uint64
	kept := queue[:0:0]
	for _, m := range queue {
		if m.UpdateOf != "" && !m.Parked && !busy[m.Channel] && m.ID != newest[m.UpdateOf] {
			stale = append(stale, m.ID)
			continue
		}
		kept = append(kept, m)
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
		return nil, fmt.Errorf("drop superseded edits: %w", err)
	}
	o.log().Debug("outbox edits superseded by newer ones", "dropped", len(stale))
	o.metrics().OutboxEditsSkipped("superseded", len(stale))
	return kept, nil
}

// Next returns when the earliest waiting message falls due (zero if none),
// leaving out the channels being delivered to: their delivery's end wakes
// Run.
func (o *Outbox) Next() (time.Time, error) {
	o.init()
	var next time.Time
	err := o.store().View(context.Background(), func(tx *store.Tx) error {
		queue, err := tx.Outbox()
		next = o.nextDue(queue)
		return err
	})
	return next, err
}

// nextDue is when the earliest of queue (the outbox, in order) falls due,
// leaving out the channels being delivered to.
func (o *Outbox) nextDue(queue []store.Message) time.Time {
	var next time.Time
	o.mu.Lock()
	defer o.mu.Unlock()
	// Only a channel's first waiting message can go next: the later ones
	// wait behind it, however early they would otherwise be due.
	head := map[string]bool{}
	refs := map[string]bool{}
	for _, m := range queue {
		if m.Ref != "" && !m.Parked {
			refs[m.Ref] = true
		}
	}
	for _, m := range queue {
		if m.Parked || head[m.Channel] {
			continue
		}
		head[m.Channel] = true
		if o.busy[m.Channel] {
			continue
		}
		// An edit (or a link) whose original is still queued falls due
		// when the original is delivered, which the original's own time
		// covers.
		if (m.UpdateOf != "" && refs[m.UpdateOf]) || (m.LinkOf != "" && refs[m.LinkOf]) {
			continue
		}
		if at := o.dueLocked(&m); next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

// due reports whether m, the first waiting message of its channel, may be
// tried at now.
func (o *Outbox) due(m *store.Message, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.dueLocked(m).After(now)
}

// dueLocked is when m, the first waiting message of its channel, may be
// tried: no earlier than it was queued (so one queued without a Notify, an
// owner's notice queued by a park, is still found), its NotBefore, its
// next attempt (unless Run has not tried its channel yet: a backoff saved
// by an earlier process is not waited out), its channel's spacing, and the
// pause Slack asked for (for a lookup too when it needs one). o.mu is held.
func (o *Outbox) dueLocked(m *store.Message) time.Time {
	at := m.CreatedAt
	if m.NextAttempt.After(at) && (o.tried == nil || o.tried[m.Channel]) {
		at = m.NextAttempt
	}
	if m.NotBefore.After(at) {
		at = m.NotBefore
	}
	if last, ok := o.last[m.Channel]; ok && o.Spacing > 0 && last.Add(o.Spacing).After(at) {
		at = last.Add(o.Spacing)
	}
	if at.Before(o.paused) {
		at = o.paused
	}
	if m.Sending && at.Before(o.lookPaused) {
		at = o.lookPaused
	}
	return at
}
