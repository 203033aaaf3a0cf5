package reminders

import (
	"testing"
	"time"

	"relman/store"
)

func TestNextDigest(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	newYork := mustLoc(t, "America/New_York")
	tokyo := mustLoc(t, "Asia/Tokyo")
	daily := func(zone string, h, m int) store.Subscription {
		return store.Subscription{Channel: "C1", Cadence: store.Daily, Hour: h, Minute: m, Zone: zone}
	}
	weekly := func(zone string, day time.Weekday, h, m int) store.Subscription {
		return store.Subscription{Channel: "U1", DM: true, Cadence: store.Weekly, Weekday: day, Hour: h, Minute: m, Zone: zone}
	}
	for _, tc := range []struct {
		name  string
		sub   store.Subscription
		after time.Time
		want  time.Time
	}{
		{"DailyLaterToday", daily("Europe/Berlin", 9, 0), time.Date(2027, 1, 6, 7, 0, 0, 0, berlin), time.Date(2027, 1, 6, 9, 0, 0, 0, berlin)},
		{"DailyTomorrowOnceTodaysHasPassed", daily("Europe/Berlin", 9, 0), time.Date(2027, 1, 6, 10, 0, 0, 0, berlin), time.Date(2027, 1, 7, 9, 0, 0, 0, berlin)},
		{"DailyStrictlyAfterTheSlot", daily("Europe/Berlin", 9, 0), time.Date(2027, 1, 6, 9, 0, 0, 0, berlin), time.Date(2027, 1, 7, 9, 0, 0, 0, berlin)},
		{"DailyRunsOnWeekendsToo", daily("UTC", 8, 15), time.Date(2027, 1, 8, 9, 0, 0, 0, time.UTC), time.Date(2027, 1, 9, 8, 15, 0, 0, time.UTC)},
		{"DailyInTheSubscribersZone", daily("Asia/Tokyo", 9, 0), time.Date(2027, 1, 8, 0, 30, 0, 0, time.UTC), time.Date(2027, 1, 9, 9, 0, 0, 0, tokyo)},
		// Berlin springs forward on Sunday 2027-03-28: Saturday's 09:00 is
		// 08:00 UTC, Sunday's 07:00 UTC.
		{"DailyKeepsTheWallClockAcrossSpringForward", daily("Europe/Berlin", 9, 0), time.Date(2027, 3, 27, 9, 0, 0, 0, berlin), time.Date(2027, 3, 28, 7, 0, 0, 0, time.UTC)},
		{"DailyKeepsTheWallClockAcrossFallBack", daily("Europe/Berlin", 9, 0), time.Date(2027, 10, 30, 9, 0, 0, 0, berlin), time.Date(2027, 10, 31, 8, 0, 0, 0, time.UTC)},
		{"DailyAtASkippedTimeGoesAnHourLater", daily("Europe/Berlin", 2, 30), time.Date(2027, 3, 27, 12, 0, 0, 0, berlin), time.Date(2027, 3, 28, 3, 30, 0, 0, berlin)},
		{"WeeklyLaterTheSameDay", weekly("America/New_York", time.Monday, 9, 0), time.Date(2027, 1, 11, 8, 0, 0, 0, newYork), time.Date(2027, 1, 11, 9, 0, 0, 0, newYork)},
		{"WeeklyNextWeekOnceThisWeeksHasPassed", weekly("America/New_York", time.Monday, 9, 0), time.Date(2027, 1, 11, 9, 30, 0, 0, newYork), time.Date(2027, 1, 18, 9, 0, 0, 0, newYork)},
		{"WeeklySundayFromSaturday", weekly("UTC", time.Sunday, 18, 0), time.Date(2027, 1, 9, 20, 0, 0, 0, time.UTC), time.Date(2027, 1, 10, 18, 0, 0, 0, time.UTC)},
		// New York springs forward on Sunday 2027-03-14: Monday 09:00 moves
		// from 14:00 UTC to 13:00 UTC.
		{"WeeklyKeepsTheWallClockAcrossSpringForward", weekly("America/New_York", time.Monday, 9, 0), time.Date(2027, 3, 8, 9, 0, 0, 0, newYork), time.Date(2027, 3, 15, 13, 0, 0, 0, time.UTC)},
		{"AnUnknownZoneIsUTC", daily("Mars/Olympus", 9, 0), time.Date(2027, 1, 6, 10, 0, 0, 0, time.UTC), time.Date(2027, 1, 7, 9, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NextDigest(tc.sub, tc.after)
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("NextDigest(%s %02d:%02d %s, %v) = %v; want %v in UTC", tc.sub.Cadence, tc.sub.Hour, tc.sub.Minute, tc.sub.Zone, tc.after, got, tc.want.UTC())
			}
		})
	}

	t.Run("TheRepeatedHourOfFallBackIsOneSlot", func(t *testing.T) {
		sub := daily("Europe/Berlin", 2, 30)
		first := NextDigest(sub, time.Date(2027, 10, 30, 12, 0, 0, 0, berlin))
		second := NextDigest(sub, first)
		if first.In(berlin).Day() != 31 || second.In(berlin).Day() != 1 {
			t.Errorf("slots after Oct 30 noon = %v, %v; want one on Oct 31 and the next on Nov 1", first.In(berlin), second.In(berlin))
		}
	})
}

func TestLastDigest(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	for _, tc := range []struct {
		name string
		sub  store.Subscription
		now  time.Time
		want time.Time
	}{
		{"TheSlotItselfCounts", store.Subscription{Cadence: store.Daily, Hour: 9, Zone: "Europe/Berlin"}, time.Date(2027, 1, 6, 9, 0, 0, 0, berlin), time.Date(2027, 1, 6, 9, 0, 0, 0, berlin)},
		{"YesterdaysBeforeTodaysSlot", store.Subscription{Cadence: store.Daily, Hour: 9, Zone: "Europe/Berlin"}, time.Date(2027, 1, 6, 8, 59, 0, 0, berlin), time.Date(2027, 1, 5, 9, 0, 0, 0, berlin)},
		// Down from Friday to Monday noon: one digest, Monday's, not four.
		{"OnlyTheLatestSlotAfterDowntime", store.Subscription{Cadence: store.Daily, Hour: 9, Zone: "Europe/Berlin"}, time.Date(2027, 1, 11, 12, 0, 0, 0, berlin), time.Date(2027, 1, 11, 9, 0, 0, 0, berlin)},
		{"WeeklyLastWeeksFromTheDayBefore", store.Subscription{Cadence: store.Weekly, Weekday: time.Monday, Hour: 9, Zone: "Europe/Berlin"}, time.Date(2027, 1, 10, 23, 0, 0, 0, berlin), time.Date(2027, 1, 4, 9, 0, 0, 0, berlin)},
		{"WeeklyAcrossSpringForward", store.Subscription{Cadence: store.Weekly, Weekday: time.Monday, Hour: 9, Zone: "Europe/Berlin"}, time.Date(2027, 3, 29, 7, 0, 0, 0, time.UTC), time.Date(2027, 3, 29, 9, 0, 0, 0, berlin)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := LastDigest(tc.sub, tc.now)
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("LastDigest(%v) = %v; want %v in UTC", tc.now, got, tc.want.UTC())
			}
			if next := NextDigest(tc.sub, got); !next.After(tc.now) {
				t.Errorf("NextDigest(LastDigest(%v)) = %v; want after now: no slot between them", tc.now, next)
			}
		})
	}
}

// TestDailyDMDigestSkipsWeekends: a daily digest by DM has no slot on
// Saturday or Sunday (in the subscriber's zone) unless it was subscribed
// with weekends; a channel's daily digest and a weekly one keep theirs.
func TestDailyDMDigestSkipsWeekends(t *testing.T) {
	fri := time.Date(2027, 1, 8, 10, 0, 0, 0, time.UTC) // Friday, after the 09:00 slot
	for _, tt := range []struct {
		name string
		sub  store.Subscription
		want time.Weekday
	}{
		{"DM", store.Subscription{Channel: "UKIM", DM: true, Cadence: store.Daily, Hour: 9, Zone: "UTC"}, time.Monday},
		{"DMWeekends", store.Subscription{Channel: "UKIM", DM: true, Cadence: store.Daily, Hour: 9, Zone: "UTC", Weekends: true}, time.Saturday},
		{"Channel", store.Subscription{Channel: "CREL", Cadence: store.Daily, Hour: 9, Zone: "UTC"}, time.Saturday},
		{"DMInSingapore", store.Subscription{Channel: "UKIM", DM: true, Cadence: store.Daily, Hour: 9, Zone: "Asia/Singapore"}, time.Monday},
	} {
		t.Run(tt.name, func(t *testing.T) {
			next := NextDigest(tt.sub, fri)
			if got := next.In(tt.sub.Location()).Weekday(); got != tt.want {
				t.Errorf("NextDigest after Fri 10:00 UTC = %v (%v); want a %v", next, got, tt.want)
			}
			mon := time.Date(2027, 1, 11, 8, 0, 0, 0, time.UTC)
			if last := LastDigest(tt.sub, mon); !tt.sub.Weekends && tt.sub.DM && last.In(tt.sub.Location()).Weekday() == time.Sunday {
				t.Errorf("LastDigest before Monday's slot = %v, a Sunday", last)
			}
		})
	}
}
