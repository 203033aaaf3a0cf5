package bot

import (
	"context"
	"testing"
	"time"

	"relman/commands"
	"relman/store"
)

func TestDispatcherEntryPoints(t *testing.T) {
	t.Run("HomeIsMeasured", func(t *testing.T) {
		f := MustHTTPFixture(t)
		d := f.Slack.Dispatcher
		if _, err := d.Home(context.Background(), "U1"); err != nil {
			t.Fatal(err)
		}
		if n := histogramCount(t, d.Metrics, "relman_command_duration_seconds", "command", "app home", "outcome", "ok"); n != 1 {
			t.Errorf("relman_command_duration_seconds{command=\"app home\",outcome=\"ok\"} count = %d; want 1", n)
		}
	})
	t.Run("LocIsUTCWhenUnset", func(t *testing.T) {
		d := &Dispatcher{Service: &commands.Service{}}
		if got := d.Loc(); got != time.UTC {
			t.Errorf("Loc() with no zone set = %v; want UTC", got)
		}
	})
	t.Run("AskIsTakenOnce", func(t *testing.T) {
		f := MustHTTPFixture(t)
		d, ctx, now := f.Slack.Dispatcher, context.Background(), f.Clock.Now()
		if err := d.PutAsk(ctx, "U1", &store.PendingAsk{ID: "a1", ResponseURL: "https://hooks.example/1", At: now}, time.Hour, 10); err != nil {
			t.Fatal(err)
		}
		for i, want := range []bool{true, false} {
			a, err := d.TakeAsk(ctx, "U1", "a1", now, time.Hour)
			if err != nil || (a != nil) != want {
				t.Errorf("TakeAsk #%d = %+v, %v; want found %t", i+1, a, err, want)
			}
		}
	})
}
