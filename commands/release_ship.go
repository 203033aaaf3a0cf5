package commands

import (
	"fmt"

	"relman/commands/render"
	"relman/store"
)

type shipCmd struct {
	ref    store.Ref
	date   store.Date
	anyway bool // the user confirmed a ship date before the release was added
}

func parseShip(p *parser) (Command, error) {
	c := &shipCmd{date: p.today}
	var err error
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	if p.keyword("on") {
		if c.date, err = p.date("the ship date"); err != nil {
			return nil, err
		}
	}
	c.anyway = p.keyword("anyway")
	return c, p.end()
}

func (c *shipCmd) run(x *Exec) (store.Doc, error) {
	if c.date.After(x.today) {
		return store.Doc{}, invalid("%s is in the future; ship a release on or after the day it ships", c.date.Pretty())
	}
	var r *store.Release
	var reached []string // the stages shipping reached with production
	err := x.update(func(tx *store.Tx) error {
		reached = nil
		var err error
		if r, err = loadRelease(tx, c.ref); err != nil {
			return err
		}
		if err := x.mayShip(tx, r); err != nil {
			return err
		}
		if err := requirePlanned(r, "shipped"); err != nil {
			return err
		}
		if added := store.DateOf(r.CreatedAt, x.zone()); c.date.Before(added) && !c.anyway {
			return invalid("%s is before %s was added (%s); if it really shipped then, end the command with \"anyway\"", c.date.Pretty(), r.Ref, added.Pretty())
		}
		open, err := checklistGate(tx, r, store.Production, c.anyway)
		if err != nil {
			return err
		}
		r.Status, r.ShippedOn = store.Shipped, c.date
		// Shipping reaches every stage; a release that records none (the
		// default pipeline, nothing planned) reads as having reached them.
		if r.Stages != nil {
			reached = r.ReachAll(c.date, x.req.User)
		}
		h := store.HistoryEntry{Kind: store.HistoryShipped, From: r.Target, To: c.date, By: x.req.User, At: x.now, Stages: reached}
		action := "release.ship"
		if len(open) > 0 {
			h.Open, action = render.OpenItemNames(open), "release.ship.checklist-override"
		}
		r.History = append(r.History, h)
		if err := tx.PutRelease(action, r); err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":rocket: %s shipped %s on %s (%s)%s", render.Mention(x.req.User), render.Bold(r.Ref), c.date.Pretty(), shipTiming(r), skippedText(reached)))
		if note := overrideNote("Shipped", open, x.req.User); note != "" {
			b.Section(note)
		}
		if lines := dependentLines(g, r, x.today, "Delivered for:"); lines != nil {
			b.Lines(lines)
		}
		return x.announce(tx, r, b.Build())
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	msg := fmt.Sprintf(":white_check_mark: %s is shipped (%s)%s; posted in %s.", render.Bold(r.Ref), shipTiming(r), skippedText(reached), render.ChannelRef(r.Channel))
	if h := r.History[len(r.History)-1]; len(h.Open) > 0 {
		msg += fmt.Sprintf(" You went ahead with %s open; its history records it.", render.Plural(len(h.Open), "checklist item"))
	}
	b.Section(msg)
	return b.Build(), nil
}

// dependentLines lists the planned releases that depend on r, with their
// owner and the state of their edge, under head; nil when there are none.
func dependentLines(g *store.Graph, r *store.Release, today store.Date, head string) []string {
	lines := []string{head}
	n := 0
	for _, d := range g.Dependents(r.Key()) {
		cr := g.Release(d.Consumer)
		if cr == nil || cr.Status != store.Planned {
			continue
		}
		if n++; n > showDependents {
			continue
		}
		if e, ok := g.EdgeState(d, today); ok {
			lines = append(lines, fmt.Sprintf("• %s (owner %s) needs it%s by %s — %s", render.Bold(d.Consumer), render.Mention(cr.Owner), render.InStage(d.Stage), e.NeededBy.Pretty(), render.EdgeStateText(e, today)))
		}
	}
	if n == 0 {
		return nil
	}
	if n > showDependents {
		lines = append(lines, fmt.Sprintf("…and %d more — `/release impact %s`", n-showDependents, r.Ref))
	}
	return lines
}

func shipTiming(r *store.Release) string {
	n := r.ShippedOn.Sub(r.Target)
	switch {
	case n == 0:
		return "on target"
	case n < 0:
		return render.Days(n) + " early"
	default:
		return render.Days(n) + " after target"
	}
}
