package commands_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands/calendar"
)

// A release's planned and reached stages are events of the feed, and a
// dependency needed in a stage says so, with the provider's date for it.
func TestCalendarFeedStages(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	MustDoAll(t, svc, alice,
		"/release pipeline payments build test production",
		"/release stage payments@2.3.0 test on 2027-01-11",
		"/release promote payments@2.3.0 to build",
		"/release depend mobile@5.0 on payments@2.3.0 in test by 2027-01-12",
	)
	token := MustCalendarToken(t, svc, alice, "")
	events := MustParseFeed(t, MustFeed(t, &calendar.Feeds{Store: svc.Store, Loc: time.UTC}, token, "").Body)
	for summary, want := range map[string]feedEvent{
		"payments@2.3.0 in test": {Summary: "payments@2.3.0 in test", Start: "2027-01-11", End: "2027-01-12",
			Description: "payments@2.3.0 is planned to reach test on Mon 2027-01-11 (pipeline build → test → production; target Fri 2027-01-15)."},
		"payments@2.3.0 in build (reached)": {Summary: "payments@2.3.0 in build (reached)", Start: "2027-01-04", End: "2027-01-05",
			Description: "payments@2.3.0 reached build on Mon 2027-01-04 (pipeline build → test → production; target Fri 2027-01-15)."},
		"mobile@5.0 needs payments@2.3.0 in test": {Summary: "mobile@5.0 needs payments@2.3.0 in test", Start: "2027-01-12", End: "2027-01-13",
			Description: "mobile@5.0 needs payments@2.3.0 in test by Tue 2027-01-12 (the provider: expected in test Mon 2027-01-11; mobile@5.0's target: Fri 2027-01-29)."},
	} {
		got := events[uidOf(t, events, summary)]
		got.Seq = 0
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("event %q (-want +got):\n%s", summary, diff)
		}
	}
}
