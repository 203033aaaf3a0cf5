package timeline

import (
	"fmt"
	"testing"
	"time"

	"relman/store"
)

// timeline200 is a timeline of 200 releases over 20 products in the
// default window (2 weeks back, 8 ahead), each release but the first of
// a product depending on the one before it and on one of the previous
// product, every seventh dependency slipped, with two freezes: what
// /release timeline draws for a large organisation.
func timeline200() *store.Timeline {
	today := store.NewDate(2027, time.January, 4)
	t := &store.Timeline{Title: "Release timeline · every product · Mon 2027-01-04", From: today.AddDays(-14), To: today.AddDays(56), Today: today}
	for p := range 20 {
		lane := store.TimelineLane{Name: fmt.Sprintf("product-%02d", p)}
		for v := range 10 {
			kind := store.ItemPlanned
			switch (p + v) % 6 {
			case 0:
				kind = store.ItemShipped
			case 1:
				kind = store.ItemAtRisk
			}
			lane.Items = append(lane.Items, store.TimelineItem{Key: fmt.Sprintf("product-%02d@%d.0", p, v), Label: fmt.Sprintf("%d.0.0", v),
				Date: today.AddDays(-14 + v*7 + p%7), Kind: kind})
		}
		t.Lanes = append(t.Lanes, lane)
	}
	n := 0
	for p := range 20 {
		for v := 1; v < 10; v++ {
			to := fmt.Sprintf("product-%02d@%d.0", p, v)
			for _, from := range []string{fmt.Sprintf("product-%02d@%d.0", p, v-1), fmt.Sprintf("product-%02d@%d.0", (p+19)%20, v-1)} {
				n++
				e := store.TimelineEdge{From: from, To: to, NeededBy: today.AddDays(v * 7)}
				if n%7 == 0 {
					e.Slipped, e.DaysLate, e.Label = true, n%9+1, fmt.Sprintf("%dd late", n%9+1)
				}
				t.Edges = append(t.Edges, e)
			}
		}
	}
	t.Freezes = []store.TimelineFreeze{{Name: "FZ-1", From: today.AddDays(20), To: today.AddDays(26)},
		{Name: "FZ-2", From: today.AddDays(40), To: today.AddDays(44), Lanes: []string{"product-03", "product-04"}}}
	return t
}

// BenchmarkTimeline200 draws and encodes the 200-release timeline (goal:
// at most 300 ms, BENCHMARKS.md §9.x Timeline).
func BenchmarkTimeline200(b *testing.B) {
	t := timeline200()
	var size int
	for b.Loop() {
		png, err := Render(t)
		if err != nil {
			b.Fatal(err)
		}
		size = len(png)
	}
	b.ReportMetric(float64(size)/1024, "KB/png")
}
