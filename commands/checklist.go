package commands

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"relman/commands/render"
	"relman/store"
)

// ---- check: a release's checklist

// checkCmd adds an item to a release's checklist (op "add"), marks one
// done or open again ("done", "undo"), sets its due date by hand ("due"),
// or lists them ("list").
type checkCmd struct {
	ref    store.Ref
	op     string
	n      int
	text   string
	owner  string
	due    store.Date
	before string
}

func (c *checkCmd) readOnly() bool { return c.op == "list" }

// checkOps are the words after a release in check.
var checkOps = []string{"add", "done", "undo", "due", "list"}

// parseCheck reads `check <release> add "<text>" [owner @user] [due
// <date>] [before <stage>]`, `check <release> done|undo <N>`, `check
// <release> due <N> <date>` and `check <release> [list]`.
func parseCheck(p *parser) (Command, error) {
	if err := p.versionBefore(checkOps); err != nil {
		return nil, err
	}
	c := &checkCmd{op: "list"}
	var err error
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	switch {
	case p.done() || p.keyword("list"):
		return c, nil
	case p.isWord("done", "undo", "due"):
		c.op = strings.ToLower(p.toks[p.pos].Text)
		p.pos++
		if c.n, err = p.itemNumber("the number of the checklist item (like 2; see /release check " + c.ref.String() + ")"); err != nil || c.op != "due" {
			return c, err
		}
		c.due, err = p.date("the item's new due date")
		return c, err
	case p.keyword("add"):
		c.op = "add"
	default:
		t, _ := p.peek()
		return nil, invalid("expected add, done, undo, due or list after the release, not %q", render.Clip(t.Text, 40))
	}
	if c.text, err = p.itemText(); err != nil {
		return nil, err
	}
	for !p.done() {
		switch {
		case p.keyword("owner"):
			if c.owner != "" {
				return nil, repeated("owner")
			}
			if c.owner, err = p.user("the item's owner"); err != nil {
				return nil, err
			}
		case p.keyword("due"):
			if !c.due.IsZero() {
				return nil, repeated("due")
			}
			if c.due, err = p.date("the item's due date"); err != nil {
				return nil, err
			}
		case p.keyword("before"):
			if c.before != "" {
				return nil, repeated("before")
			}
			if c.before, err = p.stage(); err != nil {
				return nil, err
			}
		default:
			t, _ := p.peek()
			return nil, invalid("expected owner, due or before, not %q", render.Clip(t.Text, 40))
		}
	}
	return c, nil
}

// versionBefore fails when a release is written without its version and
// one of ops follows it ("check payments add …"): the op is not a version.
func (p *parser) versionBefore(ops []string) error {
	if p.pos+1 >= len(p.toks) {
		return nil
	}
	w, next := p.toks[p.pos], p.toks[p.pos+1]
	if w.Kind != Word || strings.Contains(w.Text, "@") || next.Kind != Word || !slices.Contains(ops, strings.ToLower(next.Text)) {
		return nil
	}
	name := render.Clip(strings.ToLower(w.Text), 40)
	return invalid("missing the version after %q: write %s@<version>, like %s@2.3.0", name, name, name)
}

// itemNumber reads a checklist item's number: 2, or #2 (which Slack may
// send as a channel mention).
func (p *parser) itemNumber(what string) (int, error) {
	if t, ok := p.peek(); ok && t.Kind == Channel {
		p.pos++
		return store.ParseChecklistNumber(t.Text)
	}
	w, err := p.word(what)
	if err != nil {
		return 0, err
	}
	return store.ParseChecklistNumber(w)
}

// itemText reads a checklist item's text in quotes.
func (p *parser) itemText() (string, error) {
	t, ok := p.peek()
	if !ok || t.Kind != Quoted {
		what := "nothing"
		if ok {
			what = fmt.Sprintf("%q", render.Clip(t.Text, 40))
		}
		return "", invalid("expected the item's text in quotes, like \"security review\", not %s", what)
	}
	p.pos++
	s := strings.TrimSpace(t.Text)
	return s, store.ValidateChecklistText(s)
}

// stage reads a stage name; whether the pipeline has it is checked when
// the command runs.
func (p *parser) stage() (string, error) {
	w, err := p.word("the stage (like production)")
	if err != nil {
		return "", err
	}
	return store.NormalizeStage(w)
}

// checklistGate is the check of a release reaching stage against its
// checklist: the open items that must be done before it, and a conflict
// error naming them unless anyway, when the caller goes ahead and records
// them (HistoryEntry.Open). Ship and promote share it.
func checklistGate(tx *store.Tx, r *store.Release, stage string, anyway bool) ([]store.ChecklistItem, error) {
	open, err := tx.OpenChecklistBefore(r.Ref, stage)
	if err != nil || len(open) == 0 || anyway {
		return open, err
	}
	verb := "ship"
	if stage != store.Production {
		verb = "promote it"
	}
	return nil, store.Errorf(store.EConflict, "%s has %s open that must be done before %s: %s. Tick off each with /release check %s done %d, or end the command with \"anyway\" to %s without them",
		r.Ref, render.Plural(len(open), "checklist item"), stage, strings.Join(render.OpenItemNames(open), "; "), r.Ref, open[0].N, verb)
}

// overrideNote is the line of a ship's or promotion's news that says who
// went ahead with items open ("Shipped", "Promoted"); "" when none were.
func overrideNote(done string, open []store.ChecklistItem, user string) string {
	if len(open) == 0 {
		return ""
	}
	return fmt.Sprintf(":warning: %s with %s open, by %s's override: %s", done, render.Plural(len(open), "checklist item"), render.Mention(user), render.Escape(strings.Join(render.OpenItemNames(open), "; ")))
}

func (c *checkCmd) run(x *Exec) (store.Doc, error) {
	if c.op == "list" {
		return c.list(x)
	}
	var r *store.Release
	var it store.ChecklistItem
	err := x.update(func(tx *store.Tx) error {
		var err error
		if r, err = loadRelease(tx, c.ref); err != nil {
			return err
		}
		if c.op == "add" {
			return c.add(x, tx, r, &it)
		}
		item, err := r.ChecklistItem(c.n)
		if err != nil {
			return err
		}
		if item.Answerer(r) != x.req.User {
			if err := x.mayManage(tx, r, "tick off the checklist of"); err != nil {
				return store.Errorf(store.EForbidden, "%s; %s answers for %s and may too", store.ErrorMessage(err), render.Mention(item.Answerer(r)), item.Name())
			}
		}
		switch {
		case c.op == "due":
			// A due date set by hand no longer follows its stage's date.
			item.Due, item.Follow, item.DaysBefore = c.due, false, 0
		case c.op == "done" && item.Done:
			return store.Errorf(store.EConflict, "%s of %s is already done (by %s)", item.Name(), r.Ref, render.Mention(item.DoneBy))
		case c.op == "undo" && !item.Done:
			return store.Errorf(store.EConflict, "%s of %s is not done, so there is nothing to undo", item.Name(), r.Ref)
		case c.op == "done":
			item.Done, item.DoneBy, item.DoneAt = true, x.req.User, x.now
		default:
			item.Done, item.DoneBy, item.DoneAt = false, "", time.Time{}
		}
		it = *item
		return tx.PutRelease("checklist."+c.op, r)
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	switch c.op {
	case "add":
		b.Section(fmt.Sprintf(":white_check_mark: Added to the checklist of %s: %s", render.Bold(r.Ref), render.ChecklistItemLine(&it, r, x.today)))
	case "due":
		b.Section(fmt.Sprintf(":white_check_mark: %s of %s, “%s”, is now due %s; it no longer follows a stage's date.", it.Name(), render.Bold(r.Ref), render.Escape(it.Text), render.When(it.Due, x.today)))
	case "done":
		b.Section(fmt.Sprintf(":white_check_mark: Done: %s of %s, “%s”.", it.Name(), render.Bold(r.Ref), render.Escape(it.Text)))
	default:
		b.Section(fmt.Sprintf(":leftwards_arrow_with_hook: Open again: %s of %s, “%s”.", it.Name(), render.Bold(r.Ref), render.Escape(it.Text)))
	}
	b.Context(fmt.Sprintf("Checklist of %s: %s — `/release check %s`", r.Ref, render.ChecklistSummary(r), r.Ref))
	return b.Build(), nil
}

// add adds c's item to r, in tx, into it.
func (c *checkCmd) add(x *Exec, tx *store.Tx, r *store.Release, it *store.ChecklistItem) error {
	if err := x.mayManage(tx, r, "add to the checklist of"); err != nil {
		return err
	}
	if err := requirePlanned(r, "given new checklist items"); err != nil {
		return err
	}
	if c.before != "" {
		if err := r.CheckStage(c.before); err != nil {
			return err
		}
	}
	*it = *r.AddChecklistItem(store.ChecklistItem{Text: c.text, Owner: c.owner, Due: c.due, Before: c.before, AddedBy: x.req.User, AddedAt: x.now})
	return tx.PutRelease("checklist.add", r)
}

// knownStage fails, listing the pipeline, unless stage is "" or a stage of
// product's pipeline.
func knownStage(tx *store.Tx, product, stage string) error {
	if stage == "" {
		return nil
	}
	pipeline, err := tx.ChecklistStages(product)
	if err != nil {
		return err
	}
	if !slices.Contains(pipeline, stage) {
		return store.UnknownStage(product, stage, pipeline)
	}
	return nil
}

func (c *checkCmd) list(x *Exec) (store.Doc, error) {
	var r *store.Release
	if err := x.view(func(tx *store.Tx) error {
		var err error
		r, err = loadRelease(tx, c.ref)
		return err
	}); err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("Checklist of " + r.Ref.String())
	if len(r.Checklist) == 0 {
		b.Section(fmt.Sprintf("%s has no checklist items. Add one with `/release check %s add \"&lt;text&gt;\" [owner @user] [due &lt;date&gt;] [before &lt;stage&gt;]`.", render.Bold(r.Ref), r.Ref))
		return b.Build(), nil
	}
	lines := []string{render.ChecklistSummary(r)}
	for i := range r.Checklist {
		lines = append(lines, render.ChecklistItemLine(&r.Checklist[i], r, x.today))
	}
	b.Lines(lines)
	b.Context(fmt.Sprintf("`/release check %s done &lt;N&gt;` ticks one off; `undo &lt;N&gt;` opens it again.", r.Ref))
	return b.Build(), nil
}

// ---- checklist: a product's template

// checklistCmd shows a product's checklist template (op ""), adds an item
// to it ("add") or removes one ("remove").
type checklistCmd struct {
	product    string
	op         string
	n          int
	text       string
	owner      string
	daysBefore int
	follow     bool // days-before was given
	before     string
	isNew      bool
}

func (c *checklistCmd) readOnly() bool { return c.op == "" }

// maxDaysBefore bounds days-before: a year.
const maxDaysBefore = 366

// parseChecklist reads `checklist <product> add "<text>" [owner @user]
// [days-before <N>] [before <stage>] [new]`, `checklist <product> remove
// <N>` and `checklist <product>`.
func parseChecklist(p *parser) (Command, error) {
	c := &checklistCmd{isNew: p.trailingNew()}
	w, err := p.word("the product (like payments)")
	if err != nil {
		return nil, err
	}
	if c.product, err = store.NormalizeProduct(w); err != nil {
		return nil, err
	}
	switch {
	case p.done():
		if c.isNew {
			return nil, invalid("\"new\" creates a product with an item; showing a template takes nothing after the product")
		}
		return c, nil
	case p.keyword("remove", "delete", "rm"):
		c.op = "remove"
		c.n, err = p.itemNumber("the number of the template item to remove (like 2; see /release checklist " + c.product + ")")
		return c, err
	case p.keyword("add"):
		c.op = "add"
	default:
		t, _ := p.peek()
		return nil, invalid("expected add or remove after the product, not %q", render.Clip(t.Text, 40))
	}
	if c.text, err = p.itemText(); err != nil {
		return nil, err
	}
	for !p.done() {
		switch {
		case p.keyword("owner"):
			if c.owner != "" {
				return nil, repeated("owner")
			}
			if c.owner, err = p.user("the item's owner"); err != nil {
				return nil, err
			}
		case p.keyword("days-before"):
			if c.follow {
				return nil, repeated("days-before")
			}
			w, err := p.word("the number of days before (like 3)")
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(w)
			if err != nil || n < 0 || n > maxDaysBefore {
				return nil, invalid("days-before takes a number of days from 0 to %d, not %q", maxDaysBefore, render.Clip(w, 20))
			}
			c.daysBefore, c.follow = n, true
		case p.keyword("before"):
			if c.before != "" {
				return nil, repeated("before")
			}
			if c.before, err = p.stage(); err != nil {
				return nil, err
			}
		default:
			t, _ := p.peek()
			return nil, invalid("expected owner, days-before or before, not %q", render.Clip(t.Text, 40))
		}
	}
	return c, nil
}

func (c *checklistCmd) run(x *Exec) (store.Doc, error) {
	if c.op == "" {
		return c.show(x)
	}
	var it store.ChecklistItem
	var t *store.ChecklistTemplate
	err := x.update(func(tx *store.Tx) error {
		var p *store.Product
		var err error
		if c.op == "add" {
			p, err = x.ensureProduct(tx, c.product, c.isNew)
		} else {
			p, err = existingProduct(tx, c.product)
		}
		if err != nil {
			return err
		}
		if err := x.mayTemplate(tx, p); err != nil {
			return err
		}
		if t, err = tx.ChecklistTemplate(p.Name); err != nil {
			return err
		}
		if c.op == "remove" {
			if it, err = t.Remove(c.n); err != nil {
				return err
			}
			return tx.PutChecklistTemplate("checklist.template.remove", t)
		}
		if err := knownStage(tx, p.Name, c.before); err != nil {
			return err
		}
		it = *t.Add(store.ChecklistItem{Text: c.text, Owner: c.owner, Before: c.before, Follow: c.follow, DaysBefore: c.daysBefore, AddedBy: x.req.User, AddedAt: x.now})
		return tx.PutChecklistTemplate("checklist.template.add", t)
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	if c.op == "remove" {
		b.Section(fmt.Sprintf(":white_check_mark: Removed from the checklist template of %s: %s. Releases that have it keep their copy.", c.product, render.TemplateItemLine(&it)))
	} else {
		b.Section(fmt.Sprintf(":white_check_mark: Added to the checklist template of %s: %s. Each new release of %s gets it; releases there are keep their checklists.", c.product, render.TemplateItemLine(&it), c.product))
	}
	b.Context(fmt.Sprintf("The template has %s — `/release checklist %s`", render.Plural(len(t.Items), "item"), c.product))
	return b.Build(), nil
}

func (c *checklistCmd) show(x *Exec) (store.Doc, error) {
	var t *store.ChecklistTemplate
	if err := x.view(func(tx *store.Tx) error {
		p, err := existingProduct(tx, c.product)
		if err != nil {
			return err
		}
		t, err = tx.ChecklistTemplate(p.Name)
		return err
	}); err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("Checklist template of " + c.product)
	if len(t.Items) == 0 {
		b.Section(fmt.Sprintf("%s has no checklist template. Add an item with `/release checklist %s add \"&lt;text&gt;\" [owner @user] [days-before &lt;N&gt;] [before &lt;stage&gt;]`.", c.product, c.product))
		return b.Build(), nil
	}
	lines := make([]string, len(t.Items))
	for i := range t.Items {
		lines[i] = "• " + render.TemplateItemLine(&t.Items[i])
	}
	b.Lines(lines)
	b.Context(fmt.Sprintf("Each new release of %s gets these items. `/release checklist %s remove &lt;N&gt;` takes one out.", c.product, c.product))
	return b.Build(), nil
}

// existingProduct returns the product named, or a not-found error that
// suggests a near name.
func existingProduct(tx *store.Tx, name string) (*store.Product, error) {
	p, err := tx.Product(name)
	if store.ErrorCode(err) != store.ENotFound {
		return p, err
	}
	near, nerr := nearProduct(tx, name)
	if nerr != nil {
		return nil, nerr
	}
	if near != "" {
		return nil, store.Errorf(store.ENotFound, "there is no product %q — did you mean %s?", name, near)
	}
	return nil, store.Errorf(store.ENotFound, "there is no product %q", name)
}

// mayTemplate fails with a forbidden error unless the user may change
// p's checklist template: admins, p's release managers, and while it has
// none, the owners of its planned releases.
func (x *Exec) mayTemplate(tx *store.Tx, p *store.Product) error {
	rms := p.Roles.Get(store.ReleaseManager)
	if x.admin() || slices.Contains(rms, x.req.User) {
		return nil
	}
	if len(rms) > 0 {
		return store.Errorf(store.EForbidden, "only %s (release manager of %s) or an admin can change its checklist template", render.Mentions(rms), p.Name)
	}
	rs, err := tx.ReleasesOf(p.Name)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Status == store.Planned && r.Owner == x.req.User {
			return nil
		}
	}
	return store.Errorf(store.EForbidden, "while %s has no release manager, only an admin or the owner of one of its planned releases can change its checklist template", p.Name)
}

func (c *checkCmd) format() string {
	l := cmdLine{"check", c.ref.String()}
	switch c.op {
	case "list":
		return l.String()
	case "done", "undo":
		l.add(c.op, strconv.Itoa(c.n))
		return l.String()
	case "due":
		l.add("due", strconv.Itoa(c.n), c.due.String())
		return l.String()
	}
	l.add("add", quoteText(c.text))
	if c.owner != "" {
		l.add("owner", userText(c.owner))
	}
	l.date("due", c.due)
	if c.before != "" {
		l.add("before", bareWord(c.before))
	}
	return l.String()
}

func (c *checklistCmd) format() string {
	l := cmdLine{"checklist", c.product}
	switch c.op {
	case "":
		return l.String()
	case "remove":
		l.add("remove", strconv.Itoa(c.n))
		return l.String()
	}
	l.add("add", quoteText(c.text))
	if c.owner != "" {
		l.add("owner", userText(c.owner))
	}
	if c.follow {
		l.add("days-before", strconv.Itoa(c.daysBefore))
	}
	if c.before != "" {
		l.add("before", bareWord(c.before))
	}
	l.flag("new", c.isNew)
	return l.String()
}
