package bot

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/bot/slackfake"
	"relman/store"
)

// edit builds an edit of the message named ref, to channel.
func edit(channel, ref, text string) store.Message {
	m := outboxText(channel, text)
	m.UpdateOf = ref
	return m
}

// updates counts the chat.update calls.
func (h *outboxHarness) updates() int { return len(h.fake.CallsTo("chat.update")) }

func TestOutboxEdits(t *testing.T) {
	t.Run("EditOfAQueuedOriginalWaitsForIt", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		card := outboxText("C1", "CR-1 pending")
		card.Ref = "cr:1"
		card.NotBefore = h.clock.Now().Add(time.Hour)
		// The edit names another channel, so nothing but the rule
		// holds it back.
		h.enqueue(t, card, edit("C2", "cr:1", "CR-1 approved"))

		if got := h.flush(t); got != 0 {
			t.Fatalf("Flush() while the original is held = %d; want 0", got)
		}
		if got := len(h.fake.Calls()); got != 0 {
			t.Fatalf("Slack calls while the original is held = %d; want 0 (the edit must not become a post)", got)
		}
		if got, want := h.next(t), card.NotBefore; !got.Equal(want) {
			t.Errorf("Next() = %v; want %v (the original's time: the edit waits for it)", got, want)
		}
		h.clock.Set(card.NotBefore)
		h.drain(t)

		if got := h.posts(""); got != 1 {
			t.Errorf("chat.postMessage calls = %d; want 1 (the original only)", got)
		}
		msgs := h.fake.Messages("C1")
		if len(msgs) != 1 || msgs[0].Text != "CR-1 approved" || msgs[0].Edits != 1 {
			t.Errorf("C1 = %+v; want the card, edited once to \"CR-1 approved\"", msgs)
		}
		if got := h.fake.Messages("C2"); len(got) != 0 {
			t.Errorf("C2 = %+v; want nothing", got)
		}
	})

	t.Run("EditOfAParkedOriginalIsDropped", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.fake.RejectChannel("C1", "is_archived")
		card := outboxText("C1", "CR-1 pending")
		card.Ref = "cr:1"
		msgs := h.enqueue(t, card, edit("C1", "cr:1", "CR-1 approved"))

		h.drain(t)

		if got := h.posts(""); got != 1 {
			t.Errorf("chat.postMessage calls = %d; want 1 (the original's failed attempt, the edit never posted)", got)
		}
		if got := len(h.fake.CallsTo("chat.update")); got != 0 {
			t.Errorf("chat.update calls = %d; want 0", got)
		}
		q := h.queue(t)
		if len(q) != 1 || q[0].ID != msgs[0].ID || !q[0].Parked {
			t.Errorf("outbox and parked = %+v; want only the parked original", q)
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_edits_skipped_total", "reason", "original_parked"); got != 1 {
			t.Errorf("relman_outbox_edits_skipped_total{reason=original_parked} = %v; want 1", got)
		}
	})

	t.Run("EditOfAnUnknownMessageIsDropped", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.enqueue(t, edit("C1", "cr:9", "CR-9 approved"))

		h.drain(t)

		if got := len(h.fake.Calls()); got != 0 {
			t.Errorf("Slack calls = %d; want 0", got)
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox = %+v; want empty", q)
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_edits_skipped_total", "reason", "original_missing"); got != 1 {
			t.Errorf("relman_outbox_edits_skipped_total{reason=original_missing} = %v; want 1", got)
		}
	})

	t.Run("BurstOfFiftyEditsCostsTwoUpdates", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		card := outboxText("C1", "0 votes")
		card.Ref = "cr:1"
		h.enqueue(t, card)
		h.flush(t)
		// Fifty votes within the channel's spacing second, each its own
		// transaction queuing an edit, with a Flush after each (every
		// vote notifies the worker).
		for i := 1; i <= 50; i++ {
			h.enqueue(t, edit("C1", "cr:1", fmt.Sprintf("%d votes", i)))
			h.flush(t)
			if i == 25 {
				h.clock.Advance(time.Second)
				h.flush(t)
			}
		}
		h.drain(t)

		if got := h.updates(); got > 2 {
			t.Errorf("chat.update calls = %d; want at most 2 for 50 edits", got)
		}
		msgs := h.fake.Messages("C1")
		if len(msgs) != 1 || msgs[0].Text != "50 votes" {
			t.Errorf("C1 = %+v; want one message reading \"50 votes\"", msgs)
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox = %+v; want empty", q)
		}
		if got, want := outboxMetric(t, h.metrics, "relman_outbox_edits_skipped_total", "reason", "superseded"), float64(50-h.updates()); got != want {
			t.Errorf("relman_outbox_edits_skipped_total{reason=superseded} = %v; want %v", got, want)
		}
	})

	for _, tc := range []struct {
		name  string
		fault func(f *slackfake.Server)
	}{
		{"ServerError", func(f *slackfake.Server) { f.ServerError("chat.update", 1) }},
		{"RateLimited", func(f *slackfake.Server) { f.RateLimit("chat.update", 30, 1) }},
		{"GatewayTimeout", func(f *slackfake.Server) {
			f.Fail("chat.update", slackfake.Fault{Status: http.StatusGatewayTimeout}, 1)
		}},
	} {
		t.Run("FailedEditIsRetriedAndTheNewestWins/"+tc.name, func(t *testing.T) {
			t.Parallel()
			h := outboxFixture(t)
			card := outboxText("C1", "0 votes")
			card.Ref = "cr:1"
			h.enqueue(t, card)
			h.flush(t)
			h.clock.Advance(time.Second)
			tc.fault(h.fake)
			first := h.enqueue(t, edit("C1", "cr:1", "1 vote"))[0]
			h.flush(t)
			if m := h.message(t, first.ID); m.Attempts != 1 || m.Parked {
				t.Fatalf("failed edit = {Attempts: %d, Parked: %t}; want {1, false} (kept for a retry)", m.Attempts, m.Parked)
			}
			h.enqueue(t, edit("C1", "cr:1", "2 votes"))

			h.drain(t)

			msgs := h.fake.Messages("C1")
			if len(msgs) != 1 || msgs[0].Text != "2 votes" || msgs[0].Edits != 1 {
				t.Errorf("C1 = %+v; want one message edited once to \"2 votes\"", msgs)
			}
			if got := h.posts(""); got != 1 {
				t.Errorf("chat.postMessage calls = %d; want 1", got)
			}
			if q := h.queue(t); len(q) != 0 {
				t.Errorf("outbox = %+v; want empty", q)
			}
		})
	}

	for _, code := range []string{"message_not_found", "edit_window_closed"} {
		t.Run("PermanentEditErrorParks/"+code, func(t *testing.T) {
			t.Parallel()
			h := outboxFixture(t)
			card := outboxText("C1", "CR-1 pending")
			card.Ref = "cr:1"
			h.enqueue(t, card)
			h.flush(t)
			h.clock.Advance(time.Second)
			if code == "message_not_found" {
				// Someone deleted the card in Slack.
				p := h.posted(t, "cr:1")
				if err := h.store.Update(context.Background(), "relman", h.clock.Now(), func(tx *store.Tx) error {
					return tx.PutPosted("cr:1", store.Posted{Channel: p.Channel, TS: "1.000001"})
				}); err != nil {
					t.Fatal(err)
				}
			} else {
				h.fake.Fail("chat.update", slackfake.Fault{Error: code}, 1)
			}
			e := h.enqueue(t, edit("C1", "cr:1", "CR-1 approved"))[0]

			h.drain(t)

			got := h.message(t, e.ID)
			if !got.Parked || got.Attempts != 1 {
				t.Errorf("edit = {Parked: %t, Attempts: %d}; want {true, 1}", got.Parked, got.Attempts)
			}
			if got := h.posts(""); got != 1 {
				t.Errorf("chat.postMessage calls = %d; want 1 (an edit never becomes a post)", got)
			}
			if diff := cmp.Diff([]string{"CR-1 pending"}, h.texts("C1")); diff != "" {
				t.Errorf("C1 (-want +got):\n%s", diff)
			}
		})
	}
}
