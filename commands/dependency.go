package commands

import (
	"cmp"
	"fmt"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// ---- depend

type dependCmd struct {
	consumer store.Ref
	provider store.Ref  // a release, or
	external string     // an external item's name
	due      store.Date // the external item's date (required when new)
	owner    string     // the external item's owner
	by       store.Date // needed-by; zero: the consumer's target
	byTarget bool       // "by target": the needed-by date follows the consumer's target again
	stage    string     // "in <stage>": the provider's stage it is needed in ("production": shipped)
}

func parseDepend(p *parser) (Command, error) {
	c := &dependCmd{}
	var err error
	if c.consumer, err = p.release(); err != nil {
		return nil, err
	}
	if err := p.expect("on", "before what it depends on"); err != nil {
		return nil, err
	}
	if p.keyword("external") {
		if c.external, err = p.quoted("the external item's name"); err != nil {
			return nil, err
		}
		if err := store.ValidateExternalName(c.external); err != nil {
			return nil, err
		}
	} else if c.provider, err = p.release(); err != nil {
		return nil, err
	}
	for !p.done() {
		switch {
		case p.keyword("by"):
			if !c.by.IsZero() || c.byTarget {
				return nil, repeated("by")
			}
			if p.keyword("target") {
				c.byTarget = true
			} else if c.by, err = p.date("the needed-by date (or \"target\")"); err != nil {
				return nil, err
			}
		case c.external == "" && p.keyword("in"):
			if c.stage != "" {
				return nil, repeated("in")
			}
			w, err := p.word("the provider's stage (like test)")
			if err != nil {
				return nil, err
			}
			if c.stage, err = store.NormalizeStage(w); err != nil {
				return nil, err
			}
		case c.external != "" && p.keyword("due"):
			if !c.due.IsZero() {
				return nil, repeated("due")
			}
			if c.due, err = p.date("the external item's due date"); err != nil {
				return nil, err
			}
		case c.external != "" && p.keyword("owner"):
			if c.owner != "" {
				return nil, repeated("owner")
			}
			if c.owner, err = p.user("the external item's owner"); err != nil {
				return nil, err
			}
		default:
			return nil, p.end()
		}
	}
	return c, nil
}

func (c *dependCmd) run(x *Exec) (store.Doc, error) {
	// The releases are renamed to their stored spelling as they are
	// loaded, in a copy: the parsed command is left as it was.
	cc := *c
	c = &cc
	var edge store.Edge
	var consumer *store.Release
	var updated bool
	var changed string // what a restated dependency changed
	var asked []string // who answers for the provider, asked to commit
	err := x.update(func(tx *store.Tx) error {
		var err error
		if consumer, err = loadRelease(tx, c.consumer); err != nil {
			return err
		}
		c.consumer = consumer.Ref
		if err := x.mayManage(tx, consumer, "change the dependencies of"); err != nil {
			return err
		}
		if err := requirePlanned(consumer, "given dependencies"); err != nil {
			return err
		}
		if c.by.After(consumer.Target) {
			return invalid("%s is after %s's own target, %s: a release can't need something after it ships. Leave out \"by\", or pick a date on or before %s",
				c.by.Pretty(), consumer.Ref, consumer.Target.Pretty(), consumer.Target.Pretty())
		}
		d := &store.Dependency{Consumer: c.consumer, Provider: c.provider, NeededBy: c.by, Stage: c.stage, CreatedAt: x.now, CreatedBy: x.req.User}
		if d.Stage == store.Production { // needed shipped: no stage of its own
			d.Stage = ""
		}
		// The graph is loaded once: for a release it is read before the new
		// edge is written (the cycle check needs it then, and the edge's
		// state depends only on its two ends); for an external item, after
		// the item may have been created.
		var g *store.Graph
		if c.external != "" {
			if err := c.ensureExternal(x, tx); err != nil {
				return err
			}
			d.External, d.Provider = store.ExternalKey(c.external), store.Ref{}
		} else {
			provider, err := loadRelease(tx, c.provider)
			if err != nil {
				return err
			}
			c.provider, d.Provider = provider.Ref, provider.Ref
			if c.stage != "" {
				if err := provider.CheckStage(c.stage); err != nil {
					return err
				}
			}
			if provider.Status == store.Cancelled {
				return store.Errorf(store.EConflict, "%s was cancelled, so nothing can depend on it; depend on the release that replaces it", provider.Ref)
			}
			if g, err = tx.Graph(); err != nil {
				return err
			}
			if cyc := g.Cycle(c.consumer, c.provider); cyc != nil {
				parts := make([]string, len(cyc))
				for i, r := range cyc {
					parts[i] = r.String()
				}
				return store.Errorf(store.EConflict, "that would close a cycle: %s", strings.Join(parts, " → "))
			}
		}
		if old, err := tx.Dependency(c.consumer, d.ProviderKey()); err == nil {
			// What is not restated is kept: without "by", a needed-by date
			// of its own stays, with its request or commitment.
			if c.by.IsZero() && !c.byTarget {
				d.NeededBy = old.NeededBy
			}
			if c.stage == "" {
				d.Stage = old.Stage
			}
			if old.NeededBy == d.NeededBy && old.Stage == d.Stage {
				return store.Errorf(store.EConflict, "%s already depends on %s%s, needed by %s; nothing changed (a new needed-by date: \"by <date>\"; back to its target: \"by target\")", c.consumer, c.providerLabel(), render.InStage(old.Stage), neededByWords(old.NeededBy))
			}
			var what []string
			if old.NeededBy != d.NeededBy {
				what = append(what, fmt.Sprintf("needed by %s, was %s", neededByWords(d.NeededBy), neededByWords(old.NeededBy)))
			}
			if old.Stage != d.Stage {
				what = append(what, fmt.Sprintf("needed in %s, was %s", stageWords(d.Stage), stageWords(old.Stage)))
			}
			changed = strings.Join(what, "; ")
			if old.Handshake != "" && d.NeededBy.IsZero() {
				changed += map[store.Handshake]string{
					store.HandshakeRequested: "; the request to its provider is withdrawn",
					store.HandshakeCommitted: "; its provider's commitment to the old date is set aside",
					store.HandshakeCountered: "; its provider's counter-proposal is set aside",
				}[old.Handshake]
			}
			d.CreatedAt, d.CreatedBy, updated = old.CreatedAt, old.CreatedBy, true
		} else if store.ErrorCode(err) != store.ENotFound {
			return err
		}
		if !d.NeededBy.IsZero() { // a date of its own asks the provider for it (again)
			var err error
			if asked, err = x.request(tx, d); err != nil {
				return err
			}
		}
		if err := tx.PutDependency("dependency.put", d); err != nil {
			return err
		}
		if err := x.recordDependency(tx, consumer, d, "dependency added"); err != nil {
			return err
		}
		if g == nil {
			if g, err = tx.Graph(); err != nil {
				return err
			}
		}
		edge, _ = g.EdgeState(*d, x.today)
		b := render.NewDoc("")
		verb := "now depends on"
		if updated {
			verb = "changed its need of"
		}
		b.Section(fmt.Sprintf(":link: %s: %s %s %s", render.Mention(x.req.User), render.Bold(c.consumer), verb, render.EdgeLine(edge, x.today)))
		if err := x.post(tx, consumer.Channel, b.Build()); err != nil {
			return err
		}
		if err := x.askProvider(tx, asked, edge, consumer); err != nil {
			return err
		}
		touched := Touched{Releases: []store.Ref{consumer.Ref}}
		if c.external != "" { // a new due date of the item concerns all its dependents
			touched.Externals = []string{c.external}
		}
		return x.alert(tx, touched)
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	verb := "Recorded"
	if updated {
		verb = "Updated"
	}
	b.Section(fmt.Sprintf(":white_check_mark: %s: %s depends on %s%s, needed by %s, %s — %s.", verb, render.Bold(c.consumer), c.providerText(), render.InStage(edge.Stage), edge.NeededBy.Pretty(), render.ProviderDue(edge), render.EdgeStateText(edge, x.today)))
	if changed != "" {
		b.Section("Changed: " + changed + ".")
	}
	if len(asked) > 0 {
		b.Section(fmt.Sprintf(":handshake: Asked %s to commit to %s.", render.AndList(mentionList(asked)), edge.NeededBy.Pretty()))
	}
	return b.Build(), nil
}

// stageWords names the stage a dependency is needed in: production for
// none.
func stageWords(stage string) string {
	if stage == "" {
		return store.Production
	}
	return stage
}

// neededByWords says a dependency's needed-by date: its own, or the
// consumer's target when it has none.
func neededByWords(d store.Date) string {
	if d.IsZero() {
		return "its target date"
	}
	return d.Pretty()
}

func (c *dependCmd) providerLabel() string {
	if c.external != "" {
		return "external “" + c.external + "”"
	}
	return c.provider.String()
}

func (c *dependCmd) providerText() string {
	if c.external != "" {
		return "external “" + render.Escape(c.external) + "”"
	}
	return render.Bold(c.provider)
}

// ensureExternal creates the external item, or checks the given due date
// agrees with the one its owner confirmed.
func (c *dependCmd) ensureExternal(x *Exec, tx *store.Tx) error {
	ext, err := tx.External(c.external)
	switch store.ErrorCode(err) {
	case "":
		if c.owner != "" && c.owner != ext.Owner { // restated, not silently dropped
			return store.Errorf(store.EConflict, "external “%s” is owned by %s; leave out \"owner\", or hand it over with /release set external \"%s\" owner %s",
				ext.Name, Plain(render.Mention(ext.Owner)), ext.Name, Plain(render.Mention(c.owner)))
		}
		if !c.due.IsZero() && c.due != ext.Due {
			return store.Errorf(store.EConflict, "external “%s” is already due %s (owner %s); leave out \"due\", or ask its owner to run /release confirm external \"%s\" due %s",
				ext.Name, ext.Due.Pretty(), Plain(render.Mention(ext.Owner)), ext.Name, c.due)
		}
		return nil
	case store.ENotFound:
		if c.due.IsZero() {
			return invalid("external “%s” is new: say when it is due with \"due <date>\"", c.external)
		}
		return tx.PutExternal("external.create", &store.External{
			Name: c.external, Due: c.due, Owner: cmp.Or(c.owner, x.req.User), LastConfirmed: x.now, CreatedAt: x.now, CreatedBy: x.req.User,
			History: []store.HistoryEntry{{Kind: store.HistoryAdded, To: c.due, By: x.req.User, At: x.now}},
		})
	}
	return err
}

// ---- undepend

type undependCmd struct {
	consumer store.Ref
	provider store.Ref
	external string
}

func parseUndepend(p *parser) (Command, error) {
	c := &undependCmd{}
	var err error
	if c.consumer, err = p.release(); err != nil {
		return nil, err
	}
	if err := p.expect("on", "before what it no longer depends on"); err != nil {
		return nil, err
	}
	if p.keyword("external") {
		c.external, err = p.quoted("the external item's name")
		return c, err
	}
	c.provider, err = p.release()
	return c, err
}

func (c *undependCmd) run(x *Exec) (store.Doc, error) {
	// The releases are renamed to their stored spelling in a copy: the
	// parsed command is left as it was.
	cc := *c
	c = &cc
	var label string
	err := x.update(func(tx *store.Tx) error {
		consumer, err := loadRelease(tx, c.consumer)
		if err != nil {
			return err
		}
		c.consumer = consumer.Ref
		key := "ext:" + store.ExternalKey(c.external)
		label = "external “" + render.Escape(c.external) + "”"
		if c.external == "" {
			// The provider may be gone; a release still stored is named
			// as it is stored.
			if c.provider, err = resolveRef(tx, c.provider); err != nil {
				return err
			}
			key, label = c.provider.Key(), render.Bold(c.provider)
		}
		if err := x.mayManage(tx, consumer, "change the dependencies of"); err != nil {
			return err
		}
		d, err := tx.Dependency(c.consumer, key)
		if store.ErrorCode(err) == store.ENotFound {
			what := c.provider.String()
			if c.external != "" {
				what = "external “" + c.external + "”"
			}
			return store.Errorf(store.ENotFound, "%s does not depend on %s", c.consumer, what)
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteDependency("dependency.delete", d); err != nil {
			return err
		}
		if err := x.recordDependency(tx, consumer, d, "dependency removed"); err != nil {
			return err
		}
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":scissors: %s: %s no longer depends on %s", render.Mention(x.req.User), render.Bold(c.consumer), label))
		if err := x.post(tx, consumer.Channel, b.Build()); err != nil {
			return err
		}
		return x.alert(tx, Touched{Releases: []store.Ref{consumer.Ref}})
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":white_check_mark: %s no longer depends on %s.", render.Bold(c.consumer), label))
	return b.Build(), nil
}

// ---- confirm

type confirmCmd struct {
	name   string
	due    store.Date
	reason string // why the date changed; goes to its history and the alerts it causes
}

func parseConfirm(p *parser) (Command, error) {
	if err := p.expect("external", "(only external items are confirmed)"); err != nil {
		return nil, err
	}
	c := &confirmCmd{}
	var err error
	if c.name, err = p.quoted("the external item's name"); err != nil {
		return nil, err
	}
	if p.keyword("due") {
		if c.due, err = p.date("the new due date"); err != nil {
			return nil, err
		}
	}
	c.reason, err = reason(p, false, "")
	return c, err
}

func (c *confirmCmd) run(x *Exec) (store.Doc, error) {
	var ext *store.External
	var old store.Date
	var late []store.Edge
	err := x.update(func(tx *store.Tx) error {
		var err error
		if ext, err = tx.External(c.name); err != nil {
			return err
		}
		if x.req.User != ext.Owner && !x.admin() {
			return store.Errorf(store.EForbidden, "only %s (its owner) or an admin can confirm external “%s”", render.Mention(ext.Owner), ext.Name)
		}
		old = ext.Due
		due := cmp.Or(c.due, ext.Due)
		ext.LastConfirmed = x.now
		ext.History = append(ext.History, store.HistoryEntry{Kind: store.HistoryConfirmed, From: old, To: due, By: x.req.User, At: x.now, Reason: c.reason})
		ext.Due = due
		if err := tx.PutExternal("external.confirm", ext); err != nil {
			return err
		}
		if due == old {
			return nil
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		posted := map[string]bool{}
		for _, d := range g.Dependents("ext:" + store.ExternalKey(ext.Name)) {
			e, ok := g.EdgeState(d, x.today)
			if !ok {
				continue
			}
			if e.Slipped {
				late = append(late, e)
			}
			cr := g.Release(d.Consumer)
			if cr == nil || posted[cr.Key()] || cr.Status != store.Planned {
				continue
			}
			posted[cr.Key()] = true
			b := render.NewDoc("")
			b.Section(fmt.Sprintf(":arrow_right: %s moved external “%s” from %s to %s%s. For %s: %s", render.Mention(x.req.User), render.Escape(ext.Name), old.Pretty(), due.Pretty(), becauseText(c.reason), render.Bold(cr.Ref), render.EdgeLine(e, x.today)))
			if err := x.post(tx, cr.Channel, b.Build()); err != nil {
				return err
			}
		}
		return x.alert(tx, Touched{Externals: []string{ext.Name}})
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	if ext.Due == old {
		b.Section(fmt.Sprintf(":white_check_mark: Confirmed external “%s” is still due %s. Thanks!", render.Escape(ext.Name), render.When(ext.Due, x.today)))
	} else {
		b.Section(fmt.Sprintf(":white_check_mark: External “%s” is now due %s, was %s; its dependents' channels were told.", render.Escape(ext.Name), render.When(ext.Due, x.today), old.Pretty()))
	}
	if len(late) > 0 {
		names := make([]string, 0, len(late))
		for _, e := range late {
			names = append(names, render.Bold(e.Consumer)+": "+render.EdgeStateWords(e, x.today))
		}
		b.Section(fmt.Sprintf(":warning: That puts %s at risk — %s.", render.Plural(len(late), "release"), strings.Join(names, ", ")))
	}
	return b.Build(), nil
}

// becauseText is " because <reason>", escaped, or "" without a reason.
func becauseText(reason string) string {
	if reason == "" {
		return ""
	}
	return " because " + render.Escape(reason)
}

// ---- impact

type impactCmd struct{ ref store.Ref }

// maxIndent is how many levels impact's tree indents.
const maxIndent = 6

var parseImpact = parseView("impact", func(ref store.Ref) Command { return &impactCmd{ref} })

func (c *impactCmd) run(x *Exec) (store.Doc, error) {
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
		// Walks the downstream set and its upstream only, never the whole graph.
		down, total := g.DownstreamFirst(r.Key(), x.today, ListLimit)
		up := g.Upstream(x.today)
		b = render.NewDoc("Impact of " + r.Ref.String())
		head := fmt.Sprintf("%s, %s%s", render.Bold(r.Ref), render.When(r.Date(), x.today), render.ReleaseMarks(r, false, x.today))
		if len(down) == 0 {
			b.Section(fmt.Sprintf("Nothing depends on %s.", head))
			return nil
		}
		b.Section(fmt.Sprintf("%s — %s downstream:", head, render.Plural(total, "release")))
		shown := down
		b.Lines(impactLines(shown, up, x.today))
		b.More(total-len(shown), "the nearest are shown; ask about one of them with `/release impact &lt;release&gt;`")
		b.Context("Every edge into the downstream set is shown; `/release show &lt;release&gt;` says why one is at risk.")
		return nil
	})
	if err != nil {
		return store.Doc{}, err
	}
	return b.Build(), nil
}

// impactLines draws the downstream tree of impact: each release with the
// edges by which it needs the provider's downstream set.
func impactLines(shown []store.Downstream, up *store.Upstream, today store.Date) []string {
	lines := make([]string, 0, len(shown))
	for _, it := range shown {
		needs := make([]string, len(it.Edges))
		slipped := false
		for i, e := range it.Edges {
			needs[i] = fmt.Sprintf("needs %s by %s — %s", render.ProviderShort(e), e.NeededBy.Pretty(), render.EdgeStateText(e, today))
			slipped = slipped || e.Slipped
		}
		// Past a few levels the tree stops indenting and says the depth.
		indent, depth := strings.Repeat("    ", min(it.Depth, maxIndent)-1), ""
		if it.Depth > maxIndent {
			depth = fmt.Sprintf("[depth %d] ", it.Depth)
		}
		line := fmt.Sprintf("%s└ %s%s — %s", indent, depth, render.Bold(it.Release.Ref), strings.Join(needs, "; "))
		if it.Release.OverdueOn(today) {
			line += " · :warning: *overdue* itself (its target has passed)"
		}
		if !slipped && up.AtRisk(it.Release.Ref) {
			line += " · :warning: at risk"
		}
		lines = append(lines, line)
	}
	return lines
}
