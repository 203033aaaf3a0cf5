package render

import (
	"math/rand/v2"
	"testing"
	"time"

	"relman/store"
)

// TestStandingIsWhatTheWordsShow: two states of one edge on one day have
// equal store.Standings exactly when edgeStateText renders them alike, so
// a change decided on Standings (store.EffectsOf) is a change a reader
// sees. Without the handshake, equal Standings are equal edgeStateWords.
func TestStandingIsWhatTheWordsShow(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2027))
	today, _ := store.ParseDate("2027-01-04")
	at := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	day := func() store.Date { return today.AddDays(rng.IntN(13) - 4) }
	consumer := store.Ref{Product: "app", Version: "1"}
	provider := store.Ref{Product: "lib", Version: "1"}
	var edges []store.Edge
	for range 700 {
		c := store.Release{Ref: consumer, Target: day(), Status: store.Planned}
		switch rng.IntN(6) {
		case 0:
			c.Status, c.ShippedOn = store.Shipped, day()
		case 1:
			c.Status = store.Cancelled
		}
		d := store.Dependency{Consumer: consumer}
		rels := []store.Release{c}
		var exts []store.External
		if rng.IntN(4) == 0 {
			exts = []store.External{{Name: "SDK", Due: day()}}
			d.External = "sdk"
		} else {
			p := store.Release{Ref: provider, Target: day(), Status: store.Planned}
			switch rng.IntN(5) {
			case 0:
				p.Status, p.ShippedOn = store.Shipped, day()
			case 1:
				p.Status = store.Cancelled
			}
			rels = append(rels, p)
			d.Provider = provider
		}
		if rng.IntN(2) == 0 {
			d.NeededBy = day()
		}
		switch rng.IntN(4) {
		case 1:
			d.Request(at, "U")
		case 2:
			d.Commit(at, "U")
		case 3:
			d.Counter(day(), "", at, "U")
		}
		e, ok := store.NewGraph(rels, exts, []store.Dependency{d}).EdgeState(d, today)
		if !ok {
			t.Fatalf("EdgeState(%s) not found", d.Key())
		}
		edges = append(edges, e)
	}
	kinds := map[store.EdgeKind]bool{}
	for i, a := range edges {
		kinds[a.Kind] = true
		for _, b := range edges[:i] {
			if a.Key() != b.Key() {
				continue
			}
			sa, sb := a.Standing(), b.Standing()
			if same, alike := sa == sb, EdgeStateText(a, today) == EdgeStateText(b, today); same != alike {
				t.Fatalf("Standings %+v and %+v: equal = %v, but edgeStateText %q and %q", sa, sb, same, EdgeStateText(a, today), EdgeStateText(b, today))
			}
			sa.Handshake, sa.Proposed, sb.Handshake, sb.Proposed = "", store.Date{}, "", store.Date{}
			if same, alike := sa == sb, EdgeStateWords(a, today) == EdgeStateWords(b, today); same != alike {
				t.Fatalf("Standings %+v and %+v without handshakes: equal = %v, but edgeStateWords %q and %q", sa, sb, same, EdgeStateWords(a, today), EdgeStateWords(b, today))
			}
		}
	}
	if len(kinds) != 6 {
		t.Errorf("the random edges have %d kinds of 6; the test proves less than it says", len(kinds))
	}
}
