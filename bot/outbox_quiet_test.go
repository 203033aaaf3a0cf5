package bot

import (
	"testing"
	"time"

	"relman/store"
)

// quietDM is a DM to user held for their working hours.
func quietDM(user, text string) store.Message {
	m := outboxText(user, text)
	m.DM, m.Quiet = true, true
	return m
}

func TestOutboxQuietHours(t *testing.T) {
	t.Run("HoldsAQuietDMUntilMorningInTheRecipientsZone", func(t *testing.T) {
		h := outboxFixture(t)
		h.fake.SetUser("U0SAM", "sam", "Asia/Tokyo")
		h.fake.SetUser("U0BOB", "bob", "America/New_York")
		h.outbox.Zones = &Users{API: h.api, Clock: h.clock, Metrics: h.metrics}
		var held []string
		h.outbox.Held = func(m *store.Message, loc *time.Location) {
			held = append(held, m.Channel+" until "+m.NotBefore.In(loc).Format("Mon 15:04 MST"))
		}
		h.clock.Set(time.Date(2027, 1, 8, 10, 30, 0, 0, time.UTC)) // Friday 19:30 in Tokyo
		loud := outboxText("U0BOB", "you were mentioned")
		loud.DM = true
		channel := outboxText("C0REL", "payments@2.3.0 now slips")
		channel.Quiet = true // only DMs wait
		msgs := h.enqueue(t, quietDM("U0SAM", "payments@2.3.0 now slips"), channel, loud)

		if n := h.flush(t); n != 2 {
			t.Errorf("Flush sent %d; want 2 (the channel post and the DM that is not quiet)", n)
		}
		if got := h.texts("U0SAM"); len(got) != 0 {
			t.Errorf("sam got %q on Friday evening in Tokyo; want it held", got)
		}
		monday := time.Date(2027, 1, 11, 9, 0, 0, 0, mustZone(t, "Asia/Tokyo"))
		if got := h.message(t, msgs[0].ID).NotBefore; !got.Equal(monday) {
			t.Errorf("NotBefore = %v; want %v (Monday 09:00 in Tokyo)", got, monday)
		}
		if want := []string{"U0SAM until Mon 09:00 JST"}; len(held) != 1 || held[0] != want[0] {
			t.Errorf("Held told %q; want %q", held, want)
		}
		if got := h.next(t); !got.Equal(monday) {
			t.Errorf("Next = %v; want %v", got, monday)
		}
		h.clock.Set(monday.Add(-time.Minute))
		if n := h.flush(t); n != 0 {
			t.Errorf("Flush a minute early sent %d; want 0", n)
		}
		h.clock.Set(monday)
		if n := h.flush(t); n != 1 || len(h.texts("U0SAM")) != 1 {
			t.Errorf("Flush on Monday 09:00 in Tokyo sent %d, sam has %q; want the DM", n, h.texts("U0SAM"))
		}
		if len(held) != 1 {
			t.Errorf("Held told %d times; want once", len(held))
		}
	})

	t.Run("UsesTheWorkspaceZoneWhenTheUsersIsUnknown", func(t *testing.T) {
		h := outboxFixture(t)
		h.outbox.Zones = &Users{API: h.api, Clock: h.clock, Metrics: h.metrics} // users.info: user_not_found
		h.outbox.Loc = mustZone(t, "Europe/Berlin")
		h.clock.Set(time.Date(2027, 1, 9, 12, 0, 0, 0, time.UTC)) // Saturday
		msgs := h.enqueue(t, quietDM("U0NEW", "hello"))
		h.flush(t)
		if got, want := h.message(t, msgs[0].ID).NotBefore, time.Date(2027, 1, 11, 8, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Errorf("NotBefore = %v; want %v (Monday 09:00 in Berlin)", got, want)
		}
	})

	t.Run("SendsAtOnceInWorkingHours", func(t *testing.T) {
		h := outboxFixture(t) // Monday 09:00 UTC; no Zones: UTC
		h.enqueue(t, quietDM("U0SAM", "hello"))
		if n := h.flush(t); n != 1 {
			t.Errorf("Flush sent %d; want 1", n)
		}
	})

	t.Run("ARetryThatFallsAfterHoursWaitsForMorning", func(t *testing.T) {
		h := outboxFixture(t)
		h.clock.Set(time.Date(2027, 1, 4, 17, 59, 59, 0, time.UTC))
		h.fake.ServerError("chat.postMessage", 1)
		msgs := h.enqueue(t, quietDM("U0SAM", "hello"))
		if n := h.flush(t); n != 0 {
			t.Fatalf("Flush sent %d; want the first attempt to fail", n)
		}
		h.clock.Set(h.next(t)) // the retry, past 18:00
		if n := h.flush(t); n != 0 {
			t.Errorf("retry at %v sent %d; want it held", h.clock.Now(), n)
		}
		if got, want := h.message(t, msgs[0].ID).NotBefore, time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Errorf("NotBefore = %v; want %v", got, want)
		}
	})
}

func mustZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}
