package commands_test

import (
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/store"
)

func TestParseDate(t *testing.T) {
	monday := MustDate(t, "2027-01-04")
	friday := MustDate(t, "2027-01-08")
	tests := []struct {
		name  string
		in    string
		today store.Date
		want  string
	}{
		{"AcceptsISODate", "2027-01-15", monday, "2027-01-15"},
		{"AcceptsPastISODate", "2026-12-24", monday, "2026-12-24"},
		{"AcceptsLeapDay", "2028-02-29", monday, "2028-02-29"},
		{"AcceptsToday", "today", monday, "2027-01-04"},
		{"AcceptsTomorrow", "tomorrow", monday, "2027-01-05"},
		{"AcceptsTomorrowAcrossYear", "tomorrow", MustDate(t, "2026-12-31"), "2027-01-01"},
		{"AcceptsDays", "+3d", monday, "2027-01-07"},
		{"AcceptsZeroDays", "+0d", monday, "2027-01-04"},
		{"AcceptsWeeks", "+2w", monday, "2027-01-18"},
		{"AcceptsTenYearsOfDays", "+3650d", monday, "2037-01-01"},
		{"IgnoresCase", "TOMORROW", monday, "2027-01-05"},
		{"IgnoresCaseOfUnit", "+3D", monday, "2027-01-07"},

		// A weekday is the next one after today, never today itself.
		{"AcceptsMonOnMondayAsNextWeek", "mon", monday, "2027-01-11"},
		{"AcceptsTue", "tue", monday, "2027-01-05"},
		{"AcceptsWed", "wed", monday, "2027-01-06"},
		{"AcceptsThu", "thu", monday, "2027-01-07"},
		{"AcceptsFri", "fri", monday, "2027-01-08"},
		{"AcceptsSat", "sat", monday, "2027-01-09"},
		{"AcceptsSun", "sun", monday, "2027-01-10"},
		{"AcceptsFriOnFridayAsNextWeek", "fri", friday, "2027-01-15"},
		{"AcceptsSatOnFriday", "sat", friday, "2027-01-09"},
		{"AcceptsThuOnFridayAsNextWeek", "thu", friday, "2027-01-14"},
		{"AcceptsFullName", "friday", monday, "2027-01-08"},
		{"AcceptsFullNameAnyCase", "Wednesday", monday, "2027-01-06"},
		{"AcceptsShortNameUpperCase", "FRI", monday, "2027-01-08"},
		{"AcceptsTues", "tues", monday, "2027-01-05"},
		{"AcceptsThurs", "Thurs", monday, "2027-01-07"},
		{"AcceptsSundayFull", "sunday", monday, "2027-01-10"},
		{"AcceptsMondayFull", "monday", friday, "2027-01-11"},
		{"AcceptsSaturdayFull", "saturday", monday, "2027-01-09"},
		{"AcceptsThursdayFull", "thursday", monday, "2027-01-07"},
		{"AcceptsTuesdayFull", "tuesday", monday, "2027-01-05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commands.ParseDate(tt.in, tt.today)
			if err != nil || got.String() != tt.want {
				t.Errorf("ParseDate(%q, %s) = %v, %v; want %s, nil", tt.in, tt.today, got, err, tt.want)
			}
		})
	}
}

func TestParseDateRejects(t *testing.T) {
	today := MustDate(t, "2027-01-04")
	tests := []struct {
		name string
		in   string
	}{
		{"RejectsMonth13", "2027-13-01"},
		{"RejectsFebruary30", "2027-02-30"},
		{"RejectsNonLeapDay", "2027-02-29"},
		{"RejectsUnpaddedDate", "2027-1-5"},
		{"RejectsTwoDigitYear", "27-01-15"},
		{"RejectsSlashes", "2027/01/15"},
		{"RejectsDateWithTime", "2027-01-15T10:00"},
		{"RejectsFarFuture", "9999-12-31"},
		{"RejectsFarPast", "0001-01-01"},
		{"RejectsWord", "someday"},
		{"RejectsEmpty", ""},
		{"RejectsUnknownUnit", "+3x"},
		{"RejectsHours", "+12h"},
		{"RejectsNegativeDays", "-3d"},
		{"RejectsMissingPlus", "3d"},
		{"RejectsMissingNumber", "+d"},
		{"RejectsDoubleSign", "++3d"},
		{"RejectsPlusMinus", "+-3d"},
		{"RejectsPlusMinusZero", "+-0d"},
		{"RejectsSpaceInside", "+ 3d"},
		{"RejectsTooManyDays", "+3651d"},
		{"RejectsHugeNumber", "+99999999999999999999d"},
		{"RejectsHugeWeeks", "+9223372036854775807w"},
		{"RejectsWeekdayTypo", "fridya"},
		{"RejectsNextFriday", "next fri"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commands.ParseDate(tt.in, today)
			if err == nil {
				t.Fatalf("ParseDate(%q, %s) = %v, nil; want an error", tt.in, today, got)
			}
			if code := store.ErrorCode(err); code != store.EInvalid {
				t.Errorf("ParseDate(%q) error code = %q; want %q", tt.in, code, store.EInvalid)
			}
			// The message shows the accepted forms, so the user can retry.
			if msg := store.ErrorMessage(err); !strings.Contains(msg, "2027-01-15") || !strings.Contains(msg, "fri") {
				t.Errorf("ParseDate(%q) error = %q; want it to list the accepted forms", tt.in, msg)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
	}{
		{"AcceptsHours", "+12h", 12 * time.Hour},
		{"AcceptsDays", "+2d", 48 * time.Hour},
		{"AcceptsWeeks", "+1w", 7 * 24 * time.Hour},
		{"IgnoresCase", "+12H", 12 * time.Hour},
		{"AcceptsLargestHours", "+10000h", 10000 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commands.ParseDuration(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseDurationRejects(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"RejectsMissingPlus", "12h"},
		{"RejectsZero", "+0h"},
		{"RejectsNegative", "-2d"},
		{"RejectsPlusMinus", "+-2d"},
		{"RejectsDoubleSign", "++2d"},
		{"RejectsUnknownUnit", "+3x"},
		{"RejectsMinutes", "+30m"},
		{"RejectsMissingNumber", "+h"},
		{"RejectsTooLong", "+10001h"},
		{"RejectsHugeNumber", "+99999999999999999999h"},
		{"RejectsDate", "2027-01-15"},
		{"RejectsEmpty", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commands.ParseDuration(tt.in)
			if err == nil {
				t.Fatalf("ParseDuration(%q) = %v, nil; want an error", tt.in, got)
			}
			if code := store.ErrorCode(err); code != store.EInvalid {
				t.Errorf("ParseDuration(%q) error code = %q; want %q", tt.in, code, store.EInvalid)
			}
			if msg := store.ErrorMessage(err); !strings.Contains(msg, "+12h") {
				t.Errorf("ParseDuration(%q) error = %q; want it to list the accepted forms", tt.in, msg)
			}
		})
	}
}
