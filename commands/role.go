package commands

import (
	"fmt"
	"slices"
	"strings"

	"relman/commands/render"
	"relman/store"
)

type roleCmd struct {
	product string    // a product, or
	ref     store.Ref // a release
	role    store.Role
	users   []string
	clear   bool
	isNew   bool // "new": the product is new even though its name is close to another's
}

func parseRole(p *parser) (Command, error) {
	c := &roleCmd{isNew: p.trailingNew()}
	w, err := p.word("a product or release")
	if err != nil {
		return nil, err
	}
	switch {
	case strings.Contains(w, "@"):
		if c.ref, err = store.ParseRef(w); err != nil {
			return nil, err
		}
	default:
		if c.product, err = store.NormalizeProduct(w); err != nil {
			return nil, err
		}
		// "payments 2.3.0 release-manager @a": a version follows unless a role does.
		if t, ok := p.peek(); ok && t.Kind == Word {
			if _, rerr := store.ParseRole(t.Text); rerr != nil {
				// "payments releasemanager @a": people follow, so the
				// word was meant as a role, not a version.
				if p.pos+1 < len(p.toks) && (p.toks[p.pos+1].Kind == User || isNone(p.toks[p.pos+1].Text)) {
					return nil, unknownRole(t.Text)
				}
				p.pos++
				if c.ref, err = store.NewRef(c.product, t.Text); err != nil {
					return nil, err
				}
				c.product = ""
			}
		}
	}
	if p.done() {
		return c, nil
	}
	rw, err := p.word("a role (release-manager, release-engineer or product-manager)")
	if err != nil {
		return nil, err
	}
	if c.role, err = store.ParseRole(rw); err != nil {
		return nil, unknownRole(rw)
	}
	if p.keyword("none", "nobody", "-") {
		c.clear = true
		return c, nil
	}
	if c.users = p.users(); len(c.users) == 0 {
		if t, ok := p.peek(); ok {
			return nil, invalid("expected people for %s as mentions like @alex (or none), not %q", c.role, render.Clip(t.Text, 40))
		}
		return nil, invalid("missing people for %s: mention them like @alex, or say none", c.role)
	}
	for _, u := range c.users {
		if !idRE.MatchString(u) {
			return nil, invalid("%q is not a user", render.Clip(u, 40))
		}
	}
	return c, nil
}

func (c *roleCmd) run(x *Exec) (store.Doc, error) {
	if c.role == "" {
		return c.show(x)
	}
	var subject string
	var posted []string
	err := x.update(func(tx *store.Tx) error {
		posted = nil
		if c.product != "" {
			p, err := x.ensureProduct(tx, c.product, c.isNew)
			if err != nil {
				return err
			}
			if err := x.mayManageProduct(tx, p); err != nil {
				return err
			}
			p.Roles = p.Roles.With(c.role, c.users)
			subject = "product " + p.Name
			if err := tx.PutProduct("product.role", p); err != nil {
				return err
			}
			// The product's role is the default of its releases: their
			// channels hear of it, once each.
			rs, err := tx.ReleasesOf(p.Name)
			if err != nil {
				return err
			}
			for _, r := range rs {
				if r.Status == store.Planned && r.Channel != "" && !slices.Contains(posted, r.Channel) {
					posted = append(posted, r.Channel)
				}
			}
			for _, ch := range posted {
				b := render.NewDoc("")
				b.Section(render.RoleText(x.req.User, c.role, subject, c.users))
				if err := x.post(tx, ch, b.Build()); err != nil {
					return err
				}
			}
			return nil
		}
		r, err := loadRelease(tx, c.ref)
		if err != nil {
			return err
		}
		if err := x.mayManage(tx, r, "change the roles of"); err != nil {
			return err
		}
		r.Roles = r.Roles.With(c.role, c.users)
		x.recordRole(r, c.role, c.users)
		subject = render.Bold(r.Ref)
		if err := tx.PutRelease("release.role", r); err != nil {
			return err
		}
		if r.Channel != "" {
			posted = append(posted, r.Channel)
		}
		b := render.NewDoc("")
		b.Section(render.RoleText(x.req.User, c.role, subject, c.users))
		return x.post(tx, r.Channel, b.Build())
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	msg := fmt.Sprintf(":white_check_mark: %s of %s: %s.", render.Capitalize(string(c.role)), subject, c.holders())
	if len(posted) > 0 {
		msg += " Posted in " + channelList(posted) + "."
	}
	b.Section(msg)
	return b.Build(), nil
}

func (c *roleCmd) holders() string {
	if c.clear {
		return "unset"
	}
	return render.Mentions(c.users)
}

func (c *roleCmd) show(x *Exec) (store.Doc, error) {
	var b *render.DocBuilder
	err := x.view(func(tx *store.Tx) error {
		if c.product != "" {
			p, err := tx.Product(c.product)
			if err != nil {
				return err
			}
			b = render.NewDoc("Roles of " + p.Name)
			for _, role := range store.AllRoles {
				b.Section(fmt.Sprintf("*%s* (%s): %s", render.Capitalize(string(role)), role.Description(), render.Mentions(p.Roles.Get(role))))
			}
			b.Context("Set on a product, a role is the default for its releases; the owner stands in for an unset release manager.")
			return nil
		}
		r, err := loadRelease(tx, c.ref)
		if err != nil {
			return err
		}
		p := product(tx, r.Product)
		b = render.NewDoc("Roles of " + r.Ref.String())
		for _, role := range store.AllRoles {
			from := "this release"
			switch {
			case len(r.Roles.Get(role)) > 0:
			case p != nil && len(p.Roles.Get(role)) > 0:
				from = "product " + p.Name
			case role == store.ReleaseManager:
				from = "the owner"
			default:
				from = ""
			}
			if from != "" {
				from = " — from " + from
			}
			b.Section(fmt.Sprintf("*%s* (%s): %s%s", render.Capitalize(string(role)), role.Description(), render.Mentions(r.Holders(role, p)), from))
		}
		return nil
	})
	if err != nil {
		return store.Doc{}, err
	}
	return b.Build(), nil
}

func isNone(w string) bool {
	switch strings.ToLower(w) {
	case "none", "nobody", "-":
		return true
	}
	return false
}

// unknownRole says w is not a role, suggesting the closest one when it is
// near ("releasemanager": did you mean release-manager?), else naming the
// roles there are.
func unknownRole(w string) error {
	lw := strings.ToLower(w)
	var best store.Role
	bestD := 4
	for _, r := range store.AllRoles {
		for _, spelling := range []string{string(r), strings.ReplaceAll(string(r), "-", "")} {
			if d := EditDistance(lw, spelling); d < bestD {
				best, bestD = r, d
			}
		}
	}
	if best != "" {
		return invalid("%q is not a role — did you mean %s?", render.Clip(w, 40), best)
	}
	return invalid("%q is not a role; the roles are release-manager (%s), release-engineer (%s) and product-manager (%s)", render.Clip(w, 40),
		store.ReleaseManager.Description(), store.ReleaseEngineer.Description(), store.ProductManager.Description())
}
