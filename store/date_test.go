package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"relman/store"
)

// MustDate parses an ISO date or fails the test.
func MustDate(tb testing.TB, s string) store.Date {
	tb.Helper()
	d, err := store.ParseDate(s)
	if err != nil {
		tb.Fatalf("ParseDate(%q) = %v", s, err)
	}
	return d
}

func TestNewDate(t *testing.T) {
	tests := []struct {
		name    string
		y       int
		m       time.Month
		d       int
		want    string
		wantDay time.Weekday
	}{
		{"Ordinary", 2027, time.January, 15, "2027-01-15", time.Friday},
		{"UnixEpoch", 1970, time.January, 1, "1970-01-01", time.Thursday},
		{"DayBeforeUnixEpoch", 1969, time.December, 31, "1969-12-31", time.Wednesday},
		{"MoonLanding", 1969, time.July, 20, "1969-07-20", time.Sunday},
		{"TurnOfCentury", 1900, time.January, 1, "1900-01-01", time.Monday},
		{"Independence", 1776, time.July, 4, "1776-07-04", time.Thursday},
		{"FirstDayOfYearOne", 1, time.January, 1, "0001-01-01", time.Monday},
		{"LeapDay", 2000, time.February, 29, "2000-02-29", time.Tuesday},
		{"NormalisesDayOverflow", 2027, time.February, 30, "2027-03-02", time.Tuesday},
		{"NormalisesMonthOverflow", 2026, time.Month(13), 1, "2027-01-01", time.Friday},
		{"NormalisesDayZero", 2027, time.March, 0, "2027-02-28", time.Sunday},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := store.NewDate(tt.y, tt.m, tt.d)
			if d.IsZero() {
				t.Fatalf("NewDate(%d, %v, %d).IsZero() = true; want false", tt.y, tt.m, tt.d)
			}
			if got := d.String(); got != tt.want {
				t.Errorf("NewDate(%d, %v, %d).String() = %q; want %q", tt.y, tt.m, tt.d, got, tt.want)
			}
			if got := d.Weekday(); got != tt.wantDay {
				t.Errorf("NewDate(%d, %v, %d).Weekday() = %v; want %v", tt.y, tt.m, tt.d, got, tt.wantDay)
			}
		})
	}
}

// TestDateWeekdayMatchesTime checks Weekday against the time package for
// every day of a span that straddles 1970, where day arithmetic on negative
// numbers goes wrong most easily.
func TestDateWeekdayMatchesTime(t *testing.T) {
	start := time.Date(1968, time.January, 1, 0, 0, 0, 0, time.UTC)
	for i := range 366 * 4 {
		tm := start.AddDate(0, 0, i)
		d := store.NewDate(tm.Date())
		if got, want := d.Weekday(), tm.Weekday(); got != want {
			t.Fatalf("NewDate(%s).Weekday() = %v; want %v", tm.Format(time.DateOnly), got, want)
		}
		if got, want := d.String(), tm.Format(time.DateOnly); got != want {
			t.Fatalf("NewDate(%s).String() = %q; want %q", want, got, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	valid := []string{"2027-01-15", "1969-12-31", "1970-01-01", "2000-02-29", "0000-01-01", "9999-12-31"}
	for _, s := range valid {
		t.Run("Accepts"+s, func(t *testing.T) {
			d, err := store.ParseDate(s)
			if err != nil {
				t.Fatalf("ParseDate(%q) = %v; want no error", s, err)
			}
			if d.IsZero() {
				t.Errorf("ParseDate(%q).IsZero() = true; want false", s)
			}
			if got := d.String(); got != s {
				t.Errorf("ParseDate(%q).String() = %q; want %q", s, got, s)
			}
		})
	}
	invalid := []struct{ name, in string }{
		{"RejectsEmpty", ""},
		{"RejectsWord", "tomorrow"},
		{"RejectsShortMonth", "2027-1-15"},
		{"RejectsNonLeapFebruary29", "2027-02-29"},
		{"RejectsMonth13", "2027-13-01"},
		{"RejectsTrailingText", "2027-01-15x"},
		{"RejectsLeadingSpace", " 2027-01-15"},
		{"RejectsTimeOfDay", "2027-01-15T10:00:00Z"},
		{"RejectsSlashes", "2027/01/15"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			d, err := store.ParseDate(tt.in)
			if got := store.ErrorCode(err); got != store.EInvalid {
				t.Errorf("ParseDate(%q) = %v, %v; want an error with code %q", tt.in, d, err, store.EInvalid)
			}
			if !d.IsZero() {
				t.Errorf("ParseDate(%q) = %v; want the zero Date with the error", tt.in, d)
			}
		})
	}
}

func TestDateSub(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"SameDay", "2027-01-15", "2027-01-15", 0},
		{"NextDay", "2027-01-16", "2027-01-15", 1},
		{"Negative", "2027-01-15", "2027-01-16", -1},
		{"AcrossLeapDay", "2028-03-01", "2028-02-28", 2},
		{"AcrossUnixEpoch", "1970-01-02", "1969-12-31", 2},
		{"WholeLeapYear", "2029-01-01", "2028-01-01", 366},
		{"BeforeUnixEpoch", "1969-03-01", "1969-02-28", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := MustDate(t, tt.a), MustDate(t, tt.b)
			if got := a.Sub(b); got != tt.want {
				t.Errorf("%s.Sub(%s) = %d; want %d", tt.a, tt.b, got, tt.want)
			}
			if got := a.After(b); got != (tt.want > 0) {
				t.Errorf("%s.After(%s) = %v; want %v", tt.a, tt.b, got, tt.want > 0)
			}
			if got := a.Before(b); got != (tt.want < 0) {
				t.Errorf("%s.Before(%s) = %v; want %v", tt.a, tt.b, got, tt.want < 0)
			}
			if got := b.AddDays(tt.want); got != a {
				t.Errorf("%s.AddDays(%d) = %v; want %v", tt.b, tt.want, got, a)
			}
		})
	}
}

func TestDateAddDays(t *testing.T) {
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"Zero", "2027-01-15", 0, "2027-01-15"},
		{"IntoNextMonth", "2027-01-31", 1, "2027-02-01"},
		{"OntoLeapDay", "2028-02-28", 1, "2028-02-29"},
		{"OverYearEnd", "2027-12-25", 14, "2028-01-08"},
		{"Backwards", "2027-03-01", -1, "2027-02-28"},
		{"BackwardsIntoDayBeforeEpoch", "1970-01-01", -1, "1969-12-31"},
		{"BackwardsBeforeEpoch", "1970-01-01", -365, "1969-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MustDate(t, tt.from).AddDays(tt.n)
			if got.IsZero() {
				t.Fatalf("%s.AddDays(%d).IsZero() = true; want %s", tt.from, tt.n, tt.want)
			}
			if got.String() != tt.want {
				t.Errorf("%s.AddDays(%d) = %v; want %s", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestDateZero(t *testing.T) {
	var zero store.Date
	if !zero.IsZero() {
		t.Errorf("Date{}.IsZero() = false; want true")
	}
	if got := zero.String(); got != "" {
		t.Errorf("Date{}.String() = %q; want %q", got, "")
	}
	if got := zero.Pretty(); got != "no date" {
		t.Errorf("Date{}.Pretty() = %q; want %q", got, "no date")
	}
	b, err := zero.MarshalText()
	if err != nil || len(b) != 0 {
		t.Errorf("Date{}.MarshalText() = %q, %v; want \"\", nil", b, err)
	}
	for _, s := range []string{"1969-12-31", "1970-01-01", "0000-01-01"} {
		if d := MustDate(t, s); d == zero {
			t.Errorf("ParseDate(%q) == Date{}; want a set date distinct from unset", s)
		}
	}
}

func TestDateTextRoundTrip(t *testing.T) {
	for _, s := range []string{"2027-01-15", "1969-12-31", "1970-01-01", "2028-02-29", ""} {
		name := "RoundTrips" + s
		if s == "" {
			name = "RoundTripsZero"
		}
		t.Run(name, func(t *testing.T) {
			var d store.Date
			if s != "" {
				d = MustDate(t, s)
			}
			b, err := d.MarshalText()
			if err != nil {
				t.Fatalf("%v.MarshalText() = %v", d, err)
			}
			if string(b) != s {
				t.Errorf("%v.MarshalText() = %q; want %q", d, b, s)
			}
			var got store.Date
			if err := got.UnmarshalText(b); err != nil {
				t.Fatalf("UnmarshalText(%q) = %v", b, err)
			}
			if got != d {
				t.Errorf("UnmarshalText(%q) = %v; want %v", b, got, d)
			}
		})
	}

	t.Run("RoundTripsInJSON", func(t *testing.T) {
		type doc struct {
			Set   store.Date `json:"set"`
			Unset store.Date `json:"unset,omitzero"`
		}
		in := doc{Set: MustDate(t, "1969-12-31")}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"set":"1969-12-31"}`; string(b) != want {
			t.Errorf("json.Marshal(%+v) = %s; want %s", in, b, want)
		}
		var out doc
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("json.Unmarshal(%s) = %v", b, err)
		}
		if out != in {
			t.Errorf("json.Unmarshal(%s) = %+v; want %+v", b, out, in)
		}
	})

	t.Run("UnmarshalRejectsGarbage", func(t *testing.T) {
		d := MustDate(t, "2027-01-15")
		if err := d.UnmarshalText([]byte("15/01/2027")); err == nil {
			t.Errorf("UnmarshalText(%q) = nil; want an error", "15/01/2027")
		}
	})

	t.Run("UnmarshalEmptyClears", func(t *testing.T) {
		d := MustDate(t, "2027-01-15")
		if err := d.UnmarshalText(nil); err != nil || !d.IsZero() {
			t.Errorf("UnmarshalText(nil) = %v leaving %v; want nil leaving the zero Date", err, d)
		}
	})
}

func TestDateOf(t *testing.T) {
	instant := time.Date(2027, time.January, 15, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		loc  *time.Location
		want string
	}{
		{"UTC", time.UTC, "2027-01-15"},
		{"EastOfUTCIsNextDay", time.FixedZone("UTC+9", 9*3600), "2027-01-16"},
		{"WestOfUTCIsSameDay", time.FixedZone("UTC-8", -8*3600), "2027-01-15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.DateOf(instant, tt.loc); got.String() != tt.want {
				t.Errorf("DateOf(%v, %v) = %v; want %s", instant, tt.loc, got, tt.want)
			}
		})
	}
}

func TestDateTime(t *testing.T) {
	loc := time.FixedZone("UTC+9", 9*3600)
	for _, s := range []string{"2027-01-15", "1969-12-31"} {
		d := MustDate(t, s)
		got := d.Time(loc)
		want, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) || got.Location() != loc {
			t.Errorf("%s.Time(%v) = %v; want %v", s, loc, got, want)
		}
		if back := store.DateOf(got, loc); back != d {
			t.Errorf("DateOf(%s.Time(%v)) = %v; want %v", s, loc, back, d)
		}
	}
}

func TestDatePretty(t *testing.T) {
	if got, want := MustDate(t, "2027-01-15").Pretty(), "Fri 2027-01-15"; got != want {
		t.Errorf("Pretty() = %q; want %q", got, want)
	}
}
