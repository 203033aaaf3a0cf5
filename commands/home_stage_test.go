package commands_test

import (
	"strings"
	"testing"
)

func TestHomeShowsStages(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	before := homeText(t, svc, alice)
	if strings.Contains(before, "planned") {
		t.Fatalf("alice's App Home shows stages before any is planned:\n%s", before)
	}
	MustDo(t, svc, alice, "/release stage auth@1.4.0 test on 2027-01-02 anyway")
	home := homeText(t, svc, alice)
	want := "test — planned Sat 2027-01-02 · :warning: *late* (not reached, planned 2 days ago)"
	if !strings.Contains(home, want) {
		t.Errorf("alice's App Home lacks auth's late test stage %q:\n%s", want, home)
	}
}
