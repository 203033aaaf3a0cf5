package bot

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"relman/bot/slackfake"
	"relman/store"
)

// TestOutboxFindsWhatSlackTook: a message Slack accepted whose delivery was
// not recorded (the answer was lost, or the worker stopped between the post
// and the record) is found in the channel by its metadata ID and recorded
// as delivered, not posted a second time.
func TestOutboxFindsWhatSlackTook(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault slackfake.Fault
	}{
		{"ServerErrorAfterThePost", slackfake.Fault{Status: http.StatusInternalServerError, Accepted: true}},
		{"TimeoutAfterThePost", slackfake.Fault{Delay: 3 * time.Second, Accepted: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := outboxFixture(t)
			h.fake.Fail("chat.postMessage", tc.fault, 1)
			msg := outboxText("C1", "shipped")
			msg.Ref = "ship"
			m := h.enqueue(t, msg, outboxText("C1", "after"))[0]

			if got := h.flush(t); got != 0 {
				t.Fatalf("Flush() with the answer lost = %d; want 0", got)
			}
			if got := h.message(t, m.ID); got.Attempts != 1 {
				t.Fatalf("after the lost answer, message %d has %d attempts; want 1", m.ID, got.Attempts)
			}
			h.clock.Advance(2 * time.Second)
			h.drain(t)

			if diff := cmp.Diff([]string{"shipped", "after"}, h.texts("C1")); diff != "" {
				t.Errorf("C1 messages (-want +got):\n%s", diff)
			}
			if got := h.posts("C1"); got != 2 {
				t.Errorf("chat.postMessage calls to C1 = %d; want 2 (the retry of the lost one found it instead of posting)", got)
			}
			first := h.fake.Messages("C1")[0]
			if p := h.posted(t, "ship"); p == nil || p.TS != first.TS || p.Channel != "C1" {
				t.Errorf("Posted(ship) = %+v; want the message Slack took (C1 %s)", p, first.TS)
			}
			if q := h.queue(t); len(q) != 0 {
				t.Errorf("outbox after the drain = %+v; want empty", q)
			}
			if got := outboxMetric(t, h.metrics, "relman_outbox_found_posted_total"); got != 1 {
				t.Errorf("relman_outbox_found_posted_total = %v; want 1", got)
			}
			if got := outboxMetric(t, h.metrics, "relman_outbox_lookups_total"); got != 1 {
				t.Errorf("relman_outbox_lookups_total = %v; want 1 (one look, for the message whose answer was lost)", got)
			}
		})
	}

	t.Run("WorkerStoppedBetweenPostAndRecord", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		msgs := h.enqueue(t, outboxText("C1", "top"), store.Message{Channel: "U0BOB", DM: true, Doc: store.Doc{Text: "dm"}},
			outboxText("C2", "never sent"))
		// The previous worker marked the first two Sending and posted
		// them, then stopped before recording either.
		sender := &SlackSender{API: h.api, Metrics: NewMetrics()}
		for _, m := range msgs[:2] {
			h.markSending(t, &m)
			if _, err := sender.Send(context.Background(), &m, nil, nil); err != nil {
				t.Fatalf("Send(%d): %v", m.ID, err)
			}
		}
		h.restart(t)
		h.drain(t)

		if got := h.posts(""); got != 3 {
			t.Errorf("chat.postMessage calls = %d; want 3 (two by the stopped worker, C2's by the new one)", got)
		}
		if got := len(h.fake.CallsTo("conversations.history")); got != 2 {
			t.Errorf("conversations.history calls = %d; want 2 (the two marked Sending; C2's was never handed to Slack)", got)
		}
		for ch, want := range map[string][]string{"C1": {"top"}, slackfake.DMChannel("U0BOB"): {"dm"}, "C2": {"never sent"}} {
			if diff := cmp.Diff(want, h.texts(ch)); diff != "" {
				t.Errorf("%s messages (-want +got):\n%s", ch, diff)
			}
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox after the drain = %+v; want empty", q)
		}
	})

	t.Run("ThreadReplyStoppedBetweenPostAndRecord", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		parent := outboxText("C1", "CR-1 opened")
		parent.Ref = "cr:1"
		h.enqueue(t, parent)
		h.drain(t)
		p := h.posted(t, "cr:1")
		if p == nil {
			t.Fatal("the parent was not recorded as posted")
		}
		reply := outboxText("C1", "approved")
		reply.ThreadOf = "cr:1"
		m := h.enqueue(t, reply)[0]
		h.markSending(t, &m)
		sender := &SlackSender{API: h.api, Metrics: NewMetrics()}
		if _, err := sender.Send(context.Background(), &m, p, nil); err != nil {
			t.Fatal(err)
		}
		h.restart(t)
		h.drain(t)
		if got := h.posts("C1"); got != 2 {
			t.Errorf("chat.postMessage calls to C1 = %d; want 2 (the parent, and the reply once)", got)
		}
		if got := len(h.fake.CallsTo("conversations.replies")); got != 1 {
			t.Errorf("conversations.replies calls = %d; want 1", got)
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox after the drain = %+v; want empty", q)
		}
	})

	t.Run("PostEndsWhenTheLeaseRunsOut", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.fake.Fail("chat.postMessage", slackfake.Fault{Delay: 3 * time.Second}, 1)
		// Real time: the bound is on a request.
		// The lease is not renewed meanwhile.
		until := time.Now().Add(200 * time.Millisecond)
		h.outbox.LeaseUntil = func() time.Time { return until }
		m := h.enqueue(t, outboxText("C1", "slow"))[0]
		start := time.Now()
		if got := h.flush(t); got != 0 {
			t.Fatalf("Flush() with Slack slower than the lease = %d; want 0", got)
		}
		// The client's own timeout is 2s; the lease's end came first.
		if d := time.Since(start); d > time.Second {
			t.Errorf("the post under way took %v to be abandoned; want it to end with the lease (200ms)", d)
		}
		if got := h.message(t, m.ID); got.Attempts != 1 {
			t.Errorf("after the abandoned post, message %d has %d attempts; want 1 (looked for before it is posted again)", m.ID, got.Attempts)
		}
	})

	t.Run("LooksOnlyWhereAPostMayHaveLanded", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.outbox.Spacing = -1
		h.enqueue(t, outboxText("C1", "one"), outboxText("C1", "two"), outboxText("C2", "three"))
		h.fake.RateLimit("chat.postMessage", 1, 1) // Slack answered: nothing posted
		h.drain(t)
		h.restart(t)
		h.enqueue(t, outboxText("C1", "four"))
		h.drain(t)
		if got := len(h.fake.CallsTo("conversations.history")); got != 0 {
			t.Errorf("conversations.history calls = %d; want 0 (no message was marked Sending when its outcome was unknown)", got)
		}
		if got := len(h.fake.Messages("C1")) + len(h.fake.Messages("C2")); got != 4 {
			t.Errorf("%d messages posted; want 4", got)
		}
	})

	t.Run("RateLimitedLookupWaits", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		msgs := h.enqueue(t, outboxText("C1", "maybe posted"), outboxText("C2", "never tried"))
		h.markSending(t, &msgs[0])
		h.fake.RateLimit("conversations.history", 20, 1)
		start := h.clock.Now()
		if got := h.flush(t); got != 1 {
			t.Fatalf("Flush() with the lookup rate limited = %d; want 1 (C2, which needs no lookup)", got)
		}
		if got := h.posts("C1"); got != 0 {
			t.Fatalf("chat.postMessage calls to C1 = %d; want 0 (not posted unchecked)", got)
		}
		m := h.message(t, msgs[0].ID)
		if !m.Sending || !m.NextAttempt.Equal(start.Add(20*time.Second)) {
			t.Errorf("after a 429 on its lookup, message = {Sending: %t, NextAttempt: %v}; want {true, %v}", m.Sending, m.NextAttempt, start.Add(20*time.Second))
		}
		if got := h.next(t); !got.Equal(start.Add(20 * time.Second)) {
			t.Errorf("Next() = %v; want %v (Retry-After)", got, start.Add(20*time.Second))
		}
		h.drain(t)
		if got := len(h.fake.CallsTo("conversations.history")); got != 2 {
			t.Errorf("conversations.history calls = %d; want 2 (the 429, then the lookup again)", got)
		}
		if diff := cmp.Diff([]string{"maybe posted"}, h.texts("C1")); diff != "" {
			t.Errorf("C1 messages (-want +got):\n%s", diff)
		}
	})

	t.Run("LookupPagesBackToWhenQueued", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		m := h.enqueue(t, outboxText("C1", "buried"))[0]
		h.markSending(t, &m)
		sender := &SlackSender{API: h.api, Metrics: NewMetrics()}
		if _, err := sender.Send(context.Background(), &m, nil, nil); err != nil {
			t.Fatal(err)
		}
		// People talk: 250 messages after it.
		for i := range 250 {
			h.clock.Advance(time.Millisecond)
			if _, _, err := h.api.PostMessage("C1", slack.MsgOptionText(fmt.Sprint("chat ", i), false)); err != nil {
				t.Fatal(err)
			}
		}
		h.restart(t)
		h.drain(t)
		if got := h.posts("C1"); got != 251 {
			t.Errorf("chat.postMessage calls to C1 = %d; want 251 (the buried one found three pages back)", got)
		}
		if got := len(h.fake.CallsTo("conversations.history")); got != 3 {
			t.Errorf("conversations.history calls = %d; want 3 pages", got)
		}
	})

	t.Run("PostsWhenTheLookupFails", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.fake.Fail("conversations.history", slackfake.Fault{Error: "missing_scope"}, 0)
		h.enqueue(t, outboxText("C1", "still goes out"))
		h.drain(t)
		if diff := cmp.Diff([]string{"still goes out"}, h.texts("C1")); diff != "" {
			t.Errorf("C1 messages without the history scope (-want +got):\n%s", diff)
		}
	})
}

// markSending marks m Sending in the store, as a worker does just before
// it hands m to Slack.
func (h *outboxHarness) markSending(tb testing.TB, m *store.Message) {
	tb.Helper()
	m.Sending = true
	if err := h.store.Update(context.Background(), "relman", h.clock.Now(), func(tx *store.Tx) error {
		return tx.PutMessage(m)
	}); err != nil {
		tb.Fatal(err)
	}
}
