package commands

import (
	"fmt"

	"relman/commands/render"
	"relman/store"
)

type showCmd struct{ ref store.Ref }

var parseShow = parseView("show", func(ref store.Ref) Command { return &showCmd{ref} })

// showCauses and showDependents cap the lists show prints.
const (
	showCauses     = 10
	showDependents = 10
)

func (c *showCmd) run(x *Exec) (store.Doc, error) {
	var b *render.DocBuilder
	err := x.view(func(tx *store.Tx) error {
		r, err := loadRelease(tx, c.ref)
		if err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		p := product(tx, r.Product)
		// Only this release's upstream is walked, never the whole graph.
		causes, more := g.Upstream(x.today).Causes(r.Ref, showCauses)
		b = render.NewDoc(r.Ref.String())
		status := string(r.Status)
		if r.Status == store.Shipped {
			status += " on " + r.ShippedOn.Pretty()
		}
		if r.OverdueOn(x.today) {
			status += " — :warning: *overdue* (its target has passed)"
		}
		if len(causes) > 0 {
			status += " — :warning: *at risk*"
		}
		b.Fields(
			"Target", render.When(r.Target, x.today),
			"Status", status,
			"Owner", render.Mention(r.Owner),
			"Channel", render.ChannelRef(r.Channel),
			"Release manager", render.Mentions(r.Holders(store.ReleaseManager, p)),
			"Release engineer", render.Mentions(r.Holders(store.ReleaseEngineer, p)),
			"Product manager", render.Mentions(r.Holders(store.ProductManager, p)),
		)
		if r.Stages != nil { // the default pipeline, nothing planned or reached: the target says it all
			b.Lines(render.StageLines(r, x.today))
		}
		note, err := freezeNote(tx, r)
		if err != nil {
			return err
		}
		if note != "" {
			b.Section(note)
		}
		deps := g.Dependencies(r.Ref)
		var exts []store.External
		for _, d := range deps {
			if ext := g.External(d.External); d.IsExternal() && ext != nil {
				exts = append(exts, *ext)
			}
		}
		if items := render.Pending(g, map[string]*store.Product{r.Product: p}, exts, []*store.Release{r}, x.req.User, x.now, x.s.loc()); len(items) > 0 {
			b.Lines(append([]string{"*Waiting for your answer:*"}, render.PendingLines(items, showDependents, "`/release list due 1w mine`")...))
			b.Context(render.PendingAnswer(items))
		}
		if lines := render.ChecklistLines(r, x.today); lines != nil {
			b.Lines(lines)
		}
		if len(deps) == 0 {
			b.Section("*Depends on:* nothing recorded.")
		} else {
			lines := []string{"*Depends on:*"}
			for _, d := range deps {
				if e, ok := g.EdgeState(d, x.today); ok {
					lines = append(lines, "• "+render.EdgeLine(e, x.today))
				}
			}
			b.Lines(lines)
		}
		if len(causes) > 0 {
			lines := []string{"*At risk because:*"}
			for _, cause := range causes {
				lines = append(lines, "• "+render.CauseLine(cause, g, x.today, x.zone()))
			}
			if more {
				lines = append(lines, fmt.Sprintf("…and more; these are the first %d", showCauses))
			}
			b.Lines(lines)
		}
		dependents := g.Dependents(r.Key())
		if len(dependents) > 0 {
			lines := []string{"*Needed by:*"}
			for i, d := range dependents {
				if i == showDependents {
					lines = append(lines, fmt.Sprintf("…and %d more — `/release impact %s`", len(dependents)-i, r.Ref))
					break
				}
				if e, ok := g.EdgeState(d, x.today); ok {
					lines = append(lines, fmt.Sprintf("• %s%s by %s — %s", render.Bold(d.Consumer), render.InStage(d.Stage), e.NeededBy.Pretty(), render.EdgeStateText(e, x.today)))
				}
			}
			b.Lines(lines)
			if n := g.CountDownstream(r.Key()); n > len(dependents) {
				b.Context(fmt.Sprintf("%s downstream in all — `/release impact %s`", render.Plural(n, "release"), r.Ref))
			}
		}
		if len(r.History) > 1 {
			h := r.History[len(r.History)-1]
			b.Context(fmt.Sprintf("Last change: %s by %s %s — `/release history %s`", h.Kind, render.Mention(h.By), h.At.In(x.zone()).Format("2006-01-02 15:04 MST"), r.Ref))
		}
		return nil
	})
	if err != nil {
		return store.Doc{}, err
	}
	return b.Build(), nil
}

type historyCmd struct{ ref store.Ref }

var parseHistory = parseView("history", func(ref store.Ref) Command { return &historyCmd{ref} })

func (c *historyCmd) run(x *Exec) (store.Doc, error) {
	var r *store.Release
	if err := x.view(func(tx *store.Tx) error {
		var err error
		r, err = loadRelease(tx, c.ref)
		return err
	}); err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("History of " + r.Ref.String())
	lines := make([]string, 0, len(r.History))
	for _, h := range r.History {
		lines = append(lines, render.HistoryLine(h, x.zone()))
	}
	if n := len(lines) - ListLimit; n > 0 {
		lines = lines[n:]
		b.More(n, "older entries are left out here; the audit log keeps them all")
	}
	b.Lines(lines)
	return b.Build(), nil
}
