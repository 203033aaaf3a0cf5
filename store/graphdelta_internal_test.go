package store

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkApply measures applying one transaction's change to a Graph of
// 10,000 releases and 30,000 edges: what a commit adds to keep the shared
// Graph current.
func BenchmarkApply(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := NewDate(2027, time.January, 4)
	rs := make([]Release, 10_000)
	for i := range rs {
		rs[i] = Release{Ref: Ref{Product: fmt.Sprintf("p%03d", i%500), Version: fmt.Sprintf("%d.0", i/500)}, Target: base.AddDays(i / 50), Status: Planned}
	}
	var ds []Dependency
	seen := map[[2]int]bool{}
	for len(ds) < 30_000 {
		c := 1 + rng.IntN(len(rs)-1)
		p := c - 1 - rng.IntN(min(c, 1500))
		if !seen[[2]int{c, p}] {
			seen[[2]int{c, p}] = true
			ds = append(ds, Dependency{Consumer: rs[c].Ref, Provider: rs[p].Ref})
		}
	}
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b Release) int { return strings.Compare(a.Key(), b.Key()) })
	slices.SortFunc(ds, func(a, b Dependency) int { return strings.Compare(a.Key(), b.Key()) })
	g0 := NewGraph(sorted, nil, ds)
	encode := func(v any) []byte {
		j, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		return j
	}
	for _, bc := range []struct {
		name  string
		delta func(i int) delta
	}{
		{"Move", func(i int) delta {
			r := rs[5000]
			r.Target = r.Target.AddDays(i%2 + 1)
			return delta{rels: map[string][]byte{r.Key(): encode(r)}}
		}},
		{"Depend", func(i int) delta {
			d := Dependency{Consumer: rs[9000].Ref, Provider: rs[8000+i%1000].Ref}
			return delta{deps: map[string][]byte{d.Key(): encode(d)}}
		}},
		{"Add", func(i int) delta {
			r := Release{Ref: Ref{Product: "new", Version: fmt.Sprint(i)}, Target: base, Status: Planned}
			return delta{rels: map[string][]byte{r.Key(): encode(r)}}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g := g0
			var i int
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				d := bc.delta(i)
				i++
				b.StartTimer()
				var err error
				if g, err = g.apply(&d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
