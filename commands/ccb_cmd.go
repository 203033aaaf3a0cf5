package commands

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"relman/store"
)

// Groups resolves Slack user groups to their members' user IDs. The bot
// implements it with usergroups.users.list (cached); a Service without one
// resolves every group to nobody.
type Groups interface {
	GroupMembers(ctx context.Context, groupID string) ([]string, error)
}

// resolveGroups returns the members of groups, sorted, each once.
func (s *Service) resolveGroups(ctx context.Context, groups []string) ([]string, error) {
	if s.Groups == nil || len(groups) == 0 {
		return nil, nil
	}
	var out []string
	for _, g := range groups {
		us, err := s.Groups.GroupMembers(ctx, g)
		if err != nil {
			return nil, fmt.Errorf("members of user group %s: %w", g, err)
		}
		out = append(out, us...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// maxTitle bounds a CR's title.
const maxTitle = 200

// crDeadlineHour is the hour of the day (workspace time) at which a CR
// whose deadline is given as a date closes.
const crDeadlineHour = 17

// crID reads CR-12 (any case), #12 or 12.
func (p *parser) crID() (int, error) {
	w, err := p.word("the change request (like CR-12)")
	if err != nil {
		return 0, err
	}
	s := strings.TrimPrefix(strings.ToLower(w), "cr-")
	s = strings.TrimPrefix(s, "#")
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || s[0] == '+' {
		return 0, invalid("%q is not a change request: write CR-12", clip(w, 40))
	}
	return n, nil
}

// loadCR returns CR-id, or a not-found error in the user's words.
func loadCR(tx *store.Tx, id int) (*store.ChangeRequest, error) {
	cr, err := tx.ChangeRequest(id)
	if store.ErrorCode(err) == store.ENotFound {
		return nil, store.Errorf(store.ENotFound, "there is no CR-%d — `/ccb list all` shows every change request", id)
	}
	return cr, err
}

// ---- board

type boardCmd struct {
	product string // "" for the default board
	op      string // show, add, remove, policy
	users   []string
	groups  []string
	policy  store.Policy
	quorum  int
	veto    []string
	vetoSet bool
	dur     time.Duration
	def     store.Choice
	anon    *bool
}

func parseBoard(p *parser) (Command, error) {
	c := &boardCmd{}
	w, err := p.word("a product, or default")
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(w, "default") {
		if c.product, err = store.NormalizeProduct(w); err != nil {
			return nil, err
		}
	}
	switch {
	case p.done() || p.keyword("show"):
		c.op = "show"
		return c, nil
	case p.keyword("members", "member"):
		switch {
		case p.keyword("add"):
			c.op = "add"
		case p.keyword("remove", "rm"):
			c.op = "remove"
		default:
			return nil, invalid("expected members add or members remove")
		}
		for {
			t, ok := p.peek()
			if !ok || (t.Kind != User && t.Kind != Group) {
				break
			}
			if !idRE.MatchString(t.Text) {
				return nil, invalid("%q is not a user or a user group", clip(t.Text, 40))
			}
			if t.Kind == User {
				c.users = append(c.users, t.Text)
			} else {
				c.groups = append(c.groups, t.Text)
			}
			p.pos++
		}
		if len(c.users)+len(c.groups) == 0 {
			return nil, invalid("missing the members: mention people like @alex, or a user group like @ccb")
		}
		return c, nil
	case p.keyword("policy"):
		c.op = "policy"
		return c, c.parsePolicy(p)
	}
	t, _ := p.peek()
	return nil, invalid("expected show, members or policy after the board, not %q", clip(t.Text, 40))
}

func (c *boardCmd) parsePolicy(p *parser) error {
	w, err := p.word("the policy (unanimous, majority, quorum N, any or first)")
	if err != nil {
		return err
	}
	if c.policy, err = store.ParsePolicy(w); err != nil {
		return err
	}
	if c.policy == store.Quorum {
		n, err := p.word("the number of votes of the quorum, like quorum 3")
		if err != nil {
			return err
		}
		if c.quorum, err = strconv.Atoi(n); err != nil || c.quorum < 1 || c.quorum > 10000 {
			return invalid("%q is not a number of votes: write quorum 3", clip(n, 20))
		}
	}
	seen := map[string]bool{}
	for !p.done() {
		opt, _ := p.peek()
		key := strings.ToLower(opt.Text)
		if key == "anonymous" {
			key = "open"
		}
		if seen[key] {
			return repeated(strings.ToLower(opt.Text))
		}
		seen[key] = true
		switch {
		case p.keyword("veto"):
			c.vetoSet = true
			if p.keyword("none", "nobody", "-") {
				continue
			}
			if c.veto = p.users(); len(c.veto) == 0 {
				return invalid("missing who holds a veto: mention members like @alex, or say veto none")
			}
			for _, u := range c.veto {
				if !idRE.MatchString(u) {
					return invalid("%q is not a user", clip(u, 40))
				}
			}
		case p.keyword("deadline"):
			d, err := p.word("the deadline, like +3d or +48h")
			if err != nil {
				return err
			}
			if c.dur, err = ParseDuration(d); err != nil {
				return err
			}
		case p.keyword("default"):
			d, err := p.word("the default outcome, approve or reject")
			if err != nil {
				return err
			}
			switch ch, _ := store.ParseChoice(d); ch {
			case store.Approve, store.Reject:
				c.def = ch
			default:
				return invalid("the default outcome must be approve or reject, not %q", clip(d, 20))
			}
		case p.keyword("open"):
			f := false
			c.anon = &f
		case p.keyword("anonymous"):
			t := true
			c.anon = &t
		default:
			return invalid("unexpected %q: after the policy come veto @user…, deadline +Nd, default approve|reject, open or anonymous", clip(opt.Text, 40))
		}
	}
	return nil
}

func (c *boardCmd) run(x *Exec) (store.Doc, error) {
	if c.op == "show" {
		return c.show(x)
	}
	if !x.admin() {
		return store.Doc{}, store.Errorf(store.EForbidden, "only an admin (RELMAN_ADMINS) can change a board's settings; `/ccb board %s show` shows them", boardName(c.product))
	}
	// Resolve the board's groups (a Slack call) before the transaction.
	var current store.Board
	if err := x.view(func(tx *store.Tx) error {
		b, err := c.load(tx)
		if b != nil {
			current = *b
		}
		return err
	}); err != nil {
		return store.Doc{}, err
	}
	groups := current.Groups
	if c.op == "add" {
		groups = append(slices.Clone(groups), c.groups...)
	}
	resolved, err := x.s.resolveGroups(x.ctx, groups)
	if err != nil {
		return store.Doc{}, err
	}
	var saved store.Board
	err = x.update(func(tx *store.Tx) error {
		b, err := c.load(tx)
		if err != nil {
			return err
		}
		c.apply(b)
		size := len(b.Members)
		if len(b.Groups) > 0 {
			size = len(union(b.Members, resolved))
		}
		if err := b.Validate(size); err != nil {
			return err
		}
		b.UpdatedAt, b.UpdatedBy = x.now, x.req.User
		saved = *b
		return tx.PutBoard("ccb.board", b)
	})
	if err != nil {
		return store.Doc{}, err
	}
	note := ":white_check_mark: Saved. Change requests raised from now on use these settings; those already open keep theirs."
	return boardDoc(&saved, true, nil, note), nil
}

// load returns the board to change: the stored one, or a new one. A
// product must exist.
func (c *boardCmd) load(tx *store.Tx) (*store.Board, error) {
	if c.product != "" {
		if _, err := tx.Product(c.product); err != nil {
			return nil, err
		}
	}
	b, err := tx.Board(c.product)
	if store.ErrorCode(err) == store.ENotFound {
		nb := store.NewBoard(c.product)
		return &nb, nil
	}
	return b, err
}

func (c *boardCmd) apply(b *store.Board) {
	switch c.op {
	case "add":
		b.Members = union(b.Members, c.users)
		b.Groups = union(b.Groups, c.groups)
	case "remove":
		b.Members = without(b.Members, c.users)
		b.Groups = without(b.Groups, c.groups)
		b.Veto = without(b.Veto, c.users)
	case "policy":
		b.Policy, b.Quorum = c.policy, c.quorum
		if c.vetoSet {
			b.Veto = c.veto
		}
		if c.dur > 0 {
			b.Deadline = c.dur
		}
		if c.def != "" {
			b.Default = c.def
		}
		if c.anon != nil {
			b.Anonymous = *c.anon
		}
	}
}

func (c *boardCmd) show(x *Exec) (store.Doc, error) {
	var doc store.Doc
	err := x.view(func(tx *store.Tx) error {
		if c.product != "" {
			if _, err := tx.Product(c.product); err != nil {
				return err
			}
		}
		b, err := tx.Board(c.product)
		switch {
		case err == nil:
			doc = boardDoc(b, true, nil, "")
			return nil
		case store.ErrorCode(err) != store.ENotFound:
			return err
		}
		nb := store.NewBoard(c.product)
		var fallback *store.Board
		if c.product != "" {
			if d, err := tx.Board(""); err == nil {
				fallback = d
			}
		}
		doc = boardDoc(&nb, false, fallback, "")
		return nil
	})
	return doc, err
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func without(a, drop []string) []string {
	return slices.DeleteFunc(slices.Clone(a), func(s string) bool { return slices.Contains(drop, s) })
}

// ---- request

type requestCmd struct {
	ref     store.Ref
	title   string
	date    store.Date    // deadline as a date, or
	dur     time.Duration // as a duration from now; neither: the board's
	hasDate bool
}

func (c *requestCmd) releaseRefs() []*store.Ref { return []*store.Ref{&c.ref} }

func parseRequest(p *parser) (Command, error) {
	c := &requestCmd{}
	var err error
	if c.ref, err = p.release(); err != nil {
		return nil, err
	}
	end := len(p.toks)
	if n := len(p.toks); n-p.pos >= 3 && p.toks[n-2].Kind == Word && strings.EqualFold(p.toks[n-2].Text, "deadline") {
		w := p.toks[n-1].Text
		if strings.HasPrefix(w, "+") && strings.HasSuffix(strings.ToLower(w), "h") {
			c.dur, err = ParseDuration(w)
		} else if c.date, err = ParseDate(w, p.today); err == nil {
			c.hasDate = true
		}
		if err != nil {
			return nil, invalid("%q is not a deadline: use a date (2027-01-15, fri) or +48h, +3d", clip(w, 40))
		}
		end = n - 2
	}
	if p.pos >= end {
		return nil, invalid("missing the title of the change request, like: /ccb request payments@2.3.0 switch the card processor")
	}
	c.title = strings.TrimSpace(Plain(p.text[p.toks[p.pos].Start:p.toks[end-1].End]))
	p.pos = len(p.toks)
	if n := utf8.RuneCountInString(c.title); n > maxTitle {
		return nil, invalid("the title is too long (%d characters; at most %d)", n, maxTitle)
	}
	return c, nil
}

// deadline is when the CR closes: the date given (at crDeadlineHour,
// workspace time), now plus the duration given, else now plus the board's.
func (c *requestCmd) deadline(now time.Time, loc *time.Location, b *store.Board) (time.Time, error) {
	var t time.Time
	switch {
	case c.hasDate:
		t = c.date.Time(loc).Add(crDeadlineHour * time.Hour)
	case c.dur > 0:
		t = now.Add(c.dur)
	default:
		t = now.Add(b.Deadline)
	}
	if !t.After(now) {
		return time.Time{}, invalid("the deadline %s has passed: give a later date, or +48h", stamp(t, now, loc))
	}
	return t.UTC(), nil
}

// boardFor returns the board that decides CRs of product: its own, else
// the default board.
func boardFor(tx *store.Tx, product string) (*store.Board, error) {
	b, err := tx.Board(product)
	if store.ErrorCode(err) != store.ENotFound {
		return b, err
	}
	b, err = tx.Board("")
	if store.ErrorCode(err) == store.ENotFound {
		return nil, store.Errorf(store.EConflict, "neither %s nor the default board has members, so nobody could vote: an admin sets one up with /ccb board %s members add @user…", product, product)
	}
	return b, err
}

func (c *requestCmd) run(x *Exec) (store.Doc, error) {
	var groups []string
	if err := x.view(func(tx *store.Tx) error {
		r, err := loadRelease(tx, c.ref)
		if err != nil {
			return err
		}
		b, err := boardFor(tx, r.Product)
		if b != nil {
			groups = b.Groups
		}
		return err
	}); err != nil {
		return store.Doc{}, err
	}
	resolved, err := x.s.resolveGroups(x.ctx, groups)
	if err != nil {
		return store.Doc{}, err
	}
	loc := x.s.loc()
	var cr store.ChangeRequest
	var downstream int
	err = x.update(func(tx *store.Tx) error {
		r, err := loadRelease(tx, c.ref)
		if err != nil {
			return err
		}
		if r.Status != store.Planned {
			return store.Errorf(store.EConflict, "%s is %s; change requests are for planned releases", r.Ref, r.Status)
		}
		b, err := boardFor(tx, r.Product)
		if err != nil {
			return err
		}
		cr = store.ChangeRequest{Release: r.Ref, Title: c.title, Requester: x.req.User, Board: b.Product, PolicySnapshot: *b,
			GroupMembers: resolved, Status: store.CROpen, Channel: cmp.Or(r.Channel, x.req.Channel)}
		card := store.Message{Channel: cr.Channel}
		if t := x.req.Thread; t != nil {
			// The card replies in the thread of the message it was raised
			// from; its own replies and edits follow it there.
			cr.Channel, card.Channel, card.ThreadOf = t.Channel, t.Channel, store.MessageRef(t.Channel, t.TS)
			if err := tx.PutPosted(card.ThreadOf, *t); err != nil {
				return err
			}
		}
		cr.PolicySnapshot.UpdatedAt, cr.PolicySnapshot.UpdatedBy = time.Time{}, ""
		members := cr.Members()
		switch {
		case len(members) == 0:
			return store.Errorf(store.EConflict, "the %s board has no members, so nobody could vote: an admin adds them with /ccb board %s members add @user…", b.Name(), b.Name())
		case b.Policy == store.Quorum && b.Quorum > len(members):
			return store.Errorf(store.EConflict, "the %s board's quorum %d can never be reached by its %s: an admin can change it with /ccb board %s policy …", b.Name(), b.Quorum, plural(len(members), "member"), b.Name())
		}
		if cr.Deadline, err = c.deadline(x.now, loc, b); err != nil {
			return err
		}
		if err := tx.NewChangeRequest("ccb.request", &cr); err != nil {
			return err
		}
		x.queued++
		card.Ref = cr.Thread
		if card.Doc, err = crCardOf(tx, &cr, x.now, loc); err != nil {
			return err
		}
		if err := tx.Enqueue(&card); err != nil {
			return err
		}
		dms, err := downstreamDMs(tx, &cr, x.now, loc)
		if err != nil {
			return err
		}
		downstream = len(dms)
		return x.enqueueAll(tx, dms)
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := newDoc("")
	msg := fmt.Sprintf(":white_check_mark: Raised *%s* on %s: “%s”. Posted in %s for the %s board (%s), %s.",
		cr.Name(), bold(cr.Release), Escape(cr.Title), channelRef(cr.Channel), boardName(cr.Board), policyText(&cr.PolicySnapshot), closesText(cr.Deadline, x.now, x.zone()))
	if downstream > 0 {
		msg += fmt.Sprintf(" Told %s downstream.", plural(downstream, "release manager"))
	}
	b.section(msg)
	return b.build(), nil
}

// enqueueAll queues msgs, counting them as this command's.
func (x *Exec) enqueueAll(tx *store.Tx, msgs []store.Message) error {
	for i := range msgs {
		x.queued++
		if err := tx.Enqueue(&msgs[i]); err != nil {
			return err
		}
	}
	return nil
}

// ---- list and show

type crListCmd struct {
	all     bool
	product string
}

func parseCRList(p *parser) (Command, error) {
	c := &crListCmd{}
	for !p.done() {
		switch {
		case p.keyword("open"):
		case p.keyword("all"):
			c.all = true
		default:
			w, _ := p.word("")
			if c.product != "" {
				return nil, invalid("unexpected %q: list the CRs of one product", clip(w, 40))
			}
			var err error
			if c.product, err = store.NormalizeProduct(w); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// maxCRLines bounds a list of CRs.
const maxCRLines = 50

func (c *crListCmd) run(x *Exec) (store.Doc, error) {
	var crs []store.ChangeRequest
	err := x.view(func(tx *store.Tx) error {
		all, err := tx.ChangeRequests()
		for _, cr := range all {
			if (c.all || cr.Open()) && (c.product == "" || cr.Release.Product == c.product) {
				crs = append(crs, cr)
			}
		}
		return err
	})
	if err != nil {
		return store.Doc{}, err
	}
	title := "Open change requests"
	if c.all {
		title = "Change requests"
	}
	if c.product != "" {
		title += " of " + c.product
	}
	b := newDoc(title)
	if len(crs) == 0 {
		b.section("None. Raise one with `/ccb request &lt;release&gt; &lt;title…&gt;`.")
		return b.build(), nil
	}
	slices.Reverse(crs) // newest first
	var lines []string
	for i := range crs {
		if i == maxCRLines {
			b.more(len(crs)-i, "narrow it with `/ccb list &lt;product&gt;`")
			break
		}
		lines = append(lines, crLine(&crs[i], x.now, x.zone()))
	}
	b.lines(lines)
	return b.build(), nil
}

type crShowCmd struct{ id int }

func parseCRShow(p *parser) (Command, error) {
	id, err := p.crID()
	return &crShowCmd{id: id}, err
}

func (c *crShowCmd) run(x *Exec) (store.Doc, error) {
	var cr *store.ChangeRequest
	var doc store.Doc
	if err := x.view(func(tx *store.Tx) error {
		var err error
		if cr, err = loadCR(tx, c.id); err != nil {
			return err
		}
		doc, err = crCardOf(tx, cr, x.now, x.zone())
		return err
	}); err != nil {
		return store.Doc{}, err
	}
	doc.Buttons = nil // the buttons live on the CR's message
	if !cr.PolicySnapshot.Anonymous && len(cr.History) > 0 {
		b := newDoc(doc.Header)
		b.d.Sections = doc.Sections
		var lines []string
		for _, h := range cr.History {
			who := mention(h.Voter)
			if h.For != "" {
				who += " for " + mention(h.For)
			}
			lines = append(lines, fmt.Sprintf("%s %s: %s", stamp(h.At, x.now, x.zone()), who, h.Choice))
		}
		b.section("*Every vote*")
		b.lines(lines)
		doc = b.build()
	}
	return doc, nil
}

// ---- withdraw and decide

type withdrawCmd struct{ id int }

func parseWithdraw(p *parser) (Command, error) {
	id, err := p.crID()
	return &withdrawCmd{id: id}, err
}

func (c *withdrawCmd) run(x *Exec) (store.Doc, error) {
	var cr *store.ChangeRequest
	err := x.update(func(tx *store.Tx) error {
		var err error
		if cr, err = loadCR(tx, c.id); err != nil {
			return err
		}
		if cr.Requester != x.req.User && !x.admin() {
			return store.Errorf(store.EForbidden, "only %s (who raised it) or an admin can withdraw %s", mention(cr.Requester), cr.Name())
		}
		if err := requireOpen(cr); err != nil {
			return err
		}
		cr.Status = store.CRWithdrawn
		cr.Decision = &store.Decision{By: x.req.User, At: x.now}
		n, err := settle(tx, cr, x.now, x.s.loc(), "ccb.withdraw")
		x.queued += n
		return err
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := newDoc("")
	b.section(fmt.Sprintf(":leftwards_arrow_with_hook: Withdrew *%s* (“%s”); its message in %s no longer takes votes.", cr.Name(), Escape(cr.Title), channelRef(cr.Channel)))
	return b.build(), nil
}

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
		return nil, invalid("the outcome must be approve or reject, not %q", clip(w, 20))
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
	b := newDoc("")
	b.section(fmt.Sprintf("%s *%s* is %s by your override; its thread, its requester and the release managers downstream are told.", choiceIcons[c.outcome], cr.Name(), cr.Status))
	return b.build(), nil
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
		{Channel: cr.Channel, ThreadOf: cr.Thread, Doc: decisionDoc(cr, now, loc)},
	}
	if cr.Status != store.CRWithdrawn {
		msgs = append(msgs, store.Message{Channel: cr.Requester, DM: true, Doc: decisionDoc(cr, now, loc)})
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

// ---- delegate

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
		b := newDoc("")
		b.section(fmt.Sprintf(":bust_in_silhouette: %s asked you to vote for them %s until %s (the CR's buttons count your click for them too).", mention(x.req.User), where, when(c.until, x.today)))
		x.queued++
		return tx.Enqueue(&store.Message{Channel: c.to, DM: true, Doc: b.build()})
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := newDoc("")
	b.section(fmt.Sprintf(":white_check_mark: %s votes for you %s until %s. A new delegation replaces this one.", mention(c.to), where, when(c.until, x.today)))
	return b.build(), nil
}

// ---- raised from a message (the "Raise change request" shortcut)

// maxSuggestedTitle bounds the title suggested from a message's text.
const maxSuggestedTitle = 150

// TitleFrom suggests a CR title from a message's Slack-escaped text: its
// first non-blank line as plain text, spaces collapsed, cut at a word to
// at most 150 characters (with "…"). A message with no text gives "".
func TitleFrom(text string) string {
	for line := range strings.SplitSeq(Plain(text), "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			continue
		}
		if utf8.RuneCountInString(line) <= maxSuggestedTitle {
			return line
		}
		r := []rune(line)[:maxSuggestedTitle-1]
		if i := strings.LastIndexByte(string(r), ' '); i > maxSuggestedTitle/2 {
			return string(r)[:i] + "…"
		}
		return string(r) + "…"
	}
	return ""
}

// ReleaseInChannel is the release a message in channel is most likely
// about: the one planned release whose news go to channel, as
// "product@version", or "" when none or several do (or the store fails).
func (s *Service) ReleaseInChannel(ctx context.Context, channel string) string {
	var found []string
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		rs, err := tx.Releases()
		for _, r := range rs {
			if r.Channel == channel && r.Status == store.Planned {
				found = append(found, r.Ref.String())
			}
		}
		return err
	})
	if err != nil || len(found) != 1 {
		return ""
	}
	return found[0]
}
