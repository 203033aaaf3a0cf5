package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

func TestGraphEachNeedGivesTheKnownProvidersInTheOrderOfDependencies(t *testing.T) {
	releases := []store.Release{
		MustRelease(t, "mobile@5.0", "2027-01-29"),
		MustRelease(t, "payments@2.3.0", "2027-01-15"),
		MustRelease(t, "auth@1.4.0", "2027-01-08"),
	}
	externals := []store.External{MustExternal(t, "Stripe SDK", "2027-01-20")}
	g := store.NewGraph(releases, externals, []store.Dependency{
		MustDep(t, "mobile@5.0", "payments@2.3.0", "2027-01-25"),
		MustDep(t, "mobile@5.0", "gone@1.0", ""), // an unknown provider
		MustDep(t, "mobile@5.0", "ext:Stripe SDK", ""),
		MustDep(t, "payments@2.3.0", "auth@1.4.0", ""),
	})
	type need struct {
		Dep      store.Dependency
		Provider string
	}
	var want []need
	for _, d := range g.Dependencies(MustRef(t, "mobile@5.0")) {
		if p := g.Release(d.Provider); p != nil {
			want = append(want, need{d, p.Key()})
		} else if x := g.External(d.External); x != nil {
			want = append(want, need{d, "ext:" + x.Name})
		}
	}
	var got []need
	g.EachNeed(MustRef(t, "mobile@5.0"), func(d *store.Dependency, p *store.Release, x *store.External) {
		switch {
		case p != nil && x == nil:
			got = append(got, need{*d, p.Key()})
		case x != nil && p == nil:
			got = append(got, need{*d, "ext:" + x.Name})
		default:
			t.Errorf("provider of %v: release %v, external %v; want exactly one", d, p, x)
		}
	})
	if len(want) != 2 {
		t.Fatalf("Dependencies with known providers: %v; want 2", want)
	}
	if diff := cmp.Diff(want, got, dateEq); diff != "" {
		t.Errorf("EachNeed(mobile@5.0) (-want +got):\n%s", diff)
	}
	g.EachNeed(MustRef(t, "auth@1.4.0"), func(d *store.Dependency, _ *store.Release, _ *store.External) {
		t.Errorf("auth@1.4.0 needs nothing; got %v", d)
	})
	g.EachNeed(MustRef(t, "nope@1.0"), func(d *store.Dependency, _ *store.Release, _ *store.External) {
		t.Errorf("an unknown release needs nothing; got %v", d)
	})
}
