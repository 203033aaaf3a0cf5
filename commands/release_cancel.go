package commands

import (
	"fmt"

	"relman/commands/render"
	"relman/store"
)

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
		r.History = append(r.History, store.HistoryEntry{Kind: store.HistoryCancelled, From: r.Target, By: x.req.User, At: x.now, Reason: c.reason})
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
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":no_entry_sign: %s cancelled %s because %s", render.Mention(x.req.User), render.Bold(r.Ref), render.Escape(c.reason)))
		if lines := dependentLines(g, r, x.today, ":warning: These releases depend on it:"); lines != nil {
			b.Lines(lines)
		}
		return x.announce(tx, r, b.Build())
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	msg := fmt.Sprintf(":white_check_mark: Cancelled %s; posted in %s.", render.Bold(r.Ref), render.ChannelRef(r.Channel))
	if n := len(broken); n == 1 {
		msg += fmt.Sprintf(" %s depended on it and is now at risk.", render.Bold(broken[0].Consumer))
	} else if n > 1 {
		msg += fmt.Sprintf(" %s depended on it and are now at risk — see `/release impact %s`.", render.Plural(n, "release"), r.Ref)
	}
	b.Section(msg)
	return b.Build(), nil
}
