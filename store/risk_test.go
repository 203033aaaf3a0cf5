package store_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// diamondGraph is a ← b, a ← c, b ← d, c ← d, d ← e (x ← y: y depends on x),
// with a moved so that it is late for both b and c.
func diamondGraph(tb testing.TB) *store.Graph {
	tb.Helper()
	return store.NewGraph(
		[]store.Release{
			MustRelease(tb, "a@1", "2027-03-20"),
			MustRelease(tb, "b@1", "2027-03-15"),
			MustRelease(tb, "c@1", "2027-03-18"),
			MustRelease(tb, "d@1", "2027-04-01"),
			MustRelease(tb, "e@1", "2027-04-10"),
		}, nil,
		[]store.Dependency{
			MustDep(tb, "b@1", "a@1", ""),
			MustDep(tb, "c@1", "a@1", ""),
			MustDep(tb, "d@1", "b@1", ""),
			MustDep(tb, "d@1", "c@1", ""),
			MustDep(tb, "e@1", "d@1", ""),
		})
}

// viewCauses renders causes as "edge key via path".
func viewCauses(cs []store.Cause) []string {
	var out []string
	for _, c := range cs {
		parts := make([]string, len(c.Path))
		for i, r := range c.Path {
			parts[i] = r.String()
		}
		out = append(out, c.Edge.Key()+" via "+strings.Join(parts, ">"))
	}
	return out
}

func TestUpstreamCauses(t *testing.T) {
	g := diamondGraph(t)
	today := MustDate(t, "2027-03-01")
	tests := []struct {
		name  string
		ref   string
		limit int
		want  []string
		more  bool
	}{
		{name: "OwnSlipHasOneStepPath", ref: "b@1", want: []string{"b@1 a@1 via b@1"}},
		{name: "DiamondNamesBothPaths", ref: "d@1", want: []string{"b@1 a@1 via d@1>b@1", "c@1 a@1 via d@1>c@1"}},
		{name: "BelowTheDiamondToo", ref: "e@1", want: []string{"b@1 a@1 via e@1>d@1>b@1", "c@1 a@1 via e@1>d@1>c@1"}},
		{name: "CutsAtLimit", ref: "e@1", limit: 1, want: []string{"b@1 a@1 via e@1>d@1>b@1"}, more: true},
		{name: "NoneWhenNotAtRisk", ref: "a@1"},
		{name: "NoneForUnknownRelease", ref: "zz@1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, more := g.Upstream(today).Causes(MustRef(t, tt.ref), tt.limit)
			if diff := cmp.Diff(tt.want, viewCauses(got)); diff != "" || more != tt.more {
				t.Errorf("Causes(%s, %d) more = %v (want %v), mismatch (-want +got):\n%s", tt.ref, tt.limit, more, tt.more, diff)
			}
		})
	}
}

func TestDownstreamShowsEveryEdgeOfADiamond(t *testing.T) {
	g := diamondGraph(t)
	today := MustDate(t, "2027-03-01")
	var got []string
	up := g.Upstream(today)
	for _, it := range g.Downstream("a@1", today) {
		var es []string
		for _, e := range it.Edges {
			es = append(es, fmt.Sprintf("%s:%d", e.ProviderName, e.Slack))
		}
		got = append(got, fmt.Sprintf("%d %s %v [%s]", it.Depth, it.Release.Ref, up.AtRisk(it.Release.Ref), strings.Join(es, " ")))
	}
	want := []string{
		"1 b@1 true [a@1:-5]",
		"1 c@1 true [a@1:-2]",
		"2 d@1 true [c@1:14 b@1:17]",
		"3 e@1 true [d@1:9]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Downstream(a@1) mismatch (-want +got):\n%s", diff)
	}
	if n := g.CountDownstream("a@1"); n != 4 {
		t.Errorf("CountDownstream(a@1) = %d; want 4", n)
	}
}

// TestUpstreamAgreesWithAtRisk checks the per-release walk against the
// whole-graph answer on random graphs and dates.
func TestUpstreamAgreesWithAtRisk(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	base := MustDate(t, "2027-03-01")
	statuses := []store.Status{store.Planned, store.Planned, store.Planned, store.Shipped, store.Cancelled}
	for round := range 50 {
		n := 5 + rng.IntN(40)
		var rs []store.Release
		for i := range n {
			r := store.Release{Ref: store.Ref{Product: fmt.Sprintf("p%d", i), Version: "1"}, Target: base.AddDays(rng.IntN(60) - 20), Status: statuses[rng.IntN(len(statuses))]}
			if r.Status == store.Shipped {
				r.ShippedOn = r.Target.AddDays(rng.IntN(10) - 5)
			}
			rs = append(rs, r)
		}
		xs := []store.External{{Name: "vendor", Due: base.AddDays(rng.IntN(40) - 10)}}
		var ds []store.Dependency
		for c := range n {
			for p := range c { // consumers depend on lower indexes only: no cycles
				if rng.IntN(6) != 0 {
					continue
				}
				d := store.Dependency{Consumer: rs[c].Ref, Provider: rs[p].Ref}
				if rng.IntN(3) == 0 {
					d.NeededBy = rs[c].Target.AddDays(-rng.IntN(10))
				}
				ds = append(ds, d)
			}
			if rng.IntN(8) == 0 {
				ds = append(ds, store.Dependency{Consumer: rs[c].Ref, External: "vendor"})
			}
		}
		g := store.NewGraph(rs, xs, ds)
		for _, today := range []store.Date{base, base.AddDays(15)} {
			want := g.AtRisk(today)
			u := g.Upstream(today)
			for _, r := range rs {
				_, w := want[r.Ref]
				if got := u.AtRisk(r.Ref); got != w {
					t.Fatalf("round %d, %s: Upstream.AtRisk(%s) = %v; AtRisk says %v", round, today, r.Ref, got, w)
				}
				all := g.Downstream(r.Key(), today)
				if n := g.CountDownstream(r.Key()); n != len(all) || len(g.DownstreamReleases(r.Key())) != n {
					t.Fatalf("round %d: CountDownstream(%s) = %d, DownstreamReleases has %d; Downstream has %d", round, r.Ref, n, len(g.DownstreamReleases(r.Key())), len(all))
				}
				atRisk := 0
				for _, d := range all {
					if _, ok := want[d.Release.Ref]; ok {
						atRisk++
					}
				}
				if got := g.Upstream(today).CountDownstream(r.Key()); got != atRisk {
					t.Fatalf("round %d, %s: Upstream.CountDownstream(%s) = %d; AtRisk has %d of them", round, today, r.Ref, got, atRisk)
				}
				for _, limit := range []int{1, 3, 10} {
					first, total := g.DownstreamFirst(r.Key(), today, limit)
					if diff := cmp.Diff(all[:min(limit, len(all))], first, dateEq); diff != "" || total != len(all) {
						t.Fatalf("round %d: DownstreamFirst(%s, %d) is not the first of Downstream (total %d, want %d) (-want +got):\n%s", round, r.Ref, limit, total, len(all), diff)
					}
				}
				causes, _ := g.Upstream(today).Causes(r.Ref, 0)
				if (len(causes) > 0) != w {
					t.Fatalf("round %d, %s: %d causes for %s; AtRisk says %v", round, today, len(causes), r.Ref, w)
				}
				for _, c := range causes {
					if !c.Edge.Slipped || c.Path[0] != r.Ref || c.Path[len(c.Path)-1] != c.Edge.Consumer {
						t.Fatalf("round %d: cause %s via %v of %s is not a slipped edge reached from it", round, c.Edge.Key(), c.Path, r.Ref)
					}
				}
			}
		}
	}
}
