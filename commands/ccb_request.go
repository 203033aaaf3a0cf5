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

	"relman/commands/render"
	"relman/store"
)

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
		return 0, invalid("%q is not a change request: write CR-12", render.Clip(w, 40))
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

// ---- request

type requestCmd struct {
	ref     store.Ref
	title   string
	date    store.Date    // deadline as a date, or
	dur     time.Duration // as a duration from now; neither: the board's
	hasDate bool
}

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
			return nil, store.WithField(invalid("%q is not a deadline: use a date (2027-01-15, fri) or +48h, +3d", render.Clip(w, 40)), "deadline")
		}
		end = n - 2
	}
	if p.pos >= end {
		return nil, store.WithField(invalid("missing the title of the change request, like: /ccb request payments@2.3.0 switch the card processor"), "title")
	}
	if end-p.pos == 1 && p.toks[p.pos].Kind == Quoted { // a "quoted" title
		c.title = strings.TrimSpace(p.toks[p.pos].Text)
	} else {
		c.title = strings.TrimSpace(Plain(p.text[p.toks[p.pos].Start:p.toks[end-1].End]))
	}
	p.pos = len(p.toks)
	if c.title == "" {
		return nil, store.WithField(invalid("missing the title of the change request, like: /ccb request payments@2.3.0 switch the card processor"), "title")
	}
	if n := utf8.RuneCountInString(c.title); n > maxTitle {
		return nil, store.WithField(invalid("the title is too long (%d characters; at most %d)", n, maxTitle), "title")
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
		return time.Time{}, store.WithField(invalid("the deadline %s has passed: give a later date, or +48h", render.Stamp(t, now, loc)), "deadline")
	}
	return t.UTC(), nil
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
			return store.Errorf(store.EConflict, "the %s board's quorum %d can never be reached by its %s: an admin can change it with /ccb board %s policy …", b.Name(), b.Quorum, render.Plural(len(members), "member"), b.Name())
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
	b := render.NewDoc("")
	msg := fmt.Sprintf(":white_check_mark: Raised *%s* on %s: “%s”. Posted in %s for the %s board (%s), %s.",
		cr.Name(), render.Bold(cr.Release), render.Escape(cr.Title), render.ChannelRef(cr.Channel), render.BoardName(cr.Board), render.PolicyText(&cr.PolicySnapshot), render.ClosesText(cr.Deadline, x.now, x.zone()))
	if downstream > 0 {
		msg += fmt.Sprintf(" Told %s downstream.", render.Plural(downstream, "release manager"))
	}
	b.Section(msg)
	return b.Build(), nil
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
				return nil, invalid("unexpected %q: list the CRs of one product", render.Clip(w, 40))
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
	b := render.NewDoc(title)
	if len(crs) == 0 {
		b.Section("None. Raise one with `/ccb request &lt;release&gt; &lt;title…&gt;`.")
		return b.Build(), nil
	}
	slices.Reverse(crs) // newest first
	var lines []string
	for i := range crs {
		if i == maxCRLines {
			b.More(len(crs)-i, "narrow it with `/ccb list &lt;product&gt;`")
			break
		}
		lines = append(lines, render.CRLine(&crs[i], x.now, x.zone()))
	}
	b.Lines(lines)
	return b.Build(), nil
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
		b := render.ContinueDoc(doc)
		var lines []string
		for _, h := range cr.History {
			who := render.Mention(h.Voter)
			if h.For != "" {
				who += " for " + render.Mention(h.For)
			}
			lines = append(lines, fmt.Sprintf("%s %s: %s", render.Stamp(h.At, x.now, x.zone()), who, h.Choice))
		}
		b.Section("*Every vote*")
		b.Lines(lines)
		doc = b.Build()
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
			return store.Errorf(store.EForbidden, "only %s (who raised it) or an admin can withdraw %s", render.Mention(cr.Requester), cr.Name())
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
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":leftwards_arrow_with_hook: Withdrew *%s* (“%s”); its message in %s no longer takes votes.", cr.Name(), render.Escape(cr.Title), render.ChannelRef(cr.Channel)))
	return b.Build(), nil
}

// ---- delegate

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

// downstreamManagers groups the planned releases downstream of a CR's
// release by release manager, so each hears once; the requester, who
// knows, is left out. Managers are in order of first appearance.
func downstreamManagers(tx *store.Tx, g *store.Graph, cr *store.ChangeRequest, today store.Date) ([]string, map[string][]store.Downstream) {
	var order []string
	by := map[string][]store.Downstream{}
	for _, d := range g.Downstream(cr.Release.Key(), today) {
		if d.Release.Status != store.Planned || len(d.Edges) == 0 {
			continue
		}
		for _, u := range d.Release.Holders(store.ReleaseManager, product(tx, d.Release.Product)) {
			if u == cr.Requester {
				continue
			}
			if _, ok := by[u]; !ok {
				order = append(order, u)
			}
			by[u] = append(by[u], d)
		}
	}
	return order, by
}

// downstreamDMs are the direct messages that tell the release managers
// downstream of a CR's release about it: raised (decided false) or
// decided. Not quiet: they may want to take part before it is decided.
func downstreamDMs(tx *store.Tx, cr *store.ChangeRequest, now time.Time, loc *time.Location) ([]store.Message, error) {
	g, err := tx.Graph()
	if err != nil {
		return nil, err
	}
	today := store.DateOf(now, loc)
	users, by := downstreamManagers(tx, g, cr, today)
	var out []store.Message
	for _, u := range users {
		// The transport ends the DM with a link to the CR's thread once
		// the card is posted; the text says where to look without it. It
		// is worded again at delivery (CRNews), in the reader's zone.
		out = append(out, store.Message{Channel: u, DM: true, Doc: render.DownstreamDoc(cr, by[u], today, now, loc), LinkOf: cr.Thread, LinkText: "Open the " + cr.Name() + " thread",
			Notice: &store.Notice{Kind: store.KindCRNews, Subject: store.CRSubject(cr.ID), Key: store.CRNewsKey(cr.ID, cr.Status), CR: cr.ID}})
	}
	return out, nil
}

// CRNews is the news of cr, as of now in loc (the reader's zone), to
// user, a release manager downstream of its release: raised or decided,
// with their releases that depend on it; false when none of theirs does
// any more.
func CRNews(tx *store.Tx, cr *store.ChangeRequest, user string, now time.Time, loc *time.Location) (store.Doc, bool, error) {
	g, err := tx.Graph()
	if err != nil {
		return store.Doc{}, false, err
	}
	today := store.DateOf(now, loc)
	_, by := downstreamManagers(tx, g, cr, today)
	if len(by[user]) == 0 {
		return store.Doc{}, false, nil
	}
	return render.DownstreamDoc(cr, by[user], today, now, loc), true, nil
}
