package reminders

import (
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
