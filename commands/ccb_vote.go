package commands

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// parseVote reads a vote button's value, "<id>:<choice>". Anything else —
// a forged or garbled value — is refused; the value is only a reference,
// and the CR it names is read again from the store.
func parseVote(value string) (int, store.Choice, error) {
	bad := invalid("that button is not one relman made, so nothing was recorded")
	n, c, ok := strings.Cut(value, ":")
	if !ok || n == "" || len(n) > 9 || n[0] == '0' {
		return 0, "", bad
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return 0, "", bad
		}
	}
	id, _ := strconv.Atoi(n)
	switch ch := store.Choice(c); ch {
	case store.Approve, store.Reject, store.Abstain:
		return id, ch, nil
	}
	return 0, "", bad
}

// Vote records user's click of a CR's Approve, Reject or Abstain button
// (action_id VoteAction, value "<id>:<choice>") and answers privately:
// "Your vote: approve", or why it was not counted. In one write
// transaction it re-reads the CR, refuses it when it is decided, withdrawn
// or past its deadline, and refuses a user who is neither a member of the
// board the CR was raised with (groups resolved through Service.Groups)
// nor the active delegate of one; it records the ballot (for the user and
// every member who delegated to them) and its history, and queues an edit
// of the CR's message with the new tally. A click that repeats the current
// vote changes nothing. When the policy makes the outcome certain the CR
// is decided, exactly once however many votes arrive together: its
// message loses its buttons, the decision goes to its thread, its
// requester and the release managers downstream. Like Execute, Vote never
// panics and a refused vote changes nothing.
func (s *Service) Vote(ctx context.Context, user, value string) (reply Reply) {
	now := s.Clock.Now()
	x := &Exec{ctx: ctx, s: s, req: Request{User: user, Command: "/ccb"}, now: now, today: store.DateOf(now, s.loc())}
	defer func() {
		if p := recover(); p != nil {
			reply = s.fail(x, nil, "", fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()
	id, choice, err := parseVote(value)
	if err != nil {
		return s.fail(x, nil, "", err)
	}
	// Resolve the board's user groups (a Slack call) outside the
	// transaction; if that fails, the members last resolved stand.
	var groups []string
	if s.Groups != nil {
		if err := x.view(func(tx *store.Tx) error {
			cr, err := loadCR(tx, id)
			if cr != nil {
				groups = cr.PolicySnapshot.Groups
			}
			return err
		}); err != nil {
			return s.fail(x, nil, "", err)
		}
	}
	resolved, gerr := s.resolveGroups(ctx, groups)
	if gerr == nil && !slices.Contains(resolved, user) && s.groupsMissed(ctx, groups, user) {
		resolved, gerr = s.resolveGroups(ctx, groups)
	}
	if gerr != nil {
		s.log().Warn("vote: resolving user groups failed; using the members last resolved", "err", gerr)
	}
	var v voteResult
	// Votes come in bursts: Batch shares one commit among the votes that
	// arrive together, each still on disk when Vote returns. fn may run
	// more than once, so it starts over each time.
	err = s.Store.Batch(ctx, user, now, func(tx *store.Tx) error {
		x.queued, v = 0, voteResult{} // a retried transaction starts over
		cr, err := loadCR(tx, id)
		if err != nil {
			return err
		}
		if len(cr.PolicySnapshot.Groups) > 0 && gerr == nil && s.Groups != nil {
			cr.GroupMembers = resolved
		}
		v, err = x.vote(tx, cr, choice)
		return err
	})
	if err != nil {
		return s.fail(x, nil, "", err)
	}
	return Reply{Doc: v.doc(choice), Queued: x.queued}
}

// GroupChecker is a Groups that can tell whether user is in group even
// when its cached members say no (asking Slack again), so someone just
// added to a board's user group can vote at once. bot.Groups is one.
type GroupChecker interface {
	IsMember(ctx context.Context, group, user string) (bool, error)
}

// groupsMissed reports whether user, missing from the members of groups
// last resolved, turns out to be in one of them when Groups asks again.
func (s *Service) groupsMissed(ctx context.Context, groups []string, user string) bool {
	c, ok := s.Groups.(GroupChecker)
	if !ok {
		return false
	}
	for _, g := range groups {
		if in, err := c.IsMember(ctx, g, user); err == nil && in {
			return true
		}
	}
	return false
}

// voteResult is what a click did.
type voteResult struct {
	cr      *store.ChangeRequest
	self    bool     // the click counted for the user, a member
	fors    []string // the members it counted for as their delegate
	changed bool
	decided bool
}

func (v voteResult) doc(choice store.Choice) store.Doc {
	s := "Your vote: " + string(choice)
	switch {
	case len(v.fors) > 0 && v.self:
		s += ", also for " + render.Mentions(v.fors)
	case len(v.fors) > 0:
		s += ", for " + render.Mentions(v.fors)
	}
	s += " (" + v.cr.Name() + ")."
	if !v.changed {
		s = fmt.Sprintf("Your vote on %s is already %s — nothing changed.", v.cr.Name(), choice)
	}
	if v.decided {
		s += fmt.Sprintf(" That decided it: %s is %s.", v.cr.Name(), v.cr.Status)
	}
	b := render.NewDoc("")
	b.Section(s)
	return b.Build()
}

// vote applies one click to cr within tx.
func (x *Exec) vote(tx *store.Tx, cr *store.ChangeRequest, choice store.Choice) (voteResult, error) {
	v := voteResult{cr: cr}
	loc := x.s.loc()
	switch {
	case !cr.Open():
		return v, store.Errorf(store.EConflict, "%s is already %s; votes are closed", cr.Name(), cr.Status)
	case !x.now.Before(cr.Deadline):
		return v, store.Errorf(store.EConflict, "voting on %s closed %s; the board's decision follows", cr.Name(), render.Stamp(cr.Deadline, x.now, loc))
	}
	user := x.req.User
	members := cr.Members()
	var fors []string // members the click counts for
	if slices.Contains(members, user) {
		fors = append(fors, user)
	}
	ds, err := tx.Delegations()
	if err != nil {
		return v, err
	}
	var ended []store.Delegation
	for _, d := range ds {
		if d.To != user || d.From == user || !slices.Contains(members, d.From) || (d.Product != "" && d.Product != cr.Release.Product) {
			continue
		}
		if d.Active(cr.Release.Product, x.today) {
			fors = append(fors, d.From)
		} else {
			ended = append(ended, d)
		}
	}
	if len(fors) == 0 {
		if len(ended) > 0 {
			return v, store.Errorf(store.EForbidden, "your delegation from %s ended on %s, so you can't vote for them on %s", render.Mention(ended[0].From), ended[0].Until.Pretty(), cr.Name())
		}
		return v, store.Errorf(store.EForbidden, "only members of the %s board (or their delegates) can vote on %s; you are not one, so your vote was not counted", render.BoardName(cr.Board), cr.Name())
	}
	if cr.Votes == nil {
		cr.Votes = map[string]store.Ballot{}
	}
	for _, m := range fors {
		if prev, ok := cr.Votes[m]; ok && prev.Choice == choice {
			continue
		}
		b := store.Ballot{Voter: user, Choice: choice, At: x.now}
		if m != user {
			b.For = m
		}
		cr.Votes[m] = b
		cr.History = append(cr.History, b)
		v.changed = true
	}
	for _, m := range fors {
		if m == user {
			v.self = true
		} else {
			v.fors = append(v.fors, m)
		}
	}
	if !v.changed {
		return v, nil
	}
	if out, decided := cr.Decide(x.now); decided {
		cr.Status = statusOf(out)
		cr.Decision = &store.Decision{Outcome: out, By: store.ByPolicy, At: x.now}
		v.decided = true
		n, err := settle(tx, cr, x.now, loc, "ccb.decided")
		x.queued += n
		return v, err
	}
	if err := tx.PutChangeRequest("ccb.vote", cr); err != nil {
		return v, err
	}
	card, err := crCardOf(tx, cr, x.now, loc)
	if err != nil {
		return v, err
	}
	x.queued++
	return v, tx.Enqueue(&store.Message{Channel: cr.Channel, UpdateOf: cr.Thread, Doc: card})
}
