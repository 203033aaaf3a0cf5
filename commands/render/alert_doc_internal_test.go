package render

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// TestAtRiskDownstreamNamesWhatTheWholeWalkWould checks the alert's list
// of releases at risk downstream, which evaluates only the first levels of
// the downstream set, against the whole walk (Graph.Downstream) on random
// graphs with wide levels and many releases at risk.
func TestAtRiskDownstreamNamesWhatTheWholeWalkWould(t *testing.T) {
	today, _ := store.ParseDate("2027-01-04")
	want := func(g *store.Graph, up *store.Upstream, ref store.Ref) []string {
		var lines []string
		n := 0
		for _, d := range g.Downstream(ref.Key(), today) {
			if !up.AtRisk(d.Release.Ref) {
				continue
			}
			if n++; n > alertDownstream {
				continue
			}
			e := d.Edges[0]
			lines = append(lines, fmt.Sprintf("• %s needs %s by %s — %s", Bold(d.Release.Ref), ProviderName(e), e.NeededBy.Pretty(), EdgeStateText(e, today)))
		}
		if n == 0 {
			return nil
		}
		if n > alertDownstream {
			lines = append(lines, fmt.Sprintf("…and %d more — `/release impact %s`", n-alertDownstream, ref))
		}
		return append([]string{fmt.Sprintf("*Now at risk* downstream of %s (%s):", Bold(ref), Plural(n, "release"))}, lines...)
	}
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 10))
		n := 50 + rng.IntN(400)
		rs := make([]store.Release, n)
		for i := range rs {
			rs[i] = store.Release{Ref: store.Ref{Product: fmt.Sprintf("p%d", i%7), Version: fmt.Sprintf("1.%d", i)},
				Target: today.AddDays(10 + i/3 + rng.IntN(5)), Status: store.Planned}
		}
		var deps []store.Dependency
		seen := map[string]bool{}
		for c := 1; c < n; c++ {
			for range 1 + rng.IntN(4) {
				p := c - 1 - rng.IntN(min(c, 40))
				d := store.Dependency{Consumer: rs[c].Ref, Provider: rs[p].Ref}
				if rng.IntN(4) == 0 {
					d.NeededBy = rs[c].Target.AddDays(-rng.IntN(30)) // some slip
				}
				if !seen[d.Key()] {
					seen[d.Key()] = true
					deps = append(deps, d)
				}
			}
		}
		g := store.NewGraph(rs, nil, deps)
		for _, i := range []int{0, 1, rng.IntN(n), rng.IntN(n)} {
			ref := rs[i].Ref
			if diff := cmp.Diff(want(g, g.Upstream(today), ref), atRiskDownstream(g, g.Upstream(today), ref, today)); diff != "" {
				t.Errorf("seed %d, downstream of %s (-whole walk +first levels):\n%s", seed, ref, diff)
			}
		}
	}
}
