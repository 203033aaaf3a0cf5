package bot

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
		})
	}

	t.Run("WorkerStoppedBetweenPostAndRecord", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		msgs := h.enqueue(t, outboxText("C1", "top"), store.Message{Channel: "U0BOB", DM: true, Doc: store.Doc{Text: "dm"}},
			outboxText("C2", "never sent"))
		// The previous worker posted the first two, then stopped before
		// recording either.
		sender := &SlackSender{API: h.api, Metrics: NewMetrics()}
		for _, m := range msgs[:2] {
			if _, err := sender.Send(context.Background(), &m, nil, nil); err != nil {
				t.Fatalf("Send(%d): %v", m.ID, err)
			}
		}
		h.restart(t)
		h.drain(t)

		if got := h.posts(""); got != 3 {
			t.Errorf("chat.postMessage calls = %d; want 3 (two by the stopped worker, C2's by the new one)", got)
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
		h.outbox.LeaseUntil = func() time.Time { return time.Now().Add(200 * time.Millisecond) }
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

	t.Run("LooksOnlyOnceAChannel", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.outbox.Spacing = -1
		h.enqueue(t, outboxText("C1", "one"), outboxText("C1", "two"), outboxText("C1", "three"))
		h.drain(t)
		if got := len(h.fake.CallsTo("conversations.history")); got != 1 {
			t.Errorf("conversations.history calls for three fresh messages = %d; want 1 (the channel's first since the worker started)", got)
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
