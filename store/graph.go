package store

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
)

// Graph is a read-only view of releases, external items and dependencies,
// built once per question. Its methods are pure: they answer as of the date
// they are given and never read a clock.
type Graph struct {
	keys      []string              // node index → provider key
	index     map[string]int        // provider key → node index
	releases  []*Release            // node index → release (nil for external items)
	externals []*External           // node index → external item (nil for releases)
	deps      []Dependency          // edges
	ends      []ends                // edge → its consumer and provider nodes (-1: unknown)
	out       [][]int               // node → edges where it is the consumer
	in        [][]int               // node → edges where it is the provider
	rels      []*Release            // every release, in key order
	byProduct map[string][]*Release // product → its releases, in key order

	// A Graph a transaction changed shares with its predecessor whatever
	// the change did not touch (graphdelta.go). Node indexes are then no
	// longer in key order (added nodes come last), and a removed or
	// replaced edge stays in deps, gone and with ends -1 (so, like a
	// dangling edge, it is ignored by every question); out and in lists
	// stay in the order of the edges' keys.
	gone      []bool        // edge → removed (shorter than deps: the rest are not)
	ngone     int           // how many edges are gone
	depsClaim *atomic.Int64 // entries of deps' backing array in use, if this Graph may append to it

	riskMu  sync.Mutex
	riskDay Date
	risk    map[Ref]*Risk

	byDate    sync.Once
	dated     []*Release
	datedDone atomic.Bool // dated is sorted: a changed Graph can start from it
}

// ends are the node indexes of an edge's consumer and provider.
type ends struct{ c, p int32 }

// NewGraph indexes the given releases, external items and dependencies. An
// edge whose consumer or provider is missing is kept but ignored by every
// question.
func NewGraph(releases []Release, externals []External, deps []Dependency) *Graph {
	return newGraph(releases, externals, deps, false)
}

// newGraph is NewGraph; owned says the Graph may append to deps' backing
// array (the caller does not use it).
func newGraph(releases []Release, externals []External, deps []Dependency, owned bool) *Graph {
	n := len(releases) + len(externals)
	g := &Graph{
		keys:      make([]string, 0, n),
		index:     make(map[string]int, n),
		releases:  make([]*Release, 0, n),
		externals: make([]*External, 0, n),
		deps:      deps,
		byProduct: make(map[string][]*Release),
		rels:      make([]*Release, 0, len(releases)),
	}
	for i := range releases {
		r := &releases[i]
		g.add(r.Key(), r, nil)
		g.byProduct[r.Product] = append(g.byProduct[r.Product], r)
		g.rels = append(g.rels, r)
	}
	for i := range externals {
		x := &externals[i]
		g.add("ext:"+ExternalKey(x.Name), nil, x)
	}
	g.out = make([][]int, len(g.keys))
	g.in = make([][]int, len(g.keys))
	g.ends = make([]ends, len(deps))
	for i := range deps {
		c, ok1 := g.index[deps[i].Consumer.Key()]
		p, ok2 := g.index[deps[i].ProviderKey()]
		g.ends[i] = ends{-1, -1}
		if !ok1 || !ok2 || g.releases[c] == nil {
			continue
		}
		g.ends[i] = ends{int32(c), int32(p)}
		g.out[c] = append(g.out[c], i)
		g.in[p] = append(g.in[p], i)
	}
	if owned {
		g.depsClaim = new(atomic.Int64)
		g.depsClaim.Store(int64(len(deps)))
	}
	return g
}

func (g *Graph) add(key string, r *Release, x *External) {
	g.index[key] = len(g.keys)
	g.keys = append(g.keys, key)
	g.releases = append(g.releases, r)
	g.externals = append(g.externals, x)
}

// Release returns the release with the given reference, or nil.
func (g *Graph) Release(ref Ref) *Release {
	if i, ok := g.index[ref.Key()]; ok {
		return g.releases[i]
	}
	return nil
}

// Releases returns every release. The slice and releases are shared.
func (g *Graph) Releases() []*Release { return g.rels }

// ReleasesByDate returns every release ordered by date (the ship date once
// shipped, else the target), then product and version. It is sorted once per
// Graph; the slice is shared.
func (g *Graph) ReleasesByDate() []*Release {
	g.byDate.Do(func() {
		g.dated = slices.Clone(g.rels)
		slices.SortFunc(g.dated, CompareByDate)
		g.datedDone.Store(true)
	})
	return g.dated
}

// CompareByDate orders releases by date, then product, then version.
func CompareByDate(a, b *Release) int {
	return cmp.Or(a.Date().Sub(b.Date()), cmp.Compare(a.Product, b.Product), cmp.Compare(a.Version, b.Version))
}

// ReleasesOf returns the releases of one product. The slice is shared.
func (g *Graph) ReleasesOf(product string) []*Release { return g.byProduct[product] }

// External returns the external item with the given name, or nil.
func (g *Graph) External(name string) *External {
	if i, ok := g.index["ext:"+ExternalKey(name)]; ok {
		return g.externals[i]
	}
	return nil
}

// Dependencies returns the edges where ref is the consumer.
func (g *Graph) Dependencies(ref Ref) []Dependency {
	i, ok := g.index[ref.Key()]
	if !ok {
		return nil
	}
	out := make([]Dependency, 0, len(g.out[i]))
	for _, e := range g.out[i] {
		out = append(out, g.deps[e])
	}
	return out
}

// Dependents returns the edges whose provider is the given provider key
// (a release key, or "ext:" and an external key).
func (g *Graph) Dependents(providerKey string) []Dependency {
	i, ok := g.index[providerKey]
	if !ok {
		return nil
	}
	out := make([]Dependency, 0, len(g.in[i]))
	for _, e := range g.in[i] {
		out = append(out, g.deps[e])
	}
	return out
}

// EdgeKind is where a dependency stands as of a date. Every edge has exactly
// one, computed by Graph.EdgeState; every view renders it the same way.
type EdgeKind uint8

// Edge kinds.
const (
	// OnTrack: the provider is expected on or before the needed-by date,
	// which has not passed. Slack says how many days are to spare.
	OnTrack EdgeKind = iota
	// Late: the provider's date is after the needed-by date, which has not
	// passed yet. DaysLate says by how much.
	Late
	// Overdue: the needed-by date has passed and the provider release has
	// not shipped (whatever its target says).
	Overdue
	// ProviderCancelled: the provider release was cancelled.
	ProviderCancelled
	// Delivered: the provider release shipped (for an edge in a stage:
	// reached that stage), or the external item's due date has come
	// (external items count as delivered on their due date).
	Delivered
	// NotNeeded: the consumer is shipped or cancelled and waits for nothing;
	// its edges no longer put anything at risk.
	NotNeeded
)

// Edge is the state of one dependency as of a date.
type Edge struct {
	Dependency
	Kind            EdgeKind
	NeededBy        Date   // the edge's needed-by date, or the consumer's target
	ProviderDate    Date   // the provider's (expected or actual) date
	ProviderName    string // payments@2.3.0, or the external item's name
	ProviderOverdue bool   // the provider release is planned and past its own target
	ConsumerStatus  Status // the consumer's status
	// Slack is the needed-by date minus the day the provider is expected, in
	// days. An unshipped release cannot ship before today, so its expected
	// day is the later of its target and today: an overdue provider never
	// shows days to spare it does not have. Negative when late or overdue.
	Slack     int
	Slipped   bool // Late, Overdue or ProviderCancelled: the consumer is at risk
	Overdue   bool // Kind == Overdue
	Cancelled bool // the provider release was cancelled (whatever the consumer's status)
	Delivered bool // the provider release shipped, or the external item's due date has come
}

// DaysLate is how many days after the needed-by date the provider arrives
// at the earliest (0 if it is not late).
func (e Edge) DaysLate() int { return max(0, -e.Slack) }

// EdgeState evaluates dependency d as of today. ok is false when the
// consumer or provider is unknown.
func (g *Graph) EdgeState(d Dependency, today Date) (Edge, bool) {
	c, ok1 := g.index[d.Consumer.Key()]
	p, ok2 := g.index[d.ProviderKey()]
	if !ok1 || !ok2 || g.releases[c] == nil {
		return Edge{}, false
	}
	return g.edge(d, c, p, today), true
}

// edge is the one definition of an edge's state.
func (g *Graph) edge(d Dependency, c, p int, today Date) Edge {
	consumer := g.releases[c]
	e := Edge{Dependency: d, NeededBy: d.NeededBy, ConsumerStatus: consumer.Status}
	if e.NeededBy.IsZero() {
		e.NeededBy = consumer.Target
	}
	expected := today // the earliest an undelivered provider can arrive
	if r := g.releases[p]; r != nil {
		e.ProviderName = g.keys[p]
		e.Cancelled = r.Status == Cancelled
		// An edge in a stage compares with the provider's date for that
		// stage and is delivered when it reaches it; without one (or one
		// the provider's pipeline dropped), with its production date.
		e.ProviderDate, e.Delivered = r.StageDate(d.Stage)
		e.ProviderOverdue = r.Status == Planned && !e.Delivered && e.ProviderDate.Before(today)
	} else {
		x := g.externals[p]
		e.ProviderName = x.Name
		e.ProviderDate = x.Due
		e.Delivered = !x.Due.After(today)
	}
	if e.Delivered || e.Cancelled || e.ProviderDate.After(today) {
		expected = e.ProviderDate
	}
	e.Slack = e.NeededBy.Sub(expected)
	switch {
	case consumer.Status != Planned && !e.Delivered:
		e.Kind = NotNeeded // a shipped or cancelled consumer no longer waits for anything
	case e.Delivered:
		e.Kind = Delivered
	case e.Cancelled:
		e.Kind = ProviderCancelled
	case e.NeededBy.Before(today):
		e.Kind = Overdue
	case e.Slack < 0:
		e.Kind = Late
	default:
		e.Kind = OnTrack
	}
	e.Overdue = e.Kind == Overdue
	e.Slipped = e.Kind == Late || e.Kind == Overdue || e.Kind == ProviderCancelled
	return e
}

// Slips returns every slipped edge as of today, ordered by consumer and
// provider.
func (g *Graph) Slips(today Date) []Edge {
	var out []Edge
	for c, edges := range g.out {
		if g.releases[c] == nil || g.releases[c].Status != Planned {
			continue
		}
		for _, ei := range edges {
			if e := g.edge(g.deps[ei], c, int(g.ends[ei].p), today); e.Slipped {
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b Edge) int { return cmp.Compare(a.Key(), b.Key()) })
	return out
}

// Risk says why a release is at risk: its own slipped dependencies, and
// the at-risk releases it depends on.
type Risk struct {
	Release *Release
	Slips   []Edge // direct dependencies that slipped
	Via     []Ref  // direct providers that are themselves at risk
}

// AtRisk returns, for every planned release that is at risk as of today, why
// it is. A release is at risk when any dependency of it, direct or
// transitive, has slipped. The result is computed once per date and shared:
// callers must not modify it.
func (g *Graph) AtRisk(today Date) map[Ref]*Risk {
	g.riskMu.Lock()
	defer g.riskMu.Unlock()
	if g.risk != nil && g.riskDay == today {
		return g.risk
	}
	g.risk, g.riskDay = g.atRisk(today), today
	return g.risk
}

func (g *Graph) atRisk(today Date) map[Ref]*Risk {
	risks := make(map[Ref]*Risk)
	var queue []int
	for _, e := range g.Slips(today) {
		c := g.index[e.Consumer.Key()]
		r, ok := risks[e.Consumer]
		if !ok {
			r = &Risk{Release: g.releases[c]}
			risks[e.Consumer] = r
			queue = append(queue, c)
		}
		r.Slips = append(r.Slips, e)
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, ei := range g.in[p] {
			c := int(g.ends[ei].c)
			rel := g.releases[c]
			if rel == nil || rel.Status != Planned {
				continue
			}
			r, ok := risks[rel.Ref]
			if !ok {
				r = &Risk{Release: rel}
				risks[rel.Ref] = r
				queue = append(queue, c)
			}
			if pr := g.releases[p]; pr != nil && !slices.Contains(r.Via, pr.Ref) {
				r.Via = append(r.Via, pr.Ref)
			}
		}
	}
	return risks
}

// Impacted is one release downstream of a provider.
type Impacted struct {
	Release  *Release
	Via      string // the provider key through which it depends on the root
	Depth    int    // 1 for direct dependents
	NeededBy Date   // needed-by date of the edge to Via
	Slack    int    // slack in days of that edge (the smallest among edges into the downstream set)
	Slipped  bool   // that edge has slipped
	AtRisk   bool   // the release is at risk as of today, for any reason
}

// Impact returns every release downstream of the provider with the given key
// (a release key, or "ext:" and an external key) — everything that depends on
// it directly or transitively — ordered by depth, then slack, then name. Each
// carries the slack of its tightest edge into the downstream set.
func (g *Graph) Impact(providerKey string, today Date) []Impacted {
	root, ok := g.index[providerKey]
	if !ok {
		return nil
	}
	depth := make([]int32, len(g.keys))
	for i := range depth {
		depth[i] = -1
	}
	depth[root] = 0
	order := []int{root}
	for i := 0; i < len(order); i++ {
		p := order[i]
		for _, ei := range g.in[p] {
			if c := int(g.ends[ei].c); depth[c] < 0 {
				depth[c] = depth[p] + 1
				order = append(order, c)
			}
		}
	}
	risks := g.AtRisk(today)
	out := make([]Impacted, 0, len(order)-1)
	for _, c := range order[1:] {
		rel := g.releases[c]
		item := Impacted{Release: rel, Depth: int(depth[c])}
		first := true
		for _, ei := range g.out[c] {
			p := int(g.ends[ei].p)
			if depth[p] < 0 {
				continue
			}
			e := g.edge(g.deps[ei], c, p, today)
			if first || e.Slack < item.Slack {
				item.Via, item.NeededBy, item.Slack, item.Slipped = g.keys[p], e.NeededBy, e.Slack, e.Slipped
				first = false
			}
		}
		_, item.AtRisk = risks[rel.Ref]
		out = append(out, item)
	}
	slices.SortStableFunc(out, func(a, b Impacted) int {
		return cmp.Or(cmp.Compare(a.Depth, b.Depth), cmp.Compare(a.Slack, b.Slack),
			cmp.Compare(a.Release.Product, b.Release.Product), cmp.Compare(a.Release.Version, b.Release.Version))
	})
	return out
}

// Cycle returns the cycle that the edge consumer → provider would close, as
// a path that starts and ends at consumer (consumer, provider, …, consumer),
// or nil if the edge is safe. A release depending on itself is a cycle of
// length one.
func (g *Graph) Cycle(consumer, provider Ref) []Ref {
	if consumer == provider {
		return []Ref{consumer, consumer}
	}
	start, ok1 := g.index[provider.Key()]
	target, ok2 := g.index[consumer.Key()]
	if !ok1 || !ok2 {
		return nil
	}
	prev := map[int]int{start: -1}
	queue := []int{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n == target {
			var path []Ref
			for at := n; at != -1; at = prev[at] {
				path = append(path, g.releases[at].Ref)
			}
			slices.Reverse(path) // provider … consumer
			return append([]Ref{consumer}, path...)
		}
		for _, ei := range g.out[n] {
			p := int(g.ends[ei].p)
			if g.releases[p] == nil {
				continue
			}
			if _, seen := prev[p]; !seen {
				prev[p] = n
				queue = append(queue, p)
			}
		}
	}
	return nil
}
