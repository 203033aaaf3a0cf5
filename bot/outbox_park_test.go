package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/bot/slackfake"
	"relman/store"
)

// putReleases stores releases owned by owner with their news in channel,
// one per ref (product@version).
func (h *outboxHarness) putReleases(tb testing.TB, owner, channel string, refs ...string) {
	tb.Helper()
	err := h.store.Update(context.Background(), "relman", h.clock.Now(), func(tx *store.Tx) error {
		for _, s := range refs {
			ref, err := store.ParseRef(s)
			if err != nil {
				return err
			}
			r := &store.Release{Ref: ref, Target: store.NewDate(2027, time.February, 1), Owner: owner, Channel: channel,
				Status: store.Planned, CreatedAt: h.clock.Now(), CreatedBy: owner}
			if err := tx.PutRelease("add", r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("put releases: %v", err)
	}
}

// dms returns the texts the fake received in user's DM channel.
func (h *outboxHarness) dms(user string) []string { return h.texts(slackfake.DMChannel(user)) }

func TestOutboxPark(t *testing.T) {
	t.Run("DepthDropsWhenAMessageIsParked", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.fake.RejectChannel("C404", "channel_not_found")
		h.enqueue(t, outboxText("C404", "lost"), outboxText("C1", "a1"), outboxText("C1", "a2"))

		h.flush(t)
		// C404's message is parked and C1's first went out: only a2 waits.
		if got := outboxMetric(t, h.metrics, "relman_outbox_depth"); got != 1 {
			t.Errorf("relman_outbox_depth right after the park = %v; want 1 (a2 only)", got)
		}
		h.drain(t)
		if got := outboxMetric(t, h.metrics, "relman_outbox_depth"); got != 0 {
			t.Errorf("relman_outbox_depth with only a parked message = %v; want 0", got)
		}
	})

	t.Run("DepthIsZeroRightAfterTheOnlyMessageIsParked", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.fake.ServerError("chat.postMessage", 0)
		stale := outboxText("C1", "stale")
		stale.CreatedAt = h.clock.Now().Add(-25 * time.Hour)
		h.enqueue(t, stale)
		h.flush(t)
		if q := h.queue(t); len(q) != 1 || !q[0].Parked {
			t.Fatalf("outbox = %+v; want the stale message parked (MaxAge)", q)
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_depth"); got != 0 {
			t.Errorf("relman_outbox_depth right after the park = %v; want 0", got)
		}
	})

	for _, code := range []string{"channel_not_found", "not_in_channel"} {
		t.Run("UnreachableChannelTellsEachOwnerOnce/"+code, func(t *testing.T) {
			t.Parallel()
			h := outboxFixture(t)
			h.fake.RejectChannel("C404", code)
			h.putReleases(t, "UKIM", "C404", "payments@2.3.0", "auth@1.4.0")
			h.putReleases(t, "USAM", "C404", "billing@1.0")
			h.putReleases(t, "UOTHER", "C1", "search@3.0")
			h.enqueue(t, outboxText("C404", "first news"), outboxText("C404", "second news"))

			h.flush(t)
			// The park queued one DM per owner, counted as waiting.
			if got := outboxMetric(t, h.metrics, "relman_outbox_depth"); got != 3 {
				t.Errorf("relman_outbox_depth right after the park = %v; want 3 (second news and two DMs)", got)
			}
			// Nothing calls Notify for the DMs: Next must find them due now.
			if next := h.next(t); next.IsZero() || next.After(h.clock.Now().Add(time.Second)) {
				t.Errorf("Next() after the park = %v; want the DMs due by %v", next, h.clock.Now().Add(time.Second))
			}
			h.drain(t)
			// Parked again later: the ledger keeps the owners from a second DM.
			h.enqueue(t, outboxText("C404", "third news"))
			h.drain(t)

			kim := h.dms("UKIM")
			if len(kim) != 1 {
				t.Fatalf("DMs to UKIM = %q; want exactly one", kim)
			}
			for _, want := range []string{"*auth@1.4.0* and *payments@2.3.0*", "#C404", code, "/invite @relman", "/release set &lt;release&gt; channel #other"} {
				if !strings.Contains(kim[0], want) {
					t.Errorf("DM to UKIM = %q; want it to mention %q", kim[0], want)
				}
			}
			sam := h.dms("USAM")
			if len(sam) != 1 || !strings.Contains(sam[0], "*billing@1.0*") || !strings.Contains(sam[0], "/release set billing@1.0 channel #other") {
				t.Errorf("DMs to USAM = %q; want one naming billing@1.0 and how to move its news", sam)
			}
			if got := h.dms("UOTHER"); len(got) != 0 {
				t.Errorf("DMs to UOTHER (news in C1) = %q; want none", got)
			}
			if got := h.posts("C404"); got != 3 {
				t.Errorf("chat.postMessage calls to C404 = %d; want 3 (each message tried once)", got)
			}
			var parked []string
			for _, m := range h.queue(t) {
				if !m.Parked {
					t.Errorf("message %d to %s still waiting: %+v", m.ID, m.Channel, m)
				}
				parked = append(parked, m.Doc.Text)
			}
			if diff := cmp.Diff([]string{"first news", "second news", "third news"}, parked); diff != "" {
				t.Errorf("parked messages (-want +got):\n%s", diff)
			}
			if got := outboxMetric(t, h.metrics, "relman_outbox_depth"); got != 0 {
				t.Errorf("relman_outbox_depth at the end = %v; want 0", got)
			}
		})
	}

	t.Run("ANewReasonTellsTheOwnerAgain", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.putReleases(t, "UKIM", "C404", "payments@2.3.0")
		h.fake.RejectChannel("C404", "channel_not_found")
		h.enqueue(t, outboxText("C404", "first"))
		h.drain(t)
		h.fake.RejectChannel("C404", "not_in_channel")
		h.enqueue(t, outboxText("C404", "second"))
		h.drain(t)
		dms := h.dms("UKIM")
		if len(dms) != 2 || !strings.Contains(dms[0], "channel_not_found") || !strings.Contains(dms[1], "not_in_channel") {
			t.Errorf("DMs to UKIM = %q; want one per Slack error (channel_not_found, then not_in_channel)", dms)
		}
	})

	t.Run("AFailedNoticeIsParkedWithoutAnotherNotice", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.putReleases(t, "UKIM", "C404", "payments@2.3.0")
		// The owner's DM channel is refused too, with an error that would
		// itself call for a notice if it were a channel's.
		h.fake.RejectChannel("C404", "not_in_channel")
		h.fake.RejectChannel("UKIM", "not_in_channel")
		h.enqueue(t, outboxText("C404", "news"))
		h.drain(t)

		q := h.queue(t)
		if len(q) != 2 {
			t.Fatalf("outbox = %+v; want the news and the one notice, both parked", q)
		}
		if !q[0].Parked || q[0].Channel != "C404" || !q[1].Parked || q[1].Channel != "UKIM" || !q[1].DM {
			t.Errorf("outbox = %+v; want C404's news and the DM to UKIM parked", q)
		}
		if got := h.posts("UKIM"); got != 1 {
			t.Errorf("chat.postMessage calls to UKIM = %d; want 1 (the notice, tried once)", got)
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_parked_total"); got != 2 {
			t.Errorf("relman_outbox_parked_total = %v; want 2", got)
		}
	})

	t.Run("OtherPermanentErrorsTellNoOne", func(t *testing.T) {
		t.Parallel()
		h := outboxFixture(t)
		h.putReleases(t, "UKIM", "C404", "payments@2.3.0")
		h.fake.RejectChannel("C404", "is_archived")
		h.enqueue(t, outboxText("C404", "news"))
		h.drain(t)
		if got := h.dms("UKIM"); len(got) != 0 {
			t.Errorf("DMs to UKIM after is_archived = %q; want none (only channel_not_found and not_in_channel)", got)
		}
	})
}
