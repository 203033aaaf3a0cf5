package outbox

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"relman/store"
	"relman/store/boltdb"
)

// fakeSender posts into memory: each Send gets the next ts, unless fail
// holds an error for it (taken in order).
type fakeSender struct {
	mu   sync.Mutex
	sent []string // "post C1 text", "edit C1/1 text"
	fail []error
}

func (s *fakeSender) Send(_ context.Context, m *store.Message, thread, update *store.Posted) (store.Posted, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fail) > 0 {
		err := s.fail[0]
		s.fail = s.fail[1:]
		if err != nil {
			return store.Posted{}, err
		}
	}
	if update != nil {
		s.sent = append(s.sent, fmt.Sprintf("edit %s/%s %s", update.Channel, update.TS, m.Doc.Text))
		return *update, nil
	}
	s.sent = append(s.sent, fmt.Sprintf("post %s %s", m.Channel, m.Doc.Text))
	return store.Posted{Channel: m.Channel, TS: fmt.Sprint(len(s.sent))}, nil
}

// countingMetrics counts what the outbox reports.
type countingMetrics struct {
	noMetrics
	mu      sync.Mutex
	skipped map[string]int
	failed  map[string]int
	parked  int
	depths  int // OutboxDepth calls: one a flush
}

func (m *countingMetrics) OutboxDepth(int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.depths++
}

func (m *countingMetrics) OutboxEditsSkipped(reason string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.skipped[reason] += n
}

func (m *countingMetrics) OutboxFailed(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failed[reason]++
}

func (m *countingMetrics) OutboxParked() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.parked++
}

var deliverStart = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)

// newTestOutbox is an Outbox on a bbolt store in a temporary directory,
// sending through a fakeSender, with a fake clock and no spacing.
func newTestOutbox(tb testing.TB) (*Outbox, *fakeSender, *countingMetrics, *store.FakeClock) {
	tb.Helper()
	st, err := boltdb.Open(filepath.Join(tb.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	clock := store.NewFakeClock(deliverStart)
	s := &fakeSender{}
	m := &countingMetrics{skipped: map[string]int{}, failed: map[string]int{}}
	return &Outbox{Store: st, Sender: s, Clock: clock, Metrics: m, Spacing: -1}, s, m, clock
}

// mustEnqueue queues msgs at the clock's now.
func mustEnqueue(tb testing.TB, o *Outbox, msgs ...store.Message) {
	tb.Helper()
	if err := o.Store.Update(context.Background(), "relman", o.Clock.Now(), func(tx *store.Tx) error {
		for i := range msgs {
			if err := tx.Enqueue(&msgs[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
}

// mustPark queues m and parks it, as a permanent failure would.
func mustPark(tb testing.TB, o *Outbox, m store.Message) {
	tb.Helper()
	if err := o.Store.Update(context.Background(), "relman", o.Clock.Now(), func(tx *store.Tx) error {
		if err := tx.Enqueue(&m); err != nil {
			return err
		}
		m.Parked = true
		return tx.ParkMessage(&m)
	}); err != nil {
		tb.Fatal(err)
	}
}

func text(channel, s string) store.Message {
	return store.Message{Channel: channel, Doc: store.Doc{Text: s}}
}

func TestOriginalLabels(t *testing.T) {
	for s, want := range map[original]string{
		originalPosted: "posted", originalQueued: "queued", originalParked: "original_parked", originalMissing: "original_missing",
	} {
		if got := s.String(); got != want {
			t.Errorf("original(%d).String() = %q; want %q", s, got, want)
		}
	}
}

func TestDeliverEdits(t *testing.T) {
	ctx := context.Background()
	t.Run("EditWaitsBehindItsQueuedOriginal", func(t *testing.T) {
		o, s, _, _ := newTestOutbox(t)
		orig := text("C1", "card v1")
		orig.Ref = "cr-1"
		edit := text("C1", "card v2")
		edit.UpdateOf = "cr-1"
		mustEnqueue(t, o, orig, edit)
		if n, err := o.Flush(ctx); err != nil || n != 2 {
			t.Fatalf("Flush = %d, %v; want 2 (the original, then its edit)", n, err)
		}
		if want := "[post C1 card v1 edit C1/1 card v2]"; fmt.Sprint(s.sent) != want {
			t.Errorf("sent %v; want %s", s.sent, want)
		}
	})
	for _, tc := range []struct {
		name   string
		parked bool
		reason string
	}{
		{"EditOfAParkedOriginalIsDropped", true, "original_parked"},
		{"EditOfAMissingOriginalIsDropped", false, "original_missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, s, m, _ := newTestOutbox(t)
			if tc.parked {
				orig := text("C1", "card v1")
				orig.Ref = "cr-1"
				mustPark(t, o, orig)
			}
			edit := text("C1", "card v2")
			edit.UpdateOf = "cr-1"
			mustEnqueue(t, o, edit)
			if n, err := o.Flush(ctx); err != nil || n != 0 {
				t.Fatalf("Flush = %d, %v; want 0", n, err)
			}
			if len(s.sent) != 0 || m.skipped[tc.reason] != 1 {
				t.Errorf("sent %v, skipped %v; want nothing sent and one skipped as %s", s.sent, m.skipped, tc.reason)
			}
			if next, err := o.Next(); err != nil || !next.IsZero() {
				t.Errorf("Next = %v, %v; want nothing left", next, err)
			}
		})
	}
	t.Run("LinkToAParkedOriginalGoesWithoutIt", func(t *testing.T) {
		o, s, _, _ := newTestOutbox(t)
		orig := text("C1", "the CR")
		orig.Ref = "cr-1"
		mustPark(t, o, orig)
		note := text("U1", "you were asked")
		note.LinkOf = "cr-1"
		mustEnqueue(t, o, note)
		if n, err := o.Flush(ctx); err != nil || n != 1 {
			t.Fatalf("Flush = %d, %v; want 1", n, err)
		}
		if want := "[post U1 you were asked]"; fmt.Sprint(s.sent) != want {
			t.Errorf("sent %v; want %s", s.sent, want)
		}
	})
}

func TestDeliverFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("PassingFailureIsRetriedAfterTheBackoff", func(t *testing.T) {
		o, s, m, clock := newTestOutbox(t)
		s.fail = []error{&DeliveryError{Err: errors.New("502"), Reason: "http_502"}, errors.New("reset")}
		mustEnqueue(t, o, text("C1", "news"))
		for i, wait := range []time.Duration{minBackoff, 2 * minBackoff} {
			if n, err := o.Flush(ctx); err != nil || n != 0 {
				t.Fatalf("attempt %d: Flush = %d, %v; want 0", i+1, n, err)
			}
			next, err := o.Next()
			if err != nil || next != clock.Now().Add(wait) {
				t.Fatalf("attempt %d: Next = %v, %v; want %v later", i+1, next, err, wait)
			}
			clock.Set(next)
		}
		if n, err := o.Flush(ctx); err != nil || n != 1 {
			t.Fatalf("third Flush = %d, %v; want 1", n, err)
		}
		if m.failed["http_502"] != 1 || m.failed["error"] != 1 || m.parked != 0 {
			t.Errorf("failures %v, parked %d; want one http_502, one error, none parked", m.failed, m.parked)
		}
	})
	t.Run("PermanentFailureIsParked", func(t *testing.T) {
		o, s, m, _ := newTestOutbox(t)
		s.fail = []error{&DeliveryError{Err: errors.New("gone"), Reason: "is_archived", Permanent: true}}
		mustEnqueue(t, o, text("C1", "news"))
		if _, err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if next, err := o.Next(); err != nil || !next.IsZero() || m.parked != 1 {
			t.Errorf("Next = %v, %v, parked %d; want nothing waiting and one parked", next, err, m.parked)
		}
	})
	t.Run("RetryAfterHoldsEveryChannel", func(t *testing.T) {
		o, s, _, clock := newTestOutbox(t)
		// One channel at a time: a 429 holds what has not started, not the
		// posts already under way.
		o.Parallel = 1
		s.fail = []error{&DeliveryError{Err: errors.New("429"), Reason: "ratelimited", RetryAfter: 30 * time.Second}}
		mustEnqueue(t, o, text("C1", "one"), text("C2", "two"))
		if n, err := o.Flush(ctx); err != nil || n != 0 {
			t.Fatalf("Flush = %d, %v; want 0: C2 waits out the pause too", n, err)
		}
		if next, err := o.Next(); err != nil || next != clock.Now().Add(30*time.Second) {
			t.Errorf("Next = %v, %v; want 30s later", next, err)
		}
	})
	t.Run("StillFailingAfterMaxAgeIsParked", func(t *testing.T) {
		o, s, m, clock := newTestOutbox(t)
		o.MaxAge = time.Minute
		mustEnqueue(t, o, text("C1", "news"))
		clock.Set(deliverStart.Add(2 * time.Minute))
		s.fail = []error{errors.New("reset")}
		if _, err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if m.parked != 1 {
			t.Errorf("parked %d; want 1 (failing past MaxAge)", m.parked)
		}
	})
}

func TestBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 3: 8 * time.Second, 9: maxBackoff, 50: maxBackoff} {
		if got := backoff(attempt); got != want {
			t.Errorf("backoff(%d) = %v; want %v", attempt, got, want)
		}
	}
}
