package render

import (
	"fmt"
	"slices"

	"relman/store"
)

// FreezeAhead is how far ahead digests and agendas list freezes: those in
// progress and those starting within this many days.
const FreezeAhead = DigestAhead

// freezeInsideShown caps the releases a freeze's line names.
const freezeInsideShown = 3

// freezesAhead: the freezes in progress or starting within FreezeAhead
// days that cover a product the digest (or agenda) covers, by first day,
// each with the covered planned releases targeted inside it.
func (d *digestData) freezesAhead(limit int) ([]string, int) {
	until := d.today.AddDays(FreezeAhead)
	var fs []*store.Freeze
	for i := range d.freezes {
		f := &d.freezes[i]
		if f.To.Before(d.today) || f.From.After(until) || !d.coversFreeze(f) {
			continue
		}
		fs = append(fs, f)
	}
	slices.SortStableFunc(fs, func(a, b *store.Freeze) int { return a.From.Sub(b.From) })
	var lines []string
	for _, f := range fs[:min(len(fs), limit)] {
		line := fmt.Sprintf("• :snowflake: *%s* · %s · %s, %s — “%s”", f.Name(), f.ProductsText(), FreezeSpan(f), FreezeState(f, d.today), Escape(f.Reason))
		var inside []string
		for _, r := range d.rels {
			if r.Status == store.Planned && d.sub.Covers(r.Product) && f.Freezes(r.Product, r.Target) {
				inside = append(inside, Bold(r.Ref))
			}
		}
		switch n := len(inside); {
		case n == 1:
			line += " · " + inside[0] + " targets a day inside it"
		case n > freezeInsideShown:
			line += fmt.Sprintf(" · %d releases target days inside it: %s …", n, AndList(inside[:freezeInsideShown]))
		case n > 1:
			line += fmt.Sprintf(" · %d releases target days inside it: %s", n, AndList(inside))
		}
		lines = append(lines, line)
	}
	return lines, len(fs)
}

// coversFreeze reports whether f stops a product the digest covers.
func (d *digestData) coversFreeze(f *store.Freeze) bool {
	if f.All() || len(d.sub.Products) == 0 {
		return true
	}
	return slices.ContainsFunc(d.sub.Products, f.Covers)
}

// FreezeSpan says a freeze's days: "from Mon 2027-12-20 to Mon 2028-01-03"
// ("on Mon 2027-12-20" for one day).
func FreezeSpan(f *store.Freeze) string {
	if f.From == f.To {
		return "on " + f.From.Pretty()
	}
	return "from " + f.From.Pretty() + " to " + f.To.Pretty()
}

// FreezeState says where today is in a freeze: "starts in 5 days", "in
// progress, ends in 3 days", "ended 2 days ago".
func FreezeState(f *store.Freeze, today store.Date) string {
	switch {
	case f.From.Sub(today) == 1:
		return "starts tomorrow"
	case today.Before(f.From):
		return "starts in " + Days(f.From.Sub(today))
	case today.After(f.To):
		return "ended " + Days(today.Sub(f.To)) + " ago"
	case today == f.To:
		return "in progress, ends today"
	}
	return "in progress, ends in " + Days(f.To.Sub(today))
}
