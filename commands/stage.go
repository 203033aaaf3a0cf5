package commands

import (
	"fmt"
	"slices"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// ---- pipeline

type pipelineCmd struct {
	product string
	stages  []string // nil: show the pipeline
	isNew   bool     // "new": the product is new even though its name is close to another's
}

func parsePipeline(p *parser) (Command, error) {
	c := &pipelineCmd{}
	w, err := p.word("the product (like payments)")
	if err != nil {
		return nil, err
	}
	if c.product, err = store.NormalizeProduct(w); err != nil {
		return nil, err
	}
	c.isNew = p.trailingNew()
	for !p.done() {
		w, err := p.word("a stage (like test)")
		if err != nil {
			return nil, err
		}
		s, err := store.NormalizeStage(w)
		if err != nil {
			return nil, err
		}
		c.stages = append(c.stages, s)
	}
	if c.stages != nil {
		if err := store.ValidatePipeline(c.stages); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *pipelineCmd) readOnly() bool { return c.stages == nil }

func (c *pipelineCmd) format() string {
	l := cmdLine{"pipeline", c.product}
	l.add(c.stages...)
	l.flag("new", c.isNew)
	return l.String()
}

func (c *pipelineCmd) run(x *Exec) (store.Doc, error) {
	if c.stages == nil {
		var p *store.Product
		err := x.view(func(tx *store.Tx) error {
			var err error
			p, err = tx.Product(c.product)
			if store.ErrorCode(err) == store.ENotFound {
				return store.Errorf(store.ENotFound, "there is no product %s yet: its pipeline would be %s", c.product, store.PipelineText(store.PipelineOf(nil)))
			}
			return err
		})
		if err != nil {
			return store.Doc{}, err
		}
		b := render.NewDoc("")
		how := "its own"
		if len(p.Pipeline) == 0 {
			how = "the default"
		}
		b.Section(fmt.Sprintf("*%s* goes through %s (%s pipeline). Set another with `/release pipeline %s <stage>… production`.", p.Name, store.PipelineText(store.PipelineOf(p)), how, p.Name))
		return b.Build(), nil
	}
	var changed int
	err := x.update(func(tx *store.Tx) error {
		p, err := x.ensureProduct(tx, c.product, c.isNew)
		if err != nil {
			return err
		}
		if err := x.mayPipeline(tx, p); err != nil {
			return err
		}
		if slices.Equal(store.PipelineOf(p), c.stages) {
			return store.Errorf(store.EConflict, "%s already goes through %s; nothing changed", p.Name, store.PipelineText(c.stages))
		}
		p.Pipeline = c.stages
		if err := tx.PutProduct("product.pipeline", p); err != nil {
			return err
		}
		// Planned releases follow the new pipeline, keeping the stages
		// they reached; shipped and cancelled ones keep what they went
		// through.
		rs, err := tx.ReleasesOf(p.Name)
		if err != nil {
			return err
		}
		for i := range rs {
			r := &rs[i]
			if r.Status != store.Planned || !r.SetPipeline(c.stages) {
				continue
			}
			changed++
			if err := tx.PutRelease("release.pipeline", r); err != nil {
				return err
			}
		}
		touched := Touched{}
		for i := range rs {
			touched.Releases = append(touched.Releases, rs[i].Ref)
		}
		return x.alert(tx, touched)
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	msg := fmt.Sprintf(":white_check_mark: *%s* now goes through %s.", c.product, store.PipelineText(c.stages))
	if changed > 0 {
		msg += fmt.Sprintf(" It applies to %s, keeping the stages they reached.", render.Plural(changed, "planned release"))
	}
	b.Section(msg)
	return b.Build(), nil
}

// ---- stage

type stageCmd struct {
	ref    store.Ref
	stage  string
	date   store.Date
	reason string
	anyway bool // the user confirmed a date in the past
	// preview asks what the new date would do, saving nothing.
	preview bool
	// seen, set by a preview, is told what the change did at the end of
	// its transaction, before that is rolled back.
	seen func(tx *store.Tx, r *store.Release, rep *moveReport)
}

func parseStage(p *parser) (Command, error) {
	c := &stageCmd{}
	var err error
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	w, err := p.word("the stage (like test)")
	if err != nil {
		return nil, err
	}
	if c.stage, err = store.NormalizeStage(w); err != nil {
		return nil, err
	}
	if err := p.expect("on", "before the stage's date"); err != nil {
		return nil, err
	}
	if c.date, err = p.date("the stage's date"); err != nil {
		return nil, err
	}
	c.anyway = p.keyword("anyway")
	c.preview = p.trailing("preview")
	if !c.anyway {
		c.anyway = p.trailing("anyway")
	}
	c.reason, err = reason(p, false, "")
	return c, err
}

func (c *stageCmd) format() string {
	l := cmdLine{"stage", c.ref.String(), c.stage, "on", c.date.String()}
	l.flag("anyway", c.anyway)
	l.because(c.reason)
	l.flag("preview", c.preview)
	return l.String()
}

func (c *stageCmd) run(x *Exec) (store.Doc, error) {
	if c.preview {
		return c.whatIf(x)
	}
	var r *store.Release
	var old store.Date
	var own bool // the stage had a planned date of its own
	var rep moveReport
	err := x.update(func(tx *store.Tx) error {
		rep = moveReport{}
		var err error
		if r, err = loadRelease(tx, c.ref); err != nil {
			return err
		}
		if err := x.mayManage(tx, r, "plan the stages of"); err != nil {
			return err
		}
		if err := requirePlanned(r, "planned"); err != nil {
			return err
		}
		if err := pastDate(c.date, x.today, c.anyway, "plan "+c.stage+" in the past"); err != nil {
			return err
		}
		g0, err := tx.Graph()
		if err != nil {
			return err
		}
		before, _ := r.StageOf(c.stage)
		own = !before.Planned.IsZero()
		if old, err = r.PlanStage(c.stage, c.date); err != nil {
			return err
		}
		if c.date.After(old) && c.reason == "" {
			return store.WithField(invalid("planning %s's %s later (from %s to %s) needs a reason: add \"because <reason>\"", r.Ref, c.stage, old.Pretty(), c.date.Pretty()), "reason")
		}
		r.History = append(r.History, store.HistoryEntry{Kind: store.HistoryStageMoved, Stage: c.stage, From: old, To: c.date, By: x.req.User, At: x.now, Reason: c.reason})
		if err := tx.PutRelease("release.stage", r); err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		rep.effects(store.EffectsOf(g0, g, x.today, r.Key()), r.Ref)
		if err := x.post(tx, r.Channel, stageNews(x, g, r, c.stage, old, own, c.date, c.reason, &rep)); err != nil {
			return err
		}
		if err := x.alert(tx, Touched{Releases: []store.Ref{r.Ref}}); err != nil {
			return err
		}
		if c.seen != nil {
			c.seen(tx, r, &rep)
		}
		return nil
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":white_check_mark: Planned %s in %s on %s; posted in %s.", render.Bold(r.Ref), c.stage, render.When(c.date, x.today), render.ChannelRef(r.Channel)))
	for _, l := range rep.lines(x, nil, r) {
		b.Section(l)
	}
	return b.Build(), nil
}

// whatIf runs the stage command itself in a transaction that is rolled
// back, as move's preview does, and answers privately with what it would
// do and who would hear of it, with a button that plans it.
func (c *stageCmd) whatIf(x *Exec) (store.Doc, error) {
	plan := *c
	plan.preview = false
	var lines, posts, dms []string
	var ref store.Ref
	plan.seen = func(tx *store.Tx, r *store.Release, rep *moveReport) {
		ref = r.Ref
		lines = rep.lines(x, nil, r)
		for _, m := range tx.Queued() {
			switch {
			case m.DM && !slices.Contains(dms, m.Channel):
				dms = append(dms, m.Channel)
			case !m.DM && !slices.Contains(posts, m.Channel):
				posts = append(posts, m.Channel)
			}
		}
	}
	x.rehearse = true
	_, err := plan.run(x)
	x.rehearse, x.queued, x.newsIn = false, 0, nil // nothing was queued after all
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("What if " + ref.String() + " reached " + c.stage + " on " + c.date.Pretty())
	b.Section(fmt.Sprintf(":crystal_ball: *Preview, nothing saved.* Planning %s in %s on %s would:", render.Bold(ref), c.stage, c.date.Pretty()))
	for _, l := range lines {
		b.Section(l)
	}
	if len(lines) == 0 {
		b.Section(":white_check_mark: No dependency would slip or recover, and no release would become at risk.")
	}
	var who []string
	for _, ch := range posts {
		who = append(who, render.ChannelRef(ch))
	}
	for _, u := range dms {
		who = append(who, render.Mention(u)+" (DM)")
	}
	if len(who) > 0 {
		b.Context("Would tell " + strings.Join(who, ", ") + ".")
	}
	plan.ref, plan.seen = ref, nil
	b.Buttons(render.RunButton("Plan it", Format(&plan)))
	return b.Build(), nil
}

// stageNews is the channel's news of a stage's new planned date: who
// changed it, from when to when and why, and what that did downstream.
func stageNews(x *Exec, g *store.Graph, r *store.Release, stage string, old store.Date, own bool, to store.Date, why string, rep *moveReport) store.Doc {
	b := render.NewDoc("")
	line := fmt.Sprintf(":arrow_right: %s planned %s in %s on %s", render.Mention(x.req.User), render.Bold(r.Ref), stage, to.Pretty())
	switch n := to.Sub(old); {
	case !own && n <= 0: // a first date of its own, on or before the one it counted on
	case n > 0:
		line += fmt.Sprintf(", %s later than %s", render.Days(n), old.Pretty())
	case n < 0:
		line += fmt.Sprintf(", %s earlier than %s", render.Days(-n), old.Pretty())
	}
	if why != "" {
		line += " because " + render.Escape(why)
	}
	b.Section(line)
	for _, l := range rep.lines(x, g, r) {
		b.Section(l)
	}
	return b.Build()
}

// ---- promote

type promoteCmd struct {
	ref    store.Ref
	stage  string
	date   store.Date
	anyway bool // past the open checklist items before the stage
}

// PlanStage is the stage command that plans ref's stage on the given day
// (no reason: a first plan, as the add-release form makes). A transport runs
// it as Format writes it.
func PlanStage(ref store.Ref, stage string, on store.Date) Command {
	return &stageCmd{ref: ref, stage: stage, date: on}
}

// Promote is the promote command that records ref reaching stage on the
// given day (production: shipping it); anyway goes past the open checklist
// items before the stage. A transport or connector runs it as Format
// writes it.
func Promote(ref store.Ref, stage string, on store.Date, anyway bool) Command {
	return &promoteCmd{ref: ref, stage: stage, date: on, anyway: anyway}
}

func parsePromote(p *parser) (Command, error) {
	c := &promoteCmd{date: p.today}
	var err error
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	if err := p.expect("to", "before the stage"); err != nil {
		return nil, err
	}
	w, err := p.word("the stage (like test)")
	if err != nil {
		return nil, err
	}
	if c.stage, err = store.NormalizeStage(w); err != nil {
		return nil, err
	}
	if p.keyword("on") {
		if c.date, err = p.date("the day it reached the stage"); err != nil {
			return nil, err
		}
	}
	c.anyway = p.keyword("anyway")
	return c, nil
}

func (c *promoteCmd) format() string {
	l := cmdLine{"promote", c.ref.String(), "to", c.stage, "on", c.date.String()}
	l.flag("anyway", c.anyway)
	return l.String()
}

func (c *promoteCmd) run(x *Exec) (store.Doc, error) {
	if c.stage == store.Production { // one path: reaching production is shipping
		return (&shipCmd{ref: c.ref, date: c.date, anyway: c.anyway || x.connector()}).run(x)
	}
	if c.date.After(x.today) {
		return store.Doc{}, invalid("%s is in the future; promote a release on or after the day it reaches the stage", c.date.Pretty())
	}
	var r *store.Release
	var skipped []string
	var told []string
	var already string             // a connector's deployment to a stage reached before: nothing to do
	var open []store.ChecklistItem // items before the stage it went ahead with (anyway)
	err := x.update(func(tx *store.Tx) error {
		told, already, x.unchanged = nil, "", false
		if err := x.firstDelivery(tx); err != nil {
			return err
		}
		var err error
		if r, err = loadRelease(tx, c.ref); err != nil {
			return err
		}
		if err := x.mayShip(tx, r); err != nil {
			return err
		}
		if x.connector() {
			// CI and GitHub report deployments: one to a stage the
			// release does not have is unknown (404), and one to a stage
			// it already reached or passed changes nothing.
			if err := r.CheckStage(c.stage); err != nil {
				return store.Errorf(store.ENotFound, "unknown stage %q: %s", c.stage, store.ErrorMessage(err))
			}
			if r.Status != store.Planned {
				x.unchanged, already = true, fmt.Sprintf("%s is %s: nothing to change", r.Ref, r.Status)
				return nil
			}
		}
		if err := requirePlanned(r, "promoted"); err != nil {
			return err
		}
		if err := r.CheckStage(c.stage); err != nil {
			return err
		}
		g0, err := tx.Graph()
		if err != nil {
			return err
		}
		// The checklist gate: items to be done before this stage (or an
		// earlier one) that are open refuse it, unless "anyway"; a
		// connector reports what happened.
		if open, err = checklistGate(tx, r, c.stage, c.anyway || x.connector()); err != nil {
			return err
		}
		if skipped, err = r.Promote(c.stage, c.date, x.req.User); err != nil {
			if x.connector() && store.ErrorCode(err) == store.EConflict {
				x.unchanged, already = true, store.ErrorMessage(err)+": nothing to change"
				return nil
			}
			return err
		}
		h := store.HistoryEntry{Kind: store.HistoryPromoted, Stage: c.stage, Stages: skipped, To: c.date, By: x.req.User, At: x.now, Reason: x.req.Note}
		action := "release.promote"
		if len(open) > 0 {
			h.Open, action = render.OpenItemNames(open), "release.promote.checklist-override"
		}
		r.History = append(r.History, h)
		if err := tx.PutRelease(action, r); err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		fx := store.EffectsOf(g0, g, x.today, r.Key())
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":rocket: %s promoted %s to %s on %s%s", render.Mention(x.req.User), render.Bold(r.Ref), c.stage, c.date.Pretty(), promoteTiming(r, c.stage, c.date)+skippedText(skipped)))
		if len(open) > 0 && x.connector() {
			b.Section(fmt.Sprintf(":warning: Deployed with %s: %s", render.Plural(len(open), "open item"), render.Escape(strings.Join(render.OpenItemNames(open), "; "))))
		} else if note := overrideNote("Promoted", open, x.req.User); note != "" {
			b.Section(note)
		}
		var delivered []string
		for _, ch := range fx.Changed {
			e := ch.After
			if ch.Added() || ch.Removed() || e.Provider != r.Ref || e.Kind != store.Delivered || ch.Before.Kind == store.Delivered {
				continue
			}
			delivered = append(delivered, fmt.Sprintf("• %s needed it in %s by %s — %s", render.Bold(e.Consumer), e.Stage, e.NeededBy.Pretty(), render.EdgeStateText(e, x.today)))
			consumer := g.Release(e.Consumer)
			if consumer == nil || ch.Before.Slipped {
				continue // a slipped edge's recovery is the alerts' to tell (Service.Alerts)
			}
			dep := e.Dependency
			n := &store.Notice{Kind: store.KindReached, Subject: store.EdgeSubject(dep.Key()), Key: store.ReachedKey(dep, e.Stage, c.date), Edge: &dep}
			who, err := x.noticeConsumer(tx, consumer, StageReached(g, e, x.today), n)
			if err != nil {
				return err
			}
			told = append(told, who...)
		}
		if len(delivered) > 0 {
			b.Lines(append([]string{"Delivered for:"}, delivered...))
		}
		if x.connector() && x.req.Note != "" {
			b.Context(render.Escape(x.req.Note))
		}
		return x.announce(tx, r, b.Build())
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	if already != "" {
		b.Section(already + ".")
		return b.Build(), nil
	}
	msg := fmt.Sprintf(":white_check_mark: %s is in %s%s; posted in %s.", render.Bold(r.Ref), c.stage, skippedText(skipped), render.ChannelRef(r.Channel))
	if len(open) > 0 {
		msg += fmt.Sprintf(" You went ahead with %s open; its history records it.", render.Plural(len(open), "checklist item"))
	}
	b.Section(msg)
	return b.Build(), nil
}

// promoteTiming says how the day a stage was reached compares with the
// day it was planned on: " (on plan)", " (2 days late)", " (3 days early)".
func promoteTiming(r *store.Release, stage string, on store.Date) string {
	switch n := on.Sub(r.PlannedFor(stage)); {
	case n == 0:
		return " (on plan)"
	case n < 0:
		return " (" + render.Days(-n) + " early)"
	default:
		return " (" + render.Days(n) + " late)"
	}
}

// skippedText says which earlier stages a promotion reached with it.
func skippedText(skipped []string) string {
	if len(skipped) == 0 {
		return ""
	}
	return " (also reached: " + strings.Join(skipped, ", ") + ")"
}

// StageReached is the news to a consumer's release managers that the
// provider of e reached the stage e needs it in, as of today: when, and
// the edge's state (delivered, on time or late). It is worded again when
// delivered (reminders.RenderNotice, KindReached).
func StageReached(g *store.Graph, e store.Edge, today store.Date) store.Doc {
	on := today
	if p := g.Release(e.Provider); p != nil {
		if st, ok := p.StageOf(e.Stage); ok && !st.Reached.IsZero() {
			on = st.Reached
		} else if p.Status == store.Shipped {
			on = p.ShippedOn
		}
	}
	dm := render.NewDoc("")
	dm.Section(fmt.Sprintf(":white_check_mark: %s reached %s on %s: %s needed it in %s by %s — %s.", render.Bold(e.Provider), e.Stage, on.Pretty(), render.Bold(e.Consumer), e.Stage, e.NeededBy.Pretty(), render.EdgeStateText(e, today)))
	return dm.Build()
}
