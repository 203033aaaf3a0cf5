package commands

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"relman/commands/render"
	"relman/store"
)

// The commands a connector (GitHub, Jira, CI) runs are the ones a person
// types, built as values: a connector never writes command text. Run runs
// them as Execute runs a typed one.

// PublishRelease is `ship <ref> on <on>` as a connector runs it for a
// release published on GitHub or released in Jira: it happened, so a
// freeze does not stop it (the news names it), and a release the
// connector's linked product lacks is added on the fly. (A deployment is
// Promote, to production or another stage.)
func PublishRelease(ref store.Ref, on store.Date) Command {
	return &shipCmd{ref: ref, date: on, anyway: true, add: true}
}

// MoveRelease is `move <ref> <to> because <reason>` as a connector runs it
// when a milestone's or a Jira version's date changed: it obeys freezes
// like a person's move. A release the connector's linked product lacks is
// added with target to.
func MoveRelease(ref store.Ref, to store.Date, reason string) Command {
	return &moveCmd{ref: ref, date: to, reason: reason, anyway: true}
}

// RenameRelease is `set <ref> version <version>` (a renamed Jira version).
func RenameRelease(ref store.Ref, version string) Command {
	return &setCmd{ref: ref, version: version}
}

// Run runs cmd, already parsed or built as a value, as req: Execute
// without the parsing, for a connector that builds the command a person
// would type. A failure is a private Reply, as Execute's.
func (s *Service) Run(ctx context.Context, req Request, cmd Command) (reply Reply) {
	now := s.Clock.Now()
	x := &Exec{ctx: ctx, s: s, req: req, now: now, today: store.DateOf(now, s.loc())}
	spec := specOf(cmd)
	defer func() {
		if p := recover(); p != nil {
			reply = s.fail(x, spec, "release", fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()
	if err := ctx.Err(); err != nil {
		return s.fail(x, spec, "release", err)
	}
	doc, err := cmd.run(x)
	if err != nil {
		return s.fail(x, spec, "release", fmt.Errorf("release %s: %w", spec.Name, err))
	}
	ro, _ := cmd.(interface{ readOnly() bool })
	return Reply{Doc: doc, Queued: x.queued, Cacheable: ro != nil && ro.readOnly(), Unchanged: x.unchanged}
}

// specOf is the row of the command table of a command a connector builds.
func specOf(cmd Command) *Spec {
	name := "help"
	switch cmd.(type) {
	case *shipCmd:
		name = "ship"
	case *moveCmd:
		name = "move"
	case *setCmd:
		name = "set"
	}
	return lookup("release", name)
}

// connectorLink is the link through which the running connector acts on
// product: GitHub's repository, Jira's project; nil for CI, which names
// releases itself, and for a product not linked.
func (x *Exec) connectorLink(tx *store.Tx, product string) (*store.Link, error) {
	var kind store.LinkKind
	switch x.req.User {
	case store.ActorGitHub:
		kind = store.LinkGitHub
	case store.ActorJira:
		kind = store.LinkJira
	default:
		return nil, nil
	}
	l, err := tx.LinkOf(product, kind)
	if store.ErrorCode(err) == store.ENotFound {
		return nil, nil
	}
	return l, err
}

// connectorAdd adds ref with target for a connector that found it missing
// (SPEC §8): owned by the product's release manager, else whoever linked
// the product; posting to the channel of the product's latest release,
// else where the link was typed. It obeys freezes unless reality (a
// release that happened): then the freeze overridden is returned. It
// returns an ENotFound error when the connector may not add releases to
// the product (CI, or no link).
func (x *Exec) connectorAdd(tx *store.Tx, ref store.Ref, target store.Date, reality bool) (*store.Release, *store.Freeze, error) {
	l, err := x.connectorLink(tx, ref.Product)
	if err != nil {
		return nil, nil, err
	}
	if l == nil {
		return nil, nil, store.Errorf(store.ENotFound, "there is no release %s", ref)
	}
	if err := checkNewVersion(tx, ref); err != nil {
		return nil, nil, err
	}
	f, err := tx.FreezeOn(ref.Product, target)
	if err != nil {
		return nil, nil, err
	}
	if f != nil && !reality {
		return nil, nil, store.Errorf(store.EConflict, "%s is frozen %s (%s: %s), and %s is inside it", ref.Product, render.FreezeSpan(f), f.Name(), f.Reason, target.Pretty())
	}
	p, err := tx.Product(ref.Product)
	if err != nil {
		return nil, nil, err
	}
	owner, channel := l.By, l.Channel
	if rms := p.Roles.Get(store.ReleaseManager); len(rms) > 0 {
		owner = rms[0]
	}
	rs, err := tx.ReleasesOf(ref.Product)
	if err != nil {
		return nil, nil, err
	}
	var latest *store.Release
	for i := range rs {
		if latest == nil || rs[i].CreatedAt.After(latest.CreatedAt) {
			latest = &rs[i]
		}
	}
	if latest != nil && latest.Channel != "" {
		channel = latest.Channel
	}
	r := &store.Release{
		Ref: ref, Target: target, Owner: owner, Channel: channel,
		Status: store.Planned, CreatedAt: x.now, CreatedBy: x.req.User,
		History: []store.HistoryEntry{{Kind: store.HistoryAdded, To: target, By: x.req.User, At: x.now, Reason: x.req.Note}},
	}
	if err := tx.PutRelease("release.add", r); err != nil {
		return nil, nil, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":package: %s added %s, target %s. Owner %s.", render.Mention(x.req.User), render.Bold(r.Ref), render.When(r.Target, x.today), render.Mention(r.Owner)))
	if x.req.Note != "" {
		b.Context(render.Escape(x.req.Note))
	}
	if err := x.post(tx, r.Channel, b.Build()); err != nil {
		return nil, nil, err
	}
	return r, f, nil
}

// realityFreeze is what a connector's news says of a freeze that covers
// the day something it reports happened: it is recorded anyway.
func realityFreeze(f *store.Freeze) string {
	return fmt.Sprintf(":snowflake: Inside freeze %s (%s, %s): recorded anyway, since it happened.", f.Name(), render.Escape(f.Reason), render.FreezeSpan(f))
}

// firstDelivery fails with errDelivered when the request's delivery (a
// webhook's id) was applied before: the change it would make is made
// once, in the transaction that makes it.
func (x *Exec) firstDelivery(tx *store.Tx) error {
	if x.req.Delivery == "" {
		return nil
	}
	first, err := tx.FirstDelivery(x.req.Delivery, DeliveryTTL)
	if err != nil {
		return err
	}
	if !first {
		return errDelivered
	}
	return nil
}

// DeliveryTTL is how long a webhook delivery is remembered: GitHub
// redelivers for days at most, CI retries within minutes.
const DeliveryTTL = 30 * 24 * time.Hour

// errDelivered is the delivery seen before; Run answers it as a change
// made (Reply.Unchanged, no error).
var errDelivered = store.Errorf(store.EConflict, "this delivery was applied already")

// IsUnknownStage reports whether reply is a connector's refusal of a
// deployment to a stage the release's pipeline lacks.
func IsUnknownStage(reply Reply) bool {
	return reply.Code == store.ENotFound && reply.Err != nil && strings.HasPrefix(reply.Err.Message, "unknown stage")
}

// IsDelivered reports whether reply is the refusal of a delivery applied
// before (Request.Delivery).
func IsDelivered(reply Reply) bool { return reply.Err != nil && reply.Err == errDelivered }

// Refused posts in the release's channel that connector req could not make
// the change it was asked, and why (reply's error): a connector's refused
// date change is told where people see it. Nothing else changes. It
// returns the number of messages queued.
func (s *Service) Refused(ctx context.Context, req Request, ref store.Ref, what string, reply Reply) (int, error) {
	if reply.Err == nil {
		return 0, nil
	}
	now := s.Clock.Now()
	x := &Exec{ctx: ctx, s: s, req: req, now: now, today: store.DateOf(now, s.loc())}
	err := x.update(func(tx *store.Tx) error {
		r, err := tx.Release(ref)
		if err != nil {
			return err
		}
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":no_entry: %s could not %s: %s", render.Mention(req.User), what, render.Escape(reply.Err.Message)))
		if req.Note != "" {
			b.Context(render.Escape(req.Note))
		}
		return x.post(tx, r.Channel, b.Build())
	})
	return x.queued, err
}

// DeployFailed posts in ref's channel that CI reports a failed deployment
// to stage, with the link to the run; it changes nothing else. A delivery
// seen before (req.Delivery) posts nothing and reports false.
func (s *Service) DeployFailed(ctx context.Context, req Request, ref store.Ref, stage, url string) (bool, error) {
	now := s.Clock.Now()
	x := &Exec{ctx: ctx, s: s, req: req, now: now, today: store.DateOf(now, s.loc())}
	err := x.update(func(tx *store.Tx) error {
		r, err := loadRelease(tx, ref)
		if err != nil {
			return err
		}
		if err := r.CheckStage(stage); err != nil {
			return store.Errorf(store.ENotFound, "unknown stage %q: %s", stage, store.ErrorMessage(err))
		}
		if err := x.firstDelivery(tx); err != nil {
			return err
		}
		b := render.NewDoc("")
		line := fmt.Sprintf(":x: %s: deploying %s to %s failed.", render.Mention(req.User), render.Bold(r.Ref), render.Escape(stage))
		if url != "" {
			line += " " + render.Link(url, "See the run")
		}
		b.Section(line)
		return x.post(tx, r.Channel, b.Build())
	})
	if errors.Is(err, errDelivered) {
		return false, nil
	}
	return err == nil, err
}

// LinkTo returns the link of kind to target (a GitHub repository, any
// case; a Jira key), or an ENotFound error.
func (s *Service) LinkTo(ctx context.Context, kind store.LinkKind, target string) (*store.Link, error) {
	var l *store.Link
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		l, err = tx.Link(kind, target)
		return err
	})
	return l, err
}

// Delivered records on l that its connector took a delivery now and what
// it changed ("" none), for /release link list.
func (s *Service) Delivered(ctx context.Context, l *store.Link, changed []string) error {
	now := s.Clock.Now()
	return s.Store.Update(ctx, l.By, now, func(tx *store.Tx) error {
		cur, err := tx.Link(l.Kind, l.Target)
		if err != nil {
			return err
		}
		cur.Last, cur.LastChanged = now, changed
		return tx.RecordSync(cur)
	})
}
