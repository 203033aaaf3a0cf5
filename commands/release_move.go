package commands

import (
	"fmt"
	"strings"

	"relman/commands/render"
	"relman/store"
)

type moveCmd struct {
	ref    store.Ref
	date   store.Date
	reason string
	anyway bool // the user confirmed a date in the past
	// preview asks what the move would do, saving nothing (whatif.go).
	preview bool
	// seen, set by a preview, is told what the move did at the end of
	// its transaction, before that is rolled back.
	seen func(tx *store.Tx, r *store.Release, old store.Date, rep *moveReport) error
}

func parseMove(p *parser) (Command, error) {
	c := &moveCmd{}
	var err error
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	if c.date, err = p.date("the new date"); err != nil {
		return nil, err
	}
	c.anyway = p.keyword("anyway")
	c.preview = p.trailing("preview") // "… [anyway] preview"
	if !c.anyway && (c.date.Before(p.today) || !c.preview && p.trailingPair("preview", "anyway")) {
		c.anyway = p.trailing("anyway") // "… because <reason> anyway"
	}
	if !c.preview {
		c.preview = p.trailing("preview") // "… preview anyway"
	}
	c.reason, err = reason(p, false, "")
	return c, err
}

// trailingPair reports whether the last two tokens are the words a and b
// (any case), leaving them in place.
func (p *parser) trailingPair(a, b string) bool {
	n := len(p.toks)
	return n-2 >= p.pos && p.toks[n-2].Kind == Word && p.toks[n-1].Kind == Word &&
		strings.EqualFold(p.toks[n-2].Text, a) && strings.EqualFold(p.toks[n-1].Text, b)
}

// trailing removes the last token if it is word (any case), and reports
// whether it did: confirmation words come last, after free text.
func (p *parser) trailing(word string) bool {
	n := len(p.toks)
	if n <= p.pos || p.toks[n-1].Kind != Word || !strings.EqualFold(p.toks[n-1].Text, word) {
		return false
	}
	p.text = p.text[:p.toks[n-1].Start]
	p.toks = p.toks[:n-1]
	return true
}

// pastDate refuses a date before today unless the user said "anyway".
func pastDate(d, today store.Date, anyway bool, what string) error {
	if d.Before(today) && !anyway {
		return invalid("%s is in the past (%s ago); to %s anyway, end the command with \"anyway\"", d.Pretty(), render.Days(today.Sub(d)), what)
	}
	return nil
}

// moveReport is what a move changed downstream and for the moved release
// itself, said the same way in the reply and in the channel's news. Its
// edge and risk fields are read off the move's store.Effects, computed
// once from the graph before and after: what changed is decided on values
// (store.Edge.Standing), never on the words that render them.
type moveReport struct {
	fx          store.Effects         // the move's effects on the graph
	newlyAtRisk []store.Ref           // releases at risk after the move and not before (the moved one included)
	own         []store.Edge          // the moved release's own dependencies that slipped or got worse
	capped      []store.Dependency    // its needed-by dates capped to the new target (with the old date in oldBy)
	oldBy       map[string]store.Date // dependency key → needed-by before capping
	changed     []store.EdgeChange    // its dependents' edges whose state changed
	freeze      *store.Freeze         // the freeze an admin overrode to move it inside, or nil
}

// effects fills the report from fx, the effects of moving r: its own
// dependencies that slipped or got worse, its dependents' edges whose
// state changed, and the releases newly at risk.
func (rep *moveReport) effects(fx store.Effects, r store.Ref) {
	rep.fx = fx
	rep.newlyAtRisk = fx.NewlyAtRisk
	for _, ch := range fx.Changed {
		if ch.Added() || ch.Removed() {
			continue
		}
		switch {
		case ch.After.Consumer == r:
			if ch.After.Slipped && ch.After.WorseThan(ch.Before) {
				rep.own = append(rep.own, ch.After)
			}
		case ch.After.Provider == r:
			rep.changed = append(rep.changed, ch)
		}
	}
}

func (c *moveCmd) run(x *Exec) (store.Doc, error) {
	if c.preview {
		return c.whatIf(x)
	}
	var r *store.Release
	var old store.Date
	var rep moveReport
	err := x.update(func(tx *store.Tx) error {
		rep = moveReport{}
		var err error
		if r, err = loadRelease(tx, c.ref); err != nil {
			return err
		}
		if err := x.mayManage(tx, r, "move"); err != nil {
			return err
		}
		if err := requirePlanned(r, "moved"); err != nil {
			return err
		}
		old = r.Target
		if c.date == old {
			return invalid("%s already targets %s", r.Ref, old.Pretty())
		}
		if err := pastDate(c.date, x.today, c.anyway, "move "+r.Ref.String()+" into the past"); err != nil {
			return err
		}
		if c.date.After(old) && c.reason == "" {
			return store.WithField(invalid("moving %s later (from %s to %s) needs a reason: add \"because <reason>\"", r.Ref, old.Pretty(), c.date.Pretty()), "reason")
		}
		if rep.freeze, err = frozen(tx, x, r.Product, c.date, c.anyway); err != nil {
			return err
		}
		action := "release.move"
		if rep.freeze != nil {
			action = "release.move.freeze-override"
		}
		g0, err := tx.Graph()
		if err != nil {
			return err
		}
		r.Target = c.date
		r.History = append(r.History, store.HistoryEntry{Kind: store.HistoryMoved, From: old, To: c.date, By: x.req.User, At: x.now, Reason: c.reason, Freeze: freezeName(rep.freeze)})
		if err := tx.PutRelease(action, r); err != nil {
			return err
		}
		// A release can't need anything after its own target: a fixed
		// needed-by date past the new target is capped to it.
		rep.oldBy = map[string]store.Date{}
		asks := map[string][]string{} // a capped date asks the provider again
		for _, d := range g0.Dependencies(r.Ref) {
			if d.NeededBy.After(c.date) {
				rep.oldBy[d.Key()] = d.NeededBy
				d.NeededBy = c.date
				if d.Handshake != "" {
					if asks[d.Key()], err = x.request(tx, &d); err != nil {
						return err
					}
				}
				if err := tx.PutDependency("dependency.cap", &d); err != nil {
					return err
				}
				rep.capped = append(rep.capped, d)
			}
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		for _, d := range rep.capped {
			if e, ok := g.EdgeState(d, x.today); ok {
				if err := x.askProvider(tx, asks[d.Key()], e, r); err != nil {
					return err
				}
			}
		}
		// Only the edges of and on r changed (its capped needed-by dates
		// are its own edges).
		rep.effects(store.EffectsOf(g0, g, x.today, r.Key()), r.Ref)
		if err := x.post(tx, r.Channel, moveNews(x, g, r, old, c.reason, &rep)); err != nil {
			return err
		}
		if err := x.alert(tx, Touched{Releases: []store.Ref{r.Ref}}); err != nil {
			return err
		}
		if c.seen != nil {
			return c.seen(tx, r, old, &rep)
		}
		return nil
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":white_check_mark: Moved %s from %s to %s; posted in %s.", render.Bold(r.Ref), old.Pretty(), render.When(r.Target, x.today), render.ChannelRef(r.Channel)))
	for _, l := range rep.lines(x, nil, r) {
		b.Section(l)
	}
	return b.Build(), nil
}

// newlyAtRiskShown caps the releases a move report names.
const newlyAtRiskShown = 10

// lines renders the report: one paragraph per kind of effect. g, when not
// nil, adds the owners of dependents (for the channel's news).
func (rep *moveReport) lines(x *Exec, g *store.Graph, r *store.Release) []string {
	var out []string
	if rep.freeze != nil {
		out = append(out, overrideText(rep.freeze))
	}
	if len(rep.own) > 0 {
		ls := []string{fmt.Sprintf(":warning: This makes %s itself late:", render.Bold(r.Ref))}
		for _, e := range rep.own {
			ls = append(ls, "• "+render.EdgeLine(e, x.today))
		}
		out = append(out, strings.Join(ls, "\n"))
	}
	if len(rep.capped) > 0 {
		ls := []string{fmt.Sprintf(":scissors: Needed-by dates after the new target were moved to it, %s:", r.Target.Pretty())}
		for _, d := range rep.capped {
			what := render.Bold(d.Provider)
			if d.IsExternal() {
				what = "external “" + render.Escape(d.External) + "”"
			}
			ls = append(ls, fmt.Sprintf("• %s (was needed by %s)", what, rep.oldBy[d.Key()].Pretty()))
		}
		out = append(out, strings.Join(ls, "\n"))
	}
	var late, less, recovered []string
	for _, ch := range rep.changed {
		who := render.Bold(ch.After.Consumer)
		if g != nil {
			if cr := g.Release(ch.After.Consumer); cr != nil {
				who += " (owner " + render.Mention(cr.Owner) + ")"
			}
		}
		line := fmt.Sprintf("• %s needs it%s by %s — %s", who, render.InStage(ch.After.Stage), ch.After.NeededBy.Pretty(), render.EdgeStateText(ch.After, x.today))
		switch {
		case ch.After.WorseThan(ch.Before):
			if ch.Before.Slipped {
				line += " (was " + render.EdgeStateWords(ch.Before, x.today) + ")"
			}
			late = append(late, line)
		case ch.After.Slipped:
			less = append(less, line+" (was "+render.EdgeStateWords(ch.Before, x.today)+")")
		case ch.Before.Slipped:
			recovered = append(recovered, line+" (was "+render.EdgeStateWords(ch.Before, x.today)+")")
		}
	}
	if len(late) > 0 {
		out = append(out, strings.Join(append([]string{":warning: Now late for:"}, late...), "\n"))
	}
	if len(less) > 0 {
		out = append(out, strings.Join(append([]string{":warning: Still late, by less, for:"}, less...), "\n"))
	}
	if len(recovered) > 0 {
		out = append(out, strings.Join(append([]string{":white_check_mark: No longer late for:"}, recovered...), "\n"))
	}
	if n := len(rep.newlyAtRisk); n > 0 {
		names := make([]string, 0, min(n, newlyAtRiskShown))
		for _, ref := range rep.newlyAtRisk[:min(n, newlyAtRiskShown)] {
			names = append(names, render.Bold(ref))
		}
		s := strings.Join(names, ", ")
		if n > newlyAtRiskShown {
			s += fmt.Sprintf(" …and %d more", n-newlyAtRiskShown)
		}
		out = append(out, fmt.Sprintf(":warning: %s newly at risk: %s — see `/release impact %s`.", render.Plural(n, "release"), s, r.Ref))
	}
	return out
}

func moveNews(x *Exec, g *store.Graph, r *store.Release, old store.Date, why string, rep *moveReport) store.Doc {
	b := render.NewDoc("")
	dir := "later"
	if r.Target.Before(old) {
		dir = "earlier"
	}
	line := fmt.Sprintf(":arrow_right: %s moved %s %s, from %s to %s (%s %s)", render.Mention(x.req.User), render.Bold(r.Ref), dir, old.Pretty(), r.Target.Pretty(), render.Days(r.Target.Sub(old)), dir)
	if why != "" {
		line += " because " + render.Escape(why)
	}
	b.Section(line)
	for _, l := range rep.lines(x, g, r) {
		b.Section(l)
	}
	return b.Build()
}
