package commands

import (
	"fmt"
	"slices"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// linkCmd links a product to a GitHub repository or a Jira project (op
// "link"), removes a link ("unlink"), or lists the links ("list").
type linkCmd struct {
	op      string
	product string
	kind    store.LinkKind
	target  string
	isNew   bool
}

func (c *linkCmd) readOnly() bool { return c.op == "list" }

// parseLink reads `link list` and `link <product> github|jira <target>
// [new]`.
func parseLink(p *parser) (Command, error) {
	if len(p.toks)-p.pos == 1 && p.isWord("list") {
		p.pos++
		return &linkCmd{op: "list"}, nil
	}
	c := &linkCmd{op: "link", isNew: p.trailingNew()}
	if err := c.productKind(p); err != nil {
		return nil, err
	}
	w, err := p.word(linkTargetWhat(c.kind))
	if err != nil {
		return nil, err
	}
	if c.target, err = store.NormalizeLinkTarget(c.kind, w); err != nil {
		return nil, err
	}
	return c, p.end()
}

// parseUnlink reads `unlink <product> github|jira`.
func parseUnlink(p *parser) (Command, error) {
	c := &linkCmd{op: "unlink"}
	if err := c.productKind(p); err != nil {
		return nil, err
	}
	return c, p.end()
}

func (c *linkCmd) productKind(p *parser) error {
	w, err := p.word("the product (like payments)")
	if err != nil {
		return err
	}
	if c.product, err = store.NormalizeProduct(w); err != nil {
		return err
	}
	k, err := p.word("github or jira")
	if err != nil {
		return err
	}
	switch strings.ToLower(k) {
	case "github":
		c.kind = store.LinkGitHub
	case "jira":
		c.kind = store.LinkJira
	default:
		return invalid("%q is not a kind of link: github or jira", render.Clip(k, 20))
	}
	return nil
}

func linkTargetWhat(k store.LinkKind) string {
	if k == store.LinkJira {
		return "the Jira project key (like PAY)"
	}
	return "the GitHub repository (like acme/payments)"
}

func (c *linkCmd) format() string {
	switch c.op {
	case "list":
		return "link list"
	case "unlink":
		return "unlink " + c.product + " " + string(c.kind)
	}
	l := cmdLine{"link", c.product, string(c.kind), c.target}
	l.flag("new", c.isNew)
	return l.String()
}

func (c *linkCmd) run(x *Exec) (store.Doc, error) {
	switch c.op {
	case "list":
		return linkList(x)
	case "unlink":
		return c.unlink(x)
	}
	var linked *store.Link
	err := x.update(func(tx *store.Tx) error {
		p, err := x.ensureProduct(tx, c.product, c.isNew)
		if err != nil {
			return err
		}
		if err := x.mayLink(tx, p); err != nil {
			return err
		}
		if l, err := tx.Link(c.kind, c.target); err == nil && l.Product != p.Name {
			return store.Errorf(store.EConflict, "%s %s is linked to %s already; unlink it there first (/release unlink %s %s)", linkKindName(c.kind), l.Target, l.Product, l.Product, c.kind)
		} else if err != nil && store.ErrorCode(err) != store.ENotFound {
			return err
		}
		if old, err := tx.LinkOf(p.Name, c.kind); err == nil {
			if err := tx.DeleteLink("link.replace", old); err != nil {
				return err
			}
			if old.Kind == store.LinkJira {
				if err := tx.DeleteJiraVersions(old.Target); err != nil {
					return err
				}
			}
		} else if store.ErrorCode(err) != store.ENotFound {
			return err
		}
		linked = &store.Link{Product: p.Name, Kind: c.kind, Target: c.target, By: x.req.User, Channel: x.req.Channel, At: x.now}
		return tx.PutLink("link.add", linked)
	})
	if err != nil {
		return store.Doc{}, err
	}
	if x.s.Linked != nil {
		x.s.Linked(*linked)
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":link: Linked %s to %s %s. %s", "*"+c.product+"*", linkKindName(c.kind), render.Escape(c.target), linkHint(c.kind)))
	return b.Build(), nil
}

// linkHint says what a link makes relman do.
func linkHint(k store.LinkKind) string {
	if k == store.LinkJira {
		return "Its versions with a release date become releases, and their dates, names and releases follow Jira's; relman reads them now and every 15 minutes."
	}
	return "Point the repository's webhook at relman's /hooks/github (events: releases, deployment statuses, milestones): published releases ship, deployments promote, milestone due dates add or move releases."
}

func linkKindName(k store.LinkKind) string {
	if k == store.LinkJira {
		return "Jira project"
	}
	return "GitHub repository"
}

func (c *linkCmd) unlink(x *Exec) (store.Doc, error) {
	var l *store.Link
	err := x.update(func(tx *store.Tx) error {
		p, err := tx.Product(c.product)
		if err != nil {
			return err
		}
		if err := x.mayLink(tx, p); err != nil {
			return err
		}
		if l, err = tx.LinkOf(p.Name, c.kind); err != nil {
			return err
		}
		if err := tx.DeleteLink("link.remove", l); err != nil {
			return err
		}
		if l.Kind == store.LinkJira {
			return tx.DeleteJiraVersions(l.Target)
		}
		return nil
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":link: Unlinked %s from %s %s; its releases stay as they are.", "*"+c.product+"*", linkKindName(c.kind), render.Escape(l.Target)))
	return b.Build(), nil
}

// linkList shows every link: who linked it, its last sync or delivery,
// what that changed, the Jira names skipped and a failure that lasts.
func linkList(x *Exec) (store.Doc, error) {
	var links []store.Link
	if err := x.view(func(tx *store.Tx) error {
		var err error
		links, err = tx.Links()
		return err
	}); err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	if len(links) == 0 {
		b.Section("No product is linked yet. `/release link payments github acme/payments` or `/release link payments jira PAY` links one.")
		return b.Build(), nil
	}
	slices.SortFunc(links, func(a, b store.Link) int {
		return strings.Compare(a.Product+"/"+string(a.Kind), b.Product+"/"+string(b.Kind))
	})
	lines := []string{fmt.Sprintf("*Links* (%d)", len(links))}
	for _, l := range links {
		line := fmt.Sprintf("• %s → %s %s, linked by %s on %s", "*"+l.Product+"*", linkKindName(l.Kind), render.Escape(l.Target), render.Mention(l.By), store.DateOf(l.At, x.s.loc()).Pretty())
		what := "last delivery"
		if l.Kind == store.LinkJira {
			what = "last synced"
		}
		switch {
		case l.Last.IsZero() && l.Kind == store.LinkJira:
			line += "; not synced yet"
		case l.Last.IsZero():
			line += "; no delivery yet"
		default:
			line += fmt.Sprintf("; %s %s", what, l.Last.In(x.zone()).Format("2006-01-02 15:04 MST"))
			if len(l.LastChanged) == 0 {
				line += ", nothing changed"
			} else {
				line += ": " + render.Escape(strings.Join(l.LastChanged, "; "))
			}
		}
		if l.Skipped > 0 {
			line += fmt.Sprintf("; %d Jira %s skipped (not a version of %s)", l.Skipped, plural(l.Skipped, "name", "names"), l.Product)
		}
		if l.Failing != "" {
			line += "; :warning: failing: " + render.Escape(l.Failing)
		}
		lines = append(lines, line)
	}
	b.Lines(lines)
	return b.Build(), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mayLink fails with a forbidden error unless the user may link or unlink
// p: admins, its release managers, or while it has none the owners of its
// planned releases (or whoever creates it with this command).
func (x *Exec) mayLink(tx *store.Tx, p *store.Product) error {
	rms := p.Roles.Get(store.ReleaseManager)
	if x.admin() || slices.Contains(rms, x.req.User) {
		return nil
	}
	if len(rms) > 0 {
		return store.Errorf(store.EForbidden, "only %s (release manager of %s) or an admin can link it", render.Mentions(rms), p.Name)
	}
	rs, err := tx.ReleasesOf(p.Name)
	if err != nil {
		return err
	}
	planned := 0
	for _, r := range rs {
		if r.Status == store.Planned {
			planned++
			if r.Owner == x.req.User {
				return nil
			}
		}
	}
	if len(rs) == 0 && p.CreatedBy == x.req.User && p.CreatedAt.Equal(x.now) {
		return nil // created by this very command
	}
	if planned == 0 {
		return store.Errorf(store.EForbidden, "%s has no release manager and no planned release, so only an admin can link it (set one with /release role %s release-manager @user)", p.Name, p.Name)
	}
	return store.Errorf(store.EForbidden, "while %s has no release manager, only an admin or the owner of one of its planned releases can link it", p.Name)
}
