package commands

import (
	"fmt"
	"strings"
	"time"

	"relman/commands/render"
	"relman/store"
)

// UnshipWindow is how long after shipping a ship can be undone.
const UnshipWindow = 24 * time.Hour

// ---- reopen

// reopenCmd undoes a cancel, or a ship within UnshipWindow.
type reopenCmd struct{ ref store.Ref }

func parseReopen(p *parser) (Command, error) {
	ref, err := p.release()
	return &reopenCmd{ref}, err
}

func (c *reopenCmd) run(x *Exec) (store.Doc, error) {
	var r *store.Release
	var was store.Status
	var frozenNote string // its target is inside a freeze: reopening keeps the date, and says so
	err := x.update(func(tx *store.Tx) error {
		var err error
		if r, err = loadRelease(tx, c.ref); err != nil {
			return err
		}
		// Who may ship a release may undo the ship: its release engineer too.
		if r.Status == store.Shipped {
			if err := x.mayShip(tx, r); err != nil {
				return store.Errorf(store.EForbidden, "%s", strings.Replace(store.ErrorMessage(err), "can ship", "can reopen", 1))
			}
		} else if err := x.mayManage(tx, r, "reopen"); err != nil {
			return err
		}
		was = r.Status
		entry := store.HistoryEntry{Kind: store.HistoryReopened, To: r.Target, By: x.req.User, At: x.now}
		switch r.Status {
		case store.Planned:
			return store.Errorf(store.EConflict, "%s is planned, not shipped or cancelled; there is nothing to reopen", r.Ref)
		case store.Shipped:
			// Without the instant it was marked (a history cut short),
			// the ship date's start stands in for it.
			at, ok := shippedAt(r)
			marked := at.In(x.zone()).Format("2006-01-02 15:04 MST")
			if !ok {
				at, marked = r.ShippedOn.Time(x.s.loc()), "on "+r.ShippedOn.Pretty()
			}
			if x.now.Sub(at) > UnshipWindow {
				return store.Errorf(store.EConflict, "%s was marked shipped %s, more than a day ago; a ship can only be undone within a day of it. If it was never shipped, add it again under a new version", r.Ref, marked)
			}
			entry.From = r.ShippedOn
			r.ShippedOn = store.Date{}
		case store.Cancelled:
		}
		r.Status = store.Planned
		r.History = append(r.History, entry)
		if err := tx.PutRelease("release.reopen", r); err != nil {
			return err
		}
		if frozenNote, err = freezeNote(tx, r); err != nil {
			return err
		}
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":leftwards_arrow_with_hook: %s reopened %s (it was %s); it is planned again, target %s.", render.Mention(x.req.User), render.Bold(r.Ref), was, render.When(r.Target, x.today)))
		return x.announce(tx, r, b.Build())
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	msg := fmt.Sprintf(":white_check_mark: %s is planned again (it was %s), target %s; posted in %s.", render.Bold(r.Ref), was, render.When(r.Target, x.today), render.ChannelRef(r.Channel))
	if r.Target.Before(x.today) {
		msg += fmt.Sprintf(" Its target has passed: move it with `/release move %s <date> because <reason>`.", r.Ref)
	}
	b.Section(msg)
	if frozenNote != "" {
		b.Section(frozenNote + fmt.Sprintf(": `/release move %s &lt;date&gt; because &lt;reason&gt;` to take it out.", r.Ref))
	}
	return b.Build(), nil
}

// shippedAt is when r was last marked shipped.
func shippedAt(r *store.Release) (time.Time, bool) {
	for i := len(r.History) - 1; i >= 0; i-- {
		if r.History[i].Kind == store.HistoryShipped {
			return r.History[i].At, true
		}
	}
	return time.Time{}, false
}

// ---- delete

// deleteCmd removes a release added by mistake, while nothing depends on it.
type deleteCmd struct {
	ref    store.Ref
	reason string
}

func parseDelete(p *parser) (Command, error) {
	c := &deleteCmd{}
	var err error
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	c.reason, err = reason(p, true, "to delete a release")
	return c, err
}

func (c *deleteCmd) run(x *Exec) (store.Doc, error) {
	var r *store.Release
	var removed int
	err := x.update(func(tx *store.Tx) error {
		var err error
		if r, err = loadRelease(tx, c.ref); err != nil {
			return err
		}
		if err := x.mayManage(tx, r, "delete"); err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		if ds := g.Dependents(r.Key()); len(ds) > 0 {
			names := make([]string, len(ds))
			for i, d := range ds {
				names[i] = d.Consumer.String()
			}
			return store.Errorf(store.EConflict, "%s can't be deleted while %s on it: remove %s with /release undepend first, or cancel it instead",
				r.Ref, dependOn(names), pronoun(len(names)))
		}
		deps, err := tx.DependenciesOf(r.Ref)
		if err != nil {
			return err
		}
		for i := range deps {
			if err := tx.DeleteDependency("dependency.delete", &deps[i]); err != nil {
				return err
			}
		}
		removed = len(deps)
		// The audit log keeps the release as it was, with why it went.
		r.History = append(r.History, store.HistoryEntry{Kind: store.HistoryDeleted, By: x.req.User, At: x.now, Reason: c.reason})
		if err := tx.PutRelease("release.delete", r); err != nil {
			return err
		}
		if err := tx.DeleteRelease("release.delete", r.Ref); err != nil {
			return err
		}
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":wastebasket: %s deleted %s because %s", render.Mention(x.req.User), render.Bold(r.Ref), render.Escape(c.reason)))
		return x.post(tx, r.Channel, b.Build())
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	msg := fmt.Sprintf(":white_check_mark: Deleted %s", render.Bold(r.Ref))
	if removed > 0 {
		msg += fmt.Sprintf(" and its %s", render.Plural(removed, "dependency"))
	}
	b.Section(msg + fmt.Sprintf("; posted in %s. The audit log keeps what it was.", render.ChannelRef(r.Channel)))
	return b.Build(), nil
}

// dependOn says "mobile@5.0 depends", "a, b and c depend".
func dependOn(names []string) string {
	if len(names) == 1 {
		return names[0] + " depends"
	}
	if len(names) > 8 {
		names = append(names[:8:8], fmt.Sprintf("%d more", len(names)-8))
	}
	return render.AndList(names) + " depend"
}

func pronoun(n int) string {
	if n == 1 {
		return "that dependency"
	}
	return "those dependencies"
}
