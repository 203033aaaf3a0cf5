package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"relman/commands/render"
	"relman/reminders"
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
}

func (e *DeliveryError) Error() string { return e.Err.Error() }
func (e *DeliveryError) Unwrap() error { return e.Err }

// Outbox defaults.
const (
	minBackoff     = 2 * time.Second
	maxBackoff     = 5 * time.Minute
	defaultSpacing = time.Second    // Slack allows about one message per second per channel
	defaultMaxAge  = 24 * time.Hour // a message still failing after this is parked
	sendTimeout    = 15 * time.Second
	// flushGap is the least time between two flushes Notify starts. A
	// burst of votes wakes the worker hundreds of times a second and each
	// flush reads the whole queue; waiting a moment costs a message 20ms
	// and lets the burst's edits collapse into one.
	flushGap = 20 * time.Millisecond
)

// Outbox delivers the messages queued in the store, oldest first. A message
// is removed only after the transport accepted it, so a crash or an outage
// delays messages and loses none. Messages to one channel keep their order
// and are spaced by Spacing.
type Outbox struct {
	Store   *store.Store
	Sender  Sender
	Clock   store.Clock
	Log     *slog.Logger
	Metrics *Metrics
	// Spacing is the least time between two messages to one channel
	// (default 1s; negative for none); MaxAge is how long a message may keep failing before it
	// is parked (default 24h).
	Spacing time.Duration
	MaxAge  time.Duration
	// Zones gives the recipient's time zone of a quiet DM (store.Message
	// Quiet): Users in production. Without Zones, or when the lookup
	// fails, the recipient is taken to be in Loc, the workspace zone (UTC
	// when nil).
	Zones interface {
		Location(ctx context.Context, user string) (*time.Location, error)
	}
	Loc *time.Location
	// Held, when set, is told of each quiet DM held for its recipient's
	// working hours and the zone they were judged in (the console prints
	// it).
	Held func(m *store.Message, loc *time.Location)

	// Poll, when positive, makes Run read the queue at least this often
	// even without a Notify: messages another replica queued are found
	// (RELMAN_DB on PostgreSQL, where Notify may not reach the leader).
	Poll time.Duration
	// MaxPicture is the largest picture (Message.Picture, drawn as a PNG)
	// delivered, in bytes (default DefaultMaxPicture); a larger one is
	// left out and the message's text goes alone.
	MaxPicture int
	// LeaseUntil, when set, says when the leader lease runs out unless
	// renewed (Leader.Until; zero for no bound): a post still under way
	// then is abandoned, so it cannot reach Slack after a new leader
	// looked for it there (Finder) and posted it again.
	LeaseUntil func() time.Time

	mu     sync.Mutex
	fenced *store.Store // while Lead runs: Store fenced by the leader lease
	// looked holds the channels where the outcome of the last attempt to
	// post was recorded by this worker since it started (its first use,
	// and every Run). In any other channel the first waiting message is
	// looked for before posting (Finder): the one message a previous
	// worker (a crashed process, a leader that lost its lease), or this
	// one when recording failed, may have posted without recording it is
	// the first waiting one of its channel, as a channel's messages go
	// out one at a time and in order.
	looked map[string]bool
	last   map[string]time.Time // channel → when its last message went out
	paused time.Time            // after a 429, nothing is sent before this
	wake   chan struct{}
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
		o.looked = make(map[string]bool)
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
// waiting message falls due, and every Poll. A delivery under way when ctx
// ends is finished. It returns nil when ctx ends, or an error wrapping
// store.ErrNotLeader when a fenced write (Lead) failed: this replica no
// longer leads.
func (o *Outbox) Run(ctx context.Context) error {
	o.init()
	o.mu.Lock()
	o.looked = make(map[string]bool)
	o.mu.Unlock()
	for {
		started := time.Now() // real time: this paces CPU work, not the domain
		// The flush says when what it left falls due, so the queue is read
		// once a round, not twice; a park's notices, queued meanwhile, make
		// Next read it again.
		_, next, exact, err := o.flush(ctx)
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
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case <-o.wake:
			if gap := flushGap - time.Since(started); gap > 0 {
				pause := time.NewTimer(gap)
				select {
				case <-ctx.Done():
					pause.Stop()
					if timer != nil {
						timer.Stop()
					}
					return nil
				case <-pause.C:
				}
			}
		case <-due:
		case <-poll:
		}
		if timer != nil {
			timer.Stop()
		}
		if pollTimer != nil {
			pollTimer.Stop()
		}
	}
}

// Flush tries every message that is due as of the clock's now, in order,
// and returns how many were delivered. After a failure, and while a channel
// is within its spacing, later messages to that channel wait, so a
// channel's messages keep their order. It stops early only when ctx ends.
func (o *Outbox) Flush(ctx context.Context) (int, error) {
	sent, _, _, err := o.flush(ctx)
	return sent, err
}

// flush is Flush, also returning when the messages it left fall due (as
// Next would), exact unless it queued messages of its own (a park's
// notices) that it did not read.
func (o *Outbox) flush(ctx context.Context) (int, time.Time, bool, error) {
	o.init()
	var queue []store.Message
	if err := o.store().View(ctx, func(tx *store.Tx) error {
		var err error
		queue, err = tx.Outbox()
		return err
	}); err != nil {
		return 0, time.Time{}, false, fmt.Errorf("read outbox: %w", err)
	}
	queue, err := o.collapseEdits(ctx, queue)
	if err != nil {
		return 0, time.Time{}, false, err
	}
	blocked := map[string]bool{}
	sent, waiting, notices := 0, 0, 0
	done := make([]bool, len(queue))
	for i := range queue {
		m := &queue[i]
		if m.Parked {
			continue
		}
		waiting++
		if blocked[m.Channel] || ctx.Err() != nil {
			continue
		}
		now := o.Clock.Now()
		if o.pausedAt(now) {
			break
		}
		if m.NotBefore.After(now) || m.NextAttempt.After(now) || o.spaced(m.Channel, now) {
			blocked[m.Channel] = true
			continue
		}
		if held, err := o.hold(ctx, m, now); err != nil {
			return sent, time.Time{}, false, err
		} else if held {
			// A person's later DMs keep their order behind a held one.
			blocked[m.Channel] = true
			continue
		}
		res, err := o.deliver(ctx, m)
		if err != nil {
			return sent, time.Time{}, false, err
		}
		if res.waiting {
			// An edit waits behind its original, wherever that is queued.
			blocked[m.Channel] = true
			continue
		}
		// A delivered or parked message no longer waits; notices queued
		// by a park do.
		if res.done() {
			waiting--
			done[i] = true
		}
		waiting += res.notices
		notices += res.notices
		if res.delivered {
			sent++
		}
		// A failed channel waits for its retry; a served one for its spacing.
		if !res.delivered || o.Spacing > 0 {
			blocked[m.Channel] = true
		}
	}
	if o.Metrics != nil {
		o.Metrics.outboxDepth.Set(float64(waiting))
	}
	left := queue[:0:0]
	for i := range queue {
		if !done[i] {
			left = append(left, queue[i])
		}
	}
	return sent, o.nextDue(left), notices == 0, ctx.Err()
}

// collapseEdits deletes every queued edit (Message.UpdateOf) that a later
// queued edit of the same message supersedes, and returns the queue without
// them. Edits are composed from stored state in the transaction that queues
// them, so the newest is the freshest and the older ones need never be sent:
// a burst of edits costs one chat.update per spacing interval, not one each.
func (o *Outbox) collapseEdits(ctx context.Context, queue []store.Message) ([]store.Message, error) {
	newest := map[string]uint64{}
	for _, m := range queue {
		if m.UpdateOf != "" && !m.Parked {
			newest[m.UpdateOf] = max(newest[m.UpdateOf], m.ID)
		}
	}
	var stale []uint64
	kept := queue[:0:0]
	for _, m := range queue {
		if m.UpdateOf != "" && !m.Parked && m.ID != newest[m.UpdateOf] {
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
	if o.Metrics != nil {
		o.Metrics.outboxEditsSkipped.WithLabelValues("superseded").Add(float64(len(stale)))
	}
	return kept, nil
}

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

// pausedAt reports whether Slack asked to wait (429 Retry-After) past now.
// Slack's limits are per method across the workspace, so a 429 holds every
// channel, not only the one that got it.
func (o *Outbox) pausedAt(now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return now.Before(o.paused)
}

// spaced reports whether channel sent a message less than Spacing ago.
func (o *Outbox) spaced(channel string, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	last, ok := o.last[channel]
	return ok && o.Spacing > 0 && now.Sub(last) < o.Spacing
}

// Next returns when the earliest waiting message falls due (zero if none).
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

// nextDue is when the earliest of queue (the outbox, in order) falls due.
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
		// An edit (or a link) whose original is still queued falls due
		// when the original is delivered, which the original's own time
		// covers.
		if (m.UpdateOf != "" && refs[m.UpdateOf]) || (m.LinkOf != "" && refs[m.LinkOf]) {
			continue
		}
		// A message is due no earlier than it was queued, so one queued
		// without a Notify (an owner's notice, queued by a park) is
		// still found here.
		at := m.CreatedAt
		if m.NextAttempt.After(at) {
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
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

// outcome is what became of one delivery attempt.
type outcome struct {
	delivered bool
	parked    bool
	dropped   bool // an edit of a message that will never be posted
	waiting   bool // an edit whose original is still queued: not attempted
	notices   int  // messages queued to tell owners their channel is unreachable
}

// done reports whether the message left the queue (delivered, parked or dropped).
func (r outcome) done() bool { return r.delivered || r.parked || r.dropped }

// original is where the message an edit is about stands when it has not
// been posted: still queued (the edit waits), parked, or unknown (the edit
// is dropped either way: an edit never becomes a new post).
func original(tx *store.Tx, ref string) (string, error) {
	queued, err := tx.Outbox()
	if err != nil {
		return "", err
	}
	for _, q := range queued {
		if q.Ref == ref {
			return "queued", nil
		}
	}
	parked, err := tx.ParkedMessages()
	if err != nil {
		return "", err
	}
	for _, p := range parked {
		if p.Ref == ref {
			return "original_parked", nil
		}
	}
	return "original_missing", nil
}

// deliver sends one message and records the outcome; the error is only for
// store failures.
func (o *Outbox) deliver(ctx context.Context, m *store.Message) (outcome, error) {
	var thread, update, link *store.Posted
	var orig string // where an unposted original stands
	if err := o.store().View(ctx, func(tx *store.Tx) error {
		var err error
		if m.LinkOf != "" {
			if link, err = tx.Posted(m.LinkOf); err != nil {
				return err
			}
			if link == nil {
				if where, err := original(tx, m.LinkOf); err != nil || where == "queued" {
					orig = where
					return err
				}
			}
		}
		if m.ThreadOf != "" {
			if thread, err = tx.Posted(m.ThreadOf); err != nil {
				return err
			}
		}
		if m.UpdateOf == "" {
			return nil
		}
		if update, err = tx.Posted(m.UpdateOf); err != nil || update != nil {
			return err
		}
		orig, err = original(tx, m.UpdateOf)
		return err
	}); err != nil {
		return outcome{}, err
	}
	switch orig {
	case "queued":
		return outcome{waiting: true}, nil
	case "original_parked", "original_missing":
		return o.dropEdit(ctx, m, orig)
	}
	// A leader that lost the lease without noticing yet posts nothing: the
	// new leader will. (Its fenced writes would fail, but a post cannot be
	// taken back.)
	if err := o.store().CheckLeader(ctx); err != nil {
		return outcome{}, fmt.Errorf("deliver message %d: %w", m.ID, err)
	}
	// A delivery that started is finished even if ctx ends meanwhile: an
	// abandoned request may still have been posted.
	deadline := time.Now().Add(sendTimeout) // real time: it bounds a request
	if o.LeaseUntil != nil {
		if until := o.LeaseUntil(); !until.IsZero() && until.Before(deadline) {
			deadline = until
		}
	}
	sctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	var at store.Posted
	var err error
	if found := o.posted(sctx, m, thread, update); found != nil {
		at = *found
	} else {
		send := m
		if link != nil {
			send = o.withLink(sctx, m, *link)
		}
		at, err = o.send(sctx, send, thread, update)
	}
	cancel()
	now := o.Clock.Now()
	o.mu.Lock()
	o.last[m.Channel] = now
	o.mu.Unlock()
	if err == nil {
		if o.Metrics != nil {
			o.Metrics.outboxDelivered.Inc()
		}
		err := o.store().Update(context.WithoutCancel(ctx), "relman", now, func(tx *store.Tx) error {
			if m.Ref != "" {
				if err := tx.PutPosted(m.Ref, at); err != nil {
					return err
				}
			}
			return tx.DeleteMessage(m.ID)
		})
		o.recorded(m.Channel, err == nil)
		return outcome{delivered: true}, err
	}
	m.Attempts++
	m.LastError = err.Error()
	wait, reason := backoff(m.Attempts), "error"
	var de *DeliveryError
	if errors.As(err, &de) {
		m.Parked = de.Permanent
		if de.RetryAfter > 0 {
			wait = de.RetryAfter
			o.mu.Lock()
			if p := now.Add(wait); p.After(o.paused) {
				o.paused = p
			}
			o.mu.Unlock()
		}
		if de.Reason != "" {
			reason = de.Reason
		}
	}
	// A held message (NotBefore) ages from when it fell due, not from when
	// it was queued.
	due := m.CreatedAt
	if m.NotBefore.After(due) {
		due = m.NotBefore
	}
	if !m.Parked && now.Sub(due) > o.MaxAge {
		m.Parked = true
	}
	m.NextAttempt = now.Add(wait)
	log := o.log().With("message", m.ID, "channel", m.Channel, "attempt", m.Attempts, "reason", reason, "err", err)
	if o.Metrics != nil {
		o.Metrics.outboxFailures.WithLabelValues(reason).Inc()
	}
	if m.Parked {
		if o.Metrics != nil {
			o.Metrics.outboxParked.Inc()
		}
		log.Error("outbox message parked: delivery cannot succeed", "age", now.Sub(m.CreatedAt))
	} else {
		log.Warn("outbox delivery failed; will retry", "retry_in", wait)
	}
	res := outcome{parked: m.Parked}
	err = o.store().Update(context.WithoutCancel(ctx), "relman", now, func(tx *store.Tx) error {
		res.notices = 0 // a retried transaction starts over
		if !m.Parked {
			return tx.PutMessage(m)
		}
		if err := tx.ParkMessage(m); err != nil {
			return err
		}
		if m.DM || !unreachable[reason] {
			return nil // a notice that fails is parked like any message, and tells no one
		}
		n, err := noticeUnreachable(tx, m.Channel, reason)
		res.notices = n
		return err
	})
	o.recorded(m.Channel, err == nil)
	if err == nil && res.notices > 0 {
		log.Info("told release owners their channel is unreachable", "owners", res.notices)
	}
	return res, err
}

// recorded notes whether the outcome of an attempt to post in channel was
// recorded. Until one is, what Slack holds of the channel is not known: the
// post may have gone through with the database unable to record it (its
// connection cut), and the message, still queued as never tried, would go
// out again. So the channel's next message is looked for first (posted).
func (o *Outbox) recorded(channel string, ok bool) {
	o.mu.Lock()
	o.looked[channel] = ok
	o.mu.Unlock()
}

// posted returns where m already is in Slack, when it may have been posted
// before without the post being recorded and the Sender (a Finder) finds
// it there; otherwise nil, and m is to be posted. That may be so of a post
// (not an edit, which is harmless to repeat) that failed before (the
// failure may have come after Slack accepted it: a timeout), and of the
// first message of each channel since this worker started (the previous
// one may have stopped between a post and its record). When the lookup
// fails the message is posted: a message twice is better than none.
func (o *Outbox) posted(ctx context.Context, m *store.Message, thread, update *store.Posted) *store.Posted {
	f, ok := o.Sender.(Finder)
	if !ok || update != nil {
		return nil
	}
	o.mu.Lock()
	first := !o.looked[m.Channel]
	o.mu.Unlock()
	if m.Attempts == 0 && !first {
		return nil
	}
	found, err := f.Find(ctx, m, thread)
	if err != nil {
		o.log().Warn("outbox could not look for an earlier post of a message; posting it", "message", m.ID, "channel", m.Channel, "err", err)
		return nil
	}
	if found != nil {
		o.log().Info("outbox message found already posted; recorded as delivered", "message", m.ID, "channel", found.Channel, "ts", found.TS)
		if o.Metrics != nil {
			o.Metrics.outboxFound.Inc()
		}
	}
	return found
}

// dropEdit removes edit m, whose message was never posted and never will
// be (reason: original_parked or original_missing): sent, it would turn
// into a new post.
func (o *Outbox) dropEdit(ctx context.Context, m *store.Message, reason string) (outcome, error) {
	if err := o.store().Update(context.WithoutCancel(ctx), "relman", o.Clock.Now(), func(tx *store.Tx) error {
		return tx.DeleteMessage(m.ID)
	}); err != nil {
		return outcome{}, fmt.Errorf("drop edit %d: %w", m.ID, err)
	}
	o.log().Warn("outbox edit dropped: the message it edits was never posted",
		"message", m.ID, "channel", m.Channel, "update_of", m.UpdateOf, "reason", reason)
	if o.Metrics != nil {
		o.Metrics.outboxEditsSkipped.WithLabelValues(reason).Inc()
	}
	return outcome{dropped: true}, nil
}

// unreachable are the Slack errors that mean relman cannot post in a
// release's channel until someone acts: its owner is told.
var unreachable = map[string]bool{"channel_not_found": true, "not_in_channel": true}

// noticeUnreachable queues, once per owner, channel and reason (the alert
// ledger remembers), a DM to the owner of each release whose news goes to
// channel, saying that Slack refused it (reason, its error code) and how to
// fix it. It returns how many DMs it queued.
func noticeUnreachable(tx *store.Tx, channel, reason string) (int, error) {
	rels, err := tx.Releases()
	if err != nil {
		return 0, err
	}
	byOwner := map[string][]store.Ref{}
	var owners []string
	for _, r := range rels {
		if r.Channel != channel || r.Owner == "" {
			continue
		}
		if byOwner[r.Owner] == nil {
			owners = append(owners, r.Owner)
		}
		byOwner[r.Owner] = append(byOwner[r.Owner], r.Ref)
	}
	n := 0
	for _, owner := range owners {
		first, err := tx.MarkSent("unreachable:" + channel + ":" + owner + ":" + reason)
		if err != nil {
			return n, err
		}
		if !first {
			continue
		}
		doc := render.ChannelUnreachable(channel, reason, byOwner[owner])
		if err := tx.Enqueue(&store.Message{Channel: owner, DM: true, Doc: doc}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// backoff doubles from minBackoff up to maxBackoff.
func backoff(attempt int) time.Duration {
	d := minBackoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

func (o *Outbox) log() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

// withLink is m ending with the permalink of the message at p, labelled
// m.LinkText; m itself when the Sender has no permalinks or fails to give
// one (the message says where to look without it).
func (o *Outbox) withLink(ctx context.Context, m *store.Message, p store.Posted) *store.Message {
	pl, ok := o.Sender.(Permalinker)
	if !ok {
		return m
	}
	url, err := pl.Permalink(ctx, p)
	if err != nil {
		o.log().Warn("no permalink; sending without the link", "id", m.ID, "link_of", m.LinkOf, "err", err)
		return m
	}
	c := *m
	label := cmp.Or(m.LinkText, "Open in Slack")
	line := "<" + url + "|" + label + ">"
	c.Doc.Sections = append(slices.Clone(m.Doc.Sections), store.Section{Text: line})
	c.Doc.Text = strings.TrimRight(m.Doc.Text, "\n") + "\n" + line
	return &c
}
