package store

import (
	"fmt"
	"slices"
	"strings"
)

// CachedGraph returns the Graph the store shares and its generation (nil
// if it has none).
func (s *Store) CachedGraph() (uint64, *Graph) {
	c := s.graph.Load()
	if c == nil {
		return 0, nil
	}
	return c.gen, c.g
}

// CheckIndexes reports the first way g's indexes disagree with each other:
// every live edge whose ends are known is in its consumer's out list and its
// provider's in list, those lists hold nothing else and are in key order,
// and the key, release and product indexes agree.
func (g *Graph) CheckIndexes() error {
	if len(g.keys) != len(g.index) || len(g.releases) != len(g.keys) || len(g.externals) != len(g.keys) || len(g.out) != len(g.keys) || len(g.in) != len(g.keys) {
		return fmt.Errorf("node slices of lengths keys %d, index %d, releases %d, externals %d, out %d, in %d",
			len(g.keys), len(g.index), len(g.releases), len(g.externals), len(g.out), len(g.in))
	}
	nrel := 0
	for i, k := range g.keys {
		if g.index[k] != i {
			return fmt.Errorf("index[%q] = %d; want %d", k, g.index[k], i)
		}
		r, x := g.releases[i], g.externals[i]
		switch {
		case (r == nil) == (x == nil):
			return fmt.Errorf("node %d (%s) is %v and %v", i, k, r, x)
		case r != nil && r.Key() != k:
			return fmt.Errorf("node %d (%s) holds release %s", i, k, r.Key())
		case x != nil && "ext:"+ExternalKey(x.Name) != k:
			return fmt.Errorf("node %d (%s) holds external %q", i, k, x.Name)
		}
		if r != nil {
			nrel++
		}
	}
	if len(g.rels) != nrel || !slices.IsSortedFunc(g.rels, func(a, b *Release) int { return strings.Compare(a.Key(), b.Key()) }) {
		return fmt.Errorf("rels has %d releases (want %d), sorted %v", len(g.rels), nrel, slices.IsSortedFunc(g.rels, func(a, b *Release) int { return strings.Compare(a.Key(), b.Key()) }))
	}
	for _, r := range g.rels {
		if g.releases[g.index[r.Key()]] != r || !slices.Contains(g.byProduct[r.Product], r) {
			return fmt.Errorf("rels holds %s, not the node's release or not among its product's", r.Key())
		}
	}
	n := 0
	for _, rs := range g.byProduct {
		n += len(rs)
	}
	if n != nrel {
		return fmt.Errorf("byProduct holds %d releases; want %d", n, nrel)
	}
	if len(g.ends) != len(g.deps) {
		return fmt.Errorf("%d ends for %d edges", len(g.ends), len(g.deps))
	}
	gone := 0
	for e := range g.deps {
		if g.isGone(e) {
			gone++
			if g.ends[e].c >= 0 {
				return fmt.Errorf("gone edge %s has ends %v", g.deps[e].Key(), g.ends[e])
			}
			continue
		}
		c, ok1 := g.index[g.deps[e].Consumer.Key()]
		p, ok2 := g.index[g.deps[e].ProviderKey()]
		want := ends{-1, -1}
		if ok1 && ok2 && g.releases[c] != nil {
			want = ends{int32(c), int32(p)}
		}
		if g.ends[e] != want {
			return fmt.Errorf("edge %s has ends %v; want %v", g.deps[e].Key(), g.ends[e], want)
		}
		if want.c >= 0 && (!slices.Contains(g.out[c], e) || !slices.Contains(g.in[p], e)) {
			return fmt.Errorf("edge %s is missing from out[%d] or in[%d]", g.deps[e].Key(), c, p)
		}
	}
	if gone != g.ngone {
		return fmt.Errorf("%d edges gone; ngone = %d", gone, g.ngone)
	}
	for side, lists := range [][][]int{g.out, g.in} {
		for node, l := range lists {
			for i, e := range l {
				end := g.ends[e]
				if g.isGone(e) || (side == 0 && int(end.c) != node) || (side == 1 && int(end.p) != node) {
					return fmt.Errorf("list %d of node %d holds edge %s with ends %v", side, node, g.deps[e].Key(), end)
				}
				if i > 0 && g.deps[l[i-1]].Key() >= g.deps[e].Key() {
					return fmt.Errorf("list %d of node %d is not in key order", side, node)
				}
			}
		}
	}
	return nil
}
