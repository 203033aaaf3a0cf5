package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"relman/store"
)

// Sender delivers one outbox message. thread is where to reply (nil for a
// new message) and update the message to edit in place (nil to post). It
// returns where the message landed.
type Sender interface {
	Send(ctx context.Context, m *store.Message, thread, update *store.Posted) (store.Posted, error)
}

// DeliveryError classifies a failed delivery for the outbox worker.
type DeliveryError struct {
	Err        error
	Permanent  bool          // retrying cannot help (channel_not_found, not_in_channel, …)
	RetryAfter time.Duration // the transport asked to wait this long (429)
}

func (e *DeliveryError) Error() string { return e.Err.Error() }
func (e *DeliveryError) Unwrap() error { return e.Err }

// Backoff bounds for retrying a message.
const (
	minBackoff = 2 * time.Second
	maxBackoff = 5 * time.Minute
)

// Outbox delivers the messages queued in the store, oldest first. A message
// is removed only after the transport accepted it, so a crash or an outage
// delays messages and loses none.
type Outbox struct {
	Store  *store.Store
	Sender Sender
	Clock  store.Clock
	Log    *slog.Logger
	// OnResult, if set, is told of every attempt (for metrics).
	OnResult func(m *store.Message, err error)
}

// Flush tries every message that is due as of the clock's now, in order,
// and returns how many were delivered. After a retryable failure, later
// messages to the same channel wait too, so a channel's messages keep their
// order. It returns early only when ctx ends.
func (o *Outbox) Flush(ctx context.Context) (int, error) {
	var queue []store.Message
	if err := o.Store.View(func(tx *store.Tx) error {
		var err error
		queue, err = tx.Outbox()
		return err
	}); err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	now := o.Clock.Now()
	blocked := map[string]bool{}
	sent := 0
	for i := range queue {
		m := &queue[i]
		if m.Parked || blocked[m.Channel] {
			continue
		}
		if m.NotBefore.After(now) || m.NextAttempt.After(now) {
			blocked[m.Channel] = true
			continue
		}
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		ok, err := o.deliver(ctx, m)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		} else {
			blocked[m.Channel] = true
		}
	}
	return sent, nil
}

// Next returns when the earliest waiting message falls due (zero if none).
func (o *Outbox) Next() (time.Time, error) {
	var next time.Time
	err := o.Store.View(func(tx *store.Tx) error {
		queue, err := tx.Outbox()
		for _, m := range queue {
			if m.Parked {
				continue
			}
			at := m.NextAttempt
			if m.NotBefore.After(at) {
				at = m.NotBefore
			}
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		return err
	})
	return next, err
}

// deliver sends one message and records the outcome. It reports whether the
// message was delivered; the error is only for store failures.
func (o *Outbox) deliver(ctx context.Context, m *store.Message) (bool, error) {
	var thread, update *store.Posted
	if err := o.Store.View(func(tx *store.Tx) error {
		var err error
		if m.ThreadOf != "" {
			if thread, err = tx.Posted(m.ThreadOf); err != nil {
				return err
			}
		}
		if m.UpdateOf != "" {
			update, err = tx.Posted(m.UpdateOf)
		}
		return err
	}); err != nil {
		return false, err
	}
	at, err := o.Sender.Send(ctx, m, thread, update)
	if o.OnResult != nil {
		o.OnResult(m, err)
	}
	now := o.Clock.Now()
	if err == nil {
		return true, o.Store.Update("relman", now, func(tx *store.Tx) error {
			if m.Ref != "" {
				if err := tx.PutPosted(m.Ref, at); err != nil {
					return err
				}
			}
			return tx.DeleteMessage(m.ID)
		})
	}
	m.Attempts++
	m.LastError = err.Error()
	var de *DeliveryError
	wait := backoff(m.Attempts)
	if errors.As(err, &de) {
		if de.Permanent {
			m.Parked = true
		}
		if de.RetryAfter > 0 {
			wait = de.RetryAfter
		}
	}
	m.NextAttempt = now.Add(wait)
	log := o.log().With("message", m.ID, "channel", m.Channel, "attempt", m.Attempts, "err", err)
	if m.Parked {
		log.Error("outbox message parked: delivery cannot succeed")
	} else {
		log.Warn("outbox delivery failed; will retry", "retry_in", wait)
	}
	return false, o.Store.Update("relman", now, func(tx *store.Tx) error { return tx.PutMessage(m) })
}

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
