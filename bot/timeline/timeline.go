// Package timeline draws a store.Timeline as a PNG picture with gonum/plot:
// a date axis across, one lane per product down, releases as dots with
// their versions, dependencies as arrows from provider to consumer (slipped
// ones red, labelled with how late), today's line and freeze windows
// shaded. It only draws: what to draw, and every word on it, comes from
// render.NewTimeline.
//
// The picture is Width points wide at 72 dpi (a point is a pixel) with
// fonts large enough to stay readable when Slack shows it scaled down to
// a preview 360–800 pixels wide; its height grows with the lanes.
package timeline

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"slices"
	"time"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"relman/store"
)

// Sizes, in points (pixels: the picture is drawn at 72 dpi).
const (
	Width       = 1000
	rowHeight   = 38 // one row of items in a lane
	laneGap     = 8  // extra room at the bottom of each lane
	legendH     = 44 // the legend strip under the plot
	titleSize   = 26
	laneSize    = 22
	labelSize   = 19
	tickSize    = 18
	slipSize    = 18
	glyphRadius = 8
	// maxRows bounds the rows of one lane: an item that fits in none is
	// put in the row where it overlaps least.
	maxRows = 5
	// MaxHeight bounds the picture's height; lanes below it are cut off
	// (render.TimelineMaxLanes keeps that rare).
	MaxHeight = 4000
)

// Colours.
var (
	colPlanned   = rgb(0x19, 0x76, 0xD2)
	colAtRisk    = rgb(0xF5, 0x7C, 0x00)
	colOverdue   = rgb(0x8B, 0x00, 0x00)
	colShipped   = rgb(0x2E, 0x7D, 0x32)
	colCancelled = rgb(0x75, 0x75, 0x75)
	colExternal  = rgb(0x6A, 0x1B, 0x9A)
	// ColSlip is the colour of a slipped dependency (tests look for it).
	ColSlip = color.RGBA{R: 0xE5, G: 0x1A, B: 0x1A, A: 0xFF}
	colEdge = rgb(0x90, 0x90, 0x90)
	// ColToday is the colour of today's line (tests look for it).
	ColToday  = color.RGBA{R: 0x10, G: 0x10, B: 0x10, A: 0xFF}
	colFreeze = color.NRGBA{R: 0x64, G: 0xA0, B: 0xE6, A: 0x50}
	colFzText = rgb(0x1E, 0x4E, 0x8C)
	colBand   = rgb(0xF3, 0xF4, 0xF6)
	colGrid   = rgb(0xDD, 0xDD, 0xDD)
	colText   = rgb(0x21, 0x21, 0x21)
)

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 0xFF} }

func sans(size vg.Length, bold bool) font.Font {
	f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	if bold {
		f.Weight = xfont.WeightBold
	}
	return f
}

func style(size vg.Length, bold bool, c color.Color) text.Style {
	return text.Style{Color: c, Font: sans(size, bold), Handler: plot.DefaultTextHandler}
}

// Render draws t and encodes it as a PNG.
func Render(t *store.Timeline) ([]byte, error) {
	c, err := Draw(t)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	// BestSpeed: a flat-coloured chart compresses well anyway, and
	// rendering is on the outbox worker's path.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, c.Image()); err != nil {
		return nil, fmt.Errorf("timeline: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// Draw draws t on a new image canvas.
func Draw(t *store.Timeline) (c *vgimg.Canvas, err error) {
	defer func() {
		// gonum/plot panics on some impossible inputs (a NaN range); a
		// picture must never cost more than its message's text.
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("timeline: draw: %v", p)
		}
	}()
	if t.To.Before(t.From) {
		return nil, fmt.Errorf("timeline: window ends (%s) before it starts (%s)", t.To, t.From)
	}
	l := newLayout(t)
	p := plot.New()
	p.BackgroundColor = nil // the canvas starts white: filling it again costs a tenth of the time
	p.Title.Text = t.Title
	p.Title.TextStyle.Font, p.Title.TextStyle.Color = sans(titleSize, true), colText
	p.Title.Padding = 28 // room for today's label
	p.X.Min, p.X.Max = 0, float64(l.days)
	p.Y.Min, p.Y.Max = 0, float64(l.rows)
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Marker = weekTicks{from: t.From, days: l.days}
	p.X.Tick.Label.Font, p.X.Tick.Label.Color = sans(tickSize, false), colText
	p.X.Tick.Length = 6
	p.Y.Tick.Marker = laneTicker{l}
	p.Y.Tick.Label.Font, p.Y.Tick.Label.Color = sans(laneSize, true), colText
	p.Y.Tick.Length = 0
	p.Y.LineStyle.Width = 0
	p.Add(&layer{t: t, l: l})

	h := vg.Length(min(MaxHeight, 70+legendH+60+l.rows*rowHeight+len(t.Lanes)*laneGap))
	img := vgimg.NewWith(vgimg.UseWH(Width, h), vgimg.UseDPI(72))
	dc := draw.New(img)
	plotArea := draw.Crop(dc, 8, -16, legendH, -6)
	p.Draw(plotArea)
	drawLegend(draw.Crop(dc, 16, -16, 0, legendH-dc.Max.Y), t.Note)
	return img, nil
}

// layout places the items: each lane is split into rows so that labels
// do not overlap; a lane is as tall as its rows.
type layout struct {
	t    *store.Timeline
	days int
	rows int
	// lanes: first row (from the top) and row count of each lane.
	laneTop, laneRows []int
	// at: an item's x (days from From, the middle of its day, pinned
	// inside the window) and row (from the top).
	at map[string]place
}

type place struct {
	x    float64
	row  int
	left bool // the label goes left of the item: it would run off the right edge
}

// label is what is written beside an item: its label, and its date
// when it lies outside the window.
func (l *layout) label(it store.TimelineItem) string {
	if it.Date.Before(l.t.From) || it.Date.After(l.t.To) {
		return it.Label + " (" + it.Date.Time(time.UTC).Format("Jan 2") + ")"
	}
	return it.Label
}

func newLayout(t *store.Timeline) *layout {
	l := &layout{t: t, days: t.To.Sub(t.From) + 1, at: map[string]place{}}
	// Points per day, estimated before the plot is laid out: the lane
	// names take the left of the picture.
	names := style(laneSize, true, colText)
	left := vg.Length(0)
	for _, ln := range t.Lanes {
		left = max(left, names.Width(ln.Name))
	}
	ppd := float64(Width-24-left-16) / float64(l.days)
	lab := style(labelSize, false, colText)
	for _, ln := range t.Lanes {
		var ends []float64 // per row: where the last label ends, in days
		for _, it := range ln.Items {
			x := float64(it.Date.Sub(t.From)) + 0.5
			x = math.Max(0.25, math.Min(float64(l.days)-0.25, x))
			w := float64(glyphRadius*2+6+lab.Width(l.label(it))) / ppd
			start, end := x-float64(glyphRadius)/ppd, x+w
			left := end > float64(l.days)
			if left {
				start, end = x-w, x+float64(glyphRadius)/ppd
			}
			row, best := -1, math.Inf(1)
			for r, e := range ends {
				if e+0.3 <= start {
					row = r
					break
				}
				if e < best {
					best, row = e, r
				}
			}
			if row < 0 || (ends[row]+0.3 > start && len(ends) < maxRows) {
				ends = append(ends, 0)
				row = len(ends) - 1
			}
			ends[row] = math.Max(ends[row], end)
			l.at[it.Key] = place{x: x, row: l.rows + row, left: left}
		}
		n := max(1, len(ends))
		l.laneTop = append(l.laneTop, l.rows)
		l.laneRows = append(l.laneRows, n)
		l.rows += n
	}
	if l.rows == 0 {
		l.rows = 1
	}
	return l
}

// y is the data y of the middle of a row (rows count from the top).
func (l *layout) y(row int) float64 { return float64(l.rows-row) - 0.5 }

// laneTicker labels each lane at its middle.
type laneTicker struct{ l *layout }

// Ticks implements plot.Ticker.
func (lt laneTicker) Ticks(_, _ float64) []plot.Tick {
	var ts []plot.Tick
	for i, ln := range lt.l.t.Lanes {
		mid := float64(lt.l.rows) - float64(lt.l.laneTop[i]) - float64(lt.l.laneRows[i])/2
		ts = append(ts, plot.Tick{Value: mid, Label: ln.Name})
	}
	return ts
}

// weekTicks marks every day, labelling Mondays ("Jan 4"), or every
// second or fourth Monday when the window is long.
type weekTicks struct {
	from store.Date
	days int
}

// Ticks implements plot.Ticker.
func (w weekTicks) Ticks(_, _ float64) []plot.Tick {
	step := 1
	switch weeks := w.days / 7; {
	case weeks > 30:
		step = 4
	case weeks > 14:
		step = 2
	}
	var ts []plot.Tick
	monday := 0
	for i := 0; i < w.days; i++ {
		d := w.from.AddDays(i)
		if d.Weekday() == time.Monday {
			if monday%step == 0 {
				ts = append(ts, plot.Tick{Value: float64(i), Label: d.Time(time.UTC).Format("Jan 2")})
			} else {
				ts = append(ts, plot.Tick{Value: float64(i)})
			}
			monday++
		} else if w.days <= 120 {
			ts = append(ts, plot.Tick{Value: float64(i)})
		}
	}
	return ts
}

// layer draws the lanes, freezes, grid, today, edges and items.
type layer struct {
	t *store.Timeline
	l *layout
}

// Plot implements plot.Plotter.
func (ly *layer) Plot(c draw.Canvas, p *plot.Plot) {
	t, l := ly.t, ly.l
	trX, trY := p.Transforms(&c)
	rect := func(x0, x1, y0, y1 float64, col color.Color) {
		c.FillPolygon(col, []vg.Point{{X: trX(x0), Y: trY(y0)}, {X: trX(x1), Y: trY(y0)}, {X: trX(x1), Y: trY(y1)}, {X: trX(x0), Y: trY(y1)}})
	}
	days := float64(l.days)
	laneY := func(i int) (lo, hi float64) {
		hi = float64(l.rows - l.laneTop[i])
		return hi - float64(l.laneRows[i]), hi
	}
	// Lanes: every other one banded, with a line between them.
	for i := range t.Lanes {
		lo, hi := laneY(i)
		if i%2 == 1 {
			rect(0, days, lo, hi, colBand)
		}
		c.StrokeLine2(draw.LineStyle{Color: colGrid, Width: 1}, trX(0), trY(lo), trX(days), trY(lo))
	}
	// Weeks: a faint line on each Monday.
	for i := 0; i < l.days; i++ {
		if t.From.AddDays(i).Weekday() == time.Monday {
			c.StrokeLine2(draw.LineStyle{Color: colGrid, Width: 1}, trX(float64(i)), trY(0), trX(float64(i)), trY(float64(l.rows)))
		}
	}
	// Freezes: shaded over the lanes they cover, named at the top.
	fz := style(tickSize, true, colFzText)
	fz.XAlign, fz.YAlign = draw.XLeft, draw.YTop
	for _, f := range t.Freezes {
		x0 := math.Max(0, float64(f.From.Sub(t.From)))
		x1 := math.Min(days, float64(f.To.Sub(t.From)+1))
		if x1 <= x0 {
			continue
		}
		top := -1.0
		for i, ln := range t.Lanes {
			if len(f.Lanes) > 0 && !slices.Contains(f.Lanes, ln.Name) {
				continue
			}
			lo, hi := laneY(i)
			rect(x0, x1, lo, hi, colFreeze)
			top = math.Max(top, hi)
		}
		if top > 0 {
			c.FillText(fz, vg.Point{X: trX(x0) + 4, Y: trY(top) - 3}, f.Name)
		}
	}
	// Today.
	if !t.Today.Before(t.From) && !t.Today.After(t.To) {
		x := trX(float64(t.Today.Sub(t.From)) + 0.5)
		c.StrokeLine2(draw.LineStyle{Color: ColToday, Width: 3}, x, trY(0), x, trY(float64(l.rows)))
		ts := style(tickSize, true, ColToday)
		ts.XAlign, ts.YAlign = draw.XCenter, draw.YBottom
		c.FillText(ts, vg.Point{X: x, Y: trY(float64(l.rows)) + 2}, "today")
	}
	pt := func(key string) (vg.Point, bool) {
		pl, ok := l.at[key]
		if !ok {
			return vg.Point{}, false
		}
		return vg.Point{X: trX(pl.x), Y: trY(l.y(pl.row))}, true
	}
	// Edges: the on-track ones first, so slipped ones are drawn over them.
	for pass := 0; pass < 2; pass++ {
		for _, e := range t.Edges {
			if e.Slipped != (pass == 1) {
				continue
			}
			from, ok1 := pt(e.From)
			to, ok2 := pt(e.To)
			if !ok1 || !ok2 {
				continue
			}
			ls := draw.LineStyle{Color: colEdge, Width: 2}
			if e.Slipped {
				ls = draw.LineStyle{Color: ColSlip, Width: 4}
			}
			arrow(&c, ls, from, to)
		}
	}
	// Slip labels on a white patch, each where it hides no item if it can.
	lab := style(labelSize, false, colText)
	var items []vg.Rectangle // each item with its label
	for _, ln := range t.Lanes {
		for _, it := range ln.Items {
			at, _ := pt(it.Key)
			w := lab.Width(l.label(it)) + 5
			r := vg.Rectangle{Min: vg.Point{X: at.X - glyphRadius, Y: at.Y - glyphRadius}, Max: vg.Point{X: at.X + glyphRadius + w, Y: at.Y + glyphRadius}}
			if l.at[it.Key].left {
				r.Min.X, r.Max.X = at.X-glyphRadius-w, at.X+glyphRadius
			}
			items = append(items, r)
		}
	}
	sl := style(slipSize, true, ColSlip)
	sl.XAlign, sl.YAlign = draw.XCenter, draw.YCenter
	for _, e := range t.Edges {
		if !e.Slipped || e.Label == "" {
			continue
		}
		from, ok1 := pt(e.From)
		to, ok2 := pt(e.To)
		if !ok1 || !ok2 {
			continue
		}
		w, h := sl.Width(e.Label)/2+5, sl.Height(e.Label)/2+3
		mid := labelSpot(from, to, w, h, items)
		c.FillPolygon(color.NRGBA{R: 255, G: 255, B: 255, A: 235}, []vg.Point{
			{X: mid.X - w, Y: mid.Y - h}, {X: mid.X + w, Y: mid.Y - h}, {X: mid.X + w, Y: mid.Y + h}, {X: mid.X - w, Y: mid.Y + h}})
		c.StrokeLines(draw.LineStyle{Color: ColSlip, Width: 1.5}, []vg.Point{
			{X: mid.X - w, Y: mid.Y - h}, {X: mid.X + w, Y: mid.Y - h}, {X: mid.X + w, Y: mid.Y + h}, {X: mid.X - w, Y: mid.Y + h}, {X: mid.X - w, Y: mid.Y - h}})
		c.FillText(sl, mid, e.Label)
	}
	// Items last, with their labels beside them: nothing hides them.
	lab.XAlign, lab.YAlign = draw.XLeft, draw.YCenter
	labLeft := lab
	labLeft.XAlign = draw.XRight
	for _, ln := range t.Lanes {
		for _, it := range ln.Items {
			at, _ := pt(it.Key)
			c.DrawGlyph(glyph(it.Kind), at)
			if l.at[it.Key].left {
				c.FillText(labLeft, vg.Point{X: at.X - glyphRadius - 5, Y: at.Y}, l.label(it))
			} else {
				c.FillText(lab, vg.Point{X: at.X + glyphRadius + 5, Y: at.Y}, l.label(it))
			}
		}
	}
}

// labelSpot is where along the line from a to b, or beside it, a label
// of half-width w and half-height h hides none of the items (rectangles):
// the middle if it can, else the nearest spot that does (the middle when
// none does).
func labelSpot(a, b vg.Point, w, h vg.Length, items []vg.Rectangle) vg.Point {
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	n := math.Max(1, math.Hypot(dx, dy))
	px, py := vg.Length(-dy/n), vg.Length(dx/n) // a unit step across the line
	off := h + w/2
	for _, f := range []float64{0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8} {
		on := vg.Point{X: a.X + vg.Length(f)*(b.X-a.X), Y: a.Y + vg.Length(f)*(b.Y-a.Y)}
		for _, side := range []vg.Length{0, 1, -1} {
			p := vg.Point{X: on.X + side*off*px, Y: on.Y + side*off*py}
			box := vg.Rectangle{Min: vg.Point{X: p.X - w, Y: p.Y - h}, Max: vg.Point{X: p.X + w, Y: p.Y + h}}
			clear := true
			for _, r := range items {
				if box.Min.X < r.Max.X && r.Min.X < box.Max.X && box.Min.Y < r.Max.Y && r.Min.Y < box.Max.Y {
					clear = false
					break
				}
			}
			if clear {
				return p
			}
		}
	}
	return vg.Point{X: (a.X + b.X) / 2, Y: (a.Y + b.Y) / 2}
}

// arrow draws a line from a to b ending in an arrowhead that stops at the
// edge of b's glyph.
func arrow(c *draw.Canvas, ls draw.LineStyle, a, b vg.Point) {
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	n := math.Hypot(dx, dy)
	if n < 2*glyphRadius+4 {
		return // the two items touch: nothing to point at
	}
	ux, uy := dx/n, dy/n
	tip := vg.Point{X: b.X - vg.Length(ux*(glyphRadius+2)), Y: b.Y - vg.Length(uy*(glyphRadius+2))}
	head := 10 + float64(ls.Width)*1.5
	base := vg.Point{X: tip.X - vg.Length(ux*head), Y: tip.Y - vg.Length(uy*head)}
	start := vg.Point{X: a.X + vg.Length(ux*glyphRadius), Y: a.Y + vg.Length(uy*glyphRadius)}
	c.StrokeLines(ls, []vg.Point{start, base})
	wing := head * 0.55
	c.FillPolygon(ls.Color, []vg.Point{tip,
		{X: base.X - vg.Length(uy*wing), Y: base.Y + vg.Length(ux*wing)},
		{X: base.X + vg.Length(uy*wing), Y: base.Y - vg.Length(ux*wing)}})
}

// kinds is how each kind of item is drawn and named in the legend.
var kinds = []struct {
	kind, name string
	style      draw.GlyphStyle
}{
	{store.ItemPlanned, "planned", draw.GlyphStyle{Color: colPlanned, Radius: glyphRadius, Shape: draw.CircleGlyph{}}},
	{store.ItemAtRisk, "at risk", draw.GlyphStyle{Color: colAtRisk, Radius: glyphRadius, Shape: draw.CircleGlyph{}}},
	{store.ItemOverdue, "overdue", draw.GlyphStyle{Color: colOverdue, Radius: glyphRadius, Shape: draw.CircleGlyph{}}},
	{store.ItemShipped, "shipped", draw.GlyphStyle{Color: colShipped, Radius: glyphRadius, Shape: draw.CircleGlyph{}}},
	{store.ItemExternal, "external", draw.GlyphStyle{Color: colExternal, Radius: glyphRadius, Shape: draw.BoxGlyph{}}},
	{store.ItemCancelled, "cancelled", draw.GlyphStyle{Color: colCancelled, Radius: glyphRadius, Shape: draw.CrossGlyph{}}},
}

func glyph(kind string) draw.GlyphStyle {
	for _, k := range kinds {
		if k.kind == kind {
			return k.style
		}
	}
	return kinds[0].style
}

// drawLegend writes what the glyphs and colours mean, and the note.
func drawLegend(c draw.Canvas, note string) {
	lab := style(tickSize, false, colText)
	lab.XAlign, lab.YAlign = draw.XLeft, draw.YCenter
	y := c.Min.Y + (c.Max.Y-c.Min.Y)/2
	x := c.Min.X
	for _, k := range kinds[:5] {
		c.DrawGlyph(k.style, vg.Point{X: x + glyphRadius, Y: y})
		x += 2*glyphRadius + 5
		c.FillText(lab, vg.Point{X: x, Y: y}, k.name)
		x += lab.Width(k.name) + 18
	}
	c.StrokeLine2(draw.LineStyle{Color: ColSlip, Width: 4}, x, y, x+30, y)
	x += 36
	c.FillText(lab, vg.Point{X: x, Y: y}, "slipped")
	x += lab.Width("slipped") + 18
	c.FillPolygon(colFreeze, []vg.Point{{X: x, Y: y - 9}, {X: x + 30, Y: y - 9}, {X: x + 30, Y: y + 9}, {X: x, Y: y + 9}})
	x += 36
	c.FillText(lab, vg.Point{X: x, Y: y}, "freeze")
	x += lab.Width("freeze") + 24
	if note != "" {
		ns := style(tickSize, true, colOverdue)
		ns.XAlign, ns.YAlign = draw.XRight, draw.YCenter
		c.FillText(ns, vg.Point{X: c.Max.X, Y: y}, note)
	}
}
