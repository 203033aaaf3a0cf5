package commands

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"relman/commands/render"
	"relman/store"
)

// ---- freeze

// freezeCmd adds a freeze window (op ""), lists them ("list") or removes
// one ("remove").
type freezeCmd struct {
	op       string
	products []string // none: every product
	from, to store.Date
	reason   string
	id       int
	isNew    bool // "new" at the end: a product named is new even though its name is close to another's
}

func (c *freezeCmd) readOnly() bool { return c.op == "list" }

// parseFreeze reads `freeze list`, `freeze remove <id>` or `freeze
// <product… | all> <from> <to> because <reason…>`. The last two words
// before "because" are the dates, so a product may be named like a day.
func parseFreeze(p *parser) (Command, error) {
	n := len(p.toks) - p.pos
	switch {
	case n == 1 && p.isWord("list"):
		p.pos++
		return &freezeCmd{op: "list"}, nil
	case n == 2 && p.isWord("remove", "delete", "rm"):
		p.pos++
		w, _ := p.word("the freeze to remove (like FZ-3)")
		id, err := store.ParseFreezeID(w)
		return &freezeCmd{op: "remove", id: id}, err
	case n == 1 && p.isWord("remove", "delete", "rm"):
		return nil, invalid("missing the freeze to remove: use its number, like FZ-3 (see /release freeze list)")
	case n > 1 && p.isWord("list") && !slices.ContainsFunc(p.toks[p.pos:], func(t Token) bool { return t.Kind == Word && strings.EqualFold(t.Text, "because") }):
		return nil, invalid("freeze list shows every freeze; it takes nothing after it")
	}
	c := &freezeCmd{isNew: p.trailingNew()}
	var words []string
	for !p.done() && !p.isWord("because") {
		w, err := p.word("a product, all, or the first and last day of the freeze")
		if err != nil {
			return nil, err
		}
		words = append(words, w)
	}
	if len(words) < 3 {
		return nil, invalid("a freeze needs the products (or all), its first day and its last day, like payments 2027-12-20 2028-01-03")
	}
	var err error
	if c.from, err = ParseDate(words[len(words)-2], p.today); err != nil {
		return nil, err
	}
	if c.to, err = ParseDate(words[len(words)-1], p.today); err != nil {
		return nil, err
	}
	all := false
	for _, w := range words[:len(words)-2] {
		if strings.EqualFold(w, "all") {
			all = true
			continue
		}
		prod, err := store.NormalizeProduct(w)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(c.products, prod) {
			c.products = append(c.products, prod)
		}
	}
	if all && len(c.products) > 0 {
		return nil, invalid("a freeze is for all products or for some: name the products, or say all alone")
	}
	slices.Sort(c.products)
	c.reason, err = reason(p, true, "for a freeze")
	return c, err
}

func (c *freezeCmd) run(x *Exec) (store.Doc, error) {
	switch c.op {
	case "list":
		return c.list(x)
	case "remove":
		return c.remove(x)
	}
	return c.add(x)
}

func (c *freezeCmd) add(x *Exec) (store.Doc, error) {
	f := &store.Freeze{Products: c.products, From: c.from, To: c.to, Reason: c.reason, CreatedBy: x.req.User, CreatedAt: x.now}
	switch {
	case c.to.Before(c.from):
		return store.Doc{}, invalid("the freeze ends on %s, before it starts on %s: give the first day, then the last", c.to.Pretty(), c.from.Pretty())
	case c.to.Before(x.today):
		return store.Doc{}, invalid("a freeze from %s to %s has already ended (%s ago): give dates from today on", c.from.Pretty(), c.to.Pretty(), render.Days(x.today.Sub(c.to)))
	}
	var inside []*store.Release
	var posted []string
	err := x.update(func(tx *store.Tx) error {
		inside, posted = nil, nil
		for _, name := range c.products { // a freeze can be set before a product's first release
			if _, err := x.ensureProduct(tx, name, c.isNew); err != nil {
				return err
			}
		}
		if err := x.mayFreeze(tx, f, "freeze"); err != nil {
			return err
		}
		if err := tx.NewFreeze("freeze.add", f); err != nil {
			return err
		}
		var err error
		if inside, err = plannedInside(tx, f); err != nil {
			return err
		}
		posted, err = x.freezeNews(tx, f, inside, false)
		return err
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":white_check_mark: *%s*: %s frozen %s: “%s”. No release of %s can be targeted inside it; an admin can go ahead with `anyway`.",
		f.Name(), f.ProductsText(), render.FreezeSpan(f), render.Escape(f.Reason), freezeWhom(f)))
	if len(inside) > 0 {
		lines := []string{fmt.Sprintf("Already targeted inside it (%d; they stay where they are):", len(inside))}
		for i, r := range inside {
			if i == showDependents {
				lines = append(lines, fmt.Sprintf("…and %d more", len(inside)-i))
				break
			}
			lines = append(lines, fmt.Sprintf("• %s — %s · %s", render.Bold(r.Ref), r.Target.Pretty(), render.Mention(r.Owner)))
		}
		b.Lines(lines)
	}
	if len(posted) > 0 {
		b.Context("Posted in " + channelList(posted) + ".")
	}
	b.Context(fmt.Sprintf("`/release freeze list` shows the freezes; `/release freeze remove %s` ends this one.", f.Name()))
	return b.Build(), nil
}

func (c *freezeCmd) list(x *Exec) (store.Doc, error) {
	var fs []store.Freeze
	if err := x.view(func(tx *store.Tx) error {
		var err error
		fs, err = tx.Freezes()
		return err
	}); err != nil {
		return store.Doc{}, err
	}
	ended := 0
	var shown []store.Freeze
	for _, f := range fs {
		if f.To.Before(x.today) {
			ended++
			continue
		}
		shown = append(shown, f)
	}
	slices.SortStableFunc(shown, func(a, b store.Freeze) int { return a.From.Sub(b.From) })
	b := render.NewDoc("Freeze windows")
	if len(shown) == 0 {
		b.Section("No freeze is in progress or coming up. Add one with `/release freeze &lt;product… | all&gt; &lt;from&gt; &lt;to&gt; because &lt;reason&gt;`.")
	}
	lines := make([]string, 0, min(len(shown), ListLimit))
	for i := range shown[:min(len(shown), ListLimit)] {
		f := &shown[i]
		lines = append(lines, fmt.Sprintf(":snowflake: *%s* · %s · %s, %s — “%s” · by %s", f.Name(), f.ProductsText(), render.FreezeSpan(f), render.FreezeState(f, x.today), render.Escape(f.Reason), render.Mention(f.CreatedBy)))
	}
	b.Lines(lines)
	b.More(len(shown)-len(lines), "the oldest are shown first")
	if ended > 0 {
		b.Context(fmt.Sprintf("%s ended and %s not shown.", render.Plural(ended, "freeze"), isAre(ended)))
	}
	return b.Build(), nil
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func (c *freezeCmd) remove(x *Exec) (store.Doc, error) {
	var f *store.Freeze
	var posted []string
	err := x.update(func(tx *store.Tx) error {
		var err error
		if f, err = tx.Freeze(c.id); err != nil {
			return err
		}
		if err := x.mayFreeze(tx, f, "unfreeze"); err != nil {
			return err
		}
		if err := tx.DeleteFreeze("freeze.remove", f.ID); err != nil {
			return err
		}
		inside, err := plannedInside(tx, f)
		if err != nil {
			return err
		}
		posted, err = x.freezeNews(tx, f, inside, true)
		return err
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	msg := fmt.Sprintf(":white_check_mark: Removed *%s* (%s, %s: “%s”); its releases can be targeted on those days again.", f.Name(), f.ProductsText(), render.FreezeSpan(f), render.Escape(f.Reason))
	if len(posted) > 0 {
		msg += " Posted in " + channelList(posted) + "."
	}
	b.Section(msg)
	return b.Build(), nil
}

// plannedInside returns the planned releases f stops, those of its
// products targeted inside it, by date.
func plannedInside(tx *store.Tx, f *store.Freeze) ([]*store.Release, error) {
	rs, err := tx.Releases()
	if err != nil {
		return nil, err
	}
	var inside []*store.Release
	for i := range rs {
		if r := &rs[i]; r.Status == store.Planned && f.Freezes(r.Product, r.Target) {
			inside = append(inside, r)
		}
	}
	slices.SortFunc(inside, store.CompareByDate)
	return inside, nil
}

// freezeNews posts the news that f was made (or removed) in the channels of
// inside, the planned releases targeted inside it, once in each, naming the
// channel's own releases; and, for a freeze of every product, in the
// channel the command was typed in (unless a DM): relman has no news
// channel of its own, and a freeze of everything concerns whoever set it
// where they set it. It returns the channels posted in, in order.
func (x *Exec) freezeNews(tx *store.Tx, f *store.Freeze, inside []*store.Release, removed bool) ([]string, error) {
	var channels []string
	own := map[string][]*store.Release{}
	if f.All() && x.req.Channel != "" && !IsDM(x.req.Channel) {
		channels = append(channels, x.req.Channel)
	}
	for _, r := range inside {
		if r.Channel == "" {
			continue
		}
		if !slices.Contains(channels, r.Channel) {
			channels = append(channels, r.Channel)
		}
		own[r.Channel] = append(own[r.Channel], r)
	}
	for _, ch := range channels {
		b := render.NewDoc("")
		if removed {
			b.Section(render.FreezeRemovedText(f, x.req.User) + "; its days can be targeted again.")
		} else {
			b.Section(render.FreezeAddedText(f, x.req.User) + ". No release of " + freezeWhom(f) + " can be targeted inside it; an admin can go ahead with `anyway`.")
		}
		if rs := own[ch]; len(rs) > 0 {
			head := "Targeted inside it (they stay where they are):"
			if removed {
				head = "No longer inside a freeze:"
			}
			lines := []string{head}
			for i, r := range rs {
				if i == showDependents {
					lines = append(lines, fmt.Sprintf("…and %d more", len(rs)-i))
					break
				}
				lines = append(lines, fmt.Sprintf("• %s — %s · %s", render.Bold(r.Ref), r.Target.Pretty(), render.Mention(r.Owner)))
			}
			b.Lines(lines)
		}
		if err := x.post(tx, ch, b.Build()); err != nil {
			return nil, err
		}
	}
	return channels, nil
}

// channelList names channels: "#payments and #mobile".
func channelList(channels []string) string {
	refs := make([]string, len(channels))
	for i, ch := range channels {
		refs[i] = render.ChannelRef(ch)
	}
	return render.AndList(refs)
}

// ---- the freeze check, for every command that sets a target date

// frozen is the check of a target date d for a release of product against
// the freeze windows: nil and no error when no freeze covers it; a
// conflict error naming the window when one does, unless anyway, which an
// admin may say (a forbidden error for anyone else). When an admin goes
// ahead, it returns the freeze overridden, for the release's history.
// Add, move and the move's preview share it.
func frozen(tx *store.Tx, x *Exec, product string, d store.Date, anyway bool) (*store.Freeze, error) {
	f, err := tx.FreezeOn(product, d)
	if err != nil || f == nil {
		return nil, err
	}
	// An error's message is plain text: the reply escapes it once.
	what := fmt.Sprintf("%s is frozen %s (%s: %s), and %s is inside it", product, render.FreezeSpan(f), f.Name(), f.Reason, d.Pretty())
	switch {
	case anyway && x.admin():
		return f, nil
	case anyway:
		return nil, store.Errorf(store.EForbidden, "%s; only an admin can go ahead anyway", what)
	}
	return nil, store.Errorf(store.EConflict, "%s: pick a day outside it, or ask an admin, who can go ahead with \"anyway\"", what)
}

// freezeWhom is who a freeze stops: "payments", "any product".
func freezeWhom(f *store.Freeze) string {
	if f.All() {
		return "any product"
	}
	return f.ProductsText()
}

// freezeNote says that a planned release targets a day inside a freeze of
// its product: ":snowflake: *payments@2.0* targets Wed 2027-12-22, inside
// FZ-2 (holidays, from Mon 2027-12-20 to Mon 2028-01-03)"; "" when it
// does not.
func freezeNote(tx *store.Tx, r *store.Release) (string, error) {
	if r == nil || r.Status != store.Planned {
		return "", nil
	}
	f, err := tx.FreezeOn(r.Product, r.Target)
	if err != nil || f == nil {
		return "", err
	}
	return fmt.Sprintf(":snowflake: %s targets %s, inside %s (%s, %s)", render.Bold(r.Ref), r.Target.Pretty(), f.Name(), render.Escape(f.Reason), render.FreezeSpan(f)), nil
}

// crCardOf is a CR's card with, while its release targets a day inside a
// freeze, a line that says so.
func crCardOf(tx *store.Tx, cr *store.ChangeRequest, now time.Time, loc *time.Location) (store.Doc, error) {
	r, err := tx.Release(cr.Release)
	if err != nil && store.ErrorCode(err) != store.ENotFound {
		return store.Doc{}, err
	}
	note, err := freezeNote(tx, r)
	if err != nil {
		return store.Doc{}, err
	}
	return render.CRCard(cr, now, loc, note), nil
}

// overrideText says that an admin targeted a release inside a freeze.
func overrideText(f *store.Freeze) string {
	return fmt.Sprintf(":snowflake: Inside %s (%s, %s: “%s”), by admin override.", f.Name(), f.ProductsText(), render.FreezeSpan(f), render.Escape(f.Reason))
}

// freezeName is f's name, "" for nil.
func freezeName(f *store.Freeze) string {
	if f == nil {
		return ""
	}
	return f.Name()
}
