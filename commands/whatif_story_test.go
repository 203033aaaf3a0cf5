package commands_test

import (
	"strings"
	"testing"
)

// TestMovePreviewTellsTheWholeStory: a preview names the needed-by dates
// of the moved release's own that would keep it late, and the commitments
// the move would break.
func TestMovePreviewTellsTheWholeStory(t *testing.T) {
	t.Run("NamesAPinnedNeededByDateThatStaysLate", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		// mobile needs payments (due Fri 2027-01-15) by a date of its own.
		MustDo(t, svc, alice, "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-12")
		text := MustDo(t, svc, alice, "/release move mobile@5.0 2027-02-05 because QA found a crash preview").Doc.Text
		for _, want := range []string{
			":warning: *Still late*: *mobile@5.0* needs this by a date of its own, which does not move with it:\n" +
				"• *payments@2.3.0* needed by Tue 2027-01-12, due Fri 2027-01-15 — :warning: *late (3 days)*. Still needed by Tue 2027-01-12: move that too with `/release depend mobile@5.0 on payments@2.3.0 by 2027-02-05`",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("preview lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "No dependency would slip") {
			t.Errorf("preview says all is well while mobile@5.0 stays late:\n%s", text)
		}
	})
	t.Run("ItsCommandMovesAnExternalItemsNeededByDate", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		// Stripe SDK is due Wed 2027-01-20; mobile needs it two days before.
		MustDo(t, svc, alice, `/release depend mobile@5.0 on external "Stripe SDK" by 2027-01-18`)
		text := MustDo(t, svc, alice, "/release move mobile@5.0 2027-02-05 because QA found a crash preview").Doc.Text
		const hint = "move that too with `/release "
		_, cmd, ok := strings.Cut(text, hint)
		if !ok {
			t.Fatalf("preview lacks %q:\n%s", hint, text)
		}
		cmd, _, _ = strings.Cut(cmd, "`")
		if want := `depend mobile@5.0 on external "Stripe SDK" by 2027-02-05`; cmd != want {
			t.Errorf("preview suggests %q; want %q", cmd, want)
		}
		MustDo(t, svc, alice, "/release move mobile@5.0 2027-02-05 because QA found a crash")
		MustDo(t, svc, alice, "/release "+cmd)
		if show := MustDo(t, svc, alice, "/release show mobile@5.0").Doc.Text; !strings.Contains(show, "needed by Fri 2027-02-05") || strings.Contains(show, "Stripe SDK* needed by Mon 2027-01-18") {
			t.Errorf("after the suggested command, show says:\n%s", show)
		}
	})
	t.Run("LeavesOutANeededByDateItsProviderMissesAnyway", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-12")
		// Moved to Thu 2027-01-14, before payments' own Fri 2027-01-15:
		// moving the needed-by date would not make it on time.
		text := MustDo(t, svc, alice, "/release move mobile@5.0 2027-01-14 preview").Doc.Text
		if strings.Contains(text, "Still late") {
			t.Errorf("preview blames the pinned date, though payments misses the new target too:\n%s", text)
		}
	})
	t.Run("LeavesOutANeededByDateThatFollowsTheTarget", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release move payments@2.3.0 2027-02-01 because the audit")
		text := MustDo(t, svc, alice, "/release move mobile@5.0 2027-02-05 because QA found a crash preview").Doc.Text
		if strings.Contains(text, "Still late") {
			t.Errorf("preview names an edge whose needed-by date follows the target:\n%s", text)
		}
	})
	t.Run("NamesTheCommitmentsItWouldBreak", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDoAll(t, svc, alice, handshakeSetup...)
		MustDo(t, svc, bob, "/release commit mobile@5.0 on payments@2.3.0")
		text := MustDo(t, svc, bob, "/release move payments@2.3.0 2027-01-22 because the HSM is late preview").Doc.Text
		want := ":warning: *Commitments it would break* (1):\n" +
			"• *mobile@5.0*: *payments@2.3.0* had committed to deliver by Wed 2027-01-20 (<@UBOB>, on Mon 2027-01-04); due Fri 2027-01-22 — :warning: *late (2 days)*"
		if !strings.Contains(text, want) {
			t.Errorf("preview lacks %q:\n%s", want, text)
		}
		// A move that keeps the date breaks nothing.
		if text := MustDo(t, svc, bob, "/release move payments@2.3.0 2027-01-19 because the HSM is late preview").Doc.Text; strings.Contains(text, "Commitments") {
			t.Errorf("a move still in time for the commitment says it breaks one:\n%s", text)
		}
	})
}
