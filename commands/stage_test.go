package commands_test

import (
	"strings"
	"testing"
)

// A stage preview saves nothing and its button plans the same date.
func TestStagePreviewSavesNothing(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	MustDo(t, svc, alice, "/release stage payments@2.3.0 test on 2027-01-10")
	before := MustSnapshot(t, svc.Store)
	r := MustDo(t, svc, alice, "/release stage payments@2.3.0 test on 2027-01-13 because QA preview")
	if got := MustNewMessages(t, svc, before); len(got) != 0 {
		t.Errorf("the preview queued %d messages; want none", len(got))
	}
	if show := MustDo(t, svc, alice, "/release show payments@2.3.0").Doc.Text; !strings.Contains(show, "test — planned Sun 2027-01-10") {
		t.Errorf("after the preview, show says:\n%s\nwant test still planned on Sun 2027-01-10", show)
	}
	if len(r.Doc.Buttons) != 1 || r.Doc.Buttons[0].Value != `stage payments@2.3.0 test on 2027-01-13 because "QA"` {
		t.Fatalf("preview buttons = %+v; want one that plans it", r.Doc.Buttons)
	}
	MustDo(t, svc, alice, "/release "+r.Doc.Buttons[0].Value)
	if show := MustDo(t, svc, alice, "/release show payments@2.3.0").Doc.Text; !strings.Contains(show, "test — planned Wed 2027-01-13") {
		t.Errorf("after Plan it, show says:\n%s\nwant test planned on Wed 2027-01-13", show)
	}
}
