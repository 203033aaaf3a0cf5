package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"relman/store"
)

// ChecklistItemLine renders one item of r's checklist: "☐ #2 “security
// review” · @sam · due Fri 2027-01-15 (in 4 days) · before production",
// done items ticked with who did them, open ones past their due date
// marked overdue.
func ChecklistItemLine(it *store.ChecklistItem, r *store.Release, today store.Date) string {
	var b strings.Builder
	if it.Done {
		b.WriteString(":ballot_box_with_check: ")
	} else {
		b.WriteString(":white_square: ")
	}
	fmt.Fprintf(&b, "%s “%s” · %s", it.Name(), Escape(it.Text), Mention(it.Answerer(r)))
	b.WriteString(checklistWhen(it, today))
	if it.Done {
		fmt.Fprintf(&b, " · done by %s", Mention(it.DoneBy))
	}
	return b.String()
}

// checklistWhen is the due date and stage of an item, each after " · ".
func checklistWhen(it *store.ChecklistItem, today store.Date) string {
	s := ""
	if !it.Due.IsZero() {
		if it.Done {
			s += " · due " + it.Due.Pretty()
		} else {
			s += " · due " + When(it.Due, today)
		}
		if it.Overdue(today) {
			s += " — :warning: *overdue*"
		}
	}
	if it.Before != "" {
		s += " · before " + it.Before
	}
	return s
}

// TemplateItemLine renders one item of a product's checklist template:
// "#2 “release notes” · @sam · 3 days before production".
func TemplateItemLine(it *store.ChecklistItem) string {
	line := fmt.Sprintf("%s “%s”", it.Name(), Escape(it.Text))
	if it.Owner != "" {
		line += " · " + Mention(it.Owner)
	} else {
		line += " · the release's owner"
	}
	stage := it.Before
	if stage == "" {
		stage = "the target"
	}
	if it.Follow {
		line += fmt.Sprintf(" · due %s before %s", Days(it.DaysBefore), stage)
	}
	if it.Before != "" {
		line += " · before " + it.Before
	}
	return line
}

// ChecklistSummary says how much of r's checklist is done: "3/5 done";
// "" when it has none.
func ChecklistSummary(r *store.Release) string {
	done, all := r.ChecklistDone()
	if all == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d done", done, all)
}

// ChecklistLines are r's checklist in show: "*Checklist:* 3/5 done", then
// its open items; nil when it has none.
func ChecklistLines(r *store.Release, today store.Date) []string {
	s := ChecklistSummary(r)
	if s == "" {
		return nil
	}
	lines := []string{"*Checklist:* " + s}
	for i := range r.Checklist {
		if it := &r.Checklist[i]; !it.Done {
			lines = append(lines, "• "+ChecklistItemLine(it, r, today))
		}
	}
	return lines
}

// DueItemLine renders an open item due soon or overdue, for digests, the
// agenda and App Home: "*payments@2.3.0* #2 “security review” · @sam ·
// due Fri 2027-01-15 (in 4 days)".
func DueItemLine(it *store.ChecklistItem, r *store.Release, today store.Date) string {
	return fmt.Sprintf("%s %s “%s” · %s%s", Bold(r.Ref), it.Name(), Escape(it.Text), Mention(it.Answerer(r)), checklistWhen(it, today))
}

// OpenItemNames names items for a refusal or a history entry: "#1
// security review", plain text.
func OpenItemNames(items []store.ChecklistItem) []string {
	out := make([]string, len(items))
	for i := range items {
		out[i] = items[i].Name() + " " + items[i].Text
	}
	return out
}

// ChecklistReminder is the DM to whoever answers for an open item: due in
// a few days, or overdue.
func ChecklistReminder(it *store.ChecklistItem, r *store.Release, today store.Date) store.Doc {
	b := NewDoc("")
	if it.Overdue(today) {
		b.Section(fmt.Sprintf(":warning: Checklist item %s of %s is *overdue*: “%s” was due %s.", it.Name(), Bold(r.Ref), Escape(it.Text), When(it.Due, today)))
	} else {
		b.Section(fmt.Sprintf(":spiral_note_pad: Checklist item %s of %s is due %s: “%s”.", it.Name(), Bold(r.Ref), When(it.Due, today), Escape(it.Text)))
	}
	ctx := fmt.Sprintf("When it is done: `/release check %s done %d`.", r.Ref, it.N)
	if it.Before != "" {
		ctx = fmt.Sprintf("It must be done before %s reaches %s. ", r.Ref, it.Before) + ctx
	}
	b.Context(ctx)
	return b.Build()
}

// ChecklistAhead is how many days ahead digests, agendas and App Home list
// checklist items falling due.
const ChecklistAhead = 7

// DueItem is an open checklist item of a planned release that is due
// within ChecklistAhead days, or overdue.
type DueItem struct {
	Release *store.Release
	Item    *store.ChecklistItem
}

// DueItems returns the open items of the planned releases rels that are
// overdue or due within ChecklistAhead days of today and, when keep is
// set, that it keeps; overdue first, then by due date.
func DueItems(rels []*store.Release, today store.Date, keep func(*store.Release, *store.ChecklistItem) bool) []DueItem {
	until := today.AddDays(ChecklistAhead)
	var out []DueItem
	for _, r := range rels {
		if r.Status != store.Planned {
			continue
		}
		for i := range r.Checklist {
			it := &r.Checklist[i]
			if it.Done || it.Due.IsZero() || it.Due.After(until) || (keep != nil && !keep(r, it)) {
				continue
			}
			out = append(out, DueItem{Release: r, Item: it})
		}
	}
	slices.SortStableFunc(out, func(a, b DueItem) int {
		return cmp.Or(a.Item.Due.Sub(b.Item.Due), cmp.Compare(a.Release.Key(), b.Release.Key()), cmp.Compare(a.Item.N, b.Item.N))
	})
	return out
}

// dueItemLines are the first limit of items as bullet lines, and how many
// there are.
func dueItemLines(items []DueItem, today store.Date, limit int) ([]string, int) {
	lines := make([]string, 0, min(limit, len(items)))
	for _, d := range items[:min(limit, len(items))] {
		lines = append(lines, "• "+DueItemLine(d.Item, d.Release, today))
	}
	return lines, len(items)
}

// checklistDue: the covered releases' open checklist items overdue or due
// in the next ChecklistAhead days.
func (d *digestData) checklistDue(limit int) ([]string, int) {
	return dueItemLines(DueItems(d.rels, d.today, nil), d.today, limit)
}

// checklistSection is the digest's and the agenda's part for checklist
// items.
var checklistSection = digestSection{
	title: func(*digestData) string {
		return ":spiral_note_pad: Checklist items overdue and due in the next 7 days"
	},
	none:  func(*digestData) string { return "" }, // a digest need not say there is none
	all:   func(*digestData) string { return "`/release check &lt;release&gt;`" },
	limit: 10, build: (*digestData).checklistDue,
}
