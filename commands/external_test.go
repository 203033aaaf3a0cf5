package commands_test

import (
	"strings"
	"testing"

	"relman/commands"
	"relman/store"
)

func TestExternalViews(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, sam, `/release confirm external "Stripe SDK" due 2027-02-03 because the vendor's QA found a regression`)

	t.Run("Show", func(t *testing.T) {
		r := MustDo(t, svc, bob, `/release show external "stripe sdk"`)
		for _, w := range []string{"external “Stripe SDK”", "Due", "Wed 2027-02-03", "Owner", "<@USAM>", "Last confirmed", "*mobile@5.0* by Fri 2027-01-29 — :warning: *late (5 days)*", "the vendor's QA", "/release history external"} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("show external lacks %q:\n%s", w, r.Doc.Text)
			}
		}
		if !r.Cacheable {
			t.Errorf("show external is a lookup; want Cacheable")
		}
	})
	t.Run("History", func(t *testing.T) {
		r := MustDo(t, svc, bob, `/release history external "Stripe SDK"`)
		for _, w := range []string{"History of external “Stripe SDK”", "added, due Wed 2027-01-20, by <@UALICE>", "moved by <@USAM> from Wed 2027-01-20 to Wed 2027-02-03 (14 days later): “the vendor"} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("history external lacks %q:\n%s", w, r.Doc.Text)
			}
		}
	})
	t.Run("Impact", func(t *testing.T) {
		r := MustDo(t, svc, bob, `/release impact external "Stripe SDK"`)
		for _, w := range []string{"External “Stripe SDK”, due Wed 2027-02-03", "1 release downstream", "└ *mobile@5.0* — needs “Stripe SDK” by Fri 2027-01-29"} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("impact external lacks %q:\n%s", w, r.Doc.Text)
			}
		}
	})
	t.Run("RejectsUnknownItem", func(t *testing.T) {
		r := MustFail(t, svc, bob, `/release show external "Adyen SDK 7"`, store.ENotFound)
		if !strings.Contains(r.Doc.Text, `there is no external item "Adyen SDK 7"`) {
			t.Errorf("show of an unknown item says:\n%s", r.Doc.Text)
		}
	})
}

func TestConfirmBecause(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	before := MustSnapshot(t, svc.Store)
	r := MustDo(t, svc, sam, `/release confirm external "Stripe SDK" due 2027-02-03 because the vendor's QA found a regression`)
	if !strings.Contains(r.Doc.Text, "now due Wed 2027-02-03") {
		t.Errorf("confirm reply:\n%s", r.Doc.Text)
	}
	x := MustSnapshot(t, svc.Store).Externals[0]
	if h := x.History[len(x.History)-1]; h.Reason != "the vendor's QA found a regression" {
		t.Errorf("history entry = %+v; want the reason", h)
	}
	msgs := MustNewMessages(t, svc, before)
	var news, slip bool
	for _, m := range msgs {
		news = news || strings.Contains(m.Doc.Text, "to Wed 2027-02-03 because the vendor")
		slip = slip || strings.HasPrefix(m.Doc.Text, ":warning: *Slip*") && strings.Contains(m.Doc.Text, "“the vendor's QA found a regression”")
	}
	if !news || !slip {
		t.Errorf("confirm queued %+v; want the news and the slip alert naming the reason", msgs)
	}
}

func TestDependRestated(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	// mobile@5.0 needs Stripe SDK by Tue 01-19, a day before it is due: a
	// slip; sam (its owner) is asked and commits.
	MustDo(t, svc, alice, `/release depend mobile@5.0 on external "Stripe SDK" by 2027-01-19`)
	MustDo(t, svc, sam, `/release commit mobile@5.0 on external "Stripe SDK" anyway`) // it is due a day after: a promise made anyway
	edge := func() store.Dependency {
		t.Helper()
		for _, d := range MustSnapshot(t, svc.Store).Dependencies {
			if d.External != "" {
				return d
			}
		}
		t.Fatal("no external dependency")
		return store.Dependency{}
	}

	t.Run("KeepsWhatIsNotRestated", func(t *testing.T) {
		r := MustFail(t, svc, alice, `/release depend mobile@5.0 on external "Stripe SDK" due 2027-01-20`, store.EConflict)
		if want := "already depends on external “Stripe SDK”, needed by Tue 2027-01-19; nothing changed"; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("restating says:\n%s\nwant %q", r.Doc.Text, want)
		}
		if d := edge(); d.NeededBy != MustDate(t, "2027-01-19") || d.Handshake != store.HandshakeCommitted {
			t.Errorf("after restating: %+v; want needed by 2027-01-19, committed", d)
		}
		if r := MustDo(t, svc, bob, "/release show mobile@5.0"); !strings.Contains(r.Doc.Text, "late") {
			t.Errorf("the slip vanished:\n%s", r.Doc.Text)
		}
	})
	t.Run("ByTargetResets", func(t *testing.T) {
		r := MustDo(t, svc, alice, `/release depend mobile@5.0 on external "Stripe SDK" by target`)
		if want := "Changed: needed by its target date, was Tue 2027-01-19; its provider's commitment to the old date is set aside."; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("by target says:\n%s\nwant %q", r.Doc.Text, want)
		}
		if d := edge(); !d.NeededBy.IsZero() || d.Handshake != "" {
			t.Errorf("after by target: %+v; want no date of its own, no handshake", d)
		}
	})
	t.Run("SaysANewDate", func(t *testing.T) {
		r := MustDo(t, svc, alice, `/release depend mobile@5.0 on external "Stripe SDK" by 2027-01-22`)
		if want := "Changed: needed by Fri 2027-01-22, was its target date."; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("a new by says:\n%s\nwant %q", r.Doc.Text, want)
		}
	})
}

func TestDependRestatedOwner(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	r := MustFail(t, svc, alice, `/release depend payments@2.3.0 on external "Stripe SDK" owner <@UBOB>`, store.EConflict)
	if want := `external “Stripe SDK” is owned by @USAM; leave out "owner", or hand it over with /release set external "Stripe SDK" owner @UBOB`; !strings.Contains(commands.Plain(r.Doc.Text), want) {
		t.Errorf("another owner restated says:\n%s\nwant %q", r.Doc.Text, want)
	}
	MustDo(t, svc, alice, `/release depend payments@2.3.0 on external "Stripe SDK" owner <@USAM>`)
}

func TestShowOfAProductNamedExternal(t *testing.T) {
	svc := MustService(t, root)
	MustDo(t, svc, alice, "/release add external 1.0 2027-03-01")
	if r := MustDo(t, svc, alice, "/release show external 1.0"); !strings.Contains(r.Doc.Text, "*external@1.0*") {
		t.Errorf("show external 1.0:\n%s", r.Doc.Text)
	}
	r := MustFail(t, svc, alice, "/release show external", store.EInvalid)
	if !strings.Contains(r.Doc.Text, "missing the external item's name in quotes") {
		t.Errorf("show external alone:\n%s", r.Doc.Text)
	}
}
