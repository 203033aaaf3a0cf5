package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
	"relman/store/boltdb"
)

// graphView is what a Graph answers through its exported methods, for every
// key the test has ever used (so a removed release that lingers shows).
type graphView struct {
	Releases  []*store.Release
	ByDate    []store.Ref
	Lookup    map[string]*store.Release
	Products  map[string][]*store.Release
	Out       map[string][]store.Dependency
	In        map[string][]store.Dependency
	Externals map[string]*store.External
	Slips     []store.Edge
	Requests  []store.Edge
	AtRisk    map[store.Ref]*store.Risk
	Impact    map[string][]store.Impacted
	// What show and impact ask (store/risk.go).
	UpAtRisk   map[string]bool
	Causes     map[string][]store.Cause
	Downstream map[string][]store.Downstream
}

func viewGraph(g *store.Graph, refs []store.Ref, externals, products []string, today store.Date) graphView {
	v := graphView{
		Releases: g.Releases(), Lookup: map[string]*store.Release{}, Products: map[string][]*store.Release{},
		Out: map[string][]store.Dependency{}, In: map[string][]store.Dependency{}, Externals: map[string]*store.External{},
		Slips: g.Slips(today), Requests: g.Requests(today), AtRisk: g.AtRisk(today), Impact: map[string][]store.Impacted{},
		UpAtRisk: map[string]bool{}, Causes: map[string][]store.Cause{}, Downstream: map[string][]store.Downstream{},
	}
	up := g.Upstream(today)
	for _, r := range g.ReleasesByDate() {
		v.ByDate = append(v.ByDate, r.Ref)
	}
	for _, ref := range refs {
		v.Lookup[ref.Key()] = g.Release(ref)
		v.Out[ref.Key()] = g.Dependencies(ref)
		v.In[ref.Key()] = g.Dependents(ref.Key())
		v.Impact[ref.Key()] = g.Impact(ref.Key(), today)
		v.UpAtRisk[ref.Key()] = up.AtRisk(ref)
		v.Causes[ref.Key()], _ = up.Causes(ref, 20)
		v.Downstream[ref.Key()] = g.Downstream(ref.Key(), today)
	}
	for _, name := range externals {
		key := "ext:" + store.ExternalKey(name)
		v.Externals[name] = g.External(name)
		v.In[key] = g.Dependents(key)
		v.Impact[key] = g.Impact(key, today)
		v.Downstream[key] = g.Downstream(key, today)
	}
	for _, p := range products {
		v.Products[p] = g.ReleasesOf(p)
	}
	return v
}

// graphOps changes a store at random, as commands would: releases added,
// moved, shipped, cancelled, renamed and deleted; dependencies added,
// changed and removed (some left dangling); external items created,
// confirmed and deleted; products touched; outbox writes.
type graphOps struct {
	t         *testing.T
	rng       *rand.Rand
	refs      []store.Ref // every release key that may be used
	externals []string    // names, in several spellings
	products  []string
	today     store.Date
}

func newGraphOps(t *testing.T, seed uint64) *graphOps {
	o := &graphOps{t: t, rng: rand.New(rand.NewPCG(seed, 6)), today: MustDate(t, "2027-03-01")}
	for p := range 4 {
		o.products = append(o.products, fmt.Sprintf("app%d", p))
		for v := range 6 {
			o.refs = append(o.refs, store.Ref{Product: fmt.Sprintf("app%d", p), Version: fmt.Sprintf("1.%d", v)})
		}
	}
	o.products = append(o.products, "app") // a prefix of the others' keys
	o.refs = append(o.refs, store.Ref{Product: "app", Version: "1"}, store.Ref{Product: "app", Version: "1.0"})
	o.externals = []string{"Vendor A", "vendor  a", "Stripe SDK", "Partner API"}
	return o
}

func (o *graphOps) ref() store.Ref   { return o.refs[o.rng.IntN(len(o.refs))] }
func (o *graphOps) external() string { return o.externals[o.rng.IntN(len(o.externals))] }
func (o *graphOps) date() store.Date { return o.today.AddDays(o.rng.IntN(60) - 30) }
func (o *graphOps) neededBy() store.Date {
	if o.rng.IntN(3) == 0 {
		return o.date()
	}
	return store.Date{}
}

// The stages the random changes plan, promote and need, and the
// pipelines they give releases.
var (
	graphStages    = []string{"build", "test", "staging", "qa"}
	graphPipelines = [][]string{{"test", "production"}, {"build", "test", "staging", "production"}, {"test", "staging", "production"}}
)

// step makes one random change in tx and describes it.
func (o *graphOps) step(tx *store.Tx) (string, error) {
	ref := o.ref()
	r, err := tx.Release(ref)
	if store.ErrorCode(err) == store.ENotFound {
		r, err = nil, nil
	}
	if err != nil {
		return "", err
	}
	switch op := o.rng.IntN(17); {
	case op < 2 || r == nil && op < 7:
		nr := &store.Release{Ref: ref, Target: o.date(), Owner: "UOWNER", Status: store.Planned, CreatedAt: t0, CreatedBy: "UOWNER"}
		return "add " + ref.Key(), tx.PutRelease("release.add", nr)
	case r == nil:
		return "delete missing " + ref.Key(), tx.DeleteRelease("release.delete", ref)
	case op < 4:
		r.Target = o.date()
		return "move " + ref.Key(), tx.PutRelease("release.move", r)
	case op == 4:
		r.Status, r.ShippedOn = store.Shipped, o.date()
		return "ship " + ref.Key(), tx.PutRelease("release.ship", r)
	case op == 5:
		r.Status = store.Cancelled
		return "cancel " + ref.Key(), tx.PutRelease("release.cancel", r)
	case op == 6:
		// Deleted with its own dependencies, or (as a careless caller
		// would) leaving them dangling.
		if o.rng.IntN(2) == 0 {
			ds, err := tx.DependenciesOf(ref)
			if err != nil {
				return "", err
			}
			for i := range ds {
				if err := tx.DeleteDependency("dependency.delete", &ds[i]); err != nil {
					return "", err
				}
			}
		}
		return "delete " + ref.Key(), tx.DeleteRelease("release.delete", ref)
	case op == 7:
		to := o.ref()
		if _, err := tx.Release(to); err == nil {
			return "rename onto existing", nil
		}
		ds, err := tx.DependenciesOf(ref)
		if err != nil {
			return "", err
		}
		for i := range ds {
			if err := tx.DeleteDependency("release.rename", &ds[i]); err != nil {
				return "", err
			}
			ds[i].Consumer = to
			if err := tx.PutDependency("release.rename", &ds[i]); err != nil {
				return "", err
			}
		}
		if err := tx.DeleteRelease("release.rename", ref); err != nil {
			return "", err
		}
		r.Ref = to
		return "rename " + ref.Key() + " " + to.Key(), tx.PutRelease("release.rename", r)
	case op < 10:
		d := &store.Dependency{Consumer: ref, NeededBy: o.neededBy(), CreatedAt: t0, CreatedBy: "UOWNER"}
		if o.rng.IntN(4) == 0 {
			d.External = store.ExternalKey(o.external())
		} else {
			d.Provider = o.ref()    // may not exist: a dangling edge
			if o.rng.IntN(3) == 0 { // needed in a stage, maybe one the provider lacks
				d.Stage = graphStages[o.rng.IntN(len(graphStages))]
			}
		}
		if !d.NeededBy.IsZero() {
			d.Request(t0, "UOWNER")
		}
		return "depend " + d.Key(), tx.PutDependency("dependency.add", d)
	case op == 10:
		ds, err := tx.Dependencies()
		if err != nil || len(ds) == 0 {
			return "undepend none", err
		}
		d := &ds[o.rng.IntN(len(ds))]
		return "undepend " + d.Key(), tx.DeleteDependency("dependency.delete", d)
	case op == 11:
		name := o.external()
		x, err := tx.External(name)
		if store.ErrorCode(err) == store.ENotFound {
			x, err = &store.External{Name: name, Owner: "UVENDOR", CreatedAt: t0, CreatedBy: "UVENDOR"}, nil
		}
		if err != nil {
			return "", err
		}
		x.Due, x.LastConfirmed = o.date(), t0
		return "confirm " + name, tx.PutExternal("external.confirm", x)
	case op == 12:
		name := o.external()
		return "delete external " + name, tx.DeleteExternal("external.delete", name)
	case op == 13:
		// The provider answers a request, or the consumer accepts.
		ds, err := tx.Dependencies()
		if err != nil || len(ds) == 0 {
			return "answer none", err
		}
		d := &ds[o.rng.IntN(len(ds))]
		switch d.Handshake {
		case store.HandshakeRequested:
			if o.rng.IntN(2) == 0 {
				d.Commit(t0, "UPROVIDER")
			} else {
				d.Counter(o.date(), "later", t0, "UPROVIDER")
			}
		case store.HandshakeCountered:
			d.Accept()
		default:
			d.Request(t0, "UOWNER")
		}
		return "answer " + d.Key(), tx.PutDependency("dependency.answer", d)
	case op == 15:
		// A new pipeline, sometimes, then a stage's planned date (refused
		// ones change nothing).
		if o.rng.IntN(3) == 0 {
			r.SetPipeline(graphPipelines[o.rng.IntN(len(graphPipelines))])
		}
		stage := graphStages[o.rng.IntN(len(graphStages))]
		_, err := r.PlanStage(stage, o.date())
		return "plan " + ref.Key() + " " + stage + fmt.Sprintf(" (%v)", err != nil), tx.PutRelease("release.stage", r)
	case op == 16:
		stage := graphStages[o.rng.IntN(len(graphStages))]
		_, err := r.Promote(stage, o.date(), "UOWNER")
		return "promote " + ref.Key() + " " + stage + fmt.Sprintf(" (%v)", err != nil), tx.PutRelease("release.promote", r)
	default:
		if o.rng.IntN(2) == 0 {
			return "enqueue", tx.Enqueue(&store.Message{Channel: "C1", Doc: store.Doc{Text: "hi"}})
		}
		return "touch product", tx.PutProduct("product.touch", &store.Product{Name: ref.Product})
	}
}

// scratch decodes tx's data into a new Graph.
func scratch(tb testing.TB, tx *store.Tx) *store.Graph {
	tb.Helper()
	rs, err := tx.Releases()
	if err != nil {
		tb.Fatal(err)
	}
	xs, err := tx.Externals()
	if err != nil {
		tb.Fatal(err)
	}
	ds, err := tx.Dependencies()
	if err != nil {
		tb.Fatal(err)
	}
	return store.NewGraph(rs, xs, ds)
}

// check compares g with a Graph decoded from scratch in tx.
func (o *graphOps) check(tx *store.Tx, g *store.Graph, where string) {
	o.t.Helper()
	if err := g.CheckIndexes(); err != nil {
		o.t.Fatalf("%s: %v", where, err)
	}
	want := viewGraph(scratch(o.t, tx), o.refs, o.externals, o.products, o.today)
	got := viewGraph(g, o.refs, o.externals, o.products, o.today)
	if diff := cmp.Diff(want, got, dateEq); diff != "" {
		o.t.Fatalf("%s: graph (-decoded +maintained):\n%s", where, diff)
	}
}

var errAbandon = errors.New("abandoned")

// The Graph a store maintains by applying each commit's changes to the
// previous one answers every question as one decoded from scratch, after
// random sequences of changes — one to four per transaction, read-write
// transactions asking for their Graph midway, some abandoned.
func TestGraphMaintainedEqualsDecoded(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			o := newGraphOps(t, seed)
			s, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			MustView(t, s, func(tx *store.Tx) error { _, err := tx.Graph(); return err })
			var log []string
			for step := range 200 {
				abandon := o.rng.IntN(10) == 0
				err := s.Update(ctx, "UOWNER", t0, func(tx *store.Tx) error {
					for range 1 + o.rng.IntN(4) {
						what, err := o.step(tx)
						if err != nil {
							return fmt.Errorf("%s: %w", what, err)
						}
						log = append(log, what)
						if o.rng.IntN(3) == 0 {
							g, err := tx.Graph()
							if err != nil {
								return err
							}
							o.check(tx, g, fmt.Sprintf("step %d in the transaction after %q", step, log[max(0, len(log)-8):]))
						}
					}
					if abandon {
						return errAbandon
					}
					return nil
				})
				if err != nil && !(abandon && errors.Is(err, errAbandon)) {
					t.Fatalf("step %d: %v", step, err)
				}
				gen := MustGeneration(t, s)
				if cgen, g := s.CachedGraph(); cgen != gen || g == nil {
					t.Fatalf("step %d: the store shares the Graph of generation %d (%v); the data is at %d", step, cgen, g != nil, gen)
				}
				MustView(t, s, func(tx *store.Tx) error {
					g, err := tx.Graph()
					if err != nil {
						return err
					}
					if _, cached := s.CachedGraph(); cached != g {
						t.Errorf("step %d: a read-only transaction decoded the Graph instead of using the one maintained", step)
					}
					o.check(tx, g, fmt.Sprintf("step %d after %q", step, log[max(0, len(log)-8):]))
					return nil
				})
			}
			if len(slices.Compact(slices.Sorted(slices.Values(log)))) < 20 {
				t.Errorf("only %d distinct operations ran", len(log))
			}
		})
	}
}

// Two Stores over one database, as two processes sharing it: a change
// through either is seen at once by the other's Generation and Graph, and
// neither serves a Graph it maintained from data the other has changed.
func TestStoresSharingADatabaseNeverServeStaleData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relman.db")
	kv, err := boltdb.OpenKV(path, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	var stores [2]*store.Store
	for i := range stores {
		if stores[i], err = store.New(ctx, kv, path); err != nil {
			t.Fatalf("New() = %v", err)
		}
	}
	o := newGraphOps(t, 99)
	r := MustRelease(t, "app@1", "2027-03-01")
	MustUpdate(t, stores[0], "UOWNER", t0, func(tx *store.Tx) error { return tx.PutRelease("release.add", &r) })
	for step := range 150 {
		// Both have a Graph of the current generation...
		for _, s := range stores {
			MustView(t, s, func(tx *store.Tx) error { _, err := tx.Graph(); return err })
		}
		// ...and one of them changes the data.
		by := o.rng.IntN(2)
		before := MustGeneration(t, stores[by])
		var what string
		MustUpdate(t, stores[by], "UOWNER", t0, func(tx *store.Tx) (err error) {
			what, err = o.step(tx)
			return err
		})
		after := MustGeneration(t, stores[by])
		for i, s := range stores {
			if got := MustGeneration(t, s); got != after {
				t.Fatalf("step %d (%s through store %d): store %d's Generation() = %d; the writer's is %d", step, what, by, i, got, after)
			}
			MustView(t, s, func(tx *store.Tx) error {
				g, err := tx.Graph()
				if err != nil {
					return err
				}
				o.check(tx, g, fmt.Sprintf("step %d (%s through store %d), store %d", step, what, by, i))
				return nil
			})
		}
		if what == "enqueue" && after != before || after != before && after != before+1 {
			t.Errorf("step %d (%s): generation %d → %d; want one more for a change, the same for outbox writes", step, what, before, after)
		}
	}
	// Each store decoded everything once, at its first lookup: the other's
	// changes were read from the change records, key by key.
	for i, s := range stores {
		if n := s.GraphDecodes(); n != 1 {
			t.Errorf("store %d decoded the whole graph %d times; want once", i, n)
		}
	}
}

// Readers keep reading the Graphs they got while writers apply changes to
// them: run with -race, this shows a change never writes to a Graph a
// reader may hold.
func TestMaintainedGraphIsNeverChangedUnderAReader(t *testing.T) {
	ctx := context.Background()
	s, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	o := newGraphOps(t, 7)
	stop, done := make(chan struct{}), make(chan error)
	go func() {
		var held []*store.Graph
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			err := s.View(ctx, func(tx *store.Tx) error {
				g, err := tx.Graph()
				held = append(held, g)
				return err
			})
			if err != nil {
				done <- err
				return
			}
			// Read every Graph held so far, now that writers may be
			// deriving new ones from it.
			for _, g := range held[max(0, len(held)-4):] {
				viewGraph(g, o.refs, o.externals, o.products, o.today)
			}
		}
	}()
	for range 150 {
		err := s.Update(ctx, "UOWNER", t0, func(tx *store.Tx) error {
			for range 1 + o.rng.IntN(3) {
				if _, err := o.step(tx); err != nil {
					return err
				}
				if _, err := tx.Graph(); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
