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
