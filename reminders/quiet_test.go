package reminders

import (
	"testing"
	"time"
)

func TestNextWorkingTime(t *testing.T) {
	tokyo := mustLoc(t, "Asia/Tokyo")
	berlin := mustLoc(t, "Europe/Berlin")
	newYork := mustLoc(t, "America/New_York")
	for _, tc := range []struct {
		name string
		t    time.Time // given in the recipient's zone
		loc  *time.Location
		want time.Time
	}{
		{"SendsAtOnceOnAWeekdayMorning", time.Date(2027, 1, 6, 9, 0, 0, 0, tokyo), tokyo, time.Date(2027, 1, 6, 9, 0, 0, 0, tokyo)},
		{"SendsAtOnceAMinuteBeforeSix", time.Date(2027, 1, 6, 17, 59, 0, 0, berlin), berlin, time.Date(2027, 1, 6, 17, 59, 0, 0, berlin)},
		{"HoldsSixExactlyUntilTheNextMorning", time.Date(2027, 1, 6, 18, 0, 0, 0, berlin), berlin, time.Date(2027, 1, 7, 9, 0, 0, 0, berlin)},
		{"HoldsEarlyMorningUntilNine", time.Date(2027, 1, 6, 6, 15, 0, 0, berlin), berlin, time.Date(2027, 1, 6, 9, 0, 0, 0, berlin)},
		{"HoldsFridayEveningInTokyoUntilMonday", time.Date(2027, 1, 8, 19, 30, 0, 0, tokyo), tokyo, time.Date(2027, 1, 11, 9, 0, 0, 0, tokyo)},
		// 10:30 UTC on Friday is already 19:30 in Tokyo: the zone decides.
		{"JudgesByTheRecipientsZoneNotUTC", time.Date(2027, 1, 8, 10, 30, 0, 0, time.UTC), tokyo, time.Date(2027, 1, 11, 9, 0, 0, 0, tokyo)},
		{"HoldsSaturdayUntilMonday", time.Date(2027, 1, 9, 11, 0, 0, 0, berlin), berlin, time.Date(2027, 1, 11, 9, 0, 0, 0, berlin)},
		{"HoldsSundayNightUntilMondayMorning", time.Date(2027, 1, 10, 23, 30, 0, 0, newYork), newYork, time.Date(2027, 1, 11, 9, 0, 0, 0, newYork)},
		{"HoldsMondayBeforeDawnUntilNineThatDay", time.Date(2027, 1, 11, 0, 5, 0, 0, newYork), newYork, time.Date(2027, 1, 11, 9, 0, 0, 0, newYork)},
		// Berlin springs forward on Sunday 2027-03-28: Monday 09:00 is CEST,
		// 07:00 UTC, an hour earlier in UTC than on Friday.
		{"KeepsNineOClockAcrossBerlinSpringForward", time.Date(2027, 3, 26, 18, 30, 0, 0, berlin), berlin, time.Date(2027, 3, 29, 7, 0, 0, 0, time.UTC)},
		// And falls back on Sunday 2027-10-31: Monday 09:00 is CET, 08:00 UTC.
		{"KeepsNineOClockAcrossBerlinFallBack", time.Date(2027, 10, 29, 20, 0, 0, 0, berlin), berlin, time.Date(2027, 11, 1, 8, 0, 0, 0, time.UTC)},
		// New York springs forward on Sunday 2027-03-14 at 02:00.
		{"KeepsNineOClockAcrossNewYorkSpringForward", time.Date(2027, 3, 13, 12, 0, 0, 0, newYork), newYork, time.Date(2027, 3, 15, 13, 0, 0, 0, time.UTC)},
		{"HoldsTheSpringForwardNightUntilMonday", time.Date(2027, 3, 14, 7, 30, 0, 0, time.UTC), newYork, time.Date(2027, 3, 15, 9, 0, 0, 0, newYork)},
		{"TreatsANilZoneAsUTC", time.Date(2027, 1, 9, 12, 0, 0, 0, time.UTC), nil, time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NextWorkingTime(tc.t, tc.loc)
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("NextWorkingTime(%v, %v) = %v; want %v in UTC", tc.t, tc.loc, got, tc.want.UTC())
			}
		})
	}
}
