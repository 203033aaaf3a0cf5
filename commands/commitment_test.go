package commands_test

import (
	"strings"
	"testing"

	"relman/commands"
	"relman/store"
)

// TestPromisesThatCantBeKept: committing to (or proposing) a date the
// provider's own target misses is refused with that target named, unless
// "anyway"; such a commitment is never later called broken.
func TestPromisesThatCantBeKept(t *testing.T) {
	setup := func(t *testing.T) *commands.Service {
		svc := MustService(t)
		MustDoAll(t, svc, alice,
			"/release add app 1 2027-01-29",
			"/release add lib 1 2027-01-22 owner <@UBOB>",
			"/release depend app@1 on lib@1 by 2027-01-20",
		)
		return svc
	}
	t.Run("CommitRefused", func(t *testing.T) {
		svc := setup(t)
		r := Do(t, svc, bob, "/release commit app@1 on lib@1")
		if r.Code != store.EInvalid || !strings.Contains(r.Doc.Text, "is due Fri 2027-01-22, after Wed 2027-01-20") {
			t.Fatalf("commit to a date the provider misses = %s %q; want refused naming the provider's date", r.Code, r.Doc.Text)
		}
		if show := MustDo(t, svc, alice, "/release show app@1").Doc.Text; strings.Contains(show, "committed") {
			t.Errorf("refused commit saved a commitment:\n%s", show)
		}
	})
	t.Run("CommitAnyway", func(t *testing.T) {
		svc := setup(t)
		MustDo(t, svc, bob, "/release commit app@1 on lib@1 anyway")
		MustDo(t, svc, bob, "/release move lib@1 2027-01-25 because the build farm is down")
		for _, m := range MustOutbox(t, svc.Store) {
			if strings.Contains(m.Doc.Text, "Broken commitment") {
				t.Errorf("a commitment made while already late was called broken:\n%s", m.Doc.Text)
			}
		}
	})
	t.Run("ProposeRefused", func(t *testing.T) {
		svc := setup(t)
		r := Do(t, svc, bob, "/release propose app@1 on lib@1 2027-01-21 because the build is slow")
		if r.Code != store.EInvalid || !strings.Contains(r.Doc.Text, "is due Fri 2027-01-22, after Thu 2027-01-21") {
			t.Fatalf("proposing a date the provider misses = %s %q; want refused", r.Code, r.Doc.Text)
		}
		MustDo(t, svc, bob, "/release propose app@1 on lib@1 2027-01-21 anyway because we will hurry")
		MustDo(t, svc, bob, "/release propose app@1 on lib@1 2027-01-23 because that is realistic")
	})
}
