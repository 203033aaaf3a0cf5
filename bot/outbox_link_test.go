package bot

import (
	"strings"
	"testing"
	"time"
)

func TestOutboxLinks(t *testing.T) {
	t.Run("LinkWaitsForItsMessageThenEndsWithItsPermalink", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		card := outboxText("C1", "CR-1 pending")
		card.Ref = "cr:1"
		card.NotBefore = h.clock.Now().Add(time.Hour)
		dm := outboxText("C2", "CR-1 was raised")
		dm.LinkOf, dm.LinkText = "cr:1", "Open the CR-1 thread"
		h.enqueue(t, card, dm)

		if got := h.flush(t); got != 0 {
			t.Fatalf("Flush() while the linked message is held = %d; want 0 (the link must wait for it)", got)
		}
		if got, want := h.next(t), card.NotBefore; !got.Equal(want) {
			t.Errorf("Next() = %v; want %v (the linked message's time: the link waits for it)", got, want)
		}
		h.clock.Set(card.NotBefore)
		h.drain(t)
		p := h.posted(t, "cr:1")
		if p == nil {
			t.Fatal("the card was not posted")
		}
		want := "<https://fake-workspace.slack.com/archives/C1/p" + strings.ReplaceAll(p.TS, ".", "") + "|Open the CR-1 thread>"
		if got := h.texts("C2"); len(got) != 1 || !strings.HasSuffix(got[0], want) {
			t.Errorf("C2 = %q; want one message ending with %s", got, want)
		}
	})

	t.Run("ParkedMessageLeavesTheLinkOut", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.fake.RejectChannel("C1", "channel_not_found")
		card := outboxText("C1", "CR-1 pending")
		card.Ref = "cr:1"
		dm := outboxText("C2", "CR-1 was raised")
		dm.LinkOf, dm.LinkText = "cr:1", "Open the CR-1 thread"
		h.enqueue(t, card, dm)
		h.drain(t)
		if got := h.texts("C2"); len(got) != 1 || got[0] != "CR-1 was raised" {
			t.Errorf("C2 = %q; want the message without a link", got)
		}
	})
}
