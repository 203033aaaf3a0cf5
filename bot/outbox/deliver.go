package outbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"relman/store"
)

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

// original is where the message an edit (Message.UpdateOf) or a link
// (Message.LinkOf) is about stands.
type original int

const (
	// originalPosted: it was posted (or there is none): the message goes.
	originalPosted original = iota
	// originalQueued: it is still queued; the edit or link waits behind it.
	originalQueued
	// originalParked: it was parked and will never be posted.
	originalParked
	// originalMissing: it is nowhere (delivered without a Ref, or dropped).
	originalMissing
)

// String is the state's label in logs and metrics
// (relman_outbox_edits_skipped_total's reason).
func (s original) String() string {
	switch s {
	case originalQueued:
		return "queued"
	case originalParked:
		return "original_parked"
	case originalMissing:
		return "original_missing"
	}
	return "posted"
}

// originalOf is where the unposted message ref stands: still queued,
// parked, or missing.
func originalOf(tx *store.Tx, ref string) (original, error) {
	queued, err := tx.Outbox()
	if err != nil {
		return 0, err
	}
	if slices.ContainsFunc(queued, func(q store.Message) bool { return q.Ref == ref }) {
		return originalQueued, nil
	}
	parked, err := tx.ParkedMessages()
	if err != nil {
		return 0, err
	}
	if slices.ContainsFunc(parked, func(p store.Message) bool { return p.Ref == ref }) {
		return originalParked, nil
	}
	return originalMissing, nil
}

// target is where one message goes, read from the store before it is
// sent: the thread to reply in, the post to edit, the post to link to,
// and where an unposted original of an edit or link stands.
type target struct {
	thread, update, link *store.Posted
	original             original
}

// deliver sends one message and records the outcome; the error is only for
// store failures. An edit whose original is still queued waits (and so
// does a link's); an edit whose original will never be posted is dropped,
// since sent it would turn into a new post.
//
// A post that may already be in Slack (Message.Sending) is looked for
// there first (Finder); before any other post the message is marked
// Sending, so that if this worker dies (or loses the database) before
// recording the outcome, the next one looks. That write is fenced (Lead),
// so it also checks that this replica still leads.
func (o *Outbox) deliver(ctx context.Context, m *store.Message) (outcome, error) {
	t, err := o.resolve(ctx, m)
	if err != nil {
		return outcome{}, err
	}
	switch t.original {
	case originalQueued:
		return outcome{waiting: true}, nil
	case originalParked, originalMissing:
		return o.dropEdit(ctx, m, t.original)
	}
	f, look := o.Sender.(Finder)
	look = look && t.update == nil // an edit is harmless to repeat
	if look && m.Sending {
		found, err := o.look(ctx, f, m, t.thread)
		if de, ok := errors.AsType[*DeliveryError](err); ok && de.RetryAfter > 0 {
			return o.lookLater(ctx, m, de)
		}
		if found != nil {
			now := o.Clock.Now()
			o.attempted(m.Channel, now, true)
			return o.record(ctx, m, *found, now)
		}
	}
	if m.Notice != nil && o.Render != nil {
		keep, err := o.compose(ctx, m)
		if err != nil {
			return outcome{}, fmt.Errorf("deliver message %d: %w", m.ID, err)
		}
		if !keep {
			return o.dropNotice(ctx, m)
		}
	}
	if err := o.claim(ctx, m, look); err != nil {
		return outcome{}, fmt.Errorf("deliver message %d: %w", m.ID, err)
	}
	at, sendErr := o.attempt(ctx, m, t)
	now := o.Clock.Now()
	o.attempted(m.Channel, now, true)
	if sendErr != nil {
		return o.fail(ctx, m, sendErr, now)
	}
	return o.record(ctx, m, at, now)
}

// claim readies m to be handed to the transport: when the outcome could
// be unknown to the next worker (mark, a post the Sender can look for)
// it marks m Sending in the store, else it checks that this replica still
// leads. A leader that lost the lease without noticing yet posts nothing:
// the new leader will. (Its fenced writes would fail, but a post cannot be
// taken back.)
func (o *Outbox) claim(ctx context.Context, m *store.Message, mark bool) error {
	if !mark || m.Sending {
		return o.store().CheckLeader(ctx)
	}
	m.Sending = true
	err := o.store().Update(context.WithoutCancel(ctx), "relman", o.Clock.Now(), func(tx *store.Tx) error {
		return tx.PutMessage(m)
	})
	if err != nil {
		m.Sending = false
	}
	return err
}

// attempted notes that a message of channel was tried at now (this Run
// waits out the channel's backoffs from now on) and, when it went to
// Slack (sent), when: the channel's spacing counts from then.
func (o *Outbox) attempted(channel string, now time.Time, sent bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tried != nil {
		o.tried[channel] = true
	}
	if sent {
		o.last[channel] = now
	}
}

// resolve reads where m goes (target). A link to a message that will
// never be posted is left out (the message goes without it); a link to
// one still queued waits for it, as an edit does.
func (o *Outbox) resolve(ctx context.Context, m *store.Message) (target, error) {
	var t target
	err := o.store().View(ctx, func(tx *store.Tx) error {
		var err error
		if m.LinkOf != "" {
			if t.link, err = tx.Posted(m.LinkOf); err != nil {
				return err
			}
			if t.link == nil {
				orig, err := originalOf(tx, m.LinkOf)
				if err != nil || orig == originalQueued {
					t.original = orig
					return err
				}
			}
		}
		if m.ThreadOf != "" {
			if t.thread, err = tx.Posted(m.ThreadOf); err != nil {
				return err
			}
		}
		if m.UpdateOf == "" {
			return nil
		}
		if t.update, err = tx.Posted(m.UpdateOf); err != nil || t.update != nil {
			return err
		}
		t.original, err = originalOf(tx, m.UpdateOf)
		return err
	})
	return t, err
}

// attempt sends m to t and returns where it landed. A delivery that
// started is finished even if ctx ends meanwhile (an abandoned request may
// still have been posted), within sendTimeout and the leader lease
// (callContext).
func (o *Outbox) attempt(ctx context.Context, m *store.Message, t target) (store.Posted, error) {
	ctx, cancel := o.callContext(ctx, sendTimeout)
	defer cancel()
	send := m
	if t.link != nil {
		send = o.withLink(ctx, m, *t.link)
	}
	return o.send(ctx, send, t.thread, t.update)
}

// callContext is ctx for one call to the transport: not ended when ctx
// ends (a call that started is finished: abandoned, it may still land),
// but after d, or when the leader lease runs out (LeaseUntil), whichever
// comes first. The lease's end is read again when it comes, so a renewal
// meanwhile lets the call go on.
func (o *Outbox) callContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d) // real time: it bounds a request
	if o.LeaseUntil == nil {
		return ctx, cancel
	}
	until := o.LeaseUntil()
	if until.IsZero() {
		return ctx, cancel
	}
	if !until.After(time.Now()) {
		cancel()
		return ctx, cancel
	}
	go func() {
		for {
			t := time.NewTimer(time.Until(until))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			next := o.LeaseUntil()
			if next.IsZero() || !next.After(time.Now()) {
				cancel()
				return
			}
			until = next
		}
	}()
	return ctx, cancel
}

// record removes delivered m from the queue and remembers where it landed
// (when others refer to it: Ref) and, of a notice, that its reader was told
// it (store.Tx.MarkTold).
func (o *Outbox) record(ctx context.Context, m *store.Message, at store.Posted, now time.Time) (outcome, error) {
	o.metrics().OutboxDelivered()
	err := o.store().Update(context.WithoutCancel(ctx), "relman", now, func(tx *store.Tx) error {
		if m.Ref != "" {
			if err := tx.PutPosted(m.Ref, at); err != nil {
				return err
			}
		}
		if m.Notice != nil && o.Render != nil {
			if err := tx.MarkTold(m.Channel, m.Notice); err != nil {
				return err
			}
		}
		return tx.DeleteMessage(m.ID)
	})
	return outcome{delivered: true}, err
}

// fail records a failed attempt to send m: it is retried after a backoff
// (or the Retry-After the transport asked for), or parked when retrying
// cannot help or it has kept failing for MaxAge. Parking a channel's
// message for a reason its release owners can fix tells them (once).
func (o *Outbox) fail(ctx context.Context, m *store.Message, sendErr error, now time.Time) (outcome, error) {
	wait, reason := o.retry(m, sendErr, now)
	log := o.log().With("message", m.ID, "channel", m.Channel, "attempt", m.Attempts, "reason", reason, "err", sendErr)
	o.metrics().OutboxFailed(reason)
	if m.Parked {
		o.metrics().OutboxParked()
		log.Error("outbox message parked: delivery cannot succeed", "age", now.Sub(m.CreatedAt))
	} else {
		log.Warn("outbox delivery failed; will retry", "retry_in", wait)
	}
	res := outcome{parked: m.Parked}
	err := o.store().Update(context.WithoutCancel(ctx), "relman", now, func(tx *store.Tx) error {
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
	if err == nil && res.notices > 0 {
		log.Info("told release owners their channel is unreachable", "owners", res.notices)
	}
	return res, err
}

// retry updates m after a failed attempt at now: its attempts, last
// error, next attempt, and whether it is parked. A Retry-After pauses every
// channel (pausedAt). It returns how long m waits and the failure's reason
// label.
func (o *Outbox) retry(m *store.Message, sendErr error, now time.Time) (time.Duration, string) {
	m.Attempts++
	m.LastError = sendErr.Error()
	wait, reason := backoff(m.Attempts), "error"
	if de, ok := errors.AsType[*DeliveryError](sendErr); ok {
		m.Parked = de.Permanent
		if de.NotPosted {
			m.Sending = false // the retry need not look for it
		}
		if de.RetryAfter > 0 {
			wait = de.RetryAfter
			o.mu.Lock()
			if p := now.Add(wait); p.After(o.paused) {
				o.paused = p
			}
			o.mu.Unlock()
		}
		reason = cmp.Or(de.Reason, reason)
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
	return wait, reason
}

// look returns where m already is in Slack (nil when it is not), asking
// the Finder within lookTimeout and the leader lease (callContext). A
// rate-limited lookup is returned as the Finder's *DeliveryError (its
// RetryAfter set): the message waits and the lookup is retried, as a post
// unchecked is what makes a duplicate. Any other failure is logged and m
// is to be posted: a message twice is better than none.
func (o *Outbox) look(ctx context.Context, f Finder, m *store.Message, thread *store.Posted) (*store.Posted, error) {
	ctx, cancel := o.callContext(ctx, lookTimeout)
	defer cancel()
	found, err := f.Find(ctx, m, thread)
	if de, ok := errors.AsType[*DeliveryError](err); ok && de.RetryAfter > 0 {
		o.metrics().OutboxLookup("ratelimited")
		return nil, err
	}
	if err != nil {
		o.metrics().OutboxLookup("failed")
		o.log().Warn("outbox could not look for an earlier post of a message; posting it", "message", m.ID, "channel", m.Channel, "err", err)
		return nil, nil
	}
	if found == nil {
		o.metrics().OutboxLookup("not_found")
	}
	if found != nil {
		o.metrics().OutboxLookup("found")
		o.log().Info("outbox message found already posted; recorded as delivered", "message", m.ID, "channel", found.Channel, "ts", found.TS)
		o.metrics().OutboxFound()
	}
	return found, nil
}

// lookLater records that the lookup for m was rate limited (de): m, and
// every other message that needs a lookup, waits de.RetryAfter; the posts
// that need none go on (Slack's limits are per method).
func (o *Outbox) lookLater(ctx context.Context, m *store.Message, de *DeliveryError) (outcome, error) {
	now := o.Clock.Now()
	o.attempted(m.Channel, now, false)
	o.mu.Lock()
	if p := now.Add(de.RetryAfter); p.After(o.lookPaused) {
		o.lookPaused = p
	}
	o.mu.Unlock()
	m.NextAttempt = now.Add(de.RetryAfter)
	m.LastError = de.Error()
	o.metrics().OutboxFailed("lookup_" + cmp.Or(de.Reason, "ratelimited"))
	o.log().Warn("outbox lookup rate limited; the message waits", "message", m.ID, "channel", m.Channel, "retry_in", de.RetryAfter)
	err := o.store().Update(context.WithoutCancel(ctx), "relman", now, func(tx *store.Tx) error {
		return tx.PutMessage(m)
	})
	return outcome{}, err
}

// dropEdit removes edit m, whose message was never posted and never will
// be (why: originalParked or originalMissing): sent, it would turn into a
// new post.
func (o *Outbox) dropEdit(ctx context.Context, m *store.Message, why original) (outcome, error) {
	if err := o.store().Update(context.WithoutCancel(ctx), "relman", o.Clock.Now(), func(tx *store.Tx) error {
		return tx.DeleteMessage(m.ID)
	}); err != nil {
		return outcome{}, fmt.Errorf("drop edit %d: %w", m.ID, err)
	}
	o.log().Warn("outbox edit dropped: the message it edits was never posted",
		"message", m.ID, "channel", m.Channel, "update_of", m.UpdateOf, "reason", why.String())
	o.metrics().OutboxEditsSkipped(why.String(), 1)
	return outcome{dropped: true}, nil
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
