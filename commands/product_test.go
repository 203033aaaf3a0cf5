package commands_test

import (
	"strings"
	"testing"

	"relman/store"
)

func TestProductNames(t *testing.T) {
	t.Run("RefusesANameCloseToAnother", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		r := MustFail(t, svc, alice, "/release add paymnts 4.3.0 2027-03-01", store.EInvalid)
		if want := `there is no product "paymnts" — did you mean payments?`; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("add paymnts says:\n%s\nwant %q", r.Doc.Text, want)
		}
		if r.Err == nil || r.Err.Field != "product" {
			t.Errorf("add paymnts error = %+v; want it about the product field", r.Err)
		}
		for _, p := range MustSnapshot(t, svc.Store).Products {
			if p.Name == "paymnts" {
				t.Errorf("the refused add created product paymnts")
			}
		}
	})
	t.Run("CreatesACloseNameEndingWithNew", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release add paymnts 4.3.0 2027-03-01 new")
		MustDo(t, svc, alice, "/release add authz 1.0 2027-03-01 anyway new")
		MustDo(t, svc, alice, "/release add paymnts 4.4.0 2027-03-08") // it exists now
	})
	t.Run("KeepsShortAndNumberedNamesApart", func(t *testing.T) {
		svc := MustService(t, root)
		for _, line := range []string{"/release add web 1 2027-03-01", "/release add lib 1 2027-03-01", "/release add app01 1 2027-03-01", "/release add app02 1 2027-03-01"} {
			MustDo(t, svc, alice, line)
		}
	})
	t.Run("RoleCreatesTheProductForAnAdmin", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDo(t, svc, root, "/release role checkout release-manager <@UBOB>")
		r := MustDo(t, svc, bob, "/release role checkout")
		if !strings.Contains(r.Doc.Text, "<@UBOB>") {
			t.Errorf("role checkout shows:\n%s", r.Doc.Text)
		}
		r = MustFail(t, svc, alice, "/release role billing release-manager <@UALICE>", store.EForbidden)
		if want := "while billing has no release manager, only an admin"; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("role on a new product by a non-admin says:\n%s\nwant %q", r.Doc.Text, want)
		}
		MustFail(t, svc, root, "/release role paymnts release-manager <@UBOB>", store.EInvalid)
		MustDo(t, svc, root, "/release role paymnts release-manager <@UBOB> new")
	})
}

func TestHelpAndUndo(t *testing.T) {
	svc := MustService(t, root)
	t.Run("HelpMentionsCCB", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release help")
		if want := "`/release help ccb`"; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("/release help lacks %q:\n%s", want, r.Doc.Text)
		}
	})
	t.Run("HelpCCBListsTheCCBCommands", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release help ccb")
		for _, w := range []string{"/ccb commands", "`/ccb request"} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("/release help ccb lacks %q:\n%s", w, r.Doc.Text)
			}
		}
		if r := MustDo(t, svc, alice, "/release help ccb request"); !strings.Contains(r.Doc.Text, "/ccb request &lt;release&gt;") {
			t.Errorf("/release help ccb request:\n%s", r.Doc.Text)
		}
	})
	t.Run("UndoSuggestsTheWaysToUndo", func(t *testing.T) {
		r := MustFail(t, svc, alice, "/release undo", store.EInvalid)
		for _, w := range []string{"/release has no undo command", "/release move", "/release reopen", "/release undepend", "/release delete"} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("/release undo lacks %q:\n%s", w, r.Doc.Text)
			}
		}
	})
	t.Run("ListOfAnUnknownProductNamesTheProducts", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		r := MustFail(t, svc, alice, "/release list billing", store.ENotFound)
		if want := `there is no product "billing"; the products are auth, mobile, payments`; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("list billing says:\n%s\nwant %q", r.Doc.Text, want)
		}
		MustDo(t, svc, root, "/release role checkout release-manager <@UBOB>")
		if r := MustDo(t, svc, alice, "/release list checkout"); !strings.Contains(r.Doc.Text, "There are no planned releases of checkout.") {
			t.Errorf("list of a product without releases:\n%s", r.Doc.Text)
		}
	})
}

func TestReopenByReleaseEngineer(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, "/release role payments@2.3.0 release-engineer <@UBOB>")
	MustDo(t, svc, bob, "/release ship payments@2.3.0")
	MustDo(t, svc, bob, "/release reopen payments@2.3.0")
	MustDo(t, svc, alice, "/release cancel payments@2.3.0 because merged into 2.4.0")
	r := MustFail(t, svc, bob, "/release reopen payments@2.3.0", store.EForbidden)
	if want := "only <@UALICE> (owner) or an admin can reopen payments@2.3.0"; !strings.Contains(r.Doc.Text, want) {
		t.Errorf("reopen of a cancel by the release engineer says:\n%s\nwant %q", r.Doc.Text, want)
	}
	MustDo(t, svc, alice, "/release ship auth@1.4.0")
	r = MustFail(t, svc, sam, "/release reopen auth@1.4.0", store.EForbidden)
	if want := "can reopen auth@1.4.0"; !strings.Contains(r.Doc.Text, want) {
		t.Errorf("reopen by someone else says:\n%s\nwant %q", r.Doc.Text, want)
	}
}
