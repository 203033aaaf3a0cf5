package bot

import (
	"fmt"
	"strings"
	"testing"
)

// TestBoardBeforeFirstReleaseOverHTTP: on a fresh install an admin sets up
// the payments board before payments has a release (the product is created
// on first use); then the first release is added and a change request on
// it is decided by that board.
func TestBoardBeforeFirstReleaseOverHTTP(t *testing.T) {
	f := MustHTTPFixture(t)
	f.Service.Admins = []string{ccbAdmin}

	res := f.MustPost(t, "/slack/commands", httpFormType, f.slashBody("command", "/ccb", "text", "board payments members add <@U0ANA>", "user_id", "U0REQ", "channel_id", httpChannel))
	if got := MustHTTPEphemeral(t, res).Text; !strings.Contains(got, "only an admin") {
		t.Errorf("a non-admin setting up a board = %q; want it refused for admins only", got)
	}
	res = f.MustPost(t, "/slack/commands", httpFormType, f.slashBody("command", "/ccb", "text", "board payments members add <@U0ANA> <@U0BEN>", "user_id", ccbAdmin, "channel_id", httpChannel))
	if blocks := fmt.Sprintf("%s", MustHTTPEphemeral(t, res).Blocks); !strings.Contains(blocks, "Saved.") || !strings.Contains(blocks, "U0BEN") {
		t.Fatalf("/ccb board payments members add answered %s; want it saved with its members", blocks)
	}
	mustSlash(t, f, ccbAdmin, "/ccb", "board payments policy majority deadline +2d")

	mustSlash(t, f, "U0REQ", "/release", "add payments 2.3.0 2027-01-15 channel <#"+ccbChannel+"|payments>")
	got := mustSlash(t, f, "U0REQ", "/ccb", "request payments@2.3.0 switch the card processor")
	if !strings.Contains(got, "Raised *CR-1*") {
		t.Fatalf("/ccb request = %q; want CR-1 raised", got)
	}
	mustDeliverAll(t, f)
	card := mustCard(t, f)
	if !strings.Contains(string(card.Blocks), `*Board*\npayments — majority`) {
		t.Errorf("CR-1's card does not name the payments board:\n%s", card.Blocks)
	}
	mustClick(t, f, "U0ANA", ccbButton(1, "approve"), card)
	mustClick(t, f, "U0BEN", ccbButton(1, "approve"), card)
	if got := lastEphemeral(t, f); !strings.Contains(got, "That decided it: CR-1 is approved") {
		t.Errorf("answer = %q; want the payments board's decision", got)
	}
}
