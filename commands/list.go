package commands

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// parseListMore parses the list forms that are commands of their own:
// `list [<product>] due <N>d|<N>w` and `list externals`. ok is false when
// the next word starts neither.
func parseListMore(p *parser, c *listCmd) (cmd Command, ok bool, err error) {
	switch {
	case p.keyword("due"):
		d := &listDueCmd{product: c.product, mine: c.mine}
		w, err := p.word("how far ahead (like 2w or 10d)")
		if err != nil {
			return nil, true, err
		}
		if d.days, err = parseSpan(w); err != nil {
			return nil, true, err
		}
		for !p.done() {
			switch {
			case p.keyword("mine", "my"):
				d.mine = true
			default:
				w, err := p.word("a product or mine")
				if err != nil {
					return nil, true, err
				}
				if d.product != "" {
					return nil, true, invalid("list takes one product; %q is a second", render.Clip(w, 40))
				}
				if d.product, err = store.NormalizeProduct(w); err != nil {
					return nil, true, err
				}
			}
		}
		return d, true, nil
	case p.keyword("externals", "external"):
		e := &listExternalsCmd{mine: c.mine}
		if p.keyword("mine", "my") {
			e.mine = true
		}
		if c.product != "" {
			return nil, true, invalid("external items belong to no product: write /release list externals")
		}
		return e, true, nil
	}
	return nil, false, nil
}

// parseSpan reads "2w", "10d" (or a bare number of days).
func parseSpan(w string) (int, error) {
	lw := strings.ToLower(w)
	unit := 1
	switch {
	case strings.HasSuffix(lw, "w"):
		unit, lw = 7, strings.TrimSuffix(lw, "w")
	case strings.HasSuffix(lw, "d"):
		lw = strings.TrimSuffix(lw, "d")
	}
	n, err := strconv.Atoi(lw)
	if err != nil || n < 1 || n*unit > 366 {
		return 0, invalid("%q is not a span of days: write it like 2w or 10d (at most a year)", render.Clip(w, 20))
	}
	return n * unit, nil
}

// ---- list due

// listDueCmd lists what falls due in the next days: planned releases'
// targets and the needed-by dates of dependencies not yet delivered.
type listDueCmd struct {
	days    int
	product string
	mine    bool
}

func (*listDueCmd) readOnly() bool { return true }

type dueItem struct {
	date store.Date
	line string
	ref  store.Ref
}

func (c *listDueCmd) run(x *Exec) (store.Doc, error) {
	until := x.today.AddDays(c.days)
	var items []dueItem
	err := x.view(func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		rels := g.Releases()
		if c.product != "" {
			if rels = g.ReleasesOf(c.product); len(rels) == 0 {
				if err := unknownProduct(tx, c.product); err != nil {
					return err
				}
			}
		}
		var products map[string]*store.Product
		if c.mine {
			if products, err = productMap(tx); err != nil {
				return err
			}
		}
		for _, r := range rels {
			if r.Status != store.Planned || (c.mine && !involves(r, products[r.Product], x.req.User)) {
				continue
			}
			if !r.Target.Before(x.today) && !r.Target.After(until) {
				items = append(items, dueItem{r.Target, fmt.Sprintf(":calendar: %s — %s targets it · %s", render.When(r.Target, x.today), render.Bold(r.Ref), render.Mention(r.Owner)), r.Ref})
			}
			for _, d := range g.Dependencies(r.Ref) {
				e, ok := g.EdgeState(d, x.today)
				if !ok || e.Delivered || e.NeededBy.Before(x.today) || e.NeededBy.After(until) {
					continue
				}
				items = append(items, dueItem{e.NeededBy, fmt.Sprintf(":link: %s — for %s: %s", render.When(e.NeededBy, x.today), render.Bold(r.Ref), render.EdgeLine(e, x.today)), r.Ref})
			}
		}
		return nil
	})
	if err != nil {
		return store.Doc{}, err
	}
	slices.SortStableFunc(items, func(a, b dueItem) int {
		return cmp.Or(a.date.Sub(b.date), cmp.Compare(a.ref.Key(), b.ref.Key()))
	})
	span := fmt.Sprintf("the next %s", render.Days(c.days))
	if c.days%7 == 0 {
		span = "the next " + render.Plural(c.days/7, "week")
		if c.days == 7 {
			span = "the next week"
		}
	}
	scope := ""
	if c.product != "" {
		scope = " of " + c.product
	}
	if c.mine {
		scope += " that you own or hold a role on"
	}
	b := render.NewDoc(fmt.Sprintf("Due in %s (to %s)", span, until.Pretty()))
	if len(items) == 0 {
		b.Section(fmt.Sprintf("No planned release%s has a target or a needed-by date in %s.", scope, span))
		return b.Build(), nil
	}
	shown := items[:min(len(items), ListLimit)]
	lines := make([]string, len(shown))
	for i, it := range shown {
		lines[i] = it.line
	}
	b.Lines(lines)
	b.More(len(items)-len(shown), "narrow it with `/release list &lt;product&gt; due "+strconv.Itoa(c.days)+"d` or a shorter span")
	return b.Build(), nil
}

// involves reports whether user owns r or holds a role on it.
func involves(r *store.Release, p *store.Product, user string) bool {
	if r.Owner == user {
		return true
	}
	for _, role := range store.AllRoles {
		if slices.Contains(r.Holders(role, p), user) {
			return true
		}
	}
	return false
}

// ---- list externals

// listExternalsCmd lists external items: owner, due date, last confirmed.
type listExternalsCmd struct{ mine bool }

func (*listExternalsCmd) readOnly() bool { return true }

func (c *listExternalsCmd) run(x *Exec) (store.Doc, error) {
	var exts []store.External
	deps := map[string]int{}
	err := x.view(func(tx *store.Tx) error {
		var err error
		if exts, err = tx.Externals(); err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		for _, e := range exts {
			deps[e.Name] = len(g.Dependents("ext:" + store.ExternalKey(e.Name)))
		}
		return nil
	})
	if err != nil {
		return store.Doc{}, err
	}
	if c.mine {
		exts = slices.DeleteFunc(exts, func(e store.External) bool { return e.Owner != x.req.User })
	}
	title := "External items"
	if c.mine {
		title = "External items you own"
	}
	b := render.NewDoc(title)
	if len(exts) == 0 {
		if c.mine {
			b.Section("You own no external items.")
		} else {
			b.Section("No external items yet. Record one with `/release depend &lt;release&gt; on external \"&lt;name&gt;\" due &lt;date&gt;`.")
		}
		return b.Build(), nil
	}
	lines := externalLines(x, exts, deps)
	shown := lines[:min(len(lines), ListLimit)]
	b.Lines(shown)
	b.More(len(lines)-len(shown), "see yours with `/release list externals mine`")
	b.Context("External items not confirmed for 14 days are flagged; their owner re-confirms with `/release confirm external \"&lt;name&gt;\"`.")
	return b.Build(), nil
}

// externalLines renders external items by due date, flagging those whose
// date was not confirmed for StaleAfter. deps, when not nil, counts the
// releases that depend on each (by name).
func externalLines(x *Exec, exts []store.External, deps map[string]int) []string {
	exts = slices.Clone(exts)
	slices.SortStableFunc(exts, func(a, b store.External) int {
		return cmp.Or(a.Due.Sub(b.Due), cmp.Compare(store.ExternalKey(a.Name), store.ExternalKey(b.Name)))
	})
	lines := make([]string, 0, len(exts))
	for _, e := range exts {
		n := -1
		if deps != nil {
			n = deps[e.Name]
		}
		lines = append(lines, render.ExternalLine(e, n, x.now, x.today, x.s.loc()))
	}
	return lines
}

// ---- list hooks

// myExternals returns the external items user owns (for `list mine`).
func myExternals(tx *store.Tx, user string) ([]store.External, error) {
	exts, err := tx.Externals()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(exts, func(e store.External) bool { return e.Owner != user }), nil
}

// emptyText says which filter of a list matched nothing: "No planned
// releases of payments are at risk."
func (c *listCmd) emptyText() string {
	status := "planned"
	switch {
	case c.anyS:
		status = ""
	case c.shipped:
		status = "shipped"
	}
	subject := strings.TrimSpace(status + " releases")
	if c.product != "" {
		subject += " of " + c.product
	}
	if c.mine {
		subject += " that you own or hold a role on"
	}
	if c.atRisk {
		return fmt.Sprintf("No %s are at risk.", subject)
	}
	if c.product == "" && !c.mine && !c.shipped {
		return fmt.Sprintf("There are no %s yet. Add a release with `/release add &lt;product&gt; &lt;version&gt; &lt;date&gt;`.", subject)
	}
	return fmt.Sprintf("There are no %s.", subject)
}

// moreHint says how to see the releases a list left out.
func (c *listCmd) moreHint() string {
	if c.product == "" {
		return "narrow it with `/release list &lt;product&gt;`"
	}
	return "narrow it with `/release list " + c.product + " at-risk` or `/release list " + c.product + " due 2w`"
}

type listCmd struct {
	product                     string
	atRisk, mine, shipped, anyS bool
}

// ListLimit is how many releases a list shows before "and N more".
const ListLimit = 50

func parseList(p *parser) (Command, error) {
	c := &listCmd{}
	for !p.done() {
		if cmd, ok, err := parseListMore(p, c); ok {
			return cmd, err
		}
		switch {
		case p.keyword("at-risk", "atrisk", "risk", "at_risk"), p.phrase("at", "risk"):
			c.atRisk = true
		case p.keyword("mine", "my"):
			c.mine = true
		case p.keyword("shipped"):
			c.shipped = true
		case p.keyword("all"):
			c.anyS = true
		default:
			w, err := p.word("a product, at-risk, mine, shipped or all")
			if err != nil {
				return nil, err
			}
			if c.product != "" {
				return nil, invalid("list takes one product; %q is a second", render.Clip(w, 40))
			}
			if c.product, err = store.NormalizeProduct(w); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

func (c *listCmd) run(x *Exec) (store.Doc, error) {
	var rows []*store.Release
	var risks map[store.Ref]*store.Risk
	var products map[string]*store.Product
	var exts []store.External // for mine: the external items the user owns
	err := x.view(func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		if c.mine && !c.atRisk && !c.shipped && c.product == "" { // external items have no status or product
			if exts, err = myExternals(tx, x.req.User); err != nil {
				return err
			}
		}
		risks = g.AtRisk(x.today)
		all := g.ReleasesByDate()
		if c.product != "" {
			if all = g.ReleasesOf(c.product); len(all) == 0 {
				if err := unknownProduct(tx, c.product); err != nil {
					return err
				}
			}
		}
		if c.mine {
			ps, err := tx.Products()
			if err != nil {
				return err
			}
			products = make(map[string]*store.Product, len(ps))
			for i := range ps {
				products[ps[i].Name] = &ps[i]
			}
		}
		rows = make([]*store.Release, 0, len(all))
		for _, r := range all {
			if c.keep(r, risks, products, x.req.User) {
				rows = append(rows, r)
			}
		}
		return nil
	})
	if err != nil {
		return store.Doc{}, err
	}
	if c.product != "" {
		slices.SortFunc(rows, store.CompareByDate) // a product's releases come in key order
	}
	b := render.NewDoc(c.title())
	if len(rows) == 0 {
		b.Section(c.emptyText())
	}
	shown := rows[:min(len(rows), ListLimit)]
	b.Grow(len(shown) * 100)    // a row is about 90 bytes
	row := make([]byte, 0, 160) // each row is rendered into it, then copied into its section
	for _, r := range shown {
		_, risky := risks[r.Ref]
		row = render.AppendReleaseLine(row[:0], r, risky, x.today)
		b.Line(row)
	}
	b.More(len(rows)-len(shown), c.moreHint())
	if len(exts) > 0 {
		b.Lines(append([]string{"*External items you own:*"}, externalLines(x, exts, nil)...))
	}
	return b.Build(), nil
}

func (c *listCmd) keep(r *store.Release, risks map[store.Ref]*store.Risk, products map[string]*store.Product, user string) bool {
	switch {
	case c.anyS:
	case c.shipped:
		if r.Status != store.Shipped {
			return false
		}
	default:
		if r.Status != store.Planned {
			return false
		}
	}
	if c.atRisk {
		if _, ok := risks[r.Ref]; !ok {
			return false
		}
	}
	if c.mine && r.Owner != user {
		p := products[r.Product]
		mine := false
		for _, role := range store.AllRoles {
			if slices.Contains(r.Holders(role, p), user) {
				mine = true
			}
		}
		if !mine {
			return false
		}
	}
	return true
}

func (c *listCmd) title() string {
	var parts []string
	switch {
	case c.anyS:
		parts = append(parts, "All releases")
	case c.shipped:
		parts = append(parts, "Shipped releases")
	default:
		parts = append(parts, "Planned releases")
	}
	if c.product != "" {
		parts = append(parts, "of "+c.product)
	}
	if c.atRisk {
		parts = append(parts, "at risk")
	}
	if c.mine {
		parts = append(parts, "(yours)")
	}
	return strings.Join(parts, " ")
}

// unknownProduct is nil when the product exists (with no releases, it
// lists none), else a not-found error naming the products that do.
func unknownProduct(tx *store.Tx, name string) error {
	if err := knownProducts(tx, []string{name}); store.ErrorCode(err) == store.EInvalid {
		return store.Errorf(store.ENotFound, "%s", store.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	return nil
}
