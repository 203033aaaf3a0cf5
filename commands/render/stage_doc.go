package render

import (
	"strings"

	"relman/store"
)

// StageLines lists r's stages as show gives them, production last: when
// each was reached and by whom, else when it is planned (a date of its
// own, or that of a later stage it counts on), and whether that day has
// passed with the stage not reached.
func StageLines(r *store.Release, today store.Date) []string {
	st := r.StageList()
	out := make([]string, 0, len(st)+2)
	out = append(out, "*Stages:* "+store.PipelineText(r.Pipeline()))
	for _, s := range st {
		out = append(out, "• "+stageLine(r, s, today))
	}
	line := "• production — "
	switch r.Status {
	case store.Shipped:
		line = "• :white_check_mark: production — shipped " + r.Date().Pretty()
	case store.Cancelled:
		line += "cancelled"
	default:
		line += "target " + When(r.Target, today)
	}
	return append(out, line)
}

func stageLine(r *store.Release, s store.Stage, today store.Date) string {
	planned := r.PlannedFor(s.Name)
	plan := "planned " + planned.Pretty()
	if s.Planned.IsZero() {
		plan += " (as " + stageCounted(r, s.Name) + ")"
	}
	if d, reached := r.StageDate(s.Name); reached {
		line := ":white_check_mark: " + s.Name + " — reached " + d.Pretty()
		if s.By != "" {
			line += " by " + Mention(s.By)
		}
		if n := d.Sub(planned); n > 0 && !s.Reached.IsZero() {
			line += ", " + Days(n) + " after it was " + plan
		}
		return line
	}
	line := s.Name + " — " + plan
	if r.Status == store.Planned && planned.Before(today) {
		line += " · :warning: *late* (not reached, planned " + Days(today.Sub(planned)) + " ago)"
	}
	return line
}

// stageCounted names the later stage whose date an undated stage counts
// on: the next one with a date, else production.
func stageCounted(r *store.Release, name string) string {
	st := r.StageList()
	after := false
	for _, s := range st {
		if s.Name == name {
			after = true
			continue
		}
		if after && !s.Planned.IsZero() {
			return s.Name
		}
	}
	return store.Production
}

// appendStageMark appends, for a planned release, " · in test" for the
// last stage it reached, and " · :warning: *late for staging*" when the
// next stage it has to reach, before production, was planned on a day
// that has passed (production's own lateness is "overdue").
func appendStageMark(b []byte, r *store.Release, today store.Date) []byte {
	if r.Status != store.Planned || r.Stages == nil { // nil: test counts on the target
		return b
	}
	if cur := r.CurrentStage(); cur != "" {
		b = append(b, " · in "...)
		b = append(b, cur...)
	}
	name, planned, ok := r.NextStage()
	if !ok || name == store.Production || !planned.Before(today) || r.OverdueOn(today) {
		return b
	}
	b = append(b, " · :warning: *late for "...)
	b = append(b, name...)
	return append(b, '*')
}

// StageSummary is r's stages before production on one line, each as
// StageLines words it ("test — planned Sun 2027-01-10 · staging —
// :white_check_mark: reached …"), for App Home; "" when r records no
// stages (the default pipeline, nothing planned or reached).
func StageSummary(r *store.Release, today store.Date) string {
	if r.Stages == nil {
		return ""
	}
	st := r.StageList()
	parts := make([]string, 0, len(st))
	for _, s := range st {
		parts = append(parts, stageLine(r, s, today))
	}
	return strings.Join(parts, " · ")
}
