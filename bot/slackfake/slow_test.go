package slackfake_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slack-go/slack"

	"relman/bot/slackfake"
)

// newLocal is a NewLocal fake and a client calling it in process; made in
// a synctest bubble, its waits run on the bubble's clock.
func newLocal(t *testing.T) (*slackfake.Server, *slack.Client) {
	t.Helper()
	f := slackfake.NewLocal()
	t.Cleanup(f.Close)
	return f, slack.New(f.BotToken, slack.OptionAPIURL(f.URL()), slack.OptionHTTPClient(f.Client()))
}

// TestSlowTakesFakeTime: with Slow, every call takes its time on the
// bubble's clock; a client that gives up first gets its deadline and the
// call takes no effect.
func TestSlowTakesFakeTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, api := newLocal(t)
		f.Slow(8 * time.Second)
		start := time.Now()
		if _, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("one", false)); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took != 8*time.Second {
			t.Errorf("a post took %v; want 8s", took)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("two", false)); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a post with a 5s deadline = %v; want the deadline", err)
		}
		if n := len(f.Messages("C1")); n != 1 {
			t.Errorf("C1 holds %d messages; want 1 (the abandoned post took no effect)", n)
		}
	})
}

// TestTierLimitsPerMinute: a method limited to 3 calls a minute answers the
// fourth with 429 and a Retry-After up to the next minute, and takes calls
// again then.
func TestTierLimitsPerMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, api := newLocal(t)
		f.Tier("conversations.history", 3)
		time.Sleep(time.Until(time.Now().Truncate(time.Minute).Add(time.Minute + 20*time.Second)))
		params := &slack.GetConversationHistoryParameters{ChannelID: "C1"}
		for i := range 3 {
			if _, err := api.GetConversationHistoryContext(t.Context(), params); err != nil {
				t.Fatalf("call %d: %v", i+1, err)
			}
		}
		_, err := api.GetConversationHistoryContext(t.Context(), params)
		rl, ok := errors.AsType[*slack.RateLimitedError](err)
		if !ok || rl.RetryAfter != 40*time.Second {
			t.Fatalf("fourth call = %v; want a RateLimitedError with Retry-After 40s", err)
		}
		time.Sleep(rl.RetryAfter)
		if _, err := api.GetConversationHistoryContext(t.Context(), params); err != nil {
			t.Errorf("call in the next minute: %v", err)
		}
		if _, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("x", false)); err != nil {
			t.Errorf("another method: %v", err)
		}
	})
}

// TestHistoryPages: conversations.history and conversations.replies page
// with the cursor, newest first, until has_more is false; PageLimit caps a
// page whatever the client asks.
func TestHistoryPages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, api := newLocal(t)
		_, parent, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("m0", false))
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < 5; i++ {
			time.Sleep(time.Second)
			if _, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("m"+string(rune('0'+i)), false)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("r"+string(rune('0'+i)), false), slack.MsgOptionTS(parent)); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		cursor := ""
		for range 10 {
			res, err := api.GetConversationHistoryContext(t.Context(), &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range res.Messages {
				got = append(got, m.Text)
			}
			cursor = res.ResponseMetaData.NextCursor
			if !res.HasMore {
				break
			}
		}
		if want := "m4 m3 m2 m1 m0"; strings.Join(got, " ") != want {
			t.Errorf("history pages = %q; want %q", strings.Join(got, " "), want)
		}
		f.PageLimit(1)
		res, err := api.GetConversationHistoryContext(t.Context(), &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) != 1 || !res.HasMore || res.ResponseMetaData.NextCursor == "" {
			t.Errorf("history with PageLimit(1) = %d messages, has_more %t, cursor %q; want 1, true and a cursor", len(res.Messages), res.HasMore, res.ResponseMetaData.NextCursor)
		}
		f.PageLimit(0)
		got, cursor = nil, ""
		for range 10 {
			msgs, more, next, err := api.GetConversationRepliesContext(t.Context(), &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: parent, Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				got = append(got, m.Text)
			}
			if cursor = next; !more {
				break
			}
		}
		if want := "r3 r4 r1 r2 m0"; strings.Join(got, " ") != want {
			t.Errorf("replies pages = %q; want %q", strings.Join(got, " "), want)
		}
	})
}
