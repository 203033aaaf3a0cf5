package commands

import (
	"slices"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// mayFreeze fails with a forbidden error unless the user may add or remove
// f: admins, and for a freeze of some products the release managers of
// every one of them.
func (x *Exec) mayFreeze(tx *store.Tx, f *store.Freeze, verb string) error {
	if x.admin() {
		return nil
	}
	if f.All() {
		return store.Errorf(store.EForbidden, "only an admin can %s all products", verb)
	}
	for _, name := range f.Products {
		p, err := tx.Product(name)
		if err != nil {
			return err
		}
		rms := p.Roles.Get(store.ReleaseManager)
		if slices.Contains(rms, x.req.User) {
			continue
		}
		if len(rms) == 0 {
			return store.Errorf(store.EForbidden, "%s has no release manager, so only an admin can %s it (set one with /release role %s release-manager @user)", name, verb, name)
		}
		return store.Errorf(store.EForbidden, "only the release managers of %s (%s) or an admin can %s it", name, render.Mentions(rms), verb)
	}
	return nil
}

// mayAnswer fails with a forbidden error naming who may answer for d's
// provider: for a release its owner, its release managers and admins; for
// an external item its owner and admins.
func (x *Exec) mayAnswer(tx *store.Tx, d *store.Dependency) error {
	if !d.IsExternal() {
		r, err := tx.Release(d.Provider)
		if err != nil {
			return err
		}
		return x.mayManage(tx, r, "answer for")
	}
	ext, err := tx.External(d.External)
	if err != nil {
		return err
	}
	if x.req.User == ext.Owner || x.admin() {
		return nil
	}
	return store.Errorf(store.EForbidden, "only %s (its owner) or an admin can answer for external “%s”", render.Mention(ext.Owner), ext.Name)
}

// mayShip fails with a forbidden error naming who can ship r: those who may
// manage it, and its release engineers.
func (x *Exec) mayShip(tx *store.Tx, r *store.Release) error {
	p := product(tx, r.Product)
	if r.CanManage(x.req.User, p, x.admin()) || slices.Contains(r.Holders(store.ReleaseEngineer, p), x.req.User) {
		return nil
	}
	who := managers(r, p)
	for _, u := range r.Holders(store.ReleaseEngineer, p) {
		if !slices.Contains(who.users, u) {
			who.add(u, "release engineer")
		}
	}
	return store.Errorf(store.EForbidden, "only %s or an admin can ship %s", who, r.Ref)
}

// mayReassign fails with a forbidden error unless the user may change r's
// owner, channel or name: those who may manage it, and the release managers
// of its product even where the release has its own, so that a release
// whose people left is never stuck.
func (x *Exec) mayReassign(tx *store.Tx, r *store.Release, verb string) error {
	p := product(tx, r.Product)
	if r.CanManage(x.req.User, p, x.admin()) || (p != nil && slices.Contains(p.Roles.Get(store.ReleaseManager), x.req.User)) {
		return nil
	}
	who := managers(r, p)
	if p != nil {
		for _, u := range p.Roles.Get(store.ReleaseManager) {
			if !slices.Contains(who.users, u) {
				who.add(u, "release manager of "+p.Name)
			}
		}
	}
	return store.Errorf(store.EForbidden, "only %s or an admin can %s %s", who, verb, r.Ref)
}

// mayManage fails with a forbidden error naming who can act on r.
func (x *Exec) mayManage(tx *store.Tx, r *store.Release, verb string) error {
	p := product(tx, r.Product)
	if r.CanManage(x.req.User, p, x.admin()) {
		return nil
	}
	who := []string{render.Mention(r.Owner) + " (owner)"}
	for _, u := range r.Holders(store.ReleaseManager, p) {
		if u != r.Owner {
			who = append(who, render.Mention(u)+" (release manager)")
		}
	}
	return store.Errorf(store.EForbidden, "only %s or an admin can %s %s", strings.Join(who, ", "), verb, r.Ref)
}

// mayManageProduct: admins, the product's release managers, or — while it
// has none — the owner of any of its releases.
func (x *Exec) mayManageProduct(tx *store.Tx, p *store.Product) error {
	if x.admin() || slices.Contains(p.Roles.Get(store.ReleaseManager), x.req.User) {
		return nil
	}
	rms := p.Roles.Get(store.ReleaseManager)
	if len(rms) == 0 {
		rs, err := tx.ReleasesOf(p.Name)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Owner == x.req.User {
				return nil
			}
		}
		return store.Errorf(store.EForbidden, "while %s has no release manager, only an admin or someone who owns one of its releases can set its roles", p.Name)
	}
	return store.Errorf(store.EForbidden, "only %s (release manager of %s) or an admin can set its roles", render.Mentions(rms), p.Name)
}

// mayAudit fails with a forbidden error unless the user may read the audit
// entries f selects: admins everything; anyone their own changes; the
// release managers of a product its entries; a release's owner and
// release managers (or, once it is deleted, its product's release
// managers) the release's.
func (x *Exec) mayAudit(tx *store.Tx, f store.AuditFilter) error {
	if x.admin() {
		return nil
	}
	switch {
	case f.Actor != "":
		if f.Actor == x.req.User {
			return nil
		}
		return store.Errorf(store.EForbidden, "only an admin can read the audit log of someone else's changes; yours are `/release audit @you`")
	case f.Product != "":
		p, err := tx.Product(f.Product)
		if err != nil {
			return err
		}
		rms := p.Roles.Get(store.ReleaseManager)
		if slices.Contains(rms, x.req.User) {
			return nil
		}
		if len(rms) == 0 {
			return store.Errorf(store.EForbidden, "only an admin can read the audit log of %s, which has no release manager", p.Name)
		}
		return store.Errorf(store.EForbidden, "only the release managers of %s (%s) or an admin can read its audit log", p.Name, render.Mentions(rms))
	case f.Release != "":
		name, _, _ := strings.Cut(f.Release, "@")
		p := product(tx, name)
		if p != nil && slices.Contains(p.Roles.Get(store.ReleaseManager), x.req.User) {
			return nil
		}
		ref, err := store.ParseRef(f.Release)
		if err != nil {
			return err
		}
		r, err := tx.Release(ref)
		if store.ErrorCode(err) == store.ENotFound {
			return store.Errorf(store.EForbidden, "only the release managers of %s or an admin can read the audit log of %s, which does not exist (any more)", name, f.Release)
		}
		if err != nil {
			return err
		}
		return x.mayManage(tx, r, "read the audit log of")
	}
	return store.Errorf(store.EForbidden, "only an admin can read the whole audit log: name a release or product you manage, or `/release audit @you` for your own changes")
}

// mayPipeline fails with a forbidden error unless the user may set p's
// pipeline: admins and p's release managers, or, while it has none, the
// owners of its planned releases.
func (x *Exec) mayPipeline(tx *store.Tx, p *store.Product) error {
	rms := p.Roles.Get(store.ReleaseManager)
	if x.admin() || slices.Contains(rms, x.req.User) {
		return nil
	}
	if len(rms) > 0 {
		return store.Errorf(store.EForbidden, "only %s (release manager of %s) or an admin can set its pipeline", render.Mentions(rms), p.Name)
	}
	rs, err := tx.ReleasesOf(p.Name)
	if err != nil {
		return err
	}
	var owners []string
	for _, r := range rs {
		if r.Status != store.Planned {
			continue
		}
		if r.Owner == x.req.User {
			return nil
		}
		if !slices.Contains(owners, r.Owner) {
			owners = append(owners, r.Owner)
		}
	}
	if len(owners) == 0 {
		return store.Errorf(store.EForbidden, "%s has no release manager and no planned release, so only an admin can set its pipeline (or set a release manager with /release role %s release-manager @user)", p.Name, p.Name)
	}
	return store.Errorf(store.EForbidden, "while %s has no release manager, only the owners of its planned releases (%s) or an admin can set its pipeline", p.Name, render.Mentions(owners))
}
