package render

import (
	"slices"
	"testing"

	"relman/store"
)

// A release's dated stages are items on its lane, and an edge needed in a
// stage starts at that stage's item and says so.
func TestTimelineStages(t *testing.T) {
	today := store.NewDate(2027, 1, 4)
	p := store.Release{Ref: store.Ref{Product: "payments", Version: "4.2.0"}, Target: today.AddDays(40), Status: store.Planned}
	p.SetPipeline([]string{"build", "test", store.Production})
	if _, err := p.PlanStage("test", today.AddDays(14)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Promote("build", today, "UENG"); err != nil {
		t.Fatal(err)
	}
	c := store.Release{Ref: store.Ref{Product: "checkout", Version: "3.1"}, Target: today.AddDays(50), Status: store.Planned}
	d := store.Dependency{Consumer: c.Ref, Provider: p.Ref, Stage: "test", NeededBy: today.AddDays(12)}
	tl := NewTimeline(store.NewGraph([]store.Release{c, p}, nil, []store.Dependency{d}), nil, nil, today, 8)
	var items []store.TimelineItem
	for _, l := range tl.Lanes {
		if l.Name == "payments" {
			items = l.Items
		}
	}
	want := []store.TimelineItem{
		{Key: "payments@4.2.0 in build", Label: "4.2.0 build", Date: today, Kind: store.ItemShipped},
		{Key: "payments@4.2.0 in test", Label: "4.2.0 test", Date: today.AddDays(14), Kind: store.ItemPlanned},
		{Key: "payments@4.2.0", Label: "4.2.0", Date: today.AddDays(40), Kind: store.ItemPlanned},
	}
	if !slices.Equal(items, want) {
		t.Errorf("payments lane = %+v; want %+v", items, want)
	}
	if len(tl.Edges) != 1 || tl.Edges[0].From != "payments@4.2.0 in test" || tl.Edges[0].Label != "in test · 2d late" {
		t.Errorf("edges = %+v; want one from payments@4.2.0 in test, labelled in test · 2d late", tl.Edges)
	}
}
