package outbox

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// noticeMetrics counts the notices the outbox drops, by reason.
type noticeMetrics struct {
	noMetrics
	mu      sync.Mutex
	dropped map[string]int
}

func (m *noticeMetrics) OutboxNoticesDropped(reason string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropped[reason] += n
}

// zoneMap is Zones from a map; a user not in it has no zone (an error).
type zoneMap map[string]*time.Location

func (z zoneMap) Location(_ context.Context, user string) (*time.Location, error) {
	if loc := z[user]; loc != nil {
		return loc, nil
	}
	return nil, fmt.Errorf("no zone for %s", user)
}

// notice is a message to channel (a DM when dm) reporting subject under
// key, its words as queued.
func notice(channel string, dm bool, subject, key string) store.Message {
	return store.Message{Channel: channel, DM: dm, Doc: store.Doc{Text: "as queued: " + key},
		Notice: &store.Notice{Kind: store.KindSlip, Subject: subject, Key: key}}
}

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func TestNoticesAtDelivery(t *testing.T) {
	ctx := context.Background()
	berlin, newYork := mustLoad(t, "Europe/Berlin"), mustLoad(t, "America/New_York")
	// setup is an outbox whose Render says the key, the instant and the
	// zones it was asked in, and drops the keys in untrue.
	setup := func(t *testing.T, untrue ...string) (*Outbox, *fakeSender, *noticeMetrics, *[]string) {
		o, s, _, _ := newTestOutbox(t)
		m := &noticeMetrics{dropped: map[string]int{}}
		o.Metrics, o.Loc, o.Zones = m, berlin, zoneMap{"UNY": newYork}
		o.Parallel = 1 // in queue order
		var calls []string
		o.Render = func(_ *store.Tx, msg *store.Message, now time.Time, reader, workspace *time.Location) (store.Doc, bool, error) {
			calls = append(calls, msg.Notice.Key)
			for _, k := range untrue {
				if k == msg.Notice.Key {
					return store.Doc{}, false, nil
				}
			}
			return store.Doc{Text: fmt.Sprintf("%s at %s (reader %s, workspace %s)", msg.Notice.Key, now.In(reader).Format("Mon 15:04 MST"), reader, workspace)}, true, nil
		}
		return o, s, m, &calls
	}
	flush := func(t *testing.T, o *Outbox) {
		t.Helper()
		if _, err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("WordedWhenDeliveredInTheReadersZone", func(t *testing.T) {
		o, s, _, _ := setup(t)
		mustEnqueue(t, o, notice("UNY", true, "edge a", "k1"), notice("CPAY", false, "edge a", "k2"), notice("UNOZONE", true, "edge a", "k3"))
		o.Clock.(*store.FakeClock).Advance(90 * time.Minute) // delivered later than queued
		flush(t, o)
		want := []string{
			"post UNY k1 at Mon 05:30 EST (reader America/New_York, workspace Europe/Berlin)",
			"post CPAY k2 at Mon 11:30 CET (reader Europe/Berlin, workspace Europe/Berlin)",
			"post UNOZONE k3 at Mon 11:30 CET (reader Europe/Berlin, workspace Europe/Berlin)",
		}
		if diff := cmp.Diff(want, s.sent); diff != "" {
			t.Errorf("sent (-want +got):\n%s", diff)
		}
	})

	t.Run("UntrueIsDroppedAndCounted", func(t *testing.T) {
		o, s, m, _ := setup(t, "gone")
		mustEnqueue(t, o, notice("CPAY", false, "edge a", "gone"), notice("CPAY", false, "edge b", "kept"))
		flush(t, o)
		if len(s.sent) != 1 || m.dropped["untrue"] != 1 {
			t.Errorf("sent %q, dropped %v; want only the true one sent and one untrue dropped", s.sent, m.dropped)
		}
		if q := mustQueue(t, o); len(q) != 0 {
			t.Errorf("queue after the flush holds %d messages; want none", len(q))
		}
	})

	t.Run("SameSubjectSameReaderCollapseIntoTheNewest", func(t *testing.T) {
		o, s, m, calls := setup(t)
		mustEnqueue(t, o,
			notice("U1", true, "edge a", "a-slip"),
			notice("U2", true, "edge a", "a-slip-u2"),
			notice("U1", true, "edge b", "b-slip"),
			notice("U1", true, "edge a", "a-recovery"),
			text("U1", "a command's news"),
		)
		flush(t, o)
		var keys []string
		for _, sent := range s.sent {
			var ch, key string
			fmt.Sscanf(sent, "post %s %s", &ch, &key)
			keys = append(keys, ch+" "+key)
		}
		want := []string{"U2 a-slip-u2", "U1 b-slip", "U1 a-recovery", "U1 a"}
		if diff := cmp.Diff(want, keys); diff != "" {
			t.Errorf("delivered (-want +got):\n%s", diff)
		}
		if m.dropped["superseded"] != 1 || len(*calls) != 3 {
			t.Errorf("dropped %v after %d renders; want one superseded and three rendered", m.dropped, len(*calls))
		}
	})

	t.Run("WithoutANoticeGoesAsQueued", func(t *testing.T) {
		o, s, _, calls := setup(t)
		mustEnqueue(t, o, text("CPAY", "a command's news"))
		flush(t, o)
		if want := []string{"post CPAY a command's news"}; !cmp.Equal(want, s.sent) || len(*calls) != 0 {
			t.Errorf("sent %q after %d renders; want %q, none rendered", s.sent, len(*calls), want)
		}
	})

	t.Run("WithoutRenderNoticesGoAsQueued", func(t *testing.T) {
		o, s, _, _ := setup(t)
		o.Render = nil
		mustEnqueue(t, o, notice("CPAY", false, "edge a", "k1"), notice("CPAY", false, "edge a", "k2"))
		flush(t, o)
		if want := []string{"post CPAY as queued: k1", "post CPAY as queued: k2"}; !cmp.Equal(want, s.sent) {
			t.Errorf("sent %q; want %q", s.sent, want)
		}
	})
}

func mustQueue(tb testing.TB, o *Outbox) []store.Message {
	tb.Helper()
	var q []store.Message
	if err := o.Store.View(context.Background(), func(tx *store.Tx) (err error) {
		q, err = tx.Outbox()
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return q
}
