package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"relman/store"
)

// flightResult is what one channel's delivery (a flight) did.
type flightResult struct {
	sent    int
	gone    []uint64 // messages that left the queue: delivered, parked, dropped
	notices int      // messages a park queued to tell owners
	err     error    // a store failure, or store.ErrNotLeader
}

// read returns the queue, with superseded edits and notices dropped
// (collapseEdits, collapseNotices).
func (o *Outbox) read(ctx context.Context) ([]store.Message, error) {
	var queue []store.Message
	if err := o.store().View(ctx, func(tx *store.Tx) error {
		var err error
		queue, err = tx.Outbox()
		return err
	}); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	o.mu.Lock()
	busy := make(map[string]bool, len(o.busy))
	for ch := range o.busy {
		busy[ch] = true
	}
	o.mu.Unlock()
	queue, err := o.collapseEdits(ctx, queue, busy)
	if err != nil {
		return nil, err
	}
	return o.collapseNotices(ctx, queue, busy)
}

// dispatch is Run's flush: it starts a flight for every channel whose first
// waiting message is due, while slots are free, and returns when what it
// left falls due (as Next would; zero when every slot is taken), exact
// unless it queued messages it did not read (a park's notices). A flight
// that ends wakes Run (Notify), so the channels left for want of a slot,
// and the messages a flight's park queued, are looked at again then.
//
// With Parallel 1 it delivers in order (inOrder) before it returns; its
// error is then the delivery's.
func (o *Outbox) dispatch(ctx context.Context) (next time.Time, exact bool, err error) {
	queue, err := o.read(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	if cap(o.slots) == 1 {
		r, waiting := o.inOrder(ctx, queue)
		o.metrics().OutboxDepth(waiting + r.notices - len(r.gone))
		if r.err != nil {
			return time.Time{}, false, r.err
		}
		// inOrder updated the messages it tried in place (a retry's time,
		// a hold); the ones gone are left out.
		left := slices.DeleteFunc(queue, func(m store.Message) bool { return slices.Contains(r.gone, m.ID) })
		return o.nextDue(left), r.notices == 0, nil
	}
	waiting, full := o.start(ctx, queue, false, func(r flightResult) {
		switch {
		case errors.Is(r.err, store.ErrNotLeader):
			select {
			case o.lost <- r.err:
			default:
			}
		case r.err != nil && ctx.Err() == nil:
			o.log().Error("outbox delivery failed", "err", r.err)
		}
		o.Notify()
	})
	o.metrics().OutboxDepth(waiting)
	if full {
		// Nothing can start before a flight ends, and its end wakes Run.
		return time.Time{}, true, nil
	}
	return o.nextDue(queue), true, nil
}

// start starts a flight (deliverChannel) for each channel of queue that is
// not under delivery and whose first waiting message is due, in the order
// of their first waiting messages, and reports each flight's end to done
// (from the flight's goroutine). With wait it waits for a free slot; without
// it, it stops at the first channel that finds none, and reports full. It
// returns how many messages of queue wait (parked ones left out).
func (o *Outbox) start(ctx context.Context, queue []store.Message, wait bool, done func(flightResult)) (waiting int, full bool) {
	var order []string
	byChannel := map[string][]store.Message{}
	for _, m := range queue {
		if m.Parked {
			continue
		}
		waiting++
		if byChannel[m.Channel] == nil {
			order = append(order, m.Channel)
		}
		byChannel[m.Channel] = append(byChannel[m.Channel], m)
	}
	for _, ch := range order {
		if ctx.Err() != nil {
			break
		}
		msgs := byChannel[ch]
		o.mu.Lock()
		busy := o.busy[ch]
		o.mu.Unlock()
		if busy || !o.due(&msgs[0], o.Clock.Now()) {
			continue
		}
		if wait {
			select {
			case o.slots <- struct{}{}:
			case <-ctx.Done():
				return waiting, false
			}
		} else {
			select {
			case o.slots <- struct{}{}:
			default:
				return waiting, true
			}
		}
		o.mu.Lock()
		o.busy[ch] = true
		o.mu.Unlock()
		o.flights.Go(func() {
			r := o.deliverChannel(ctx, msgs)
			o.mu.Lock()
			delete(o.busy, ch)
			o.mu.Unlock()
			<-o.slots
			done(r)
		})
	}
	return waiting, false
}

// deliverChannel delivers msgs, the waiting messages of one channel in
// order (step), until one is not due, waits (held for working hours, an
// edit behind its original), fails, or, with Spacing, one was delivered:
// the channel's next message waits for its spacing. It stops early when
// ctx ends, finishing the delivery under way.
func (o *Outbox) deliverChannel(ctx context.Context, msgs []store.Message) flightResult {
	var r flightResult
	for i := range msgs {
		if !o.step(ctx, &msgs[i], &r) {
			break
		}
	}
	return r
}

// inOrder is a flush with Parallel 1: the waiting messages of queue in its
// order, one at a time, each channel's until it stops (step), as a person
// reading the console expects them. It returns what it did and how many
// messages of queue wait.
func (o *Outbox) inOrder(ctx context.Context, queue []store.Message) (flightResult, int) {
	var r flightResult
	blocked := map[string]bool{}
	waiting := 0
	for i := range queue {
		m := &queue[i]
		if m.Parked {
			continue
		}
		waiting++
		if blocked[m.Channel] || r.err != nil {
			continue
		}
		if !o.step(ctx, m, &r) {
			blocked[m.Channel] = true
		}
	}
	return r, waiting
}

// step tries m, the first waiting message of its channel, adds what came
// of it to r, and reports whether the channel's next message may follow
// now.
func (o *Outbox) step(ctx context.Context, m *store.Message, r *flightResult) bool {
	now := o.Clock.Now()
	if ctx.Err() != nil || !o.due(m, now) {
		return false
	}
	held, err := o.hold(ctx, m, now)
	if err != nil || held {
		// A person's later DMs keep their order behind a held one.
		r.err = err
		return false
	}
	res, err := o.deliver(ctx, m)
	r.notices += res.notices
	if res.done() {
		r.gone = append(r.gone, m.ID)
	}
	if err != nil {
		r.err = err
		return false
	}
	if res.delivered {
		r.sent++
	}
	// An edit waits behind its original, wherever that is queued; a
	// failed channel waits for its retry; a served one for its spacing;
	// after one dropped (nothing went to Slack) the next may go at once.
	return !res.waiting && (res.dropped || (res.delivered && o.Spacing <= 0))
}
