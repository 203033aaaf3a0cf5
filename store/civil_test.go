package store

import (
	"testing"
	"time"
)

func TestCivilMatchesTime(t *testing.T) {
	for d := NewDate(-400, 1, 1); d.Before(NewDate(2500, 1, 1)); d = d.AddDays(1) {
		want := d.Time(time.UTC).Format("2006-01-02")
		if d.Time(time.UTC).Year() < 0 {
			continue
		}
		if got := d.String(); got != want {
			t.Fatalf("String() = %q; want %q", got, want)
		}
	}
}
