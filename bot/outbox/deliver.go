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
	// A leader that lost the lease without noticing yet posts nothing: the
	// new leader will. (Its fenced writes would fail, but a post cannot be
	// taken back.)
	if err := o.store().CheckLeader(ctx); err != nil {
		return outcome{}, fmt.Errorf("deliver message %d: %w", m.ID, err)
	}
	at, sendErr := o.attempt(ctx, m, t)
	now := o.Clock.Now()
	o.mu.Lock()
	o.last[m.Channel] = now
	o.mu.Unlock()
	if sendErr != nil {
		return o.fail(ctx, m, sendErr, now)
	}
	return o.record(ctx, m, at, now)
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

// attempt sends m to t, unless the Sender finds it already posted
// (posted), and returns where it landed. A delivery that started is
// finished even if ctx ends meanwhile (an abandoned request may still have
// been posted), within sendTimeout and before the leader lease runs out
// (LeaseUntil).
func (o *Outbox) attempt(ctx context.Context, m *store.Message, t target) (store.Posted, error) {
	deadline := time.Now().Add(sendTimeout) // real time: it bounds a request
	if o.LeaseUntil != nil {
		if until := o.LeaseUntil(); !until.IsZero() && until.Before(deadline) {
			deadline = until
		}
	}
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	if found := o.posted(ctx, m, t.thread, t.update); found != nil {
		return *found, nil
	}
	send := m
	if t.link != nil {
		send = o.withLink(ctx, m, *t.link)
	}
	return o.send(ctx, send, t.thread, t.update)
}

// record removes delivered m from the queue and remembers where it landed
// (when others refer to it: Ref).
func (o *Outbox) record(ctx context.Context, m *store.Message, at store.Posted, now time.Time) (outcome, error) {
	o.metrics().OutboxDelivered()
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
	o.recorded(m.Channel, err == nil)
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
		o.metrics().OutboxFound()
	}
	return found
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
