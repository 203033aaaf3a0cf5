package commands_test

import (
	"strings"
	"testing"
)

// TestAnsweredRequestIsNotReasked: a provider whose proposed date the
// consumer just accepted is not asked "will it make it?" about that date
// seconds later; an unanswered edge in the same window is.
func TestAnsweredRequestIsNotReasked(t *testing.T) {
	svc := MustService(t)
	MustDoAll(t, svc, alice,
		"/release add app 1 2027-01-29",
		"/release add lib 1 2027-01-08 owner <@UBOB>",
		"/release depend app@1 on lib@1 by 2027-01-06",
	)
	MustDo(t, svc, bob, "/release propose app@1 on lib@1 2027-01-09 because the build farm is slow")
	MustDo(t, svc, bob, "/release move lib@1 2027-01-09 because the build farm is slow")
	before := len(MustOutbox(t, svc.Store))
	MustDo(t, svc, alice, "/release accept app@1 on lib@1")
	for _, m := range MustOutbox(t, svc.Store)[before:] {
		if m.Channel == bob && strings.HasPrefix(m.Doc.Text, ":calendar:") {
			t.Errorf("bob, who just proposed the date alice accepted, is asked again:\n%s", m.Doc.Text)
		}
	}
}
