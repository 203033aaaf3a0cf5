package store

// EachNeed calls fn with each dependency of the release ref whose provider
// is known, in the order of Dependencies, and the provider: a release (x
// nil) or an external item (p nil). It looks no provider up by name and
// copies nothing, for callers that ask it of every release (the calendar
// feed). d, p and x are the Graph's own: fn must not change them.
func (g *Graph) EachNeed(ref Ref, fn func(d *Dependency, p *Release, x *External)) {
	i, ok := g.index[ref.Key()]
	if !ok {
		return
	}
	for _, e := range g.out[i] {
		p := g.ends[e].p
		fn(&g.deps[e], g.releases[p], g.externals[p])
	}
}
