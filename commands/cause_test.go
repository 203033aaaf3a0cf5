package commands_test

import (
	"strings"
	"testing"
)

// TestCauseIsTheMoveThatMadeItLate: a provider moved past the needed-by
// date, then moved earlier (an improvement, still late): show and
// alerts name the move that made the edge late, never the one that
// made it less late.
func TestCauseIsTheMoveThatMadeItLate(t *testing.T) {
	svc := MustService(t)
	MustDoAll(t, svc, alice,
		"/release add app 1 2027-01-29",
		"/release add lib 1 2027-01-15",
		"/release depend app@1 on lib@1 by 2027-01-20",
		"/release move lib@1 2027-01-30 because the vendor is late",
		"/release move lib@1 2027-01-25 because we found a workaround",
	)
	for _, line := range []string{"/release show app@1"} {
		text := MustDo(t, svc, alice, line).Doc.Text
		if !strings.Contains(text, "the vendor is late") || strings.Contains(text, "we found a workaround") {
			t.Errorf("%s names the wrong cause (want the move to Sat 2027-01-30, “the vendor is late”):\n%s", line, text)
		}
	}
}
