package store_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

func TestWorkingDays(t *testing.T) {
	// 2027-01-04 is a Monday.
	for _, tt := range []struct {
		from, to string
		want     int
	}{
		{"2027-01-04", "2027-01-04", 0},
		{"2027-01-04", "2027-01-01", 0},
		{"2027-01-04", "2027-01-05", 1},
		{"2027-01-04", "2027-01-08", 4},  // Monday to Friday
		{"2027-01-04", "2027-01-10", 4},  // the weekend adds nothing
		{"2027-01-04", "2027-01-11", 5},  // a week
		{"2027-01-08", "2027-01-11", 1},  // Friday to Monday
		{"2027-01-09", "2027-01-10", 0},  // Saturday to Sunday
		{"2027-01-09", "2027-01-13", 3},  // Saturday to Wednesday
		{"2027-01-06", "2027-02-03", 20}, // four weeks
		{"2027-01-06", "2027-02-05", 22},
	} {
		t.Run(fmt.Sprintf("%sTo%s", tt.from, tt.to), func(t *testing.T) {
			if got := store.WorkingDays(MustDate(t, tt.from), MustDate(t, tt.to)); got != tt.want {
				t.Errorf("WorkingDays(%s, %s) = %d; want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
	t.Run("CountsEveryDayOneByOne", func(t *testing.T) {
		start := MustDate(t, "2027-01-01")
		for a := range 30 {
			for n := range 40 {
				from, to := start.AddDays(a), start.AddDays(a+n)
				want := 0
				for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
					if w := d.Weekday(); w != time.Saturday && w != time.Sunday {
						want++
					}
				}
				if got := store.WorkingDays(from, to); got != want {
					t.Fatalf("WorkingDays(%v, %v) = %d; want %d", from, to, got, want)
				}
			}
		}
	})
}

func TestHandshake(t *testing.T) {
	monday := time.Date(2027, 1, 4, 16, 0, 0, 0, time.UTC)
	d := store.Dependency{Consumer: store.Ref{Product: "mobile", Version: "5.0"}, Provider: store.Ref{Product: "payments", Version: "2.3.0"},
		NeededBy: MustDate(t, "2027-01-22")}

	t.Run("AnOldDependencyHasNone", func(t *testing.T) {
		var old store.Dependency
		if err := json.Unmarshal([]byte(`{"consumer":{"product":"mobile","version":"5.0"},"provider":{"product":"payments","version":"2.3.0"},"needed_by":"2027-01-22","created_at":"2027-01-04T09:00:00Z","created_by":"alex"}`), &old); err != nil {
			t.Fatal(err)
		}
		if old.Handshake != "" || old.Unanswered(MustDate(t, "2027-03-01"), time.UTC) {
			t.Errorf("decoded %+v; want no handshake", old)
		}
		b, _ := json.Marshal(d)
		var back map[string]any
		json.Unmarshal(b, &back)
		for _, k := range []string{"handshake", "requested_at", "proposed", "answered_at", "answered_by"} {
			if _, ok := back[k]; ok {
				t.Errorf("a dependency without a handshake encodes %q: %s", k, b)
			}
		}
	})

	t.Run("IsUnansweredAfterThreeWorkingDays", func(t *testing.T) {
		r := d
		r.Request(monday, "alex")
		for day, want := range map[string]bool{"2027-01-04": false, "2027-01-07": false, "2027-01-08": true, "2027-01-20": true} {
			if got := r.Unanswered(MustDate(t, day), time.UTC); got != want {
				t.Errorf("requested Mon 2027-01-04: Unanswered(%s) = %v; want %v", day, got, want)
			}
		}
		// In Tokyo the request was made on Tuesday.
		if r.Unanswered(MustDate(t, "2027-01-08"), mustLoc(t, "Asia/Tokyo")) {
			t.Errorf("Unanswered on Friday, requested Tuesday in Tokyo = true; want false")
		}
		friday := d
		friday.Request(time.Date(2027, 1, 8, 10, 0, 0, 0, time.UTC), "alex")
		if friday.Unanswered(MustDate(t, "2027-01-13"), time.UTC) || !friday.Unanswered(MustDate(t, "2027-01-14"), time.UTC) {
			t.Errorf("requested on a Friday: want unanswered from the next Thursday")
		}
	})

	t.Run("AnAnswerEndsTheRequest", func(t *testing.T) {
		r := d
		r.Request(monday, "alex")
		r.Counter(MustDate(t, "2027-01-25"), "HSM firmware", monday.Add(time.Hour), "sam")
		if r.Unanswered(MustDate(t, "2027-02-01"), time.UTC) {
			t.Error("a counter-proposal is unanswered; want answered")
		}
		r.Accept()
		want := d
		want.NeededBy = MustDate(t, "2027-01-25")
		want.Handshake, want.RequestedAt, want.RequestedBy = store.HandshakeCommitted, monday, "alex"
		want.AnsweredBy, want.AnsweredAt = "sam", monday.Add(time.Hour)
		if diff := cmp.Diff(want, r, dateEq); diff != "" {
			t.Errorf("accepted (-want +got):\n%s", diff)
		}
		r.Request(monday.Add(48*time.Hour), "alex") // a new needed-by date
		if r.Handshake != store.HandshakeRequested || r.AnsweredBy != "" || !r.AnsweredAt.IsZero() {
			t.Errorf("requested again: %+v; want a fresh request", r)
		}
	})
}

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}
