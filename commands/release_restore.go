package commands

import (
	"fmt"
	"time"

	"relman/commands/render"
	"relman/store"
)

// RestoreWindow is how long after a delete the release can be restored.
const RestoreWindow = 30 * 24 * time.Hour

// restoreCmd brings back a release deleted within RestoreWindow, as the
// audit log kept it when it was deleted: its dates, people, roles, history
// and the dependencies the delete removed with it.
type restoreCmd struct {
	ref    store.Ref
	reason string
}

func parseRestore(p *parser) (Command, error) {
	c := &restoreCmd{}
	var err error
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	c.reason, err = reason(p, false, "to restore a release")
	if err != nil {
		return nil, err
	}
	return c, p.end()
}

func (c *restoreCmd) run(x *Exec) (store.Doc, error) {
	var r *store.Release
	var back, left []string // dependencies restored, and those whose provider is gone
	var frozenNote string
	err := x.update(func(tx *store.Tx) error {
		if _, err := tx.Release(c.ref); err == nil {
			return store.Errorf(store.EConflict, "%s exists: there is nothing to restore", c.ref)
		} else if store.ErrorCode(err) != store.ENotFound {
			return err
		}
		var deps []store.Dependency
		var del *store.Audit
		var err error
		r, deps, del, err = tx.DeletedRelease(c.ref.Key(), x.now.Add(-RestoreWindow))
		if err != nil {
			return err
		}
		if r == nil {
			return store.Errorf(store.ENotFound, "the audit log has no delete of %s in the last %d days, so it can't be restored: add it again with /release add", c.ref, int(RestoreWindow.Hours()/24))
		}
		if err := x.mayManage(tx, r, "restore"); err != nil {
			return err
		}
		r.History = append(r.History, store.HistoryEntry{Kind: store.HistoryRestored, By: x.req.User, At: x.now, Reason: c.reason})
		if err := tx.PutRelease("release.restore", r); err != nil {
			return err
		}
		for i := range deps {
			d := &deps[i]
			if ok, err := providerExists(tx, d); err != nil {
				return err
			} else if !ok {
				left = append(left, d.ProviderKey())
				continue
			}
			if err := tx.PutDependency("dependency.restore", d); err != nil {
				return err
			}
			back = append(back, d.ProviderKey())
		}
		if frozenNote, err = freezeNote(tx, r); err != nil {
			return err
		}
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":recycle: %s restored %s, deleted %s by %s; target %s.", render.Mention(x.req.User), render.Bold(r.Ref),
			del.At.In(x.zone()).Format("2006-01-02 15:04 MST"), render.Mention(del.Actor), render.When(r.Target, x.today)))
		return x.announce(tx, r, b.Build())
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	msg := fmt.Sprintf(":white_check_mark: Restored %s (%s, target %s) with its history", render.Bold(r.Ref), r.Status, render.When(r.Target, x.today))
	if len(back) > 0 {
		msg += fmt.Sprintf(" and its %s on %s", render.Plural(len(back), "dependency"), render.AndList(back))
	}
	b.Section(msg + fmt.Sprintf("; posted in %s.", render.ChannelRef(r.Channel)))
	if len(left) > 0 {
		b.Section(fmt.Sprintf("Not restored: its %s on %s, which no longer %s.", render.Plural(len(left), "dependency"), render.AndList(left), exists(len(left))))
	}
	b.Context("Releases that depended on it were not touched by the delete (it was refused while any did), so there is none to restore.")
	if frozenNote != "" {
		b.Section(frozenNote + ".")
	}
	return b.Build(), nil
}

// providerExists reports whether d's provider (a release or an external
// item) is in the store.
func providerExists(tx *store.Tx, d *store.Dependency) (bool, error) {
	var err error
	if d.IsExternal() {
		_, err = tx.External(d.External)
	} else {
		_, err = tx.Release(d.Provider)
	}
	switch store.ErrorCode(err) {
	case "":
		return true, nil
	case store.ENotFound:
		return false, nil
	}
	return false, err
}

func exists(n int) string {
	if n == 1 {
		return "exists"
	}
	return "exist"
}
