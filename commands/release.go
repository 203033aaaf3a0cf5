package commands

import (
	"cmp"
	"fmt"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// loadRelease returns the release ref names, whatever the case of its
// version (foo@V1 is foo@v1): callers name it by the returned release's
// Ref, the spelling it is stored under, so a command resolves case in its
// own transaction. A release that is not there is a not-found error that
// lists the product's releases when only the version was wrong.
func loadRelease(tx *store.Tx, ref store.Ref) (*store.Release, error) {
	r, err := tx.Release(ref)
	if store.ErrorCode(err) != store.ENotFound {
		return r, err
	}
	others, lerr := tx.ReleasesOf(ref.Product)
	if lerr != nil || len(others) == 0 {
		return nil, store.Errorf(store.ENotFound, "there is no release %s — add it with /release add %s %s <date>", ref, ref.Product, ref.Version)
	}
	vs := make([]string, 0, len(others))
	for i := range others {
		if strings.EqualFold(others[i].Version, ref.Version) {
			return &others[i], nil
		}
		vs = append(vs, others[i].Version)
	}
	if len(vs) > 8 {
		vs = append(vs[:8], "…")
	}
	return nil, store.Errorf(store.ENotFound, "there is no release %s; %s has %s", ref, ref.Product, strings.Join(vs, ", "))
}

func requirePlanned(r *store.Release, verb string) error {
	if r.Status != store.Planned {
		return store.Errorf(store.EConflict, "%s is %s; only planned releases can be %s", r.Ref, r.Status, verb)
	}
	return nil
}

// ---- add

type addCmd struct {
	ref     store.Ref
	date    store.Date
	owner   string
	channel string
	anyway  bool // the user confirmed a target in the past
	isNew   bool // "new": the product is new even though its name is close to another's
}

// AddRelease is the add command of a form's fields: the release, its
// target, and its owner and news channel (user and channel IDs; "" for
// who runs it and where). A transport runs it as Format writes it.
func AddRelease(ref store.Ref, target store.Date, owner, channel string) Command {
	return &addCmd{ref: ref, date: target, owner: owner, channel: channel}
}

func parseAdd(p *parser) (Command, error) {
	c := &addCmd{}
	var err error
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	if c.date, err = p.date("the target date"); err != nil {
		return nil, store.WithField(err, "date")
	}
	c.anyway = p.trailing("anyway")
	if c.isNew = p.trailing("new"); c.isNew && !c.anyway {
		c.anyway = p.trailing("anyway") // "… anyway new"
	}
	for !p.done() {
		ok, err := p.ownerOrChannel(&c.owner, &c.channel, "the owner")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, p.end()
		}
	}
	return c, nil
}

func (c *addCmd) run(x *Exec) (store.Doc, error) {
	if err := pastDate(c.date, x.today, c.anyway, "add a release with a past target"); err != nil {
		return store.Doc{}, store.WithField(err, "date")
	}
	if c.channel == "" && IsDM(x.req.Channel) {
		return store.Doc{}, store.WithField(invalid("this is a direct message, where the release's news can't go: name its channel with \"channel #releases\""), "channel")
	}
	r := &store.Release{
		Ref: c.ref, Target: c.date, Owner: cmp.Or(c.owner, x.req.User), Channel: cmp.Or(c.channel, x.req.Channel),
		Status: store.Planned, CreatedAt: x.now, CreatedBy: x.req.User,
		History: []store.HistoryEntry{{Kind: store.HistoryAdded, To: c.date, By: x.req.User, At: x.now}},
	}
	var over *store.Freeze // the freeze an admin overrode
	err := x.update(func(tx *store.Tx) error {
		if old, err := tx.Release(c.ref); err == nil {
			return store.WithField(store.Errorf(store.EConflict, "%s already exists (target %s, owner %s); use /release move to change its date", c.ref, old.Target.Pretty(), Plain(render.Mention(old.Owner))), "version")
		} else if store.ErrorCode(err) != store.ENotFound {
			return err
		}
		if err := checkNewVersion(tx, c.ref); err != nil {
			return store.WithField(err, "version")
		}
		var err error
		if over, err = frozen(tx, x, c.ref.Product, c.date, c.anyway); err != nil {
			return store.WithField(err, "date")
		}
		r.History[0].Freeze = freezeName(over)
		action := "release.add"
		if over != nil {
			action = "release.add.freeze-override"
		}
		p, err := x.ensureProduct(tx, c.ref.Product, c.isNew)
		if err != nil {
			return err
		}
		r.Stages = store.StagesFor(store.PipelineOf(p))
		t, err := tx.ChecklistTemplate(c.ref.Product)
		if err != nil {
			return err
		}
		r.CopyTemplate(t, x.req.User, x.now)
		if err := tx.PutRelease(action, r); err != nil {
			return err
		}
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":package: %s added %s, target %s. Owner %s.", render.Mention(x.req.User), render.Bold(r.Ref), render.When(r.Target, x.today), render.Mention(r.Owner)))
		if over != nil {
			b.Section(overrideText(over))
		}
		return x.post(tx, r.Channel, b.Build())
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	msg := fmt.Sprintf(":white_check_mark: Added %s, target %s, owner %s; its news goes to %s.", render.Bold(r.Ref), render.When(r.Target, x.today), render.Mention(r.Owner), render.ChannelRef(r.Channel))
	if r.OverdueOn(x.today) {
		msg += " :warning: Its target has already passed, so it is *overdue*."
	}
	b.Section(msg)
	if over != nil {
		b.Section(overrideText(over))
	}
	if n := len(r.Checklist); n > 0 {
		b.Section(fmt.Sprintf(":spiral_note_pad: Its checklist starts with the %s from the %s template — `/release check %s`.", render.Plural(n, "item"), r.Product, r.Ref))
	}
	b.Context(fmt.Sprintf("Next: `/release depend %s on &lt;release&gt;` to record what it needs.", r.Ref))
	return b.Build(), nil
}

// ownerOrChannel reads an "owner @user" or "channel #channel" option into
// owner or channel, if one comes next, and reports whether it did. Each may
// be given once; a channel must be one the bot can post news in.
func (p *parser) ownerOrChannel(owner, channel *string, ownerWhat string) (bool, error) {
	var err error
	switch {
	case p.keyword("owner"):
		if *owner != "" {
			return true, store.WithField(repeated("owner"), "owner")
		}
		*owner, err = p.user(ownerWhat)
		return true, store.WithField(err, "owner")
	case p.keyword("channel"):
		if *channel != "" {
			return true, store.WithField(repeated("channel"), "channel")
		}
		if *channel, err = p.channel(); err == nil {
			err = checkNewsChannel(*channel)
		}
		return true, store.WithField(err, "channel")
	}
	return false, nil
}

// ---- list

// ---- show

// ---- move

// ---- ship

// ---- cancel

// ---- history
