package commands

import (
	"cmp"
	"fmt"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// ---- set

// setCmd changes who answers for a release, where its news goes, or its
// name; or who answers for an external item.
type setCmd struct {
	ref      store.Ref // a release, or
	external string    // an external item's name
	owner    string
	channel  string
	version  string
	product  string
}

func parseSet(p *parser) (Command, error) {
	c := &setCmd{}
	var err error
	if p.keyword("external") {
		if c.external, err = p.quoted("the external item's name"); err != nil {
			return nil, err
		}
		if err := p.expect("owner", "(an external item's owner is all that can be set)"); err != nil {
			return nil, err
		}
		if c.owner, err = p.user("the new owner"); err != nil {
			return nil, err
		}
		if p.isWord("owner") {
			return nil, repeated("owner")
		}
		return c, nil
	}
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	for !p.done() {
		if ok, err := p.ownerOrChannel(&c.owner, &c.channel, "the new owner"); ok || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case p.keyword("version"):
			if c.version != "" {
				return nil, repeated("version")
			}
			if c.version, err = p.word("the new version"); err != nil {
				return nil, err
			}
			if _, err := store.NewRef(c.ref.Product, c.version); err != nil {
				return nil, err
			}
		case p.keyword("product"):
			if c.product != "" {
				return nil, repeated("product")
			}
			w, err := p.word("the new product")
			if err != nil {
				return nil, err
			}
			if c.product, err = store.NormalizeProduct(w); err != nil {
				return nil, err
			}
		default:
			t, _ := p.peek()
			return nil, invalid("expected owner @user, channel #channel, version <new> or product <new>, not %q", render.Clip(t.Text, 40))
		}
	}
	if c.owner == "" && c.channel == "" && c.version == "" && c.product == "" {
		return nil, invalid("say what to change: owner @user, channel #channel, version <new> or product <new>")
	}
	return c, nil
}

func (c *setCmd) run(x *Exec) (store.Doc, error) {
	if c.external != "" {
		return c.runExternal(x)
	}
	var r *store.Release
	var changes []string // what changed, for the reply and the news
	var oldChannel string
	var moved int // dependency edges re-keyed by a rename
	err := x.update(func(tx *store.Tx) error {
		var err error
		if r, err = loadRelease(tx, c.ref); err != nil {
			return err
		}
		verb := "change the news channel of"
		switch {
		case c.version != "" || c.product != "":
			verb = "rename"
		case c.owner != "":
			verb = "reassign"
		}
		if err := x.mayReassign(tx, r, verb); err != nil {
			return err
		}
		oldChannel = r.Channel
		if c.owner != "" {
			if c.owner == r.Owner {
				return invalid("%s already owns %s", render.Mention(c.owner), r.Ref)
			}
			r.History = append(r.History, store.HistoryEntry{Kind: store.HistoryOwnerChanged, FromName: r.Owner, ToName: c.owner, By: x.req.User, At: x.now})
			changes = append(changes, fmt.Sprintf("owner %s → %s", render.Mention(r.Owner), render.Mention(c.owner)))
			r.Owner = c.owner
		}
		if c.channel != "" {
			if c.channel == r.Channel {
				return invalid("%s's news already goes to %s", r.Ref, render.ChannelRef(c.channel))
			}
			r.History = append(r.History, store.HistoryEntry{Kind: store.HistoryChannelChanged, FromName: r.Channel, ToName: c.channel, By: x.req.User, At: x.now})
			changes = append(changes, fmt.Sprintf("news channel %s → %s", render.ChannelRef(r.Channel), render.ChannelRef(c.channel)))
			r.Channel = c.channel
		}
		if c.version == "" && c.product == "" {
			if err := tx.PutRelease("release.set", r); err != nil {
				return err
			}
		} else {
			to, err := store.NewRef(cmp.Or(c.product, r.Product), cmp.Or(c.version, r.Version))
			if err != nil {
				return err
			}
			if to == r.Ref {
				return invalid("%s is already called that", r.Ref)
			}
			changes = append(changes, fmt.Sprintf("renamed from %s", render.Escape(r.Ref.String())))
			if moved, err = rename(x, tx, r, to); err != nil {
				return err
			}
		}
		news := render.NewDoc("")
		news.Section(fmt.Sprintf(":pencil2: %s changed %s: %s.", render.Mention(x.req.User), render.Bold(r.Ref), strings.Join(changes, "; ")))
		if err := x.post(tx, r.Channel, news.Build()); err != nil {
			return err
		}
		if oldChannel != r.Channel {
			if err := x.post(tx, oldChannel, news.Build()); err != nil {
				return err
			}
		}
		if c.owner != "" {
			n := &store.Notice{Kind: store.KindOwner, Subject: store.OwnerSubject(r.Ref.Key()), Key: store.OwnerKey(r.Ref.Key(), c.owner, x.now), Release: r.Ref, By: x.req.User}
			return x.postDM(tx, c.owner, NewOwner(r, x.req.User, x.today), n)
		}
		return nil
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	msg := fmt.Sprintf(":white_check_mark: Changed %s: %s.", render.Bold(r.Ref), strings.Join(changes, "; "))
	if moved > 0 {
		msg += fmt.Sprintf(" Its %s followed.", render.Plural(moved, "dependency edge"))
	}
	msg += " Posted in " + render.ChannelRef(r.Channel)
	if oldChannel != r.Channel && oldChannel != "" {
		msg += " and " + render.ChannelRef(oldChannel)
	}
	msg += "."
	if c.owner != "" && c.owner != x.req.User {
		msg += " " + render.Mention(c.owner) + " was told."
	}
	b.Section(msg)
	return b.Build(), nil
}

// rename re-keys r as to, with every dependency edge where it is the
// consumer or the provider, creating to's product on first use; r's
// history keeps the old name. It refuses a name another release has.
func rename(x *Exec, tx *store.Tx, r *store.Release, to store.Ref) (int, error) {
	from := r.Ref
	if existing, err := resolveRef(tx, to); err != nil {
		return 0, err
	} else if existing != from {
		if o, err := tx.Release(existing); err == nil {
			return 0, store.Errorf(store.EConflict, "%s already exists (target %s, owner %s); pick another name", existing, o.Target.Pretty(), Plain(render.Mention(o.Owner)))
		} else if store.ErrorCode(err) != store.ENotFound {
			return 0, err
		}
	}
	if _, err := tx.Product(to.Product); store.ErrorCode(err) == store.ENotFound {
		if err := tx.PutProduct("product.create", &store.Product{Name: to.Product, CreatedAt: x.now, CreatedBy: x.req.User}); err != nil {
			return 0, err
		}
	} else if err != nil {
		return 0, err
	}
	out, err := tx.DependenciesOf(from)
	if err != nil {
		return 0, err
	}
	g, err := tx.Graph()
	if err != nil {
		return 0, err
	}
	in := g.Dependents(from.Key())
	edges := append(out, in...)
	for i := range edges {
		if err := tx.DeleteDependency("dependency.rename", &edges[i]); err != nil {
			return 0, err
		}
	}
	if err := tx.DeleteRelease("release.rename", from); err != nil {
		return 0, err
	}
	r.Ref = to
	r.History = append(r.History, store.HistoryEntry{Kind: store.HistoryRenamed, FromName: from.String(), ToName: to.String(), By: x.req.User, At: x.now})
	if err := tx.PutRelease("release.rename", r); err != nil {
		return 0, err
	}
	for i := range edges {
		d := edges[i]
		if d.Consumer == from {
			d.Consumer = to
		}
		if !d.IsExternal() && d.Provider == from {
			d.Provider = to
		}
		if err := tx.PutDependency("dependency.rename", &d); err != nil {
			return 0, err
		}
		// The alerts sent about the edge stay sent under its new name.
		if _, err := tx.RekeyLedger(edges[i].Key(), d.Key()); err != nil {
			return 0, err
		}
	}
	// News of it held in the outbox follows it, and is told once.
	if _, err := tx.RenameNotices(from, to); err != nil {
		return 0, err
	}
	return len(edges), nil
}

// runExternal gives an external item a new owner: for its owner or an admin.
func (c *setCmd) runExternal(x *Exec) (store.Doc, error) {
	var ext *store.External
	var old string
	err := x.update(func(tx *store.Tx) error {
		var err error
		if ext, err = tx.External(c.external); err != nil {
			return err
		}
		if x.req.User != ext.Owner && !x.admin() {
			return store.Errorf(store.EForbidden, "only %s (its owner) or an admin can give external “%s” a new owner", render.Mention(ext.Owner), ext.Name)
		}
		if c.owner == ext.Owner {
			return invalid("%s already owns external “%s”", render.Mention(c.owner), ext.Name)
		}
		old = ext.Owner
		ext.History = append(ext.History, store.HistoryEntry{Kind: store.HistoryOwnerChanged, FromName: old, ToName: c.owner, By: x.req.User, At: x.now})
		ext.Owner = c.owner
		if err := tx.PutExternal("external.set", ext); err != nil {
			return err
		}
		what := store.ExternalSubject(ext.Name)
		n := &store.Notice{Kind: store.KindOwner, Subject: store.OwnerSubject(what), Key: store.OwnerKey(what, c.owner, x.now), External: ext.Name, By: x.req.User}
		return x.postDM(tx, c.owner, NewExternalOwner(ext, x.req.User), n)
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":white_check_mark: External “%s” is now owned by %s (was %s); they were told.", render.Escape(ext.Name), render.Mention(ext.Owner), render.Mention(old)))
	return b.Build(), nil
}

// postDM queues doc as a direct message to user, of notice n (nil: doc
// as it is), which is worded again when it is delivered
// (reminders.RenderNotice). Nobody is told of their own change.
func (x *Exec) postDM(tx *store.Tx, user string, doc store.Doc, n *store.Notice) error {
	if user == "" || user == x.req.User {
		return nil
	}
	x.queued++
	return tx.Enqueue(&store.Message{Channel: user, DM: true, Doc: doc, Notice: n})
}

// NewOwner is the DM that tells r's owner, as of today, that by made them
// its owner.
func NewOwner(r *store.Release, by string, today store.Date) store.Doc {
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":pencil2: %s made you the owner of %s, target %s. You answer for its dates and dependencies now. See it with `/release show %s`.", render.Mention(by), render.Bold(r.Ref), render.When(r.Target, today), r.Ref))
	return b.Build()
}

// NewExternalOwner is the DM that tells ext's owner that by made them its
// owner.
func NewExternalOwner(ext *store.External, by string) store.Doc {
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":pencil2: %s made you the owner of external “%s” (due %s): you answer for its date and confirm it with `/release confirm external \"%s\"`.", render.Mention(by), render.Escape(ext.Name), ext.Due.Pretty(), render.Escape(ext.Name)))
	return b.Build()
}
