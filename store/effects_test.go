package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// world is the data of a Graph, changed by a test before it builds the
// Graph after a change.
type world struct {
	rels []store.Release
	exts []store.External
	deps []store.Dependency
}

func (w world) graph() *store.Graph { return store.NewGraph(w.rels, w.exts, w.deps) }

func (w world) clone() world {
	return world{slices.Clone(w.rels), slices.Clone(w.exts), slices.Clone(w.deps)}
}

func (w world) release(tb testing.TB, ref string) *store.Release {
	tb.Helper()
	for i := range w.rels {
		if w.rels[i].Key() == ref {
			return &w.rels[i]
		}
	}
	tb.Fatalf("no release %s", ref)
	return nil
}

func (w world) dep(tb testing.TB, key string) *store.Dependency {
	tb.Helper()
	for i := range w.deps {
		if w.deps[i].Key() == key {
			return &w.deps[i]
		}
	}
	tb.Fatalf("no dependency %q", key)
	return nil
}

// effectsWorld is three releases in a chain and an external item:
//
//	mobile@1 (03-01) → app@1 (02-01) → lib@1 (01-15), needed by 01-20
//	app@1 → external "Stripe SDK" (due 01-10), needed by 01-20
//
// As of Monday 2027-01-04 every edge is on track; app@1 → lib@1 has 5 days
// to spare.
func effectsWorld(tb testing.TB) world {
	tb.Helper()
	return world{
		rels: []store.Release{
			MustRelease(tb, "app@1", "2027-02-01"),
			MustRelease(tb, "lib@1", "2027-01-15"),
			MustRelease(tb, "mobile@1", "2027-03-01"),
		},
		exts: []store.External{MustExternal(tb, "Stripe SDK", "2027-01-10")},
		deps: []store.Dependency{
			MustDep(tb, "app@1", "lib@1", "2027-01-20"),
			MustDep(tb, "app@1", "ext:Stripe SDK", "2027-01-20"),
			MustDep(tb, "mobile@1", "app@1", ""),
		},
	}
}

// viewEdgeState renders the part of an edge a reader sees, or "-" for no
// edge, so that tests state changes as "on track 5 → late 3".
func viewEdgeState(e store.Edge) string {
	if e.Consumer == (store.Ref{}) {
		return "-"
	}
	s := e.Standing()
	var out string
	switch s.Kind {
	case store.OnTrack:
		out = fmt.Sprintf("on track %d", s.Spare)
	case store.Late:
		out = fmt.Sprintf("late %d", s.DaysLate)
	case store.Overdue:
		out = "overdue since " + s.NeededBy.String()
	case store.ProviderCancelled:
		out = "provider cancelled"
	case store.Delivered:
		out = fmt.Sprintf("delivered %d late", s.DaysLate)
	case store.NotNeeded:
		out = "not needed (" + string(s.Consumer) + ")"
	}
	if s.Handshake != "" {
		out += " · " + string(s.Handshake)
	}
	if !s.Proposed.IsZero() {
		out += " " + s.Proposed.String()
	}
	return out
}

type effectsView struct {
	Changed, NewlyAtRisk, NoLongerAtRisk, Broken []string
}

func viewEffects(fx store.Effects) effectsView {
	changes := func(cs []store.EdgeChange) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Key()+": "+viewEdgeState(c.Before)+" → "+viewEdgeState(c.After))
		}
		return out
	}
	refs := func(rs []store.Ref) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.String())
		}
		return out
	}
	return effectsView{changes(fx.Changed), refs(fx.NewlyAtRisk), refs(fx.NoLongerAtRisk), changes(fx.Broken)}
}

func TestEffectsOf(t *testing.T) {
	today := MustDate(t, "2027-01-04")
	late := func(tb testing.TB, w world) { w.release(tb, "lib@1").Target = MustDate(tb, "2027-01-23") }
	commit := func(tb testing.TB, w world) {
		w.dep(tb, "app@1 lib@1").Commit(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC), "ULIB")
	}
	tests := []struct {
		name    string
		setup   func(tb testing.TB, w world) // the world before, from effectsWorld
		change  func(tb testing.TB, w *world)
		touched []string
		want    effectsView
	}{{
		name:    "ProviderMovedLate",
		change:  func(tb testing.TB, w *world) { late(tb, *w) },
		touched: []string{"lib@1"},
		want: effectsView{
			Changed:     []string{"app@1 lib@1: on track 5 → late 3"},
			NewlyAtRisk: []string{"app@1", "mobile@1"},
		},
	}, {
		name:  "ProviderMovedBackInTime",
		setup: late,
		change: func(tb testing.TB, w *world) {
			w.release(tb, "lib@1").Target = MustDate(tb, "2027-01-15")
		},
		touched: []string{"lib@1"},
		want: effectsView{
			Changed:        []string{"app@1 lib@1: late 3 → on track 5"},
			NoLongerAtRisk: []string{"app@1", "mobile@1"},
		},
	}, {
		name:  "StillLateByMore",
		setup: late,
		change: func(tb testing.TB, w *world) {
			w.release(tb, "lib@1").Target = MustDate(tb, "2027-01-25")
		},
		touched: []string{"lib@1"},
		want:    effectsView{Changed: []string{"app@1 lib@1: late 3 → late 5"}},
	}, {
		name: "LessSpare",
		change: func(tb testing.TB, w *world) {
			w.release(tb, "lib@1").Target = MustDate(tb, "2027-01-18")
		},
		touched: []string{"lib@1"},
		want:    effectsView{Changed: []string{"app@1 lib@1: on track 5 → on track 2"}},
	}, {
		name: "ProviderMovedWithinItsSpare",
		// The consumer's other edges are untouched, and its own slack on
		// the moved one is what changes; a move of a release nobody
		// depends on changes nothing.
		change: func(tb testing.TB, w *world) {
			w.release(tb, "mobile@1").Target = MustDate(tb, "2027-03-05")
		},
		touched: []string{"mobile@1"},
		want:    effectsView{Changed: []string{"mobile@1 app@1: on track 28 → on track 32"}},
	}, {
		name: "OverdueReadsTheSameWhateverTheProviderTargets",
		setup: func(tb testing.TB, w world) {
			w.dep(tb, "app@1 lib@1").NeededBy = MustDate(tb, "2027-01-02")
			w.release(tb, "lib@1").Target = MustDate(tb, "2027-01-01")
		},
		change: func(tb testing.TB, w *world) {
			w.release(tb, "lib@1").Target = MustDate(tb, "2027-01-08")
		},
		touched: []string{"lib@1"},
		want:    effectsView{},
	}, {
		name:   "CommitmentBroken",
		setup:  commit,
		change: func(tb testing.TB, w *world) { late(tb, *w) },
		// Only the provider is named: its dependents' edges are found
		// from it.
		touched: []string{"lib@1"},
		want: effectsView{
			Changed:     []string{"app@1 lib@1: on track 5 · committed → late 3 · committed"},
			NewlyAtRisk: []string{"app@1", "mobile@1"},
			Broken:      []string{"app@1 lib@1: on track 5 · committed → late 3 · committed"},
		},
	}, {
		name: "CommittedWhenAlreadyLate",
		setup: func(tb testing.TB, w world) {
			late(tb, w)
			commit(tb, w)
		},
		change: func(tb testing.TB, w *world) {
			w.release(tb, "lib@1").Target = MustDate(tb, "2027-01-25")
		},
		touched: []string{"lib@1"},
		want:    effectsView{Changed: []string{"app@1 lib@1: late 3 · committed → late 5 · committed"}},
	}, {
		name: "CounterProposed",
		setup: func(tb testing.TB, w world) {
			w.dep(tb, "app@1 lib@1").Request(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC), "UAPP")
		},
		change: func(tb testing.TB, w *world) {
			w.dep(tb, "app@1 lib@1").Counter(MustDate(tb, "2027-01-22"), "QA", time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC), "ULIB")
		},
		touched: []string{"app@1"},
		want:    effectsView{Changed: []string{"app@1 lib@1: on track 5 · requested → on track 5 · countered 2027-01-22"}},
	}, {
		name: "ProviderCancelled",
		change: func(tb testing.TB, w *world) {
			w.release(tb, "lib@1").Status = store.Cancelled
		},
		touched: []string{"lib@1"},
		want: effectsView{
			Changed:     []string{"app@1 lib@1: on track 5 → provider cancelled"},
			NewlyAtRisk: []string{"app@1", "mobile@1"},
		},
	}, {
		name: "ProviderShipped",
		change: func(tb testing.TB, w *world) {
			r := w.release(tb, "lib@1")
			r.Status, r.ShippedOn = store.Shipped, MustDate(tb, "2027-01-04")
		},
		touched: []string{"lib@1"},
		want:    effectsView{Changed: []string{"app@1 lib@1: on track 5 → delivered 0 late"}},
	}, {
		name:  "ConsumerAtRiskOnlyThroughItsProviderShipped",
		setup: late,
		// mobile@1's own edge never slipped; it was at risk through
		// app@1, and once shipped it waits for nothing.
		change: func(tb testing.TB, w *world) {
			r := w.release(tb, "mobile@1")
			r.Status, r.ShippedOn = store.Shipped, MustDate(tb, "2027-01-04")
		},
		touched: []string{"mobile@1"},
		want: effectsView{
			Changed:        []string{"mobile@1 app@1: on track 28 → not needed (shipped)"},
			NoLongerAtRisk: []string{"mobile@1"},
		},
	}, {
		name:  "DependencyAddedOnALateProvider",
		setup: late,
		change: func(tb testing.TB, w *world) {
			w.rels = append(w.rels, MustRelease(tb, "tool@1", "2027-01-18"))
			w.deps = append(w.deps, MustDep(tb, "tool@1", "lib@1", ""))
		},
		touched: []string{"tool@1"},
		want: effectsView{
			Changed:     []string{"tool@1 lib@1: - → late 5"},
			NewlyAtRisk: []string{"tool@1"},
		},
	}, {
		name:  "DependencyAddedNamedByItsProvider",
		setup: late,
		change: func(tb testing.TB, w *world) {
			w.deps = append(w.deps, MustDep(tb, "mobile@1", "lib@1", "2027-01-20"))
		},
		// mobile@1 was at risk already (through app@1): not newly.
		touched: []string{"lib@1"},
		want:    effectsView{Changed: []string{"mobile@1 lib@1: - → late 3"}},
	}, {
		name:  "DependencyRemoved",
		setup: late,
		change: func(tb testing.TB, w *world) {
			w.deps = slices.DeleteFunc(w.deps, func(d store.Dependency) bool { return d.Key() == "app@1 lib@1" })
		},
		touched: []string{"app@1"},
		want: effectsView{
			Changed:        []string{"app@1 lib@1: late 3 → -"},
			NoLongerAtRisk: []string{"app@1", "mobile@1"},
		},
	}, {
		name:  "AtRiskReleaseDeleted",
		setup: late,
		change: func(tb testing.TB, w *world) {
			w.rels = slices.DeleteFunc(w.rels, func(r store.Release) bool { return r.Key() == "app@1" })
		},
		touched: []string{"app@1"},
		want: effectsView{
			Changed: []string{
				"app@1 ext:stripe sdk: on track 10 → -",
				"app@1 lib@1: late 3 → -",
				"mobile@1 app@1: on track 28 → -",
			},
			NoLongerAtRisk: []string{"mobile@1"},
		},
	}, {
		name: "ExternalMovedPastItsNeed",
		change: func(tb testing.TB, w *world) {
			w.exts[0].Due = MustDate(tb, "2027-01-25")
		},
		touched: []string{"ext:stripe sdk"},
		want: effectsView{
			Changed:     []string{"app@1 ext:stripe sdk: on track 10 → late 5"},
			NewlyAtRisk: []string{"app@1", "mobile@1"},
		},
	}, {
		name: "ReleaseAddedAlone",
		change: func(tb testing.TB, w *world) {
			w.rels = append(w.rels, MustRelease(tb, "tool@1", "2027-01-18"))
		},
		touched: []string{"tool@1"},
		want:    effectsView{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := effectsWorld(t)
			if tt.setup != nil {
				tt.setup(t, w)
			}
			after := w.clone()
			tt.change(t, &after)
			g0, g1 := w.graph(), after.graph()
			fx := store.EffectsOf(g0, g1, today, tt.touched...)
			if diff := cmp.Diff(tt.want, viewEffects(fx)); diff != "" {
				t.Errorf("EffectsOf(…, %q) (-want +got):\n%s", tt.touched, diff)
			}
			whole := store.EffectsOf(g0, g1, today)
			if diff := cmp.Diff(viewEffects(whole), viewEffects(fx)); diff != "" {
				t.Errorf("EffectsOf(…, %q) disagrees with EffectsOf of the whole graph (-whole +scoped):\n%s", tt.touched, diff)
			}
			if got := fx.Empty(); got != (len(tt.want.Changed) == 0) {
				t.Errorf("Empty() = %v; want %v", got, !got)
			}
		})
	}
}

// Two states of one edge have equal Standings exactly when a reader is
// shown the same words; here, kinds and the numbers each kind shows.
func TestEdgeStandingDecidesOnWhatIsShown(t *testing.T) {
	today := MustDate(t, "2027-01-04")
	w := effectsWorld(t)
	state := func(change func(w world)) store.Edge {
		w := w.clone()
		change(w)
		e, ok := w.graph().EdgeState(*w.dep(t, "app@1 lib@1"), today)
		if !ok {
			t.Fatal("EdgeState(app@1 lib@1) not found")
		}
		return e
	}
	target := func(d string) func(w world) {
		return func(w world) { w.release(t, "lib@1").Target = MustDate(t, d) }
	}
	tests := []struct {
		name string
		a, b func(w world)
		same bool
	}{
		{"NoSpareWhateverTheDate", func(w world) {
			w.release(t, "lib@1").Target = MustDate(t, "2027-01-20")
		}, func(w world) {
			w.release(t, "lib@1").Target = MustDate(t, "2027-01-20")
			w.dep(t, "app@1 lib@1").CreatedBy = "USOMEONE" // not shown
		}, true},
		{"SpareDiffers", target("2027-01-15"), target("2027-01-16"), false},
		{"LateByAsMuchFromAnotherNeed", target("2027-01-23"), func(w world) {
			w.release(t, "lib@1").Target = MustDate(t, "2027-01-24")
			w.dep(t, "app@1 lib@1").NeededBy = MustDate(t, "2027-01-21")
		}, true},
		{"LateByMore", target("2027-01-23"), target("2027-01-24"), false},
		{"DeliveredWhenever", func(w world) {
			r := w.release(t, "lib@1")
			r.Status, r.ShippedOn = store.Shipped, MustDate(t, "2027-01-02")
		}, func(w world) {
			r := w.release(t, "lib@1")
			r.Status, r.ShippedOn = store.Shipped, MustDate(t, "2027-01-03")
		}, true},
		{"HandshakeShownWhileWaiting", target("2027-01-15"), func(w world) {
			w.dep(t, "app@1 lib@1").Commit(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC), "ULIB")
		}, false},
		{"HandshakeNotShownOnceDelivered", func(w world) {
			r := w.release(t, "lib@1")
			r.Status = store.Shipped
		}, func(w world) {
			r := w.release(t, "lib@1")
			r.Status = store.Shipped
			w.dep(t, "app@1 lib@1").Commit(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC), "ULIB")
		}, true},
		{"ConsumerShippedOrCancelled", func(w world) {
			w.release(t, "app@1").Status = store.Shipped
		}, func(w world) {
			w.release(t, "app@1").Status = store.Cancelled
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := state(tt.a), state(tt.b)
			if got := a.Standing() == b.Standing(); got != tt.same {
				t.Errorf("Standing() of %s and %s: equal = %v; want %v", viewEdgeState(a), viewEdgeState(b), got, tt.same)
			}
		})
	}
}

func TestEdgeWorseThan(t *testing.T) {
	onTrack := store.Edge{Kind: store.OnTrack, Slack: 3}
	late2 := store.Edge{Kind: store.Late, Slack: -2}
	late5 := store.Edge{Kind: store.Late, Slack: -5}
	overdue := store.Edge{Kind: store.Overdue, Slack: -1}
	cancelled := store.Edge{Kind: store.ProviderCancelled}
	delivered := store.Edge{Kind: store.Delivered}
	tests := []struct {
		name string
		e, o store.Edge
		want bool
	}{
		{"LateWorseThanOnTrack", late2, onTrack, true},
		{"OnTrackNotWorseThanLate", onTrack, late2, false},
		{"LaterIsWorse", late5, late2, true},
		{"LessLateIsNot", late2, late5, false},
		{"OverdueWorseThanLate", overdue, late5, true},
		{"CancelledWorstOfAll", cancelled, overdue, true},
		{"DeliveredNotWorseThanOnTrack", delivered, onTrack, false},
		{"SameIsNotWorse", late2, late2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.WorseThan(tt.o); got != tt.want {
				t.Errorf("%s.WorseThan(%s) = %v; want %v", viewEdgeState(tt.e), viewEdgeState(tt.o), got, tt.want)
			}
		})
	}
}

// TestEffectsOfScopedAgreesWithWhole makes random changes to a random graph
// (moves, ships, cancels, new and removed dependencies, external items
// moving, handshakes answered) and checks that EffectsOf scoped to what
// each touched agrees with EffectsOf comparing the whole graphs.
func TestEffectsOfScopedAgreesWithWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 2027))
	today := MustDate(t, "2027-01-04")
	day := func(n int) store.Date { return today.AddDays(n) }
	var w world
	const n = 120
	for i := range n {
		w.rels = append(w.rels, store.Release{Ref: store.Ref{Product: fmt.Sprintf("p%d", i%15), Version: fmt.Sprint(i)},
			Target: day(i/3 + rng.IntN(10) - 3), Status: store.Planned})
	}
	for i := range 5 {
		w.exts = append(w.exts, store.External{Name: fmt.Sprintf("X%d", i), Due: day(rng.IntN(40) - 5)})
	}
	seen := map[string]bool{}
	addDep := func(w *world) (string, bool) {
		c := 1 + rng.IntN(n-1)
		d := store.Dependency{Consumer: w.rels[c].Ref}
		if rng.IntN(6) == 0 {
			d.External = store.ExternalKey(w.exts[rng.IntN(len(w.exts))].Name)
		} else {
			d.Provider = w.rels[rng.IntN(c)].Ref // lower index: no cycle
		}
		if rng.IntN(3) == 0 {
			d.NeededBy = w.rels[c].Target.AddDays(-rng.IntN(5))
			d.Request(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC), "U")
			if rng.IntN(2) == 0 {
				d.Commit(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC), "U")
			}
		}
		if seen[d.Key()] {
			return "", false
		}
		seen[d.Key()] = true
		w.deps = append(w.deps, d)
		return d.Consumer.Key(), true
	}
	for len(w.deps) < 3*n {
		addDep(&w)
	}
	g := w.graph()
	changes, effects := 0, 0
	for range 400 {
		after := w.clone()
		var touched []string
		switch rng.IntN(7) {
		case 0, 1: // move
			r := &after.rels[rng.IntN(n)]
			r.Target = r.Target.AddDays(rng.IntN(21) - 10)
			touched = append(touched, r.Key())
		case 2: // ship or cancel
			r := &after.rels[rng.IntN(n)]
			if rng.IntN(2) == 0 {
				r.Status, r.ShippedOn = store.Shipped, today
			} else {
				r.Status = store.Cancelled
			}
			touched = append(touched, r.Key())
		case 3: // depend
			k, ok := addDep(&after)
			if !ok {
				continue
			}
			touched = append(touched, k)
		case 4: // undepend, named by its provider
			i := rng.IntN(len(after.deps))
			d := after.deps[i]
			after.deps = slices.Delete(after.deps, i, i+1)
			delete(seen, d.Key())
			touched = append(touched, d.ProviderKey())
		case 5: // an external item moves
			x := &after.exts[rng.IntN(len(after.exts))]
			x.Due = x.Due.AddDays(rng.IntN(21) - 10)
			touched = append(touched, "ext:"+store.ExternalKey(x.Name))
		case 6: // a provider answers
			d := &after.deps[rng.IntN(len(after.deps))]
			switch d.Handshake {
			case store.HandshakeRequested:
				d.Counter(d.NeededBy.AddDays(3), "", time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC), "U")
			case store.HandshakeCountered:
				d.Accept()
			default:
				d.Commit(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC), "U")
			}
			touched = append(touched, d.Consumer.Key())
		}
		g1 := after.graph()
		scoped, whole := store.EffectsOf(g, g1, today, touched...), store.EffectsOf(g, g1, today)
		if diff := cmp.Diff(viewEffects(whole), viewEffects(scoped)); diff != "" {
			t.Fatalf("change %d (touched %q): scoped EffectsOf disagrees with the whole graph's (-whole +scoped):\n%s", changes, touched, diff)
		}
		if !scoped.Empty() {
			effects++
		}
		changes++
		w, g = after, g1
	}
	if effects < changes/4 {
		t.Errorf("only %d of %d random changes had an effect; the test proves little", effects, changes)
	}
}

func ExampleEffectsOf() {
	today, _ := store.ParseDate("2027-01-04")
	date := func(s string) store.Date { d, _ := store.ParseDate(s); return d }
	app := store.Ref{Product: "app", Version: "1"}
	lib := store.Ref{Product: "lib", Version: "1"}
	rels := []store.Release{
		{Ref: app, Target: date("2027-02-01"), Status: store.Planned},
		{Ref: lib, Target: date("2027-01-15"), Status: store.Planned},
	}
	dep := store.Dependency{Consumer: app, Provider: lib, NeededBy: date("2027-01-20")}
	dep.Commit(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC), "ULIB")
	before := store.NewGraph(rels, nil, []store.Dependency{dep})

	rels = slices.Clone(rels)           // a Graph keeps the releases it was given
	rels[1].Target = date("2027-01-23") // lib@1 moves 8 days later
	after := store.NewGraph(rels, nil, []store.Dependency{dep})

	fx := store.EffectsOf(before, after, today, lib.Key())
	for _, c := range fx.Changed {
		fmt.Printf("%s: late by %d days, then %d\n", c.Key(), c.Before.DaysLate(), c.After.DaysLate())
	}
	fmt.Println("newly at risk:", fx.NewlyAtRisk)
	fmt.Println("commitments broken:", len(fx.Broken))
	// Output:
	// app@1 lib@1: late by 0 days, then 3
	// newly at risk: [app@1]
	// commitments broken: 1
}
