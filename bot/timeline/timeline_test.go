package timeline

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"relman/store"
)

var update = flag.Bool("update", false, "rewrite the golden pictures under testdata/")

// sample is a timeline with each kind of item, an on-track, a delivered
// and a slipped edge, an external provider, an item outside the window and
// a freeze on one lane.
func sample() *store.Timeline {
	today := store.NewDate(2027, time.January, 4)
	d := today.AddDays
	return &store.Timeline{
		Title: "Release timeline · every product · Mon 2027-01-04",
		From:  d(-14), To: d(56), Today: today,
		Lanes: []store.TimelineLane{
			{Name: "auth", Items: []store.TimelineItem{
				{Key: "auth@1.3.0", Label: "1.3.0", Date: d(-5), Kind: store.ItemShipped},
				{Key: "auth@1.4.0", Label: "1.4.0", Date: d(20), Kind: store.ItemPlanned},
			}},
			{Name: "mobile", Items: []store.TimelineItem{
				{Key: "mobile@5.0", Label: "5.0", Date: d(12), Kind: store.ItemAtRisk},
				{Key: "mobile@5.1", Label: "5.1", Date: d(14), Kind: store.ItemPlanned},
				{Key: "mobile@6.0", Label: "6.0", Date: d(80), Kind: store.ItemPlanned},
			}},
			{Name: "payments", Items: []store.TimelineItem{
				{Key: "payments@2.2.9", Label: "2.2.9", Date: d(-2), Kind: store.ItemOverdue},
				{Key: "payments@2.3.0", Label: "2.3.0", Date: d(17), Kind: store.ItemPlanned},
			}},
			{Name: "external items", Items: []store.TimelineItem{
				{Key: "ext:stripe sdk 5", Label: "Stripe SDK 5", Date: d(6), Kind: store.ItemExternal},
			}},
		},
		Edges: []store.TimelineEdge{
			{From: "payments@2.3.0", To: "mobile@5.0", NeededBy: d(12), Slipped: true, DaysLate: 5, Label: "5d late"},
			{From: "auth@1.3.0", To: "payments@2.3.0", NeededBy: d(10)},
			{From: "ext:stripe sdk 5", To: "payments@2.3.0", NeededBy: d(15)},
			{From: "mobile@5.1", To: "mobile@6.0", NeededBy: d(70)},
		},
		Freezes: []store.TimelineFreeze{{Name: "FZ-1", From: d(24), To: d(31), Lanes: []string{"payments", "mobile"}}},
	}
}

func mustRender(tb testing.TB, t *store.Timeline) image.Image {
	tb.Helper()
	b, err := Render(t)
	if err != nil {
		tb.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("Render gave no PNG: %v", err)
	}
	return img
}

// TestRenderMatchesGolden compares the picture with testdata/sample.png
// pixel by pixel, tolerating what font rasterization may change between
// platforms and library versions: a pixel differs when a channel is off by
// more than pixelTolerance, and at most maxDiffering of them may.
func TestRenderMatchesGolden(t *testing.T) {
	const pixelTolerance, maxDiffering = 40, 0.01
	b, err := Render(sample())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "sample.png")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./bot/timeline -update to write it)", err)
	}
	want, err := png.Decode(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("picture is %v; golden is %v", got.Bounds(), want.Bounds())
	}
	differ := 0
	r := got.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !near(got.At(x, y), want.At(x, y), pixelTolerance) {
				differ++
			}
		}
	}
	if frac := float64(differ) / float64(r.Dx()*r.Dy()); frac > maxDiffering {
		out := filepath.Join(t.TempDir(), "got.png")
		_ = os.WriteFile(out, b, 0o644)
		t.Errorf("%.2f%% of pixels differ from %s (at most %.2f%% may); the picture is in %s", 100*frac, golden, 100*maxDiffering, out)
	}
}

func near(a, b color.Color, tol int) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) int { return abs(int(x>>8) - int(y>>8)) }
	return d(ar, br) <= tol && d(ag, bg) <= tol && d(ab, bb) <= tol
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// count counts the pixels of img above the legend close to c.
func count(img image.Image, c color.Color) int { return countNear(img, c, 30) }

// countNear counts the pixels of img above the legend within tol of c.
func countNear(img image.Image, c color.Color, tol int) int {
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y-legendH; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if near(img.At(x, y), c, tol) {
				n++
			}
		}
	}
	return n
}

// todayColumn is the x of the longest vertical run of today's colour.
func todayColumn(img image.Image) (col, run int) {
	r := img.Bounds()
	for x := r.Min.X; x < r.Max.X; x++ {
		n, best := 0, 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			if near(img.At(x, y), ColToday, 40) {
				n++
				best = max(best, n)
			} else {
				n = 0
			}
		}
		if best > run {
			col, run = x, best
		}
	}
	return col, run
}

func TestRender(t *testing.T) {
	t.Run("IsWideEnoughAndTallerWithMoreLanes", func(t *testing.T) {
		img := mustRender(t, sample())
		if got := img.Bounds().Dx(); got != Width {
			t.Errorf("width = %d; want %d", got, Width)
		}
		more := sample()
		more.Lanes = append(more.Lanes, store.TimelineLane{Name: "web", Items: []store.TimelineItem{{Key: "web@1", Label: "1", Date: more.Today, Kind: store.ItemPlanned}}})
		if h1, h2 := img.Bounds().Dy(), mustRender(t, more).Bounds().Dy(); h2 <= h1 {
			t.Errorf("height with 5 lanes = %d, with 4 = %d; want taller", h2, h1)
		}
	})
	t.Run("DrawsSlippedEdgesRed", func(t *testing.T) {
		red := count(mustRender(t, sample()), ColSlip)
		calm := sample()
		for i := range calm.Edges {
			calm.Edges[i].Slipped, calm.Edges[i].Label = false, ""
		}
		if none := count(mustRender(t, calm), ColSlip); none != 0 || red < 300 {
			t.Errorf("slip-red pixels: %d with a slipped edge, %d without; want many and none", red, none)
		}
	})
	t.Run("PutsTodaysLineAtToday", func(t *testing.T) {
		img := mustRender(t, sample())
		col, run := todayColumn(img)
		if run < img.Bounds().Dy()/3 {
			t.Fatalf("longest run of today's colour is %d px; want a line", run)
		}
		later := sample()
		later.Today = later.Today.AddDays(35)
		col2, _ := todayColumn(mustRender(t, later))
		// 35 of the 71 days shown: about half the data area further right.
		if d := col2 - col; d < 350 || d > 500 {
			t.Errorf("today's line moved %d px for 35 days later (from x=%d to %d); want about 35/71 of the width", d, col, col2)
		}
	})
	t.Run("ShadesFreezes", func(t *testing.T) {
		with := mustRender(t, sample())
		without := sample()
		without.Freezes = nil
		shade := color.RGBA{R: 0xCE, G: 0xE1, B: 0xF7, A: 0xFF} // colFreeze over white
		if a, b := countNear(with, shade, 6), countNear(mustRender(t, without), shade, 6); a < 1000 || b > a/10 {
			t.Errorf("freeze-blue pixels: %d with a freeze, %d without", a, b)
		}
	})
	t.Run("RefusesAWindowThatEndsBeforeItStarts", func(t *testing.T) {
		bad := sample()
		bad.To = bad.From.AddDays(-1)
		if _, err := Render(bad); err == nil {
			t.Error("Render of a backwards window succeeded")
		}
	})
	t.Run("DrawsAnEmptyTimeline", func(t *testing.T) {
		empty := sample()
		empty.Lanes, empty.Edges, empty.Freezes = nil, nil, nil
		mustRender(t, empty)
	})
}
