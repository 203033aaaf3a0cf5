package render

import (
	"testing"

	"relman/store"
)

// TestReleaseLineSaysWhatListsSaid: the appending renderers say exactly
// what the words they replace said, built by concatenation: for every
// status, with and without a risk, dated and undated, owned and not, on
// every day from a month before today to a year after (every wording of
// When).
func TestReleaseLineSaysWhatListsSaid(t *testing.T) {
	today, _ := store.ParseDate("2027-01-04")
	wantWhenOn := func(d, today store.Date) string {
		n := d.Sub(today)
		switch {
		case d.IsZero():
			return "no date"
		case n == 0:
			return d.Pretty() + " (today)"
		case n == 1:
			return d.Pretty() + " (tomorrow)"
		case n > 0:
			return d.Pretty() + " (in " + Days(n) + ")"
		case n == -1:
			return d.Pretty() + " (yesterday)"
		default:
			return d.Pretty() + " (" + Days(n) + " ago)"
		}
	}
	wantWhen := func(d store.Date) string { return wantWhenOn(d, today) }
	wantMarks := func(r *store.Release, atRisk bool) string {
		if r.Status != store.Planned {
			return " · " + string(r.Status)
		}
		s := ""
		if r.OverdueOn(today) {
			s += " · :warning: *overdue*"
		}
		if atRisk {
			s += " · *at risk*"
		}
		return s
	}
	dates := []store.Date{{}}
	for n := -31; n <= 366; n++ {
		dates = append(dates, today.AddDays(n))
	}
	buf := make([]byte, 0, 8) // too small: appending must grow it
	for _, d := range dates {
		// When remembers its words by both dates: a date seen from
		// another day says that day's words.
		for _, on := range []store.Date{today, today.AddDays(1), today, today.AddDays(-40)} {
			if got, want := When(d, on), wantWhenOn(d, on); got != want {
				t.Fatalf("When(%s, %s) = %q; want %q", d, on, got, want)
			}
		}
		for _, status := range []store.Status{store.Planned, store.Shipped, store.Cancelled} {
			for _, owner := range []string{"U0OWNER1", ""} {
				for _, atRisk := range []bool{false, true} {
					r := &store.Release{Ref: store.Ref{Product: "payments", Version: "2.3.0-rc.1"}, Owner: owner, Status: status, Target: d}
					if status == store.Shipped {
						r.ShippedOn = d.AddDays(-2)
					}
					want := StatusIcon(r, atRisk) + " " + Bold(r.Ref) + " — " + wantWhen(r.Date()) + " · " + Mention(r.Owner) + wantMarks(r, atRisk)
					if got := ReleaseLine(r, atRisk, today); got != want {
						t.Fatalf("ReleaseLine(%+v, %v) = %q; want %q", r, atRisk, got, want)
					}
					buf = AppendReleaseLine(append(buf[:0], "x\n"...), r, atRisk, today)
					if got := string(buf); got != "x\n"+want {
						t.Fatalf("AppendReleaseLine(\"x\\n\", %+v, %v) = %q; want %q", r, atRisk, got, "x\n"+want)
					}
					if got, want := ReleaseMarks(r, atRisk, today), wantMarks(r, atRisk); got != want {
						t.Fatalf("ReleaseMarks(%+v, %v) = %q; want %q", r, atRisk, got, want)
					}
				}
			}
		}
	}
	for n, want := range map[int]string{0: "0 days", 1: "1 day", -1: "1 day", 2: "2 days", -12: "12 days", 400: "400 days"} {
		if got := Days(n); got != want {
			t.Errorf("Days(%d) = %q; want %q", n, got, want)
		}
	}
}
