package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"relman/store"
)

// UpcomingWithin is how many days ahead a needed-by date is pending for
// its provider's release manager: the week before it, when the reminders
// nudge them.
const UpcomingWithin = 7

// PendingItem is one thing waiting for a user's answer.
type PendingItem struct {
	date store.Date // when it falls due: the item's due date, the needed-by date
	key  string     // ties: the edge or the item
	line string
	how  string // the commands that answer it
}

// PendingAnswer says how to answer items: the commands for each item's
// subject, or, for more than three, the general forms.
func PendingAnswer(items []PendingItem) string {
	var hows []string
	for _, it := range items {
		if !slices.Contains(hows, it.how) {
			hows = append(hows, it.how)
		}
	}
	if len(hows) > 3 {
		hows = []string{
			"`/release confirm external \"&lt;name&gt;\" [due &lt;date&gt;]`",
			"`/release ship &lt;release&gt;` or `/release move &lt;release&gt; &lt;date&gt; because &lt;reason&gt;`",
		}
	}
	return "Answer with " + strings.Join(hows, "; ") + "."
}

// Pending returns, by date, what waits for user's answer as of now — the
// questions the reminders ask them: an external item they own that a
// planned release waits for and whose date they have not confirmed for
// StaleAfter, and a needed-by date in the next UpcomingWithin days, not yet
// met, of a planned release they are release manager of. exts are the
// external items to consider; rels the releases. loc is the workspace zone.
func Pending(g *store.Graph, products map[string]*store.Product, exts []store.External, rels []*store.Release, user string, now time.Time, loc *time.Location) []PendingItem {
	today := store.DateOf(now, loc)
	all := func(string) bool { return true }
	var items []PendingItem
	for _, x := range exts {
		if x.Owner != user {
			continue
		}
		if n := awaitingConfirmation(g, x, now, today, all); n > 0 {
			how := "`/release confirm external \"" + Escape(x.Name) + "\" [due &lt;date&gt;]`"
			items = append(items, PendingItem{x.Due, "ext:" + store.ExternalKey(x.Name), ExternalLine(x, n, now, today, loc), how})
		}
	}
	until := today.AddDays(UpcomingWithin)
	for _, r := range rels {
		if r.Status != store.Planned || !slices.Contains(r.Holders(store.ReleaseManager, products[r.Product]), user) {
			continue
		}
		for _, d := range g.Dependents(r.Key()) {
			e, ok := g.EdgeState(d, today)
			if !ok || e.Kind == store.NotNeeded || e.Delivered || e.NeededBy.Before(today) || e.NeededBy.After(until) {
				continue
			}
			line := fmt.Sprintf(":link: %s needs %s by %s — %s", Bold(e.Consumer), Bold(r.Ref), When(e.NeededBy, today), EdgeStateText(e, today))
			how := fmt.Sprintf("`/release ship %s` or `/release move %s &lt;date&gt; because &lt;reason&gt;`", r.Ref, r.Ref)
			items = append(items, PendingItem{e.NeededBy, d.Key(), line, how})
		}
	}
	slices.SortFunc(items, func(a, b PendingItem) int { return cmp.Or(a.date.Sub(b.date), cmp.Compare(a.key, b.key)) })
	return items
}

// PendingLines are the lines of items, at most limit, and "…and N more".
func PendingLines(items []PendingItem, limit int, more string) []string {
	lines := make([]string, 0, min(len(items), limit)+1)
	for _, it := range items[:min(len(items), limit)] {
		lines = append(lines, it.line)
	}
	if n := len(items) - limit; n > 0 {
		lines = append(lines, fmt.Sprintf("…and %d more — %s", n, more))
	}
	return lines
}
