package reminders

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRecoveryToldOncePerSlipEpisode: an edge that slipped twice (the
// provider moved past the needed-by date, then further) and then shipped
// is back on track once, whatever sweeps run after the ship: the recovery
// ends every slip of the edge, not only the latest, so an older slip in
// the ledger is not recovered from again with dates long replaced.
func TestRecoveryToldOncePerSlipEpisode(t *testing.T) {
	f := MustAlertFixture(t)
	f.clock.Set(day(5, 10))
	f.do(t, "UALICE", "move payments@2.3.0 2027-01-25 because the HSM is late")
	f.clock.Set(day(6, 10))
	f.do(t, "UALICE", "move payments@2.3.0 2027-01-27 because the HSM is later still")
	MustSweep(t, f.sweep, f.clock.Now())
	if got, want := f.news(t), []string{"news #CPAY", "slip #CMOB", "slip @URITA", "news #CPAY", "slip #CMOB", "slip @URITA"}; !cmp.Equal(want, got) {
		t.Fatalf("two slips queued %v; want %v", got, want)
	}
	f.clock.Set(day(7, 10))
	f.do(t, "UALICE", "ship payments@2.3.0")
	ship := f.news(t)
	for at := day(7, 10).Add(20 * time.Minute); at.Before(day(9, 0)); at = at.Add(20 * time.Minute) {
		f.clock.Set(at)
		MustSweep(t, f.sweep, at)
	}
	later := f.news(t)
	recoveries := 0
	for _, m := range append(ship, later...) {
		if m == "recovery #CMOB" {
			recoveries++
		}
	}
	if recoveries != 1 || len(later) != 0 {
		t.Errorf("the ship queued %v and the sweeps after it %v; want one recovery in #CMOB, from the ship, and nothing after", ship, later)
	}
}

// TestLateDeliveryIsSaidLate: a provider that ships after the needed-by
// date is "delivered late" to the consumer, with the days, never "back on
// track" or merely "delivered"; one that ships in time is "delivered on
// time".
func TestLateDeliveryIsSaidLate(t *testing.T) {
	for _, tt := range []struct {
		name, ship, head, words string
	}{
		{"ThreeDaysLate", "ship payments@2.3.0", ":warning: *Delivered late*", "delivered 3 days late"},
		{"OnTime", "ship payments@2.3.0 on 2027-01-21", ":white_check_mark: *Delivered*", "delivered on time"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := MustAlertFixture(t)
			f.clock.Set(day(5, 10))
			f.do(t, "UALICE", "move payments@2.3.0 2027-01-25 because the HSM is late")
			f.clock.Set(day(25, 10))
			f.news(t)
			f.do(t, "UALICE", tt.ship)
			var texts []string
			for _, m := range mustOutbox(t, f.st)[f.seen:] {
				if m.Channel == "CMOB" {
					texts = append(texts, m.Doc.Text)
				}
			}
			if len(texts) != 1 || !strings.HasPrefix(texts[0], tt.head) || !strings.Contains(texts[0], tt.words) || strings.Contains(texts[0], "Back on track") {
				t.Errorf("#CMOB was told %q; want one message starting %q that says %q", texts, tt.head, tt.words)
			}
		})
	}
}

// TestImprovementIsNotASlip: a provider that moves earlier but stays late
// is not a new slip alert (the channel's news of the move says "still
// late, by less"); a later move past the worst date told is.
func TestImprovementIsNotASlip(t *testing.T) {
	f := MustAlertFixture(t)
	f.clock.Set(day(5, 10))
	f.do(t, "UALICE", "move payments@2.3.0 2027-01-28 because the HSM is late")
	if got, want := f.news(t), []string{"news #CPAY", "slip #CMOB", "slip @URITA"}; !cmp.Equal(want, got) {
		t.Fatalf("the slip queued %v; want %v", got, want)
	}
	f.do(t, "UALICE", "move payments@2.3.0 2027-01-25 because of a workaround")
	MustSweep(t, f.sweep, f.clock.Now())
	if got, want := f.news(t), []string{"news #CPAY"}; !cmp.Equal(want, got) {
		t.Errorf("a move earlier, still late, queued %v; want only the channel's news %v", got, want)
	}
	f.do(t, "UALICE", "move payments@2.3.0 2027-02-01 because the HSM is later still")
	if got, want := f.news(t), []string{"news #CPAY", "slip #CMOB", "slip @URITA"}; !cmp.Equal(want, got) {
		t.Errorf("a move past the worst date told queued %v; want %v", got, want)
	}
}
