package store

import (
	"cmp"
	"slices"
)

// Standing is what a reader is shown of an edge's state as of a day, as
// values: two states of the same edge, on the same day, read alike exactly
// when their Standings are equal. Fields a kind does not show are zero.
//
// It follows the words every view renders for an edge (its state, then
// where its handshake stands): "on track (5 days to spare)" or "on track
// (no days to spare)" (Spare), "late (3 days)" (DaysLate), "overdue (needed
// 2 days ago, not shipped)" (NeededBy: how long ago, counted from the day),
// "provider cancelled", "delivered on time" or "delivered 3 days late"
// (DaysLate), "not needed any more (x is shipped)"
// (Consumer); then, while the edge waits for its provider (on track, late
// or overdue), " · requested", " · committed" or " · counter-proposed
// <date>" (Handshake, Proposed). The provider's own date is not part of it:
// an overdue edge reads the same whichever date its provider now targets.
type Standing struct {
	Kind      EdgeKind
	Spare     int       // OnTrack: days to spare; 0 for none (on the day)
	DaysLate  int       // Late: days late; Delivered: days after the needed-by date it came (0: on time)
	NeededBy  Date      // Overdue: the needed-by date that passed
	Consumer  Status    // NotNeeded: the consumer's status
	Handshake Handshake // OnTrack, Late, Overdue: the request's state, "" without one
	Proposed  Date      // HandshakeCountered: the date proposed instead
	// Stage is the provider's stage the edge waits for ("" for
	// production): every kind's words name it.
	Stage string
}

// Standing returns what a reader is shown of e.
func (e Edge) Standing() Standing {
	s := Standing{Kind: e.Kind}
	if !e.IsExternal() && e.Dependency.Stage != Production {
		s.Stage = e.Dependency.Stage
	}
	switch e.Kind {
	case OnTrack:
		s.Spare = max(0, e.Slack)
	case Late, Delivered:
		s.DaysLate = e.DaysLate()
	case Overdue:
		s.NeededBy = e.NeededBy
	case NotNeeded:
		s.Consumer = e.ConsumerStatus
	}
	if e.Kind == OnTrack || e.Kind == Late || e.Kind == Overdue {
		switch e.Handshake {
		case HandshakeRequested, HandshakeCommitted:
			s.Handshake = e.Handshake
		case HandshakeCountered:
			s.Handshake, s.Proposed = e.Handshake, e.Proposed
		}
	}
	return s
}

// WorseThan reports whether e leaves its consumer worse off than o, an
// earlier state of the same edge: a worse kind (late, then overdue, then
// provider cancelled, each worse than on track, delivered or not needed),
// or late by more days.
func (e Edge) WorseThan(o Edge) bool {
	if r, ro := e.Kind.badness(), o.Kind.badness(); r != ro {
		return r > ro
	}
	return e.Kind == Late && e.DaysLate() > o.DaysLate()
}

// badness ranks kinds from harmless (0) to provider cancelled (3).
func (k EdgeKind) badness() int {
	switch k {
	case Late:
		return 1
	case Overdue:
		return 2
	case ProviderCancelled:
		return 3
	}
	return 0
}

// EdgeChange is one edge whose state a change altered, as of one day: its
// state before and after (Before.DaysLate() and After.DaysLate() say how
// late it was and is). An edge the change added has a zero Before, one it
// removed (or whose consumer or provider it removed) a zero After.
type EdgeChange struct {
	Before, After Edge
}

// Added reports whether the edge did not exist before the change.
func (c EdgeChange) Added() bool { return c.Before.Consumer == Ref{} }

// Removed reports whether the edge no longer exists after the change.
func (c EdgeChange) Removed() bool { return c.After.Consumer == Ref{} }

// Key is the edge's store key.
func (c EdgeChange) Key() string {
	if c.Removed() {
		return c.Before.Key()
	}
	return c.After.Key()
}

// Effects is what a change did to the dependency graph, as of one day: the
// edges whose state a reader sees change, the releases that became or
// stopped being at risk, and the commitments it broke. EffectsOf computes
// it; the zero Effects is a change with no effect.
type Effects struct {
	// Changed holds every edge whose Standing changed, and every edge added
	// or removed, ordered by edge key.
	Changed []EdgeChange
	// NewlyAtRisk holds the releases at risk after the change and not
	// before (a release the change added, at risk, included), ordered by
	// key.
	NewlyAtRisk []Ref
	// NoLongerAtRisk holds the releases at risk before the change and not
	// after, ordered by key; a release the change removed is in neither.
	NoLongerAtRisk []Ref
	// Broken holds the commitments the change broke: edges of Changed
	// whose provider had committed to the needed-by date and was on time
	// for it, and now misses it (late, overdue or cancelled), committed to
	// the same date. A commitment made when the provider was already late
	// is not broken by a change since.
	Broken []EdgeChange
}

// Empty reports whether the change had no effect on the graph's edges or
// on which releases are at risk.
func (fx Effects) Empty() bool {
	return len(fx.Changed)+len(fx.NewlyAtRisk)+len(fx.NoLongerAtRisk) == 0
}

// EffectsOf returns the effects, as of today, of the change that turned
// before into after.
//
// touched scopes the work to what the change wrote, as provider keys (a
// release's Key(), or "ext:" and an external item's ExternalKey): every
// release and external item it put or deleted, and for every dependency it
// put or deleted, its consumer or its provider. Only the edges of and on
// those nodes are compared; and only the releases downstream of (or at) a
// change that can move a release in or out of risk are asked whether they
// are at risk, in both graphs: the consumer of an edge among them that was
// added, removed, slipped or recovered, and a touched release that was
// added, removed, or left or entered the planned state. A move that
// changes no edge's slip walks nothing. A change that wrote something
// touched does not name is not seen. With no touched key, every edge and
// release of both graphs is compared.
func EffectsOf(before, after *Graph, today Date, touched ...string) Effects {
	var fx Effects
	var was, is map[string]Edge
	if len(touched) == 0 {
		was, is = before.allEdges(today), after.allEdges(today)
	} else {
		was, is = before.edgesAround(touched, today), after.edgesAround(touched, today)
	}
	// Whether a release is at risk depends only on which releases are
	// planned and which edges exist and have slipped: only a release
	// downstream of (or at) a change of those can change. seeds are those
	// changes' releases: the consumers of edges added, removed, slipped or
	// recovered, and releases added, removed, or planned no more or again.
	seeds := make(map[string]bool)
	for k, b := range was {
		a, ok := is[k]
		if !ok {
			fx.Changed = append(fx.Changed, EdgeChange{Before: b})
			seeds[b.Consumer.Key()] = true
			continue
		}
		if a.Slipped != b.Slipped {
			seeds[a.Consumer.Key()] = true
		}
		if a.Standing() == b.Standing() {
			continue
		}
		c := EdgeChange{Before: b, After: a}
		fx.Changed = append(fx.Changed, c)
		if b.Handshake == HandshakeCommitted && a.Handshake == HandshakeCommitted &&
			b.Dependency.NeededBy == a.Dependency.NeededBy && !b.Slipped && a.Slipped {
			fx.Broken = append(fx.Broken, c)
		}
	}
	for k, a := range is {
		if _, ok := was[k]; !ok {
			fx.Changed = append(fx.Changed, EdgeChange{After: a})
			seeds[a.Consumer.Key()] = true
		}
	}
	byKey := func(a, b EdgeChange) int { return cmp.Compare(a.Key(), b.Key()) }
	slices.SortFunc(fx.Changed, byKey)
	slices.SortFunc(fx.Broken, byKey)

	if len(touched) == 0 {
		fx.NewlyAtRisk, fx.NoLongerAtRisk = riskDiff(before.AtRisk(today), after.AtRisk(today), after)
		return fx
	}
	for _, k := range touched {
		if plannedAt(before, k) != plannedAt(after, k) {
			seeds[k] = true
		}
	}
	if len(seeds) > 0 {
		fx.NewlyAtRisk, fx.NoLongerAtRisk = riskAround(before, after, seeds, today)
	}
	return fx
}

// plannedAt says whether key names a planned release of g: 0 no such
// release, 1 not planned, 2 planned.
func plannedAt(g *Graph, key string) int {
	i, ok := g.index[key]
	switch {
	case !ok || g.releases[i] == nil:
		return 0
	case g.releases[i].Status != Planned:
		return 1
	}
	return 2
}

// allEdges returns the state of every edge of g whose ends are known, by
// edge key.
func (g *Graph) allEdges(today Date) map[string]Edge {
	out := make(map[string]Edge, len(g.deps)-g.ngone)
	g.EachEdge(today, func(e Edge) bool {
		out[e.Key()] = e
		return true
	})
	return out
}

// edgesAround returns the state of every edge of or on the nodes with the
// given keys, by edge key.
func (g *Graph) edgesAround(keys []string, today Date) map[string]Edge {
	out := make(map[string]Edge)
	add := func(ei int) {
		if k := g.deps[ei].Key(); !hasKey(out, k) {
			out[k] = g.edge(g.deps[ei], int(g.ends[ei].c), int(g.ends[ei].p), today)
		}
	}
	for _, k := range keys {
		n, ok := g.index[k]
		if !ok {
			continue
		}
		for _, ei := range g.out[n] {
			add(ei)
		}
		for _, ei := range g.in[n] {
			add(ei)
		}
	}
	return out
}

func hasKey(m map[string]Edge, k string) bool {
	_, ok := m[k]
	return ok
}

// riskAround compares, between before and after, whether the releases
// with the seeds' keys and everything downstream of them in either graph
// are at risk, walking only that part of each graph and its upstream.
func riskAround(before, after *Graph, seeds map[string]bool, today Date) (newly, no []Ref) {
	type nodes struct{ b, a int } // the release's node in before and after, -1 for none
	region := make(map[string]nodes)
	for _, n := range before.downstreamOf(seeds) {
		region[before.keys[n]] = nodes{n, -1}
	}
	for _, n := range after.downstreamOf(seeds) {
		ns, ok := region[after.keys[n]]
		if !ok {
			ns.b = -1
		}
		ns.a = n
		region[after.keys[n]] = ns
	}
	upB, upA := before.Upstream(today), after.Upstream(today)
	for _, ns := range region {
		b := ns.b >= 0 && upB.atRisk(ns.b)
		a := ns.a >= 0 && upA.atRisk(ns.a)
		switch {
		case a && !b:
			newly = append(newly, after.releases[ns.a].Ref)
		case b && !a && ns.a >= 0:
			no = append(no, after.releases[ns.a].Ref)
		}
	}
	byKey := func(a, b Ref) int { return cmp.Compare(a.Key(), b.Key()) }
	slices.SortFunc(newly, byKey)
	slices.SortFunc(no, byKey)
	return newly, no
}

// downstreamOf returns the nodes of the releases with the given keys and
// of every release that depends on one of them, directly or transitively,
// in one walk.
func (g *Graph) downstreamOf(keys map[string]bool) []int {
	seen := make([]bool, len(g.keys))
	var order []int
	for k := range keys {
		if n, ok := g.index[k]; ok && !seen[n] {
			seen[n] = true
			order = append(order, n)
		}
	}
	for i := 0; i < len(order); i++ {
		for _, ei := range g.in[order[i]] {
			if c := int(g.ends[ei].c); c >= 0 && !seen[c] {
				seen[c] = true
				order = append(order, c)
			}
		}
	}
	return slices.DeleteFunc(order, func(n int) bool { return g.releases[n] == nil })
}

// riskDiff compares two AtRisk answers.
func riskDiff(before, after map[Ref]*Risk, g *Graph) (newly, no []Ref) {
	for ref := range after {
		if before[ref] == nil {
			newly = append(newly, ref)
		}
	}
	for ref := range before {
		if after[ref] == nil && g.Release(ref) != nil {
			no = append(no, ref)
		}
	}
	byKey := func(a, b Ref) int { return cmp.Compare(a.Key(), b.Key()) }
	slices.SortFunc(newly, byKey)
	slices.SortFunc(no, byKey)
	return newly, no
}
