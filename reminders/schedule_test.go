package reminders

import (
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	from := time.Date(2027, 1, 4, 9, 7, 0, 0, time.UTC)
	for _, tc := range []struct {
		spec string
		next time.Time
	}{
		{"*/15 * * * *", time.Date(2027, 1, 4, 9, 15, 0, 0, time.UTC)},
		{"@every 30s", from.Add(30 * time.Second)},
		{"@hourly", time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC)},
		{"CRON_TZ=Europe/Berlin 0 9 * * 1-5", time.Date(2027, 1, 5, 8, 0, 0, 0, time.UTC)},
	} {
		t.Run("Accepts "+tc.spec, func(t *testing.T) {
			s, err := ParseSchedule(tc.spec)
			if err != nil {
				t.Fatalf("ParseSchedule(%q) = %v", tc.spec, err)
			}
			if got := s.Next(from).UTC(); !got.Equal(tc.next) {
				t.Errorf("ParseSchedule(%q).Next(%v) = %v; want %v", tc.spec, from, got, tc.next)
			}
		})
	}
	for _, spec := range []string{"", "every 15 minutes", "*/15 * * *", "61 * * * *", "@every banana"} {
		t.Run("Rejects "+spec, func(t *testing.T) {
			if _, err := ParseSchedule(spec); err == nil {
				t.Errorf("ParseSchedule(%q) = nil error; want one", spec)
			}
		})
	}
}
