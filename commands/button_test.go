package commands_test

import (
	"testing"

	"relman/commands/render"
)

func TestRunButton(t *testing.T) {
	still := render.RunButton("Still on Wed 2027-01-20", `confirm external "Stripe SDK"`)
	other := render.RunButton("On track", "show payments@2.3.0")
	t.Run("CarriesTheCommand", func(t *testing.T) {
		cmd, ok := render.RunCommand(still.ActionID, still.Value)
		if !ok || cmd != `confirm external "Stripe SDK"` {
			t.Errorf("RunCommand(%q, %q) = %q, %v; want the command, true", still.ActionID, still.Value, cmd, ok)
		}
	})
	t.Run("GivesButtonsOfOneMessageDistinctActionIDs", func(t *testing.T) {
		if still.ActionID == other.ActionID {
			t.Errorf("two buttons share action_id %q", still.ActionID)
		}
		if again := render.RunButton("Again", still.Value); again.ActionID != still.ActionID {
			t.Errorf("the same command got action_ids %q and %q; want them stable", again.ActionID, still.ActionID)
		}
	})
	t.Run("IgnoresOtherButtons", func(t *testing.T) {
		for _, id := range []string{"cr.approve", "release.add", "", "run"} {
			if _, ok := render.RunCommand(id, "ship payments@2.3.0"); ok {
				t.Errorf("RunCommand(%q) = true; want false", id)
			}
		}
		if _, ok := render.RunCommand(still.ActionID, ""); ok {
			t.Errorf("RunCommand with no value = true; want false")
		}
	})
}

func TestAskButton(t *testing.T) {
	slip := render.Ask{Title: "Will slip", Command: "move payments@2.3.0 {date} {reason}", Date: "2027-01-15", Reason: true}
	b := render.AskButton("Will slip…", slip)

	t.Run("CarriesTheForm", func(t *testing.T) {
		got, ok := render.AskForm(b.ActionID, b.Value)
		if !ok || got != slip {
			t.Errorf("AskForm(%q, %q) = %+v, %v; want %+v, true", b.ActionID, b.Value, got, ok, slip)
		}
		if _, ok := render.RunCommand(b.ActionID, b.Value); ok {
			t.Errorf("an ask button is also a run button (%q)", b.ActionID)
		}
		if _, ok := render.AskForm("ask:x", "{not json"); ok {
			t.Errorf("AskForm(bad value) = true; want false")
		}
		if _, err := render.ParseAsk(`{"command":"ship payments@2.3.0"}`); err == nil {
			t.Errorf("ParseAsk(a command without {date}) = nil error; want one")
		}
	})

	t.Run("FillsDateAndReason", func(t *testing.T) {
		for _, tc := range []struct {
			name, date, reason, want string
		}{
			{"WithAReason", "2027-02-01", "the PSP moved", `move payments@2.3.0 2027-02-01 because "the PSP moved"`},
			{"WithoutAReason", "2027-02-01", "  ", "move payments@2.3.0 2027-02-01"},
			{"EscapesTheReason", "2027-02-01", "<!channel> & co", `move payments@2.3.0 2027-02-01 because "&lt;!channel&gt; &amp; co"`},
			{"QuotesTheReason", "2027-02-01", `the "beta" preview`, `move payments@2.3.0 2027-02-01 because "the ""beta"" preview"`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := slip.Fill(tc.date, tc.reason)
				if err != nil || got != tc.want {
					t.Errorf("Fill(%q, %q) = %q, %v; want %q", tc.date, tc.reason, got, err, tc.want)
				}
			})
		}
		if _, err := slip.Fill("next week", ""); err == nil {
			t.Errorf("Fill(bad date) = nil error; want one")
		}
	})

	t.Run("TheCommandReadsTheReasonBackExactly", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		text, err := slip.Fill("2027-02-01", "<!channel> & the “PSP” preview")
		if err != nil {
			t.Fatal(err)
		}
		MustDo(t, svc, alice, "/release "+text)
		r := MustRelease(t, svc.Store, "payments@2.3.0")
		if got := r.History[len(r.History)-1].Reason; got != "<!channel> & the “PSP” preview" {
			t.Errorf("stored reason = %q; want the typed text", got)
		}
	})
}
