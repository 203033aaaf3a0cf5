package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slack-go/slack"

	"relman/bot/outbox"
	"relman/bot/slackfake"
	"relman/store"
	"relman/store/boltdb"
)

// TestOutboxSlowSlack: with every Slack call taking 8s, the outbox
// (leading, after a restart that left a backoff saved) gets news out in
// every one of 10 channels within 20s, keeps each channel's order and
// posts nothing twice. It logs the calls made and messages delivered in
// those 20s of the bubble's clock (go test -run TestOutboxSlowSlack -v ./bot).
func TestOutboxSlowSlack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			channels = 10
			each     = 3
			window   = 20 * time.Second
		)
		fake := slackfake.NewLocal()
		t.Cleanup(fake.Close)
		fake.Slow(8 * time.Second)
		api := slack.New(fake.BotToken, slack.OptionAPIURL(fake.URL()), slack.OptionHTTPClient(fake.Client()))
		st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		var load []store.Message
		for n := range each {
			for c := range channels {
				load = append(load, store.Message{Channel: fmt.Sprintf("C%02d", c), Doc: store.Doc{Text: fmt.Sprintf("message %d", n)}})
			}
		}
		enqueue(t, st, time.Now(), load...)
		// The previous process failed the first message once: its backoff
		// (2s) is saved.
		if err := st.Update(t.Context(), "relman", time.Now(), func(tx *store.Tx) error {
			q, err := tx.Outbox()
			if err != nil {
				return err
			}
			q[0].Attempts, q[0].LastError, q[0].NextAttempt = 1, "chat.postMessage: timeout", time.Now().Add(13*time.Second)
			return tx.PutMessage(&q[0])
		}); err != nil {
			t.Fatal(err)
		}
		m := NewMetrics()
		o := &outbox.Outbox{Store: st, Clock: store.SystemClock{}, Metrics: m, Sender: &SlackSender{API: api, Metrics: m}}
		start := time.Now()
		ctx, stop := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- o.Run(ctx) }()
		time.Sleep(window)
		delivered, reached := 0, 0
		for c := range channels {
			n := len(fake.Messages(fmt.Sprintf("C%02d", c)))
			delivered += n
			if n > 0 {
				reached++
			}
		}
		stop()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		calls := 0
		for _, c := range fake.Calls() {
			if c.At.Sub(start) < window {
				calls++
			}
		}
		t.Logf("8s per call, %d channels: in %v, %d calls started and %d messages delivered, to %d channels", channels, window, calls, delivered, reached)
		if reached != channels {
			t.Errorf("%d of %d channels got a message in %v; want all", reached, channels, window)
		}
		for c := range channels {
			ch := fmt.Sprintf("C%02d", c)
			var got []string
			for _, m := range fake.Messages(ch) {
				got = append(got, m.Text)
			}
			for i, text := range got {
				if want := fmt.Sprintf("message %d", i); text != want {
					t.Errorf("%s messages = %q; want message 0, 1, … in order, once each", ch, got)
					break
				}
			}
		}
	})
}
