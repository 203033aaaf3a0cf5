package bot

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/bot/outbox"
	"relman/store"
	"relman/store/boltdb"
	"relman/store/storetest"
)

// cutAfterSend is a Sender whose database goes away right after each post
// Slack took, while cut is set: the delivery cannot be recorded.
type cutAfterSend struct {
	*SlackSender // a Finder too
	cut, down    *atomic.Bool
}

func (s cutAfterSend) Send(ctx context.Context, m *store.Message, thread, update *store.Posted) (store.Posted, error) {
	p, err := s.SlackSender.Send(ctx, m, thread, update)
	if err == nil && s.cut.Load() {
		s.down.Store(true)
	}
	return p, err
}

// TestOutboxLooksAgainWhenARecordFailed: a message Slack took whose
// delivery could not be recorded (the database's connections were cut
// between the post and the record) is still queued as never tried, but
// marked Sending; the next attempt looks for it in the channel first, and
// so it is posted once. The channel's first message, which was never
// handed to Slack before, is not looked for.
func TestOutboxLooksAgainWhenARecordFailed(t *testing.T) {
	h := outboxFixture(t)
	kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	down, cut := new(atomic.Bool), new(atomic.Bool)
	st, err := store.New(context.Background(), storetest.AwayKV{KV: kv, Down: down}, "relman.db")
	if err != nil {
		t.Fatal(err)
	}
	h.store = st
	h.outbox = &outbox.Outbox{Store: st, Clock: h.clock, Metrics: h.metrics, Spacing: -1,
		Sender: cutAfterSend{&SlackSender{API: h.api, Metrics: h.metrics}, cut, down}}

	h.enqueue(t, outboxText("C1", "one"))
	h.drain(t) // C1's first message: posted, recorded
	m := h.enqueue(t, outboxText("C1", "two"))[0]
	cut.Store(true)
	if _, err := h.outbox.Flush(context.Background()); err == nil {
		t.Fatal("Flush with the database cut after the post succeeded; want the record's error")
	}
	cut.Store(false)
	down.Store(false)
	if got := h.message(t, m.ID); got.Attempts != 0 || !got.Sending {
		t.Fatalf("message %d = {Attempts: %d, Sending: %t}; want {0, true} (only the mark before the post was recorded)", m.ID, got.Attempts, got.Sending)
	}
	h.drain(t)

	if diff := cmp.Diff([]string{"one", "two"}, h.texts("C1")); diff != "" {
		t.Errorf("C1 messages (-want +got):\n%s", diff)
	}
	if got := len(h.fake.CallsTo("conversations.history")); got != 1 {
		t.Errorf("conversations.history calls = %d; want 1 (the one whose record failed)", got)
	}
	if q := h.queue(t); len(q) != 0 {
		t.Errorf("outbox after the drain = %+v; want empty", q)
	}
}
