package commands

import (
	"fmt"

	"relman/store"
)

type showCmd struct{ ref store.Ref }

func parseShow(p *parser) (Command, error) {
	ref, err := p.release()
	return &showCmd{ref}, err
}

// showCauses and showDependents cap the lists show prints.
const (
	showCauses     = 10
	showDependents = 10
)

func (c *showCmd) run(x *Exec) (store.Doc, error) {
	var b *docBuilder
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
		b = newDoc(r.Ref.String())
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
		b.fields(
			"Target", when(r.Target, x.today),
			"Status", status,
			"Owner", mention(r.Owner),
			"Channel", channelRef(r.Channel),
			"Release manager", mentions(r.Holders(store.ReleaseManager, p)),
			"Release engineer", mentions(r.Holders(store.ReleaseEngineer, p)),
			"Product manager", mentions(r.Holders(store.ProductManager, p)),
		)
		note, err := freezeNote(tx, r)
		if err != nil {
			return err
		}
		if note != "" {
			b.section(note)
		}
		deps := g.Dependencies(r.Ref)
		var exts []store.External
		for _, d := range deps {
			if ext := g.External(d.External); d.IsExternal() && ext != nil {
				exts = append(exts, *ext)
			}
		}
		if items := pending(g, map[string]*store.Product{r.Product: p}, exts, []*store.Release{r}, x.req.User, x.now, x.s.loc()); len(items) > 0 {
			b.lines(append([]string{"*Waiting for your answer:*"}, pendingLines(items, showDependents, "`/release list due 1w mine`")...))
			b.context(pendingAnswer(items))
		}
		if len(deps) == 0 {
			b.section("*Depends on:* nothing recorded.")
		} else {
			lines := []string{"*Depends on:*"}
			for _, d := range deps {
				if e, ok := g.EdgeState(d, x.today); ok {
					lines = append(lines, "• "+edgeLine(e, x.today))
				}
			}
			b.lines(lines)
		}
		if len(causes) > 0 {
			lines := []string{"*At risk because:*"}
			for _, cause := range causes {
				lines = append(lines, "• "+causeLine(cause, g, x.today, x.zone()))
			}
			if more {
				lines = append(lines, fmt.Sprintf("…and more; these are the first %d", showCauses))
			}
			b.lines(lines)
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
					lines = append(lines, fmt.Sprintf("• %s by %s — %s", bold(d.Consumer), e.NeededBy.Pretty(), edgeStateText(e, x.today)))
				}
			}
			b.lines(lines)
			if n := g.CountDownstream(r.Key()); n > len(dependents) {
				b.context(fmt.Sprintf("%s downstream in all — `/release impact %s`", plural(n, "release"), r.Ref))
			}
		}
		if len(r.History) > 1 {
			h := r.History[len(r.History)-1]
			b.context(fmt.Sprintf("Last change: %s by %s %s — `/release history %s`", h.Kind, mention(h.By), h.At.In(x.zone()).Format("2006-01-02 15:04 MST"), r.Ref))
		}
		return nil
	})
	if err != nil {
		return store.Doc{}, err
	}
	return b.build(), nil
}

type historyCmd struct{ ref store.Ref }

func parseHistory(p *parser) (Command, error) {
	ref, err := p.release()
	return &historyCmd{ref}, err
}

func (c *historyCmd) run(x *Exec) (store.Doc, error) {
	var r *store.Release
	if err := x.view(func(tx *store.Tx) error {
		var err error
		r, err = loadRelease(tx, c.ref)
		return err
	}); err != nil {
		return store.Doc{}, err
	}
	b := newDoc("History of " + r.Ref.String())
	lines := make([]string, 0, len(r.History))
	for _, h := range r.History {
		lines = append(lines, historyLine(h, x.zone()))
	}
	if n := len(lines) - ListLimit; n > 0 {
		lines = lines[n:]
		b.more(n, "older entries are left out here; the audit log keeps them all")
	}
	b.lines(lines)
	return b.build(), nil
}
