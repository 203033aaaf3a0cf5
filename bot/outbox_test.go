package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"relman/bot/outbox"
	"relman/bot/slackfake"
	"relman/store"
	"relman/store/boltdb"
)

// outboxStart is the fake clock's start: Monday 2027-01-04 09:00 UTC.
var outboxStart = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)

// outboxHarness is an Outbox on a real store in a temporary directory,
// delivering through a real slack-go client to a fake Slack, with a fake
// clock.
type outboxHarness struct {
	fake    *slackfake.Server
	clock   *store.FakeClock
	api     *slack.Client
	path    string
	store   *store.Store
	metrics *Metrics
	outbox  *outbox.Outbox
}

// outboxFixture returns a fresh harness; everything is closed at the end of
// the test.
func outboxFixture(tb testing.TB) *outboxHarness {
	tb.Helper()
	fake := slackfake.New()
	tb.Cleanup(fake.Close)
	clock := store.NewFakeClock(outboxStart)
	fake.Now = clock.Now
	h := &outboxHarness{
		fake:  fake,
		clock: clock,
		api: slack.New(fake.BotToken, slack.OptionAPIURL(fake.URL()),
			slack.OptionHTTPClient(&http.Client{Timeout: 2 * time.Second})),
		path: filepath.Join(tb.TempDir(), "relman.db"),
	}
	h.open(tb)
	tb.Cleanup(func() {
		if err := h.store.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return h
}

// open opens the store file and builds a new Outbox on it, with fresh
// metrics and no memory of earlier deliveries.
func (h *outboxHarness) open(tb testing.TB) {
	tb.Helper()
	st, err := boltdb.Open(h.path, boltdb.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	h.store = st
	h.metrics = NewMetrics()
	h.outbox = &outbox.Outbox{
		Store:   st,
		Sender:  &SlackSender{API: h.api, Metrics: h.metrics},
		Clock:   h.clock,
		Metrics: h.metrics,
	}
}

// restart closes the store and reopens the same file with a new Outbox, as
// a process restarted after a crash would.
func (h *outboxHarness) restart(tb testing.TB) {
	tb.Helper()
	if err := h.store.Close(); err != nil {
		tb.Fatal(err)
	}
	h.open(tb)
}

// enqueue queues msgs in one transaction at the clock's now and returns them
// with their IDs and CreatedAt set.
func (h *outboxHarness) enqueue(tb testing.TB, msgs ...store.Message) []store.Message {
	tb.Helper()
	err := h.store.Update(context.Background(), "relman", h.clock.Now(), func(tx *store.Tx) error {
		for i := range msgs {
			if err := tx.Enqueue(&msgs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("enqueue: %v", err)
	}
	return msgs
}

// queue returns the outbox as stored, parked messages included.
func (h *outboxHarness) queue(tb testing.TB) []store.Message {
	tb.Helper()
	var q []store.Message
	if err := h.store.View(context.Background(), func(tx *store.Tx) error {
		var err error
		if q, err = tx.Outbox(); err != nil {
			return err
		}
		parked, err := tx.ParkedMessages()
		q = append(q, parked...)
		slices.SortFunc(q, func(a, b store.Message) int { return int(a.ID) - int(b.ID) })
		return err
	}); err != nil {
		tb.Fatalf("read outbox: %v", err)
	}
	return q
}

// message returns the queued message with id, failing the test if it is gone.
func (h *outboxHarness) message(tb testing.TB, id uint64) store.Message {
	tb.Helper()
	for _, m := range h.queue(tb) {
		if m.ID == id {
			return m
		}
	}
	tb.Fatalf("message %d is no longer in the outbox", id)
	return store.Message{}
}

// posted returns where the message named ref landed, or nil.
func (h *outboxHarness) posted(tb testing.TB, ref string) *store.Posted {
	tb.Helper()
	var p *store.Posted
	if err := h.store.View(context.Background(), func(tx *store.Tx) error {
		var err error
		p, err = tx.Posted(ref)
		return err
	}); err != nil {
		tb.Fatalf("Posted(%q): %v", ref, err)
	}
	return p
}

// flush runs one Flush at the clock's now and returns how many were sent.
func (h *outboxHarness) flush(tb testing.TB) int {
	tb.Helper()
	n, err := h.outbox.Flush(context.Background())
	if err != nil {
		tb.Fatalf("Flush at %s: %v", h.clock.Now().Format(time.TimeOnly), err)
	}
	return n
}

// next returns Outbox.Next.
func (h *outboxHarness) next(tb testing.TB) time.Time {
	tb.Helper()
	next, err := h.outbox.Next()
	if err != nil {
		tb.Fatalf("Next: %v", err)
	}
	return next
}

// drain flushes, then moves the clock to Next and flushes again, until
// nothing is waiting; it returns the waits between flushes. It fails the
// test if the outbox does not settle within 100 rounds.
func (h *outboxHarness) drain(tb testing.TB) []time.Duration {
	tb.Helper()
	var waits []time.Duration
	for range 100 {
		h.flush(tb)
		next := h.next(tb)
		if next.IsZero() {
			return waits
		}
		waits = append(waits, next.Sub(h.clock.Now()))
		if next.After(h.clock.Now()) {
			h.clock.Set(next)
		}
	}
	tb.Fatalf("outbox still busy after 100 flushes: %+v", h.queue(tb))
	return nil
}

// texts returns the text of the fake's messages in channel, in order.
func (h *outboxHarness) texts(channel string) []string {
	var out []string
	for _, m := range h.fake.Messages(channel) {
		out = append(out, m.Text)
	}
	return out
}

// posts counts the chat.postMessage calls to channel (all channels if "").
func (h *outboxHarness) posts(channel string) int {
	n := 0
	for _, c := range h.fake.CallsTo("chat.postMessage") {
		if channel == "" || c.Param("channel") == channel {
			n++
		}
	}
	return n
}

// outboxMetric returns the value of the counter or gauge name whose labels
// include labels (pairs of name, value), summed over matching series.
func outboxMetric(tb testing.TB, m *Metrics, name string, labels ...string) float64 {
	tb.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		tb.Fatalf("gather metrics: %v", err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range s.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue series
				}
			}
			sum += s.GetCounter().GetValue() + s.GetGauge().GetValue()
		}
	}
	return sum
}

// outboxText builds a message to channel with text (and one section, so
// Block Kit rendering is exercised).
func outboxText(channel, text string) store.Message {
	return store.Message{Channel: channel, Doc: store.Doc{Text: text, Sections: []store.Section{{Text: text}}}}
}

func TestOutbox(t *testing.T) {
	t.Run("DeliversInOrderAndEmptiesOutbox", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		a1 := outboxText("C1", "a1")
		a1.Ref = "rel:a1"
		b2 := outboxText("C2", "b2")
		b2.Ref = "rel:b2"
		h.enqueue(t, a1, outboxText("C2", "b1"), outboxText("C1", "a2"), b2, outboxText("C1", "a3"))

		wantSent := []int{2, 2, 1}
		for i, want := range wantSent {
			if i > 0 {
				if got, want := h.next(t), h.clock.Now().Add(time.Second); !got.Equal(want) {
					t.Fatalf("round %d: Next() = %v; want %v (one second of spacing)", i, got, want)
				}
				h.clock.Advance(time.Second)
			}
			if got := h.flush(t); got != want {
				t.Fatalf("round %d: Flush() = %d; want %d", i, got, want)
			}
			if got := h.flush(t); got != 0 {
				t.Fatalf("round %d: second Flush() at the same instant = %d; want 0 (spacing)", i, got)
			}
		}

		if diff := cmp.Diff([]string{"a1", "a2", "a3"}, h.texts("C1")); diff != "" {
			t.Errorf("C1 messages (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"b1", "b2"}, h.texts("C2")); diff != "" {
			t.Errorf("C2 messages (-want +got):\n%s", diff)
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox after delivery = %+v; want empty", q)
		}
		if next := h.next(t); !next.IsZero() {
			t.Errorf("Next() on an empty outbox = %v; want zero", next)
		}
		if c1, c2 := h.fake.Messages("C1"), h.fake.Messages("C2"); len(c1) == 3 && len(c2) == 2 {
			for ref, want := range map[string]slackfake.Message{"rel:a1": c1[0], "rel:b2": c2[1]} {
				if diff := cmp.Diff(&store.Posted{Channel: want.Channel, TS: want.TS}, h.posted(t, ref)); diff != "" {
					t.Errorf("Posted(%q) (-want +got):\n%s", ref, diff)
				}
			}
		}
		if got := h.posted(t, ""); got != nil {
			t.Errorf("Posted(\"\") = %+v; want nil (messages without Ref are not recorded)", got)
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_delivered_total"); got != 5 {
			t.Errorf("relman_outbox_delivered_total = %v; want 5", got)
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_depth"); got != 0 {
			t.Errorf("relman_outbox_depth = %v; want 0", got)
		}
	})

	t.Run("RateLimitBurstHonoursRetryAfter", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		// One channel at a time: a 429 holds the channels not yet started,
		// not the posts already under way.
		h.outbox.Parallel = 1
		h.fake.RateLimit("chat.postMessage", 30, 3)
		msgs := h.enqueue(t, outboxText("C1", "a1"), outboxText("C1", "a2"), outboxText("C2", "b1"))
		start := h.clock.Now()

		if got := h.flush(t); got != 0 {
			t.Fatalf("Flush() during the rate limit = %d; want 0", got)
		}
		a1 := h.message(t, msgs[0].ID)
		if want := start.Add(30 * time.Second); !a1.NextAttempt.Equal(want) || a1.Attempts != 1 || a1.Parked {
			t.Fatalf("after a 429 with Retry-After: 30, message = {NextAttempt: %v, Attempts: %d, Parked: %t}; want {%v, 1, false}",
				a1.NextAttempt, a1.Attempts, a1.Parked, want)
		}
		if got, want := h.next(t), start.Add(30*time.Second); !got.Equal(want) {
			t.Errorf("Next() = %v; want %v (Retry-After)", got, want)
		}
		calls := h.posts("")
		if calls != 1 {
			t.Fatalf("chat.postMessage calls after the first Flush = %d; want 1 (a 429 holds every channel)", calls)
		}

		h.clock.Advance(29 * time.Second)
		if got := h.flush(t); got != 0 {
			t.Errorf("Flush() 29s into a 30s Retry-After = %d; want 0", got)
		}
		if got := h.posts(""); got != calls {
			t.Errorf("chat.postMessage calls before Retry-After elapsed = %d; want still %d", got, calls)
		}

		h.clock.Advance(time.Second)
		if got := h.flush(t); got != 0 {
			t.Errorf("Flush() when Retry-After elapsed = %d; want 0 (a1 hits the burst's second 429)", got)
		}
		if got := h.posts(""); got != calls+1 {
			t.Errorf("chat.postMessage calls after Retry-After = %d; want %d (a1 retried; C2 held by the pause)", got, calls+1)
		}

		h.drain(t)
		if diff := cmp.Diff([]string{"a1", "a2"}, h.texts("C1")); diff != "" {
			t.Errorf("C1 messages (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"b1"}, h.texts("C2")); diff != "" {
			t.Errorf("C2 messages (-want +got):\n%s", diff)
		}
		if got := h.posts(""); got != 6 {
			t.Errorf("chat.postMessage calls = %d; want 6 (3 rate-limited, 3 delivered)", got)
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox after the burst = %+v; want empty", q)
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_failures_total", "reason", "ratelimited"); got != 3 {
			t.Errorf(`relman_outbox_failures_total{reason="ratelimited"} = %v; want 3`, got)
		}
	})

	t.Run("ServerErrorsForMinutesThenRecovery", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.fake.ServerError("chat.postMessage", 10)
		h.enqueue(t, outboxText("C1", "first"), outboxText("C1", "second"), outboxText("C1", "third"))
		start := h.clock.Now()

		waits := h.drain(t)

		s := time.Second
		want := []time.Duration{2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 64 * s, 128 * s, 256 * s, 5 * time.Minute, 5 * time.Minute,
			s, s} // recovered: the other two follow at the channel's spacing
		if diff := cmp.Diff(want, waits); diff != "" {
			t.Errorf("waits between flushes (-want +got):\n%s", diff)
		}
		if got, min := h.clock.Now().Sub(start), 15*time.Minute; got < min {
			t.Errorf("outage lasted %v; want at least %v", got, min)
		}
		if diff := cmp.Diff([]string{"first", "second", "third"}, h.texts("C1")); diff != "" {
			t.Errorf("C1 messages (-want +got):\n%s", diff)
		}
		if got := h.posts("C1"); got != 13 {
			t.Errorf("chat.postMessage calls = %d; want 13 (10 failed, 3 delivered)", got)
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox after recovery = %+v; want empty (nothing parked)", q)
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_parked_total"); got != 0 {
			t.Errorf("relman_outbox_parked_total = %v; want 0", got)
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_failures_total", "reason", "http_500"); got != 10 {
			t.Errorf(`relman_outbox_failures_total{reason="http_500"} = %v; want 10`, got)
		}
	})

	t.Run("FailureKeepsAttemptsAndError", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.fake.ServerError("chat.postMessage", 2)
		m := h.enqueue(t, outboxText("C1", "hello"))[0]

		h.flush(t)
		h.clock.Advance(2 * time.Second)
		h.flush(t)

		got := h.message(t, m.ID)
		if got.Attempts != 2 || got.Parked || !strings.Contains(got.LastError, "500") ||
			!got.NextAttempt.Equal(h.clock.Now().Add(4*time.Second)) {
			t.Errorf("after two 500s, message = {Attempts: %d, Parked: %t, LastError: %q, NextAttempt: %v}; want {2, false, …500…, %v}",
				got.Attempts, got.Parked, got.LastError, got.NextAttempt, h.clock.Now().Add(4*time.Second))
		}
	})

	t.Run("NextIsTheRetryOfABlockedChannel", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			spacing time.Duration
		}{
			{"DefaultSpacing", 0},
			{"NoSpacing", -1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				h := outboxFixture(t)
				h.outbox.Spacing = tc.spacing
				h.fake.ServerError("chat.postMessage", 1)
				h.enqueue(t, outboxText("C1", "first"), outboxText("C1", "second"))

				h.flush(t)
				// "second" waits behind "first", whose retry is due in 2s: a
				// worker woken earlier would find nothing to do, and one never
				// woken would strand both.
				if got, want := h.next(t), h.clock.Now().Add(2*time.Second); !got.Equal(want) {
					t.Errorf("Next() = %v; want %v (the retry of the channel's first message)", got, want)
				}
			})
		}
	})

	t.Run("TimeoutIsRetried", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.fake.Fail("chat.postMessage", slackfake.Fault{Delay: 3 * time.Second}, 1)
		m := h.enqueue(t, outboxText("C1", "slow"))[0]

		if got := h.flush(t); got != 0 {
			t.Fatalf("Flush() with Slack slower than the client timeout = %d; want 0", got)
		}
		got := h.message(t, m.ID)
		if got.Attempts != 1 || got.Parked || !got.NextAttempt.Equal(h.clock.Now().Add(2*time.Second)) {
			t.Errorf("after a timeout, message = {Attempts: %d, Parked: %t, NextAttempt: %v}; want {1, false, %v}",
				got.Attempts, got.Parked, got.NextAttempt, h.clock.Now().Add(2*time.Second))
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_failures_total", "reason", "timeout"); got != 1 {
			t.Errorf(`relman_outbox_failures_total{reason="timeout"} = %v; want 1 (LastError %q)`, got, h.message(t, m.ID).LastError)
		}
		if got := outboxMetric(t, h.metrics, "relman_slack_api_errors_total", "method", "chat.postMessage", "error", "timeout"); got != 1 {
			t.Errorf(`relman_slack_api_errors_total{method="chat.postMessage",error="timeout"} = %v; want 1`, got)
		}
		// The fake records the abandoned call once it notices the client left.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		calls, err := h.fake.WaitCalls(ctx, "chat.postMessage", 1)
		if err != nil {
			t.Fatalf("WaitCalls: %v", err)
		}
		if calls[0].Status != 0 {
			t.Errorf("timed-out call answered with status %d; want 0 (abandoned)", calls[0].Status)
		}

		h.clock.Advance(2 * time.Second)
		if got := h.flush(t); got != 1 {
			t.Errorf("Flush() after the backoff = %d; want 1", got)
		}
		if diff := cmp.Diff([]string{"slow"}, h.texts("C1")); diff != "" {
			t.Errorf("C1 messages (-want +got):\n%s", diff)
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox = %+v; want empty", q)
		}
	})

	t.Run("PermanentErrorParks", func(t *testing.T) {
		for _, code := range []string{"channel_not_found", "not_in_channel"} {
			t.Run(code, func(t *testing.T) {
				t.Parallel()
				h := outboxFixture(t)
				h.fake.RejectChannel("C404", code)
				msgs := h.enqueue(t, outboxText("C404", "lost"), outboxText("C1", "a1"), outboxText("C1", "a2"))

				if got := h.flush(t); got != 1 {
					t.Errorf("first Flush() = %d; want 1 (C1 flows)", got)
				}
				parked := h.message(t, msgs[0].ID)
				if !parked.Parked || parked.Attempts != 1 || !strings.Contains(parked.LastError, code) {
					t.Errorf("rejected message = {Parked: %t, Attempts: %d, LastError: %q}; want {true, 1, …%s…}",
						parked.Parked, parked.Attempts, parked.LastError, code)
				}
				if got := outboxMetric(t, h.metrics, "relman_outbox_parked_total"); got != 1 {
					t.Errorf("relman_outbox_parked_total = %v; want 1", got)
				}

				h.drain(t)
				h.clock.Advance(time.Hour)
				h.flush(t)
				h.clock.Advance(48 * time.Hour)
				h.flush(t)

				if got := h.posts("C404"); got != 1 {
					t.Errorf("chat.postMessage calls to C404 = %d; want 1 (parked messages are never retried)", got)
				}
				if diff := cmp.Diff([]string{"a1", "a2"}, h.texts("C1")); diff != "" {
					t.Errorf("C1 messages (-want +got):\n%s", diff)
				}
				q := h.queue(t)
				if len(q) != 1 || q[0].ID != msgs[0].ID || !q[0].Parked {
					t.Errorf("outbox = %+v; want only the parked message %d", q, msgs[0].ID)
				}
				if next := h.next(t); !next.IsZero() {
					t.Errorf("Next() with only a parked message = %v; want zero", next)
				}
				if got := outboxMetric(t, h.metrics, "relman_outbox_parked_total"); got != 1 {
					t.Errorf("relman_outbox_parked_total at the end = %v; want 1", got)
				}
			})
		}
	})

	t.Run("MaxAgeParks", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.fake.ServerError("chat.postMessage", 3)
		stale := outboxText("C1", "stale")
		stale.CreatedAt = h.clock.Now().Add(-25 * time.Hour)
		// Held until now by NotBefore: it fell due just now, so it is young.
		held := outboxText("C3", "held")
		held.CreatedAt = h.clock.Now().Add(-60 * time.Hour)
		held.NotBefore = h.clock.Now()
		msgs := h.enqueue(t, stale, outboxText("C2", "fresh"), held)

		h.flush(t)
		if m := h.message(t, msgs[0].ID); !m.Parked {
			t.Errorf("message queued 25h ago failing with 500: Parked = false; want true (MaxAge 24h)")
		}
		if m := h.message(t, msgs[1].ID); m.Parked {
			t.Errorf("fresh message failing with 500: Parked = true; want false")
		}
		if m := h.message(t, msgs[2].ID); m.Parked {
			t.Errorf("message held by NotBefore until now, failing with 500: Parked = true; want false (it ages from NotBefore)")
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_parked_total"); got != 1 {
			t.Errorf("relman_outbox_parked_total = %v; want 1", got)
		}

		h.drain(t)
		if got := h.posts("C1"); got != 1 {
			t.Errorf("chat.postMessage calls to C1 = %d; want 1 (parked, not retried)", got)
		}
		if diff := cmp.Diff([]string{"fresh"}, h.texts("C2")); diff != "" {
			t.Errorf("C2 messages (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"held"}, h.texts("C3")); diff != "" {
			t.Errorf("C3 messages (-want +got):\n%s", diff)
		}
	})

	t.Run("SurvivesRestart", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.outbox.Parallel = 1 // the 500 is C1's
		h.fake.ServerError("chat.postMessage", 1)
		first := outboxText("C1", "first")
		first.Ref = "rel:1"
		msgs := h.enqueue(t, first, outboxText("C1", "second"), outboxText("C2", "other"))

		if got := h.flush(t); got != 1 {
			t.Fatalf("Flush() before the crash = %d; want 1 (C2; C1 got a 500)", got)
		}
		h.restart(t)

		if m := h.message(t, msgs[0].ID); m.Attempts != 1 || m.LastError == "" {
			t.Errorf("after restart, failed message = {Attempts: %d, LastError: %q}; want its failure kept", m.Attempts, m.LastError)
		}
		h.drain(t)

		if diff := cmp.Diff([]string{"first", "second"}, h.texts("C1")); diff != "" {
			t.Errorf("C1 messages (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"other"}, h.texts("C2")); diff != "" {
			t.Errorf("C2 messages (-want +got):\n%s", diff)
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox after restart and flush = %+v; want empty", q)
		}
		if got := h.posted(t, "rel:1"); got == nil || got.TS != h.fake.Messages("C1")[0].TS {
			t.Errorf("Posted(rel:1) = %+v; want the first C1 message", got)
		}
	})

	t.Run("UpdateInPlace", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		card := outboxText("C1", "CR-1 pending")
		card.Ref = "cr:1"
		edit := outboxText("C1", "CR-1 approved")
		edit.UpdateOf = "cr:1"
		reply := outboxText("C1", "approved by <@U1>")
		reply.ThreadOf = "cr:1"
		h.enqueue(t, card, edit, reply)

		h.drain(t)

		got := h.fake.Messages("C1")
		if len(got) != 2 {
			t.Fatalf("C1 has %d messages; want 2 (the edited card and a reply): %+v", len(got), got)
		}
		p := h.posted(t, "cr:1")
		if diff := cmp.Diff(&store.Posted{Channel: "C1", TS: got[0].TS}, p); diff != "" {
			t.Errorf("Posted(cr:1) (-want +got):\n%s", diff)
		}
		if got[0].Text != "CR-1 approved" || got[0].Edits != 1 || got[0].ThreadTS != "" {
			t.Errorf("card = {Text: %q, Edits: %d, ThreadTS: %q}; want {\"CR-1 approved\", 1, \"\"}", got[0].Text, got[0].Edits, got[0].ThreadTS)
		}
		if got[1].Text != "approved by <@U1>" || got[1].ThreadTS != got[0].TS {
			t.Errorf("reply = {Text: %q, ThreadTS: %q}; want {\"approved by <@U1>\", %q}", got[1].Text, got[1].ThreadTS, got[0].TS)
		}
		var updated []string
		for _, c := range h.fake.CallsTo("chat.update") {
			updated = append(updated, c.Param("channel")+"/"+c.Param("ts"))
		}
		if diff := cmp.Diff([]string{"C1/" + got[0].TS}, updated); diff != "" {
			t.Errorf("chat.update calls, channel/ts (-want +got):\n%s", diff)
		}
		if got := h.posts(""); got != 2 {
			t.Errorf("chat.postMessage calls = %d; want 2", got)
		}
	})

	t.Run("DMToUser", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		hello := outboxText("U123", "hello")
		hello.Ref = "dm:1"
		again := outboxText("U123", "hello again")
		again.UpdateOf = "dm:1"
		h.enqueue(t, hello, again)

		h.drain(t)

		dm := slackfake.DMChannel("U123")
		p := h.posted(t, "dm:1")
		if p == nil || p.Channel != dm || !strings.HasPrefix(p.Channel, "D") {
			t.Fatalf("Posted(dm:1) = %+v; want channel %s (the DM, not the user)", p, dm)
		}
		var updated []string
		for _, c := range h.fake.CallsTo("chat.update") {
			updated = append(updated, c.Param("channel")+"/"+c.Param("ts"))
		}
		if diff := cmp.Diff([]string{dm + "/" + p.TS}, updated); diff != "" {
			t.Errorf("chat.update calls, channel/ts (-want +got):\n%s", diff)
		}
		got := h.fake.Messages(dm)
		if len(got) != 1 || got[0].Text != "hello again" || got[0].Edits != 1 {
			t.Errorf("DM messages = %+v; want one, edited once to \"hello again\"", got)
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox = %+v; want empty", q)
		}
	})

	t.Run("ClassifyErrors", func(t *testing.T) {
		t.Parallel()
		type class struct {
			Reason     string
			Permanent  bool
			RetryAfter time.Duration
		}
		netErr := &url.Error{Op: "Post", URL: "https://slack.com/api/chat.postMessage",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}}
		for _, tc := range []struct {
			name string
			err  error
			want class
		}{
			{"RateLimitedWaitsRetryAfter", &slack.RateLimitedError{RetryAfter: 30 * time.Second}, class{"ratelimited", false, 30 * time.Second}},
			{"WrappedRateLimitedWaitsRetryAfter", fmt.Errorf("post: %w", &slack.RateLimitedError{RetryAfter: 2 * time.Second}), class{"ratelimited", false, 2 * time.Second}},
			{"Status429WithoutRetryAfterBacksOff", slack.StatusCodeError{Code: 429, Status: "429 Too Many Requests"}, class{"http_429", false, 0}},
			{"Status500IsRetried", slack.StatusCodeError{Code: 500, Status: "500 Internal Server Error"}, class{"http_500", false, 0}},
			{"Status503IsRetried", slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, class{"http_503", false, 0}},
			{"Status404IsPermanent", slack.StatusCodeError{Code: 404, Status: "404 Not Found"}, class{"http_404", true, 0}},
			{"Status408IsRetried", slack.StatusCodeError{Code: 408, Status: "408 Request Timeout"}, class{"http_408", false, 0}},
			{"ChannelNotFoundIsPermanent", slack.SlackErrorResponse{Err: "channel_not_found"}, class{"channel_not_found", true, 0}},
			{"NotInChannelIsPermanent", slack.SlackErrorResponse{Err: "not_in_channel"}, class{"not_in_channel", true, 0}},
			{"IsArchivedIsPermanent", slack.SlackErrorResponse{Err: "is_archived"}, class{"is_archived", true, 0}},
			{"RatelimitedBodyIsRetried", slack.SlackErrorResponse{Err: "ratelimited"}, class{"ratelimited", false, 0}},
			{"InternalErrorIsRetried", slack.SlackErrorResponse{Err: "internal_error"}, class{"internal_error", false, 0}},
			// A bad token is the operator's to fix; the messages wait for it.
			{"InvalidAuthIsRetried", slack.SlackErrorResponse{Err: "invalid_auth"}, class{"invalid_auth", false, 0}},
			{"DeadlineIsTimeout", context.DeadlineExceeded, class{"timeout", false, 0}},
			{"ClientTimeoutIsTimeout", &url.Error{Op: "Post", URL: "https://slack.com/api/chat.postMessage", Err: context.DeadlineExceeded}, class{"timeout", false, 0}},
			{"ConnectionRefusedIsNetwork", netErr, class{"network", false, 0}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := &SlackSender{Metrics: NewMetrics()}
				err := s.classify("chat.postMessage", tc.err)
				var de *outbox.DeliveryError
				if !errors.As(err, &de) {
					t.Fatalf("classify(%v) = %T; want *outbox.DeliveryError", tc.err, err)
				}
				if diff := cmp.Diff(tc.want, class{de.Reason, de.Permanent, de.RetryAfter}); diff != "" {
					t.Errorf("classify(%v) (-want +got):\n%s", tc.err, diff)
				}
				if got, want := err.Error(), "chat.postMessage: "+tc.err.Error(); got != want {
					t.Errorf("classify(%v).Error() = %q; want %q", tc.err, got, want)
				}
				if got := outboxMetric(t, s.Metrics, "relman_slack_api_errors_total", "method", "chat.postMessage", "error", tc.want.Reason); got != 1 {
					t.Errorf("relman_slack_api_errors_total{error=%q} = %v; want 1", tc.want.Reason, got)
				}
			})
		}
	})

	t.Run("RunLoopDeliversAfterNotify", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		// Run's timers are real, so its clock is too.
		h.outbox.Clock = store.SystemClock{}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- h.outbox.Run(ctx) }()

		msg := outboxText("C1", "ping")
		if err := h.store.Update(context.Background(), "relman", store.SystemClock{}.Now(), func(tx *store.Tx) error { return tx.Enqueue(&msg) }); err != nil {
			t.Fatal(err)
		}
		h.outbox.Notify()

		wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer wcancel()
		if _, err := h.fake.WaitCalls(wctx, "chat.postMessage", 1); err != nil {
			t.Fatalf("waiting for the worker to post: %v", err)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run() = %v; want nil after cancel", err)
			}
		case <-wctx.Done():
			t.Fatal("Run did not return after its context was cancelled")
		}
		if diff := cmp.Diff([]string{"ping"}, h.texts("C1")); diff != "" {
			t.Errorf("C1 messages (-want +got):\n%s", diff)
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox after Run = %+v; want empty", q)
		}
	})

	t.Run("RunLoopRetriesWhenDue", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.outbox.Clock = store.SystemClock{}
		h.outbox.Spacing = -1
		h.fake.ServerError("chat.postMessage", 1)
		msgs := []store.Message{outboxText("C1", "first"), outboxText("C1", "second")}
		if err := h.store.Update(context.Background(), "relman", store.SystemClock{}.Now(), func(tx *store.Tx) error {
			for i := range msgs {
				if err := tx.Enqueue(&msgs[i]); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- h.outbox.Run(ctx) }()

		// No Notify after the 500: only Run's own timer (from Next) can bring
		// the retry, 2s later, and "second" behind it.
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer wcancel()
		if _, err := h.fake.WaitCalls(wctx, "chat.postMessage", 3); err != nil {
			t.Fatalf("waiting for the retry: %v (calls: %d)", err, h.posts(""))
		}
		cancel()
		select {
		case <-done:
		case <-wctx.Done():
			t.Fatal("Run did not return after its context was cancelled")
		}
		if diff := cmp.Diff([]string{"first", "second"}, h.texts("C1")); diff != "" {
			t.Errorf("C1 messages (-want +got):\n%s", diff)
		}
	})
}
