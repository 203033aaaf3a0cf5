package commands

import (
	"fmt"
	"strconv"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// AuditLimit is how many audit entries one page of /release audit shows.
const AuditLimit = 25

// auditCmd shows the audit log, newest first: everything, or what one
// release, product or user did or had done to it.
type auditCmd struct {
	ref     store.Ref // a release, or
	product string    // a product, or
	user    string    // a user's changes
	since   store.Date
	before  uint64 // the page after one that ended at entry #before
}

func parseAudit(p *parser) (Command, error) {
	c := &auditCmd{}
	for !p.done() {
		t, _ := p.peek()
		switch {
		case t.Kind == User:
			if c.scoped() {
				return nil, invalid("audit takes one release, product or user")
			}
			u, err := p.user("the user")
			if err != nil {
				return nil, err
			}
			c.user = u
		case p.keyword("since"):
			d, err := p.date("the first date")
			if err != nil {
				return nil, err
			}
			c.since = d
		case p.keyword("before"):
			// "#1234" reads as a channel name; "1234" as a word.
			t, ok := p.peek()
			if !ok {
				return nil, invalid("missing the entry number after before (like #1234)")
			}
			p.pos++
			w := t.Text
			n, err := strconv.ParseUint(strings.TrimPrefix(w, "#"), 10, 64)
			if err != nil || n == 0 {
				return nil, invalid("%q is not an audit entry number (like #1234)", render.Clip(w, 20))
			}
			c.before = n
		default:
			if c.scoped() {
				return nil, invalid("audit takes one release, product or user; %q is a second", render.Clip(t.Text, 40))
			}
			w, err := p.word("a release, a product or a user")
			if err != nil {
				return nil, err
			}
			if strings.Contains(w, "@") {
				if c.ref, err = store.ParseRef(w); err != nil {
					return nil, err
				}
				continue
			}
			if c.product, err = store.NormalizeProduct(w); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

func (c *auditCmd) scoped() bool { return c.ref.Product != "" || c.product != "" || c.user != "" }

func (c *auditCmd) run(x *Exec) (store.Doc, error) {
	f := store.AuditFilter{Product: c.product, Actor: c.user, Before: c.before}
	if !c.since.IsZero() {
		f.Since = c.since.Time(x.s.loc())
	}
	var page store.AuditPage
	scope := ""
	err := x.view(func(tx *store.Tx) error {
		if c.ref.Product != "" {
			ref, err := resolveRef(tx, c.ref)
			if err != nil {
				return err
			}
			c.ref, f.Release = ref, ref.Key()
		}
		if err := x.mayAudit(tx, f); err != nil {
			return err
		}
		var err error
		page, err = tx.AuditPage(f, AuditLimit)
		return err
	})
	if err != nil {
		return store.Doc{}, err
	}
	switch {
	case c.ref.Product != "":
		scope = c.ref.String()
	case c.product != "":
		scope = c.product
	case c.user != "":
		scope = "changes by " + render.Mention(c.user)
	}
	if !c.since.IsZero() {
		scope = strings.TrimPrefix(scope+" since "+c.since.Pretty(), " ")
	}
	next := ""
	if n := len(page.Entries); n > 0 {
		next = c.next(page.Entries[n-1].Seq)
	}
	return render.AuditDoc(scope, page, next, x.zone()), nil
}

// next is the command that shows the page after the one ending at seq.
func (c *auditCmd) next(seq uint64) string {
	parts := []string{"/release audit"}
	switch {
	case c.ref.Product != "":
		parts = append(parts, c.ref.String())
	case c.product != "":
		parts = append(parts, c.product)
	case c.user != "":
		parts = append(parts, "@"+c.user)
	}
	if !c.since.IsZero() {
		parts = append(parts, "since", c.since.String())
	}
	return strings.Join(append(parts, fmt.Sprintf("before #%d", seq)), " ")
}
