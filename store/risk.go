package store

import (
	"cmp"
	"slices"
)

// OverdueOn reports whether r is planned and its own target has passed as of
// today. An overdue release does not by itself put its dependents at risk:
// their edges become overdue once their needed-by dates pass.
func (r *Release) OverdueOn(today Date) bool {
	return r.Status == Planned && r.Target.Before(today)
}

// Upstream answers whether releases are at risk, and why, by walking from
// each release towards its providers: it visits only the part of the graph
// upstream of the releases asked about, never the whole graph. Answers are
// memoized, so asking about every release of a downstream set costs one walk
// of their common upstream. An Upstream is for one goroutine.
type Upstream struct {
	g     *Graph
	today Date
	risk  []int8 // node → 0 not yet known, 1 not at risk, 2 at risk
}

// Upstream returns a walker answering as of today. Its answers agree with
// AtRisk's.
func (g *Graph) Upstream(today Date) *Upstream {
	return &Upstream{g: g, today: today, risk: make([]int8, len(g.keys))}
}

// AtRisk reports whether the release ref is planned and at risk: some
// dependency of it, direct or transitive through planned releases, has
// slipped.
func (u *Upstream) AtRisk(ref Ref) bool {
	n, ok := u.g.index[ref.Key()]
	return ok && u.atRisk(n)
}

func (u *Upstream) atRisk(n int) bool {
	if v := u.risk[n]; v != 0 {
		return v == 2
	}
	u.risk[n] = 1 // also guards against a cycle, which the store refuses anyway
	r := u.g.releases[n]
	if r == nil || r.Status != Planned {
		return false
	}
	for _, ei := range u.g.out[n] {
		p := int(u.g.ends[ei].p)
		if u.g.edge(u.g.deps[ei], n, p, u.today).Slipped || u.atRisk(p) {
			u.risk[n] = 2
			return true
		}
	}
	return false
}

// Cause is one slipped edge that puts a release at risk, and the path by
// which the release depends on the edge's consumer.
type Cause struct {
	Edge Edge  // the slipped edge
	Path []Ref // the release asked about, …, Edge.Consumer; one element for its own dependencies
}

// Causes returns the slipped edges that put the release ref at risk, once
// for every path by which it depends on them (both sides of a diamond),
// shortest paths first. It returns at most limit causes (no limit when
// limit <= 0) and reports whether there are more. A release not at risk has
// none.
func (u *Upstream) Causes(ref Ref, limit int) (causes []Cause, more bool) {
	if limit <= 0 {
		limit = int(^uint(0) >> 1)
	}
	start, ok := u.g.index[ref.Key()]
	if !ok || !u.atRisk(start) {
		return nil, false
	}
	// Breadth first over paths, visiting only releases at risk: every path
	// queued leads to at least one cause, so the walk stops after limit.
	queue := [][]int{{start}}
	for i := 0; i < len(queue); i++ {
		path := queue[i]
		n := path[len(path)-1]
		for _, ei := range u.g.out[n] {
			p := int(u.g.ends[ei].p)
			if e := u.g.edge(u.g.deps[ei], n, p, u.today); e.Slipped {
				if len(causes) == limit {
					return causes, true
				}
				causes = append(causes, Cause{Edge: e, Path: u.refs(path)})
			} else if u.atRisk(p) && !slices.Contains(path, p) { // a cycle, which the store refuses, ends here
				if len(causes)+len(queue)-i-1 >= limit {
					more = true // it would yield a cause past the limit
					continue
				}
				queue = append(queue, append(slices.Clip(path), p))
			}
		}
	}
	return causes, more
}

func (u *Upstream) refs(path []int) []Ref {
	out := make([]Ref, len(path))
	for i, n := range path {
		out[i] = u.g.releases[n].Ref
	}
	return out
}

// Downstream is one release downstream of a provider.
type Downstream struct {
	Release *Release
	Depth   int    // 1 for direct dependents
	Edges   []Edge // its edges to the provider or to releases downstream of it, tightest first
}

// Downstream returns every release downstream of the provider with the
// given key (a release key, or "ext:" and an external key) — everything
// that depends on it directly or transitively — ordered by depth, then the
// slack of its tightest edge, then name. Each carries every edge by which it
// depends on the provider's downstream set, so a diamond shows both paths.
// It visits only the downstream set; whether one is at risk for another
// reason is Upstream's question, asked only of the releases a caller shows.
func (g *Graph) Downstream(providerKey string, today Date) []Downstream {
	out, _ := g.DownstreamFirst(providerKey, today, 0)
	return out
}

// DownstreamFirst returns the first limit releases Downstream would (all
// when limit <= 0) and how many there are in all. Ordered by depth first,
// it evaluates the edges of only the levels it returns from, so a view that
// shows the first fifty of thousands pays for about fifty.
func (g *Graph) DownstreamFirst(providerKey string, today Date, limit int) ([]Downstream, int) {
	order, depth := g.downstream(providerKey)
	if len(order) == 0 {
		return nil, 0
	}
	total := len(order) - 1
	end := len(order)
	if limit > 0 && limit < total {
		// order is breadth first: whole levels up to the one holding the
		// limit-th release decide which releases come first.
		end = 1 + limit
		for end < len(order) && depth[order[end]] == depth[order[end-1]] {
			end++
		}
	}
	out := make([]Downstream, 0, end-1)
	for _, c := range order[1:end] {
		item := Downstream{Release: g.releases[c], Depth: int(depth[c] - 1)}
		for _, ei := range g.out[c] {
			p := int(g.ends[ei].p)
			if depth[p] != 0 {
				item.Edges = append(item.Edges, g.edge(g.deps[ei], c, p, today))
			}
		}
		slices.SortFunc(item.Edges, func(a, b Edge) int {
			return cmp.Or(cmp.Compare(a.Slack, b.Slack), cmp.Compare(a.ProviderName, b.ProviderName))
		})
		out = append(out, item)
	}
	slices.SortFunc(out, func(a, b Downstream) int { // a total order: releases are unique
		return cmp.Or(cmp.Compare(a.Depth, b.Depth), cmp.Compare(a.Edges[0].Slack, b.Edges[0].Slack),
			cmp.Compare(a.Release.Product, b.Release.Product), cmp.Compare(a.Release.Version, b.Release.Version))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, total
}

// DownstreamReleases returns the releases downstream of the provider with
// the given key, nearest first, without evaluating any edge.
func (g *Graph) DownstreamReleases(providerKey string) []*Release {
	order, _ := g.downstream(providerKey)
	if len(order) == 0 {
		return nil
	}
	out := make([]*Release, len(order)-1)
	for i, c := range order[1:] {
		out[i] = g.releases[c]
	}
	return out
}

// CountDownstream returns how many releases depend on the provider with the
// given key, directly or transitively.
func (g *Graph) CountDownstream(providerKey string) int {
	order, _ := g.downstream(providerKey)
	return max(0, len(order)-1)
}

// downstream walks breadth first from the provider with the given key
// towards its consumers: order starts with the provider, and depth[n] is
// n's depth plus one (0 for a node not downstream). nil if there is no such
// provider.
func (g *Graph) downstream(providerKey string) (order []int, depth []int32) {
	root, ok := g.index[providerKey]
	if !ok {
		return nil, nil
	}
	depth = make([]int32, len(g.keys))
	depth[root] = 1
	order = []int{root}
	for i := 0; i < len(order); i++ {
		p := order[i]
		for _, ei := range g.in[p] {
			if c := int(g.ends[ei].c); c >= 0 && depth[c] == 0 {
				depth[c] = depth[p] + 1
				order = append(order, c)
			}
		}
	}
	return order, depth
}

// CountDownstream returns how many releases downstream of the provider
// with the given key are at risk, walking the downstream set and, memoized,
// its upstream; it agrees with asking AtRisk of each of
// Graph.DownstreamReleases.
func (u *Upstream) CountDownstream(providerKey string) int {
	order, _ := u.g.downstream(providerKey)
	n := 0
	for i, c := range order {
		if i > 0 && u.atRisk(c) {
			n++
		}
	}
	return n
}
