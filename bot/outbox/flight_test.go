package outbox

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"relman/store"
	"relman/store/boltdb"
)

// slowSender posts into memory, each post to a channel taking delay[channel]
// (else a second) on the bubble's clock; it notes how many posts were under
// way at once.
type slowSender struct {
	delay map[string]time.Duration

	mu      sync.Mutex
	posts   map[string][]string // channel → texts, in the order they landed
	now     int
	maxOnce int
}

func (s *slowSender) Send(_ context.Context, m *store.Message, _, _ *store.Posted) (store.Posted, error) {
	s.mu.Lock()
	s.now++
	s.maxOnce = max(s.maxOnce, s.now)
	s.mu.Unlock()
	d, ok := s.delay[m.Channel]
	if !ok {
		d = time.Second
	}
	time.Sleep(d)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now--
	s.posts[m.Channel] = append(s.posts[m.Channel], m.Doc.Text)
	return store.Posted{Channel: m.Channel, TS: fmt.Sprint(len(s.posts[m.Channel]))}, nil
}

// TestFlightsKeepChannelsApart: with one channel's posts taking an hour,
// Run delivers every other channel's messages meanwhile, in order within
// each channel, one second apart, and never more than Parallel posts at
// once; when Run's context ends it finishes the post under way.
func TestFlightsKeepChannelsApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		s := &slowSender{delay: map[string]time.Duration{"CSLOW": time.Hour}, posts: map[string][]string{}}
		o := &Outbox{Store: st, Sender: s, Clock: store.SystemClock{}, Parallel: 4}
		var msgs []store.Message
		for n := range 3 {
			for c := range 9 {
				ch := fmt.Sprintf("C%d", c)
				if c == 0 {
					ch = "CSLOW"
				}
				msgs = append(msgs, text(ch, fmt.Sprintf("m%d", n)))
			}
		}
		mustEnqueue(t, o, msgs...)
		ctx, stop := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- o.Run(ctx) }()
		time.Sleep(time.Minute)
		s.mu.Lock()
		for c := 1; c < 9; c++ {
			ch := fmt.Sprintf("C%d", c)
			if got := s.posts[ch]; !slices.Equal(got, []string{"m0", "m1", "m2"}) {
				t.Errorf("%s got %q within a minute; want m0, m1, m2", ch, got)
			}
		}
		if got := s.posts["CSLOW"]; len(got) != 0 {
			t.Errorf("CSLOW got %q within a minute; want nothing yet (its first post takes an hour)", got)
		}
		if s.maxOnce > 4 {
			t.Errorf("%d posts were under way at once; want at most Parallel (4)", s.maxOnce)
		}
		s.mu.Unlock()
		stop()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		if got := s.posts["CSLOW"]; !slices.Equal(got, []string{"m0"}) {
			t.Errorf("CSLOW after Run returned = %q; want m0 (the post under way finished)", got)
		}
	})
}

// TestRunTriesAtOnceAfterARestart: a backoff saved by an earlier process
// is not waited out by Run, but one that Run's own attempt set is.
func TestRunTriesAtOnceAfterARestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		fs := &fakeSender{fail: []error{&DeliveryError{Err: fmt.Errorf("timeout"), Reason: "timeout"}}}
		o := &Outbox{Store: st, Sender: fs, Clock: store.SystemClock{}}
		m := text("C1", "one")
		mustEnqueue(t, o, m)
		// The earlier process's attempt failed: its retry is 13s away.
		if err := st.Update(t.Context(), "relman", time.Now(), func(tx *store.Tx) error {
			q, err := tx.Outbox()
			if err != nil {
				return err
			}
			q[0].Attempts, q[0].NextAttempt = 3, time.Now().Add(13*time.Second)
			return tx.PutMessage(&q[0])
		}); err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- o.Run(ctx) }()
		synctest.Wait()
		fs.mu.Lock()
		if len(fs.fail) != 0 {
			t.Errorf("Run did not try the message at once")
		}
		fs.mu.Unlock()
		// Its own failure (the 4th) backs off 16s.
		time.Sleep(15 * time.Second)
		fs.mu.Lock()
		if len(fs.sent) != 0 {
			t.Errorf("Run retried after 15s: %q; want its own 16s backoff waited out", fs.sent)
		}
		fs.mu.Unlock()
		time.Sleep(2 * time.Second)
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(fs.sent, []string{"post C1 one"}) {
			t.Errorf("posts = %q; want the retry", fs.sent)
		}
	})
}

// TestRunWaitsForAFreeSlot: while every slot is taken by a post that takes
// an hour, Run does not spin reading the queue for the channel left
// waiting: the end of a flight wakes it, and that channel goes then.
func TestRunWaitsForAFreeSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		s := &slowSender{delay: map[string]time.Duration{"C1": time.Hour, "C2": time.Hour}, posts: map[string][]string{}}
		m := &countingMetrics{}
		o := &Outbox{Store: st, Sender: s, Clock: store.SystemClock{}, Metrics: m, Parallel: 2}
		mustEnqueue(t, o, text("C1", "slow"), text("C2", "slow"), text("C3", "waits"))
		ctx, stop := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- o.Run(ctx) }()
		time.Sleep(59 * time.Minute)
		m.mu.Lock()
		if m.depths > 3 {
			t.Errorf("Run read the queue %d times in 59 minutes with every slot taken; want it to wait for a flight to end", m.depths)
		}
		m.mu.Unlock()
		time.Sleep(2*time.Minute + 2*time.Second)
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := s.posts["C3"]; !slices.Equal(got, []string{"waits"}) {
			t.Errorf("C3 = %q; want its message once a slot was free", got)
		}
	})
}
