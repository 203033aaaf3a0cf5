package commands

import (
	"fmt"
	"slices"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// whatIfShown caps the releases and change requests a preview names.
const whatIfShown = 10

// whatIf is what a rehearsed move did, gathered in its transaction before
// the transaction was rolled back.
type whatIf struct {
	r       store.Release
	old     store.Date
	rep     moveReport
	g       *store.Graph          // the graph as the move left it
	atRisk  []riskSlack           // the first whatIfShown of rep.newlyAtRisk, each with its slack
	nAtRisk int                   // how many releases are newly at risk
	crs     []store.ChangeRequest // open CRs on the moved release or a release newly at risk
	freeze  *store.Freeze         // the freeze the new target falls in, if any
	left    *store.Freeze         // the freeze the old target fell in and the new one does not
	pinned  []store.Edge          // its own dependencies still late because their needed-by date is pinned
	broken  []store.EdgeChange    // the commitments the move would break (store.Effects.Broken)
	posts   []string              // channels the move would post in, in order, once each
	dms     []string              // users it would DM, in order, once each
	quiet   bool                  // some DM waits for its recipient's working hours
	queued  int                   // messages it would queue
}

// riskSlack is a release newly at risk and the edge that says how much
// slack it has: its tightest edge towards the moved release (impact's
// slack), or, for the moved release itself, its tightest own dependency.
type riskSlack struct {
	ref  store.Ref
	edge store.Edge
	ok   bool
}

// whatIf runs the move itself in a transaction that is rolled back
// (Exec.rehearse), so the preview is exactly what the move would do and a
// move that is not allowed is refused the same way; it answers privately
// with the report and a "Move it" button that runs the move, checked
// again against the state of the moment it is clicked.
func (c *moveCmd) whatIf(x *Exec) (store.Doc, error) {
	w := &whatIf{}
	move := *c
	move.preview = false
	move.seen = func(tx *store.Tx, r *store.Release, old store.Date, rep *moveReport) error {
		return w.record(x, tx, r, old, rep)
	}
	x.rehearse = true
	_, err := move.run(x)
	x.rehearse, x.queued, x.newsIn = false, 0, nil // nothing was queued after all
	if err != nil {
		return store.Doc{}, err
	}
	return w.doc(x, c), nil
}

// record gathers, inside the move's transaction, what the preview shows.
func (w *whatIf) record(x *Exec, tx *store.Tx, r *store.Release, old store.Date, rep *moveReport) error {
	w.r, w.old, w.rep = *r, old, *rep
	g, err := tx.Graph()
	if err != nil {
		return err
	}
	w.g = g
	newly := make(map[store.Ref]bool, len(rep.newlyAtRisk))
	for _, ref := range rep.newlyAtRisk {
		newly[ref] = true
	}
	if newly[r.Ref] {
		rs := riskSlack{ref: r.Ref}
		for _, d := range g.Dependencies(r.Ref) {
			if e, ok := g.EdgeState(d, x.today); ok && (!rs.ok || e.Slack < rs.edge.Slack) {
				rs.edge, rs.ok = e, true
			}
		}
		w.atRisk = append(w.atRisk, rs)
	}
	// The first of them in impact's order (depth, then slack): only the
	// first levels of the downstream set are evaluated, widened until
	// they hold enough.
	w.nAtRisk = len(newly)
	want, base := min(len(newly), whatIfShown), len(w.atRisk)
	for limit := 4 * whatIfShown; len(w.atRisk) < want; limit *= 4 {
		w.atRisk = w.atRisk[:base]
		first, total := g.DownstreamFirst(r.Key(), x.today, limit)
		for _, d := range first {
			if newly[d.Release.Ref] && len(w.atRisk) < want {
				w.atRisk = append(w.atRisk, riskSlack{ref: d.Release.Ref, edge: d.Edges[0], ok: true})
			}
		}
		if limit >= total {
			break
		}
	}
	for _, d := range g.Dependencies(r.Ref) {
		if d.NeededBy.IsZero() {
			continue
		}
		if e, ok := g.EdgeState(d, x.today); ok && stillNeededBy(e, r.Target) {
			w.pinned = append(w.pinned, e)
		}
	}
	w.broken = rep.fx.Broken
	crs, err := tx.OpenChangeRequests()
	if err != nil {
		return err
	}
	for _, cr := range crs {
		if cr.Release == r.Ref || newly[cr.Release] {
			w.crs = append(w.crs, cr)
		}
	}
	if w.freeze, err = tx.FreezeOn(r.Product, r.Target); err != nil {
		return err
	}
	if f, err := tx.FreezeOn(r.Product, old); err != nil {
		return err
	} else if f != nil && (w.freeze == nil || w.freeze.ID != f.ID) {
		w.left = f
	}
	for _, m := range tx.Queued() {
		w.queued++
		if m.DM {
			w.quiet = w.quiet || m.Quiet
			if !slices.Contains(w.dms, m.Channel) {
				w.dms = append(w.dms, m.Channel)
			}
		} else if !slices.Contains(w.posts, m.Channel) {
			w.posts = append(w.posts, m.Channel)
		}
	}
	return nil
}

// command is the move a preview's "Move it" button runs: the same release,
// the same date (absolute, so a click tomorrow means the same day), the
// same confirmation and reason, without "preview" (Format).
func (c *moveCmd) command() string {
	m := *c
	m.preview, m.seen = false, nil
	return Format(&m)
}

func (w *whatIf) doc(x *Exec, c *moveCmd) store.Doc {
	r := &w.r
	stored := *c
	stored.ref = r.Ref // Move it names the release as it is stored, whatever case was typed
	c = &stored
	b := render.NewDoc("What if " + r.Ref.String() + " moved to " + r.Target.Pretty())
	dir := "later"
	if r.Target.Before(w.old) {
		dir = "earlier"
	}
	line := fmt.Sprintf(":crystal_ball: *Preview, nothing saved.* Moving %s from %s to %s (%s %s)", render.Bold(r.Ref), w.old.Pretty(), r.Target.Pretty(), render.Days(r.Target.Sub(w.old)), dir)
	if c.reason != "" {
		line += " because " + render.Escape(c.reason)
	}
	b.Section(line + " would:")

	rep := w.rep
	rep.newlyAtRisk = nil // listed below, each with its slack
	effects := rep.lines(x, w.g, r)
	for _, l := range effects {
		b.Section(l)
	}
	if n := w.nAtRisk; n > 0 {
		ls := []string{fmt.Sprintf(":warning: *Newly at risk* (%s), with the slack of each one's tightest edge:", render.Plural(n, "release"))}
		for _, rs := range w.atRisk {
			ls = append(ls, riskSlackLine(rs, x.today))
		}
		if n > whatIfShown {
			ls = append(ls, fmt.Sprintf("…and %d more — after the move, `/release impact %s`", n-whatIfShown, r.Ref))
		}
		b.Lines(ls)
	}
	if n := len(w.pinned); n > 0 {
		head := fmt.Sprintf(":warning: *Still late*: %s needs this by a date of its own, which does not move with it:", render.Bold(r.Ref))
		if n > 1 {
			head = fmt.Sprintf(":warning: *Still late*: %s needs these by dates of its own, which do not move with it:", render.Bold(r.Ref))
		}
		ls := []string{head}
		for _, e := range w.pinned[:min(n, whatIfShown)] {
			ls = append(ls, pinnedLine(r, e, x.today))
		}
		if n > whatIfShown {
			ls = append(ls, fmt.Sprintf("…and %d more — `/release show %s`", n-whatIfShown, r.Ref))
		}
		b.Lines(ls)
	}
	if n := len(w.broken); n > 0 {
		ls := []string{fmt.Sprintf(":warning: *Commitments it would break* (%d):", n)}
		for _, ch := range w.broken[:min(n, whatIfShown)] {
			ls = append(ls, "• "+render.BrokenCommitmentLine(ch.After, x.today, x.zone()))
		}
		if n > whatIfShown {
			ls = append(ls, fmt.Sprintf("…and %d more — after the move, `/release impact %s`", n-whatIfShown, r.Ref))
		}
		b.Lines(ls)
	}
	if len(effects) == 0 && w.nAtRisk == 0 && len(w.pinned) == 0 {
		b.Section(":white_check_mark: No dependency would slip or recover, and no release would become at risk.")
	}

	if n := len(w.crs); n > 0 {
		ls := []string{fmt.Sprintf(":ballot_box_with_ballot: *Open change requests it touches* (%d):", n)}
		for _, cr := range w.crs[:min(n, whatIfShown)] {
			ls = append(ls, fmt.Sprintf("• %s “%s” on %s — %s", cr.Name(), render.Escape(render.Clip(cr.Title, 80)), render.Bold(cr.Release), render.ClosesText(cr.Deadline, x.now, x.zone())))
		}
		if n > whatIfShown {
			ls = append(ls, fmt.Sprintf("…and %d more — `/ccb list open`", n-whatIfShown))
		}
		b.Lines(ls)
	}
	// A new target inside a freeze is the move's own report (an admin's
	// override); without one the move, and so the preview, is refused.
	if f := w.left; f != nil {
		b.Section(fmt.Sprintf(":snowflake: It would leave freeze %s (%s, %s to %s), which its current date %s is in.", f.Name(), f.ProductsText(), f.From.Pretty(), f.To.Pretty(), w.old.Pretty()))
	}

	var who []string
	if len(w.posts) > 0 {
		cs := make([]string, len(w.posts))
		for i, ch := range w.posts {
			cs[i] = render.ChannelRef(ch)
		}
		who = append(who, "post in "+render.AndList(cs))
	}
	if len(w.dms) > 0 {
		us := make([]string, len(w.dms))
		for i, u := range w.dms {
			us[i] = render.Mention(u)
		}
		dm := "DM " + render.AndList(us)
		if w.quiet {
			dm += " (in their working hours)"
		}
		who = append(who, dm)
	}
	if len(who) > 0 {
		b.Section(fmt.Sprintf(":loudspeaker: *Who hears of it:* relman would %s — %s.", strings.Join(who, ", and "), render.Plural(w.queued, "message")))
	} else {
		b.Section(":loudspeaker: *Who hears of it:* nobody; the release has no channel.")
	}
	b.Context(fmt.Sprintf("Nothing was saved. *Move it* makes the move, checked again against the state at that moment; or type `/release %s`.", c.command()))
	d := b.Build()
	mv := render.RunButton("Move it", c.command())
	mv.Style = "primary"
	d.Buttons = []store.Button{mv}
	return d
}

// riskSlackLine is one release newly at risk: "• *mobile@5.0* — slack -3
// days: needs *payments@2.3.0* by Fri 2027-02-05 — late (3 days)".
func riskSlackLine(rs riskSlack, today store.Date) string {
	if !rs.ok {
		return "• " + render.Bold(rs.ref)
	}
	e := rs.edge
	return fmt.Sprintf("• %s — slack %s: needs %s by %s — %s", render.Bold(rs.ref), slackDays(e.Slack), render.ProviderName(e), e.NeededBy.Pretty(), render.EdgeStateText(e, today))
}

// slackDays says a slack in days with its sign: "+4 days", "0 days", "−3 days".
func slackDays(n int) string {
	switch {
	case n > 0:
		return "+" + render.Days(n)
	case n < 0:
		return "−" + render.Days(n)
	}
	return "0 days"
}

// stillNeededBy reports whether e, a dependency of a release that would
// target target, is late only because its needed-by date is pinned: the
// date is before target, and the provider would be on time for target.
// Such an edge does not move with its consumer, so a move later leaves the
// release at risk unless the needed-by date moves too.
func stillNeededBy(e store.Edge, target store.Date) bool {
	return e.Slipped && !e.Cancelled && e.NeededBy.Before(target) && target.Sub(e.NeededBy) >= e.DaysLate()
}

// pinnedLine is an edge stillNeededBy says is late because of its pinned
// date, with the command that moves the date to r's target.
func pinnedLine(r *store.Release, e store.Edge, today store.Date) string {
	name := ""
	if e.IsExternal() {
		name = e.ProviderName
	}
	move := Format(&dependCmd{consumer: r.Ref, provider: e.Provider, external: name, by: r.Target})
	return fmt.Sprintf("• %s. Still needed by %s: move that too with `/release %s`", render.EdgeLine(e, today), e.NeededBy.Pretty(), move)
}
