package commands

import (
	"fmt"
	"time"

	"relman/commands/render"
	"relman/store"
)

func requireOpen(cr *store.ChangeRequest) error {
	if cr.Open() {
		return nil
	}
	return store.Errorf(store.EConflict, "%s is already %s", cr.Name(), cr.Status)
}

type decideCmd struct {
	id      int
	outcome store.Choice
	reason  string
}

func parseDecide(p *parser) (Command, error) {
	c := &decideCmd{}
	var err error
	if c.id, err = p.crID(); err != nil {
		return nil, err
	}
	w, err := p.word("the outcome, approve or reject")
	if err != nil {
		return nil, err
	}
	switch ch, _ := store.ParseChoice(w); ch {
	case store.Approve, store.Reject:
		c.outcome = ch
	default:
		return nil, invalid("the outcome must be approve or reject, not %q", render.Clip(w, 20))
	}
	c.reason, err = reason(p, true, "for an override")
	return c, err
}

func (c *decideCmd) run(x *Exec) (store.Doc, error) {
	if !x.admin() {
		return store.Doc{}, store.Errorf(store.EForbidden, "only an admin (RELMAN_ADMINS) can decide a change request over the board's vote")
	}
	var cr *store.ChangeRequest
	err := x.update(func(tx *store.Tx) error {
		var err error
		if cr, err = loadCR(tx, c.id); err != nil {
			return err
		}
		if err := requireOpen(cr); err != nil {
			return err
		}
		cr.Decision = &store.Decision{Outcome: c.outcome, By: x.req.User, Reason: c.reason, At: x.now}
		cr.Status = statusOf(c.outcome)
		n, err := settle(tx, cr, x.now, x.s.loc(), "ccb.override")
		x.queued += n
		return err
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf("%s *%s* is %s by your override; its thread, its requester and the release managers downstream are told.", render.ChoiceIcons[c.outcome], cr.Name(), cr.Status))
	return b.Build(), nil
}

func statusOf(outcome store.Choice) store.CRStatus {
	if outcome == store.Approve {
		return store.CRApproved
	}
	return store.CRRejected
}

// settle stores a CR that has just been decided or withdrawn and queues
// what follows, returning how many messages: its message edited without
// buttons, a reply in its thread, and for a decision a DM to its requester
// and to the release managers downstream. The stored CR, audited under
// action, carries the whole ballot and every change of vote.
func settle(tx *store.Tx, cr *store.ChangeRequest, now time.Time, loc *time.Location, action string) (int, error) {
	if err := tx.PutChangeRequest(action, cr); err != nil {
		return 0, err
	}
	card, err := crCardOf(tx, cr, now, loc)
	if err != nil {
		return 0, err
	}
	msgs := []store.Message{
		{Channel: cr.Channel, UpdateOf: cr.Thread, Doc: card},
		{Channel: cr.Channel, ThreadOf: cr.Thread, Doc: render.DecisionDoc(cr, now, loc)},
	}
	if cr.Status != store.CRWithdrawn {
		// Worded again at delivery, in the requester's zone (its times of day).
		msgs = append(msgs, store.Message{Channel: cr.Requester, DM: true, Doc: render.DecisionDoc(cr, now, loc),
			Notice: &store.Notice{Kind: store.KindDecision, Subject: store.CRSubject(cr.ID), Key: store.DecisionKey(cr.ID, now), CR: cr.ID}})
		dms, err := downstreamDMs(tx, cr, now, loc)
		if err != nil {
			return 0, err
		}
		msgs = append(msgs, dms...)
	}
	for i := range msgs {
		if err := tx.Enqueue(&msgs[i]); err != nil {
			return 0, err
		}
	}
	return len(msgs), nil
}

type delegateCmd struct {
	to      string
	until   store.Date
	product string
}

func parseDelegate(p *parser) (Command, error) {
	c := &delegateCmd{}
	var err error
	if c.to, err = p.user("who votes for you"); err != nil {
		return nil, err
	}
	if err := p.expect("until", "and the last day they vote for you, like until fri"); err != nil {
		return nil, err
	}
	if c.until, err = p.date("the last day"); err != nil {
		return nil, err
	}
	if !p.done() {
		w, _ := p.word("a product")
		if c.product, err = store.NormalizeProduct(w); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *delegateCmd) run(x *Exec) (store.Doc, error) {
	switch {
	case c.to == x.req.User:
		return store.Doc{}, invalid("you can't delegate your vote to yourself")
	case c.until.Before(x.today):
		return store.Doc{}, invalid("%s has passed: delegate until today or later", c.until.Pretty())
	}
	where := "on every board"
	if c.product != "" {
		where = "on change requests of " + c.product
	}
	err := x.update(func(tx *store.Tx) error {
		if c.product != "" {
			if _, err := tx.Product(c.product); err != nil {
				return err
			}
		}
		d := &store.Delegation{From: x.req.User, To: c.to, Until: c.until, Product: c.product, CreatedAt: x.now}
		if err := tx.PutDelegation("ccb.delegate", d); err != nil {
			return err
		}
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":bust_in_silhouette: %s asked you to vote for them %s until %s (the CR's buttons count your click for them too).", render.Mention(x.req.User), where, render.When(c.until, x.today)))
		x.queued++
		return tx.Enqueue(&store.Message{Channel: c.to, DM: true, Doc: b.Build()})
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":white_check_mark: %s votes for you %s until %s. A new delegation replaces this one.", render.Mention(c.to), where, render.When(c.until, x.today)))
	return b.Build(), nil
}

// DecideAtDeadline decides the open CR-id whose deadline has passed (the
// apply of reminders.CRDeadlines): by the votes cast when they make an
// outcome, else by the board's default. It returns how many messages it
// queued.
func DecideAtDeadline(tx *store.Tx, id int, now time.Time, loc *time.Location) (int, error) {
	cr, err := tx.ChangeRequest(id)
	if err != nil || !cr.Open() {
		return 0, err
	}
	b := &cr.PolicySnapshot
	members, ballots := cr.Members(), cr.Ballots()
	out, _ := store.Decide(members, b.Veto, b.Policy, b.Quorum, ballots, true, b.Default)
	// The votes decided it if the default makes no difference.
	ifApprove, _ := store.Decide(members, b.Veto, b.Policy, b.Quorum, ballots, true, store.Approve)
	ifReject, _ := store.Decide(members, b.Veto, b.Policy, b.Quorum, ballots, true, store.Reject)
	by := store.ByDeadline
	if ifApprove == ifReject {
		by = store.ByPolicy
	}
	cr.Status = statusOf(out)
	cr.Decision = &store.Decision{Outcome: out, By: by, At: now}
	return settle(tx, cr, now, loc, "ccb.deadline")
}
