package render

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"relman/store"
)

// externalLane is the lane of the external items, last.
const externalLane = "external items"

// NewTimeline composes the timeline of products (none: every product) as
// of today, weeks ahead (TimelineBack days back): every release of theirs
// dated in the window that is not cancelled, and, one hop away, what those
// depend on and what depends on them (in their own lanes, even when dated
// outside the window or cancelled: a renderer pins those to the window's
// edge), the dependencies among them with their state, and the freezes
// that touch the window and the lanes. Edges whose consumer no longer waits
// (shipped or cancelled) are left out. It is pure.
func NewTimeline(g *store.Graph, freezes []store.Freeze, products []string, today store.Date, weeks int) *store.Timeline {
	from, to := today.AddDays(-TimelineBack), today.AddDays(7*weeks)
	t := &store.Timeline{
		Title: "Release timeline · " + ProductList(products) + " · " + today.Pretty(),
		From:  from, To: to, Today: today,
	}
	covers := func(p string) bool { return len(products) == 0 || slices.Contains(products, p) }
	up := g.Upstream(today)

	type entry struct {
		lane string
		item store.TimelineItem
	}
	seen := map[string]bool{}
	var entries []entry
	addRelease := func(r *store.Release) {
		if seen[r.Key()] {
			return
		}
		seen[r.Key()] = true
		kind := store.ItemPlanned
		switch {
		case r.Status == store.Shipped:
			kind = store.ItemShipped
		case r.Status == store.Cancelled:
			kind = store.ItemCancelled
		case r.OverdueOn(today):
			kind = store.ItemOverdue
		case up.AtRisk(r.Ref):
			kind = store.ItemAtRisk
		}
		entries = append(entries, entry{r.Product, store.TimelineItem{Key: r.Key(), Label: r.Version, Date: r.Date(), Kind: kind}})
		if r.Status == store.Cancelled {
			return
		}
		// Its stages with a date of their own (planned or reached), on its
		// lane: "4.2.0 test".
		for _, st := range r.Stages {
			if st.Planned.IsZero() && st.Reached.IsZero() {
				continue
			}
			d, reached := r.StageDate(st.Name)
			if d.Before(from) || d.After(to) {
				continue
			}
			sk := store.ItemPlanned
			if reached {
				sk = store.ItemShipped
			} else if d.Before(today) {
				sk = store.ItemOverdue
			}
			entries = append(entries, entry{r.Product, store.TimelineItem{Key: stageKey(r.Key(), st.Name), Label: r.Version + " " + st.Name, Date: d, Kind: sk}})
		}
	}
	var core []*store.Release
	for _, r := range g.ReleasesByDate() {
		if r.Status == store.Cancelled || !covers(r.Product) || r.Date().Before(from) {
			continue
		}
		if r.Date().After(to) {
			break // by date
		}
		core = append(core, r)
		addRelease(r)
	}
	var edges []store.Edge
	edgeSeen := map[string]bool{}
	addEdge := func(d store.Dependency) {
		if edgeSeen[d.Key()] {
			return
		}
		edgeSeen[d.Key()] = true
		e, ok := g.EdgeState(d, today)
		if ok && e.Kind != store.NotNeeded && e.ConsumerStatus != store.Cancelled {
			edges = append(edges, e)
		}
	}
	for _, r := range core {
		for _, d := range g.Dependencies(r.Ref) {
			addEdge(d)
		}
		for _, d := range g.Dependents(r.Key()) {
			addEdge(d)
		}
	}
	for _, e := range edges {
		if c := g.Release(e.Consumer); c != nil {
			addRelease(c)
		}
		key := e.ProviderKey()
		if seen[key] {
			continue
		}
		if e.IsExternal() {
			seen[key] = true
			entries = append(entries, entry{externalLane, store.TimelineItem{Key: key, Label: e.ProviderName, Date: e.ProviderDate, Kind: store.ItemExternal}})
		} else if p := g.Release(e.Provider); p != nil {
			addRelease(p)
		}
	}

	// Caps: the earliest items and the first lanes stay.
	var notes []string
	slices.SortStableFunc(entries, func(a, b entry) int { return cmp.Or(a.item.Date.Sub(b.item.Date), cmp.Compare(a.item.Key, b.item.Key)) })
	if n := len(entries) - TimelineMaxItems; n > 0 {
		entries = entries[:TimelineMaxItems]
		notes = append(notes, Plural(n, "later release")+" left out")
	}
	lanes := map[string]*store.TimelineLane{}
	var names []string
	for _, e := range entries {
		l := lanes[e.lane]
		if l == nil {
			l = &store.TimelineLane{Name: e.lane}
			lanes[e.lane] = l
			names = append(names, e.lane)
		}
		l.Items = append(l.Items, e.item)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(boolInt(a == externalLane), boolInt(b == externalLane)), cmp.Compare(a, b))
	})
	if n := len(names) - TimelineMaxLanes; n > 0 {
		names = names[:TimelineMaxLanes]
		notes = append(notes, Plural(n, "more product")+" left out: name the products to draw")
	}
	kept := map[string]bool{}
	for _, name := range names {
		l := lanes[name]
		t.Lanes = append(t.Lanes, *l)
		for _, it := range l.Items {
			kept[it.Key] = true
		}
	}
	slices.SortStableFunc(edges, func(a, b store.Edge) int { return cmp.Compare(a.Key(), b.Key()) })
	for _, e := range edges {
		if !kept[e.ProviderKey()] || !kept[e.Consumer.Key()] {
			continue
		}
		te := store.TimelineEdge{From: e.ProviderKey(), To: e.Consumer.Key(), NeededBy: e.NeededBy, Slipped: e.Slipped, DaysLate: e.DaysLate()}
		if k := stageKey(e.ProviderKey(), e.Stage); inStage(e) && kept[k] {
			te.From = k // from the stage it is needed in
		}
		switch {
		case e.Kind == store.ProviderCancelled:
			te.Label = "provider cancelled"
		case e.Slipped:
			te.Label = strconv.Itoa(e.DaysLate()) + "d late"
		}
		if inStage(e) { // the stage it is needed in: "in test", "in test · 2d late"
			te.Label = strings.TrimSuffix("in "+e.Stage+" · "+te.Label, " · ")
		}
		t.Edges = append(t.Edges, te)
	}
	for _, f := range freezes {
		if f.To.Before(from) || f.From.After(to) {
			continue
		}
		tf := store.TimelineFreeze{Name: f.Name(), From: f.From, To: f.To}
		if !f.All() {
			for _, name := range names {
				if f.Covers(name) {
					tf.Lanes = append(tf.Lanes, name)
				}
			}
			if len(tf.Lanes) == 0 {
				continue
			}
		}
		t.Freezes = append(t.Freezes, tf)
	}
	if len(notes) > 0 {
		t.Note = strings.Join(notes, "; ")
	}
	return t
}

// stageKey is the timeline key of a release's stage.
func stageKey(releaseKey, stage string) string { return releaseKey + " in " + stage }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// timelineLaneLimit caps the items TimelineDoc lists per lane.
const timelineLaneLimit = 12

// TimelineDoc is the text of a timeline: what its picture shows, lane by
// lane, and its slipped dependencies. It stands on its own when the
// picture cannot be posted.
func TimelineDoc(t *store.Timeline) store.Doc {
	b := NewDoc(t.Title)
	b.Context(fmt.Sprintf("%s to %s · today %s · %s", t.From.Pretty(), t.To.Pretty(), t.Today.Pretty(), Plural(t.Items(), "item")))
	labels := map[string]string{}
	for _, l := range t.Lanes {
		for _, it := range l.Items {
			labels[it.Key] = it.Label
		}
	}
	var slips []string
	for _, e := range t.Edges {
		if e.Slipped {
			slips = append(slips, fmt.Sprintf("• %s needs %s by %s: *%s*", timelineName(e.To, labels), timelineName(e.From, labels), e.NeededBy.Pretty(), e.Label))
		}
	}
	if len(slips) > 0 {
		b.Lines(append([]string{"*:link: Slipped dependencies*"}, slips...))
	}
	var lanes []string
	for _, l := range t.Lanes {
		var items []string
		for _, it := range l.Items[:min(len(l.Items), timelineLaneLimit)] {
			s := Escape(it.Label) + " " + it.Date.String()
			switch it.Kind {
			case store.ItemAtRisk:
				s += " :warning:"
			case store.ItemOverdue:
				s += " (overdue)"
			case store.ItemShipped:
				s += " :white_check_mark:"
			case store.ItemCancelled:
				s += " (cancelled)"
			}
			items = append(items, s)
		}
		if n := len(l.Items) - timelineLaneLimit; n > 0 {
			items = append(items, fmt.Sprintf("and %d more", n))
		}
		lanes = append(lanes, "*"+Escape(l.Name)+"* — "+strings.Join(items, " · "))
	}
	b.Lines(lanes)
	for _, f := range t.Freezes {
		scope := "all products"
		if len(f.Lanes) > 0 {
			scope = AndList(f.Lanes)
		}
		b.Lines([]string{fmt.Sprintf("Freeze %s: %s, %s to %s", f.Name, scope, f.From.Pretty(), f.To.Pretty())})
	}
	if t.Note != "" {
		b.Context(Escape(t.Note) + ".")
	}
	return b.Build()
}

// timelineName renders an item key of a timeline: a release in bold, an
// external item quoted.
func timelineName(key string, labels map[string]string) string {
	if strings.HasPrefix(key, "ext:") {
		return "external “" + Escape(labels[key]) + "”"
	}
	return "*" + key + "*"
}

// Timeline is the picture a digest of sub carries (Message.Picture): the
// timeline of its products, TimelineWeeks ahead, when the digest lists a
// release at risk; nil otherwise.
func (dg *Digester) Timeline(sub *store.Subscription, freezes []store.Freeze) *store.Timeline {
	d := &digestData{Digester: dg, sub: sub}
	d.scope()
	if _, n := d.atRisk(0); n == 0 {
		return nil
	}
	t := NewTimeline(dg.g, freezes, sub.Products, dg.today, TimelineWeeks)
	if t.Items() == 0 {
		return nil
	}
	return t
}

// Timeline bounds (SPEC §2 `/release timeline`).
const (
	// TimelineBack is how many days before today a timeline shows.
	TimelineBack = 14
	// TimelineWeeks is how many weeks after today a timeline shows unless
	// `weeks N` says otherwise; TimelineMaxWeeks bounds N.
	TimelineWeeks    = 8
	TimelineMaxWeeks = 52
	// TimelineMaxItems bounds the items of a picture: beyond, the latest
	// are left out and the picture's note says how many.
	TimelineMaxItems = 400
	// TimelineMaxLanes bounds its lanes (products) likewise.
	TimelineMaxLanes = 30
)
