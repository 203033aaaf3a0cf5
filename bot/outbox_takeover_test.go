package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"relman/bot/outbox"
	"relman/bot/slackfake"
	"relman/store"
	"relman/store/boltdb"
	"relman/store/storetest"
)

// killAfter is a Sender whose process dies right after Slack took its
// kill-th post: its database is gone from then on (down), so nothing more
// it does is recorded, as when a leader is SIGKILLed between a post and
// its record.
type killAfter struct {
	*SlackSender
	kill  int64
	posts *atomic.Int64
	down  *atomic.Bool
}

func (s killAfter) Send(ctx context.Context, m *store.Message, thread, update *store.Posted) (store.Posted, error) {
	if s.down.Load() {
		return store.Posted{}, errors.New("killed")
	}
	p, err := s.SlackSender.Send(ctx, m, thread, update)
	if err == nil && s.posts.Add(1) == s.kill {
		s.down.Store(true)
	}
	return p, err
}

// TestOutboxTakeovers kills the leader 20 times, each time at a different
// post of a load of 40 channels with two messages each (every fourth in a
// thread), with conversations.history and conversations.replies limited
// like Slack's Tier 3 (50 a minute), or to 1 a minute of 15 messages a
// page as for a commercially distributed app outside the Marketplace. Each time a new leader on the
// same database delivers what is left. Every message must reach Slack
// exactly once, in order within its channel; the lookups each new leader
// made are logged (go test -run TestOutboxTakeovers -v ./bot).
func TestOutboxTakeovers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		perMinute int
	}{{"Tier3", 50}, {"OnePerMinute", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			takeovers(t, tc.perMinute)
		})
	}
}

func takeovers(t *testing.T, perMinute int) {
	const (
		kills    = 20
		channels = 40
	)
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	clock := store.NewFakeClock(outboxStart)
	fake.Now = clock.Now
	fake.Tier("conversations.history", perMinute)
	fake.Tier("conversations.replies", perMinute)
	if perMinute == 1 {
		fake.PageLimit(15) // and 15 messages a page
	}
	api := slack.New(fake.BotToken, slack.OptionAPIURL(fake.URL()))
	kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	ctx := t.Context()
	// replica is a new process on the database: its own connection, which
	// its death takes away.
	replica := func(kill int64) (*outbox.Outbox, *atomic.Bool) {
		down := new(atomic.Bool)
		st, err := store.New(ctx, storetest.AwayKV{KV: kv, Down: down}, "relman.db")
		if err != nil {
			t.Fatal(err)
		}
		m := NewMetrics()
		sender := &SlackSender{API: api, Metrics: m}
		o := &outbox.Outbox{Store: st, Clock: clock, Metrics: m, Spacing: -1, Sender: sender}
		if kill > 0 {
			o.Sender = killAfter{sender, kill, new(atomic.Int64), down}
		}
		return o, down
	}
	setup, _ := replica(0)
	// The thread parents, posted once.
	var parents []store.Message
	for c := range channels / 4 {
		parents = append(parents, store.Message{Channel: fmt.Sprintf("C%02d", c*4), Ref: fmt.Sprintf("parent%d", c), Doc: store.Doc{Text: "parent"}})
	}
	enqueue(t, setup.Store, clock.Now(), parents...)
	if err := drainOutbox(ctx, setup, clock); err != nil {
		t.Fatal(err)
	}

	var lookups []int
	for k := range kills {
		var load []store.Message
		for n := range 2 {
			for c := range channels {
				m := store.Message{Channel: fmt.Sprintf("C%02d", c), Doc: store.Doc{Text: fmt.Sprintf("round %d message %d", k, n)}}
				if c%4 == 0 && n == 1 {
					m.ThreadOf = fmt.Sprintf("parent%d", c/4)
				}
				load = append(load, m)
			}
		}
		enqueue(t, setup.Store, clock.Now(), load...)
		leader, down := replica(int64(5 + k*3))
		for range 100 {
			if _, err := leader.Flush(ctx); err != nil || down.Load() {
				break
			}
		}
		if !down.Load() {
			t.Fatalf("round %d: the leader was never killed", k)
		}
		// The lease runs out: the next leader takes over 10s later.
		clock.Advance(outbox.LeaseTTL)
		before := len(fake.CallsTo("conversations.history")) + len(fake.CallsTo("conversations.replies"))
		next, _ := replica(0)
		if err := drainOutbox(ctx, next, clock); err != nil {
			t.Fatalf("round %d: %v", k, err)
		}
		lookups = append(lookups, len(fake.CallsTo("conversations.history"))+len(fake.CallsTo("conversations.replies"))-before)
	}

	posts, dups := 0, 0
	seen := map[uint64]int{}
	for c := range channels {
		ch := fmt.Sprintf("C%02d", c)
		var last uint64
		for _, m := range fake.Messages(ch) {
			id := metadataID(m.Metadata)
			if id == 0 {
				continue // a reply broadcast to the channel: none here
			}
			posts++
			if seen[id]++; seen[id] > 1 {
				dups++
				continue
			}
			if id < last && m.ThreadTS == "" {
				t.Errorf("in %s outbox %d came after %d", ch, id, last)
			}
			if m.ThreadTS == "" {
				last = id
			}
		}
	}
	total := 0
	for _, n := range lookups {
		total += n
	}
	limited := 0
	for _, c := range append(fake.CallsTo("conversations.history"), fake.CallsTo("conversations.replies")...) {
		if c.Status == 429 {
			limited++
		}
	}
	t.Logf("%d takeovers, lookups limited to %d a minute: lookups per takeover %v (mean %.1f, %d answered 429); %d posts, %d distinct messages, %d posted twice",
		kills, perMinute, lookups, float64(total)/kills, limited, posts, len(seen), dups)
	if want := len(parents) + kills*2*channels; len(seen) != want {
		t.Errorf("%d distinct messages reached Slack; want %d", len(seen), want)
	}
	if dups != 0 {
		t.Errorf("%d messages posted twice; want none", dups)
	}
	// Only the posts under way when the leader died were marked Sending:
	// one a channel, as many channels as are delivered to at once (6).
	for k, n := range lookups {
		if limited == 0 && n > 6 {
			t.Errorf("takeover %d made %d lookups; want at most 6 (the posts under way)", k+1, n)
		}
	}
}

// enqueue queues msgs on st at now.
func enqueue(tb testing.TB, st *store.Store, now time.Time, msgs ...store.Message) {
	tb.Helper()
	if err := st.Update(context.Background(), "relman", now, func(tx *store.Tx) error {
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

// drainOutbox flushes o, moving clock to when the next message is due,
// until nothing waits.
func drainOutbox(ctx context.Context, o *outbox.Outbox, clock *store.FakeClock) error {
	for range 1000 {
		if _, err := o.Flush(ctx); err != nil {
			return err
		}
		next, err := o.Next()
		if err != nil || next.IsZero() {
			return err
		}
		if next.After(clock.Now()) {
			clock.Set(next)
		}
	}
	return errors.New("the outbox did not drain")
}

// metadataID is the outbox ID in a fake message's metadata, or 0.
func metadataID(raw json.RawMessage) uint64 {
	var meta slack.SlackMetadata
	if json.Unmarshal(raw, &meta) != nil || meta.EventType != outboxEventType {
		return 0
	}
	return outboxID(meta.EventPayload["id"])
}
