package commands_test

import (
	"testing"

	"relman/commands"
)

func TestRunButton(t *testing.T) {
	still := commands.RunButton("Still on Wed 2027-01-20", `confirm external "Stripe SDK"`)
	other := commands.RunButton("On track", "show payments@2.3.0")
	t.Run("CarriesTheCommand", func(t *testing.T) {
		cmd, ok := commands.RunCommand(still.ActionID, still.Value)
		if !ok || cmd != `confirm external "Stripe SDK"` {
			t.Errorf("RunCommand(%q, %q) = %q, %v; want the command, true", still.ActionID, still.Value, cmd, ok)
		}
	})
	t.Run("GivesButtonsOfOneMessageDistinctActionIDs", func(t *testing.T) {
		if still.ActionID == other.ActionID {
			t.Errorf("two buttons share action_id %q", still.ActionID)
		}
		if again := commands.RunButton("Again", still.Value); again.ActionID != still.ActionID {
			t.Errorf("the same command got action_ids %q and %q; want them stable", again.ActionID, still.ActionID)
		}
	})
	t.Run("IgnoresOtherButtons", func(t *testing.T) {
		for _, id := range []string{"cr.approve", "release.add", "", "run"} {
			if _, ok := commands.RunCommand(id, "ship payments@2.3.0"); ok {
				t.Errorf("RunCommand(%q) = true; want false", id)
			}
		}
		if _, ok := commands.RunCommand(still.ActionID, ""); ok {
			t.Errorf("RunCommand with no value = true; want false")
		}
	})
}
