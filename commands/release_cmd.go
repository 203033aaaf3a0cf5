package commands

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"relman/store"
)

// maxReason bounds reasons and titles users type.
const maxReason = 1000

func reason(p *parser, required bool, what string) (string, error) {
	if !p.keyword("because") {
		if required {
			if t, ok := p.peek(); ok {
				return "", invalid("expected \"because <reason>\" %s, not %q", what, clip(t.Text, 40))
			}
			return "", invalid("a reason is required %s: add \"because <reason>\"", what)
		}
		return "", nil
	}
	r := p.rest()
	if r == "" {
		return "", invalid("the reason after \"because\" is empty")
	}
	if n := utf8.RuneCountInString(r); n > maxReason {
		return "", invalid("the reason is too long (%d characters; at most %d)", n, maxReason)
	}
	return r, nil
}

// loadRelease returns the release, or a not-found error that lists the
// product's releases when only the version was wrong.
func loadRelease(tx *store.Tx, ref store.Ref) (*store.Release, error) {
	r, err := tx.Release(ref)
	if store.ErrorCode(err) != store.ENotFound {
		return r, err
	}
	others, lerr := tx.ReleasesOf(ref.Product)
	if lerr != nil || len(others) == 0 {
		return nil, store.Errorf(store.ENotFound, "there is no release %s — add it with /release add %s %s <date>", ref, ref.Product, ref.Version)
	}
	vs := make([]string, 0, len(others))
	for _, o := range others {
		vs = append(vs, o.Version)
	}
	if len(vs) > 8 {
		vs = append(vs[:8], "…")
	}
	return nil, store.Errorf(store.ENotFound, "there is no release %s; %s has %s", ref, ref.Product, strings.Join(vs, ", "))
}

// product returns the release's product (nil if it is somehow missing).
func product(tx *store.Tx, name string) *store.Product {
	p, err := tx.Product(name)
	if err != nil {
		return nil
	}
	return p
}

// mayManage fails with a forbidden error naming who can act on r.
func (x *Exec) mayManage(tx *store.Tx, r *store.Release, verb string) error {
	p := product(tx, r.Product)
	if r.CanManage(x.req.User, p, x.admin()) {
		return nil
	}
	who := []string{mention(r.Owner) + " (owner)"}
	for _, u := range r.Holders(store.ReleaseManager, p) {
		if u != r.Owner {
			who = append(who, mention(u)+" (release manager)")
		}
	}
	return store.Errorf(store.EForbidden, "only %s or an admin can %s %s", strings.Join(who, ", "), verb, r.Ref)
}

func requirePlanned(r *store.Release, verb string) error {
	if r.Status != store.Planned {
		return store.Errorf(store.EConflict, "%s is %s; only planned releases can be %s", r.Ref, r.Status, verb)
	}
	return nil
}

// ---- add

type addCmd struct {
	ref     store.Ref
	date    store.Date
	owner   string
	channel string
	anyway  bool // the user confirmed a target in the past
}

func parseAdd(p *parser) (Command, error) {
	c := &addCmd{}
	var err error
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	if c.date, err = p.date("the target date"); err != nil {
		return nil, store.WithField(err, "date")
	}
	c.anyway = p.trailing("anyway")
	for !p.done() {
		ok, err := p.ownerOrChannel(&c.owner, &c.channel, "the owner")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, p.end()
		}
	}
	return c, nil
}

func (c *addCmd) run(x *Exec) (store.Doc, error) {
	if err := pastDate(c.date, x.today, c.anyway, "add a release with a past target"); err != nil {
		return store.Doc{}, store.WithField(err, "date")
	}
	if c.channel == "" && isDM(x.req.Channel) {
		return store.Doc{}, store.WithField(invalid("this is a direct message, where the release's news can't go: name its channel with \"channel #releases\""), "channel")
	}
	r := &store.Release{
		Ref: c.ref, Target: c.date, Owner: cmp.Or(c.owner, x.req.User), Channel: cmp.Or(c.channel, x.req.Channel),
		Status: store.Planned, CreatedAt: x.now, CreatedBy: x.req.User,
		History: []store.DateChange{{Kind: "added", To: c.date, By: x.req.User, At: x.now}},
	}
	var over *store.Freeze // the freeze an admin overrode
	err := x.update(func(tx *store.Tx) error {
		if old, err := tx.Release(c.ref); err == nil {
			return store.WithField(store.Errorf(store.EConflict, "%s already exists (target %s, owner %s); use /release move to change its date", c.ref, old.Target.Pretty(), Plain(mention(old.Owner))), "version")
		} else if store.ErrorCode(err) != store.ENotFound {
			return err
		}
		if err := checkNewVersion(tx, c.ref); err != nil {
			return store.WithField(err, "version")
		}
		var err error
		if over, err = frozen(tx, x, c.ref.Product, c.date, c.anyway); err != nil {
			return store.WithField(err, "date")
		}
		r.History[0].Freeze = freezeName(over)
		action := "release.add"
		if over != nil {
			action = "release.add.freeze-override"
		}
		if _, err := tx.Product(c.ref.Product); store.ErrorCode(err) == store.ENotFound {
			if err := tx.PutProduct("product.create", &store.Product{Name: c.ref.Product, CreatedAt: x.now, CreatedBy: x.req.User}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if err := tx.PutRelease(action, r); err != nil {
			return err
		}
		b := newDoc("")
		b.section(fmt.Sprintf(":package: %s added %s, target %s. Owner %s.", mention(x.req.User), bold(r.Ref), when(r.Target, x.today), mention(r.Owner)))
		if over != nil {
			b.section(overrideText(over))
		}
		return x.post(tx, r.Channel, b.build())
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := newDoc("")
	msg := fmt.Sprintf(":white_check_mark: Added %s, target %s, owner %s; its news goes to %s.", bold(r.Ref), when(r.Target, x.today), mention(r.Owner), channelRef(r.Channel))
	if r.OverdueOn(x.today) {
		msg += " :warning: Its target has already passed, so it is *overdue*."
	}
	b.section(msg)
	if over != nil {
		b.section(overrideText(over))
	}
	b.context(fmt.Sprintf("Next: `/release depend %s on &lt;release&gt;` to record what it needs.", r.Ref))
	return b.build(), nil
}

// ownerOrChannel reads an "owner @user" or "channel #channel" option into
// owner or channel, if one comes next, and reports whether it did. Each may
// be given once; a channel must be one the bot can post news in.
func (p *parser) ownerOrChannel(owner, channel *string, ownerWhat string) (bool, error) {
	var err error
	switch {
	case p.keyword("owner"):
		if *owner != "" {
			return true, store.WithField(repeated("owner"), "owner")
		}
		*owner, err = p.user(ownerWhat)
		return true, store.WithField(err, "owner")
	case p.keyword("channel"):
		if *channel != "" {
			return true, store.WithField(repeated("channel"), "channel")
		}
		if *channel, err = p.channel(); err == nil {
			err = checkNewsChannel(*channel)
		}
		return true, store.WithField(err, "channel")
	}
	return false, nil
}

// ---- list

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
				return nil, invalid("list takes one product; %q is a second", clip(w, 40))
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
				return store.Errorf(store.ENotFound, "there is no product %q", c.product)
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
	b := newDoc(c.title())
	if len(rows) == 0 {
		b.section(c.emptyText())
	}
	shown := rows[:min(len(rows), ListLimit)]
	lines := make([]string, 0, len(shown))
	for _, r := range shown {
		_, risky := risks[r.Ref]
		line := statusIcon(r, risky) + " " + bold(r.Ref) + " — " + when(r.Date(), x.today) + " · " + mention(r.Owner) + releaseMarks(r, risky, x.today)
		lines = append(lines, line)
	}
	b.lines(lines)
	b.more(len(rows)-len(shown), c.moreHint())
	if len(exts) > 0 {
		b.lines(append([]string{"*External items you own:*"}, externalLines(x, exts, nil)...))
	}
	return b.build(), nil
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

// ---- show

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

// ---- move

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
		return invalid("%s is in the past (%s ago); to %s anyway, end the command with \"anyway\"", d.Pretty(), days(today.Sub(d)), what)
	}
	return nil
}

// moveReport is what a move changed downstream and for the moved release
// itself, said the same way in the reply and in the channel's news.
type moveReport struct {
	newlyAtRisk []store.Ref           // releases at risk after the move and not before (the moved one included)
	own         []store.Edge          // the moved release's own dependencies that slipped or got worse
	capped      []store.Dependency    // its needed-by dates capped to the new target (with the old date in oldBy)
	oldBy       map[string]store.Date // dependency key → needed-by before capping
	changed     []edgeChange          // its dependents' edges whose state changed
	freeze      *store.Freeze         // the freeze an admin overrode to move it inside, or nil
}

type edgeChange struct{ before, after store.Edge }

// riskAround returns the releases at risk among r and everything
// downstream of it, walking only that part of the graph and its upstream.
func riskAround(g *store.Graph, r store.Ref, today store.Date) map[store.Ref]bool {
	out := map[store.Ref]bool{}
	up := g.Upstream(today)
	if up.AtRisk(r) {
		out[r] = true
	}
	for _, d := range g.DownstreamReleases(r.Key()) {
		if up.AtRisk(d.Ref) {
			out[d.Ref] = true
		}
	}
	return out
}

// newSlip reports whether an edge of r (its own dependencies) or on r
// (its dependents') has slipped in g and had not before.
func newSlip(g *store.Graph, r *store.Release, ownBefore, downBefore map[string]store.Edge, today store.Date) bool {
	for _, ds := range [...]struct {
		deps   []store.Dependency
		before map[string]store.Edge
	}{{g.Dependencies(r.Ref), ownBefore}, {g.Dependents(r.Key()), downBefore}} {
		for _, d := range ds.deps {
			if e, ok := g.EdgeState(d, today); ok && e.Slipped && !ds.before[d.Key()].Slipped {
				return true
			}
		}
	}
	return false
}

func edgesByKey(g *store.Graph, deps []store.Dependency, today store.Date) map[string]store.Edge {
	out := make(map[string]store.Edge, len(deps))
	for _, d := range deps {
		if e, ok := g.EdgeState(d, today); ok {
			out[d.Key()] = e
		}
	}
	return out
}

// worse reports whether edge state a is worse than b for its consumer.
func worse(a, b store.Edge) bool {
	rank := func(e store.Edge) int {
		switch e.Kind {
		case store.Late:
			return 1
		case store.Overdue:
			return 2
		case store.ProviderCancelled:
			return 3
		}
		return 0
	}
	if rank(a) != rank(b) {
		return rank(a) > rank(b)
	}
	return a.Kind == store.Late && a.DaysLate() > b.DaysLate()
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
			return invalid("moving %s later (from %s to %s) needs a reason: add \"because <reason>\"", r.Ref, old.Pretty(), c.date.Pretty())
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
		ownBefore := edgesByKey(g0, g0.Dependencies(r.Ref), x.today)
		downBefore := edgesByKey(g0, g0.Dependents(r.Key()), x.today)

		r.Target = c.date
		r.History = append(r.History, store.DateChange{Kind: "moved", From: old, To: c.date, By: x.req.User, At: x.now, Reason: c.reason, Freeze: freezeName(rep.freeze)})
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
		// Only the edges of and on r changed; unless one of them newly
		// slipped, no release is newly at risk, and the walks are spared.
		if newSlip(g, r, ownBefore, downBefore, x.today) {
			riskBefore := riskAround(g0, r.Ref, x.today)
			for ref := range riskAround(g, r.Ref, x.today) {
				if !riskBefore[ref] {
					rep.newlyAtRisk = append(rep.newlyAtRisk, ref)
				}
			}
		}
		slices.SortFunc(rep.newlyAtRisk, func(a, b store.Ref) int { return cmp.Compare(a.Key(), b.Key()) })
		for _, d := range g.Dependencies(r.Ref) {
			if e, ok := g.EdgeState(d, x.today); ok && e.Slipped && worse(e, ownBefore[d.Key()]) {
				rep.own = append(rep.own, e)
			}
		}
		for _, d := range g.Dependents(r.Key()) {
			e, ok := g.EdgeState(d, x.today)
			// A change is what a reader would see change: the state's words.
			if b, had := downBefore[d.Key()]; ok && had && edgeStateWords(e, x.today) != edgeStateWords(b, x.today) {
				rep.changed = append(rep.changed, edgeChange{b, e})
			}
		}
		if err := x.post(tx, r.Channel, moveNews(x, g, r, old, c.reason, &rep)); err != nil {
			return err
		}
		if err := x.alert(tx, Scope{Releases: []store.Ref{r.Ref}}); err != nil {
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
	b := newDoc("")
	b.section(fmt.Sprintf(":white_check_mark: Moved %s from %s to %s; posted in %s.", bold(r.Ref), old.Pretty(), when(r.Target, x.today), channelRef(r.Channel)))
	for _, l := range rep.lines(x, nil, r) {
		b.section(l)
	}
	return b.build(), nil
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
		ls := []string{fmt.Sprintf(":warning: This makes %s itself late:", bold(r.Ref))}
		for _, e := range rep.own {
			ls = append(ls, "• "+edgeLine(e, x.today))
		}
		out = append(out, strings.Join(ls, "\n"))
	}
	if len(rep.capped) > 0 {
		ls := []string{fmt.Sprintf(":scissors: Needed-by dates after the new target were moved to it, %s:", r.Target.Pretty())}
		for _, d := range rep.capped {
			what := bold(d.Provider)
			if d.IsExternal() {
				what = "external “" + Escape(d.External) + "”"
			}
			ls = append(ls, fmt.Sprintf("• %s (was needed by %s)", what, rep.oldBy[d.Key()].Pretty()))
		}
		out = append(out, strings.Join(ls, "\n"))
	}
	var late, less, recovered []string
	for _, ch := range rep.changed {
		who := bold(ch.after.Consumer)
		if g != nil {
			if cr := g.Release(ch.after.Consumer); cr != nil {
				who += " (owner " + mention(cr.Owner) + ")"
			}
		}
		line := fmt.Sprintf("• %s needs it by %s — %s", who, ch.after.NeededBy.Pretty(), edgeStateText(ch.after, x.today))
		switch {
		case worse(ch.after, ch.before):
			if ch.before.Slipped {
				line += " (was " + edgeStateWords(ch.before, x.today) + ")"
			}
			late = append(late, line)
		case ch.after.Slipped:
			less = append(less, line+" (was "+edgeStateWords(ch.before, x.today)+")")
		case ch.before.Slipped:
			recovered = append(recovered, line+" (was "+edgeStateWords(ch.before, x.today)+")")
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
			names = append(names, bold(ref))
		}
		s := strings.Join(names, ", ")
		if n > newlyAtRiskShown {
			s += fmt.Sprintf(" …and %d more", n-newlyAtRiskShown)
		}
		out = append(out, fmt.Sprintf(":warning: %s newly at risk: %s — see `/release impact %s`.", plural(n, "release"), s, r.Ref))
	}
	return out
}

func moveNews(x *Exec, g *store.Graph, r *store.Release, old store.Date, why string, rep *moveReport) store.Doc {
	b := newDoc("")
	dir := "later"
	if r.Target.Before(old) {
		dir = "earlier"
	}
	line := fmt.Sprintf(":arrow_right: %s moved %s %s, from %s to %s (%s %s)", mention(x.req.User), bold(r.Ref), dir, old.Pretty(), r.Target.Pretty(), days(r.Target.Sub(old)), dir)
	if why != "" {
		line += " because " + Escape(why)
	}
	b.section(line)
	for _, l := range rep.lines(x, g, r) {
		b.section(l)
	}
	return b.build()
}

// ---- ship

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
	err := x.update(func(tx *store.Tx) error {
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
		r.Status, r.ShippedOn = store.Shipped, c.date
		r.History = append(r.History, store.DateChange{Kind: "shipped", From: r.Target, To: c.date, By: x.req.User, At: x.now})
		if err := tx.PutRelease("release.ship", r); err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		b := newDoc("")
		b.section(fmt.Sprintf(":rocket: %s shipped %s on %s (%s)", mention(x.req.User), bold(r.Ref), c.date.Pretty(), shipTiming(r)))
		if lines := dependentLines(g, r, x.today, "Delivered for:"); lines != nil {
			b.lines(lines)
		}
		if err := x.post(tx, r.Channel, b.build()); err != nil {
			return err
		}
		return x.alert(tx, Scope{Releases: []store.Ref{r.Ref}})
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := newDoc("")
	b.section(fmt.Sprintf(":white_check_mark: %s is shipped (%s); posted in %s.", bold(r.Ref), shipTiming(r), channelRef(r.Channel)))
	return b.build(), nil
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
			lines = append(lines, fmt.Sprintf("• %s (owner %s) needs it by %s — %s", bold(d.Consumer), mention(cr.Owner), e.NeededBy.Pretty(), edgeStateText(e, today)))
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
		return days(n) + " early"
	default:
		return days(n) + " after target"
	}
}

// ---- cancel

type cancelCmd struct {
	ref    store.Ref
	reason string
}

func parseCancel(p *parser) (Command, error) {
	c := &cancelCmd{}
	var err error
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	c.reason, err = reason(p, true, "to cancel a release")
	return c, err
}

func (c *cancelCmd) run(x *Exec) (store.Doc, error) {
	var r *store.Release
	var broken []store.Dependency
	err := x.update(func(tx *store.Tx) error {
		var err error
		if r, err = loadRelease(tx, c.ref); err != nil {
			return err
		}
		if err := x.mayManage(tx, r, "cancel"); err != nil {
			return err
		}
		if err := requirePlanned(r, "cancelled"); err != nil {
			return err
		}
		r.Status = store.Cancelled
		r.History = append(r.History, store.DateChange{Kind: "cancelled", From: r.Target, By: x.req.User, At: x.now, Reason: c.reason})
		if err := tx.PutRelease("release.cancel", r); err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		for _, d := range g.Dependents(r.Key()) {
			if cr := g.Release(d.Consumer); cr != nil && cr.Status == store.Planned {
				broken = append(broken, d)
			}
		}
		b := newDoc("")
		b.section(fmt.Sprintf(":no_entry_sign: %s cancelled %s because %s", mention(x.req.User), bold(r.Ref), Escape(c.reason)))
		if lines := dependentLines(g, r, x.today, ":warning: These releases depend on it:"); lines != nil {
			b.lines(lines)
		}
		if err := x.post(tx, r.Channel, b.build()); err != nil {
			return err
		}
		return x.alert(tx, Scope{Releases: []store.Ref{r.Ref}})
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := newDoc("")
	msg := fmt.Sprintf(":white_check_mark: Cancelled %s; posted in %s.", bold(r.Ref), channelRef(r.Channel))
	if n := len(broken); n == 1 {
		msg += fmt.Sprintf(" %s depended on it and is now at risk.", bold(broken[0].Consumer))
	} else if n > 1 {
		msg += fmt.Sprintf(" %s depended on it and are now at risk — see `/release impact %s`.", plural(n, "release"), r.Ref)
	}
	b.section(msg)
	return b.build(), nil
}

// ---- history

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
