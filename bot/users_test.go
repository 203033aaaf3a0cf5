package bot

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"relman/bot/slackfake"
	"relman/store"
)

func TestUsers(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	fake.SetUser("U1", "ana", "America/Los_Angeles")
	api := slack.New(fake.BotToken, slack.OptionAPIURL(fake.URL()))
	clock := store.NewFakeClock(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	ctx := context.Background()

	t.Run("LooksUpOnceWhileFresh", func(t *testing.T) {
		u := &Users{API: api, Clock: clock, TTL: time.Hour}
		for range 3 {
			loc, err := u.Location(ctx, "U1")
			if err != nil || loc.String() != "America/Los_Angeles" {
				t.Fatalf("Location(U1) = %v, %v; want America/Los_Angeles", loc, err)
			}
		}
		if n := len(fake.CallsTo("users.info")); n != 1 {
			t.Errorf("users.info called %d times; want 1", n)
		}
		clock.Advance(2 * time.Hour)
		if _, err := u.Location(ctx, "U1"); err != nil {
			t.Fatal(err)
		}
		if n := len(fake.CallsTo("users.info")); n != 2 {
			t.Errorf("after the TTL users.info called %d times; want 2", n)
		}
	})
	t.Run("CachedNeverWaitsAndRefreshesInBackground", func(t *testing.T) {
		u := &Users{API: api, Clock: clock}
		if loc, ok := u.Cached("U1"); ok {
			t.Fatalf("Cached(U1) on an empty cache = %v; want nothing", loc)
		}
		u.Wait()
		loc, ok := u.Cached("U1")
		if !ok || loc.String() != "America/Los_Angeles" {
			t.Fatalf("Cached(U1) after refresh = %v, %v; want America/Los_Angeles", loc, ok)
		}
	})
	t.Run("UnknownUserFails", func(t *testing.T) {
		u := &Users{API: api, Clock: clock}
		if loc, err := u.Location(ctx, "U404"); err == nil {
			t.Fatalf("Location(U404) = %v; want an error", loc)
		}
	})
}
