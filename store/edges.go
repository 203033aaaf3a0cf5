package store

// EachEdge calls fn with the state as of today of every dependency whose
// consumer and provider are known, until fn returns false. The order is the
// Graph's own (not a key order).
func (g *Graph) EachEdge(today Date, fn func(Edge) bool) {
	for c, edges := range g.out {
		if g.releases[c] == nil {
			continue
		}
		for _, ei := range edges {
			if !fn(g.edge(g.deps[ei], c, int(g.ends[ei].p), today)) {
				return
			}
		}
	}
}
