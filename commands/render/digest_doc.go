package render

import (
	"fmt"
	"slices"
	"time"

	"relman/store"
)

// DigestAhead is how far ahead a digest lists what is coming up.
const DigestAhead = 28

// Digester composes digests as of one moment over one transaction: what
// every digest asks of the whole graph (which releases are at risk, the
// slipped dependencies, the external items awaiting confirmation) is worked
// out once and shared by all of them. A Digester is for one goroutine and
// lives no longer than its transaction.
type Digester struct {
	g        *store.Graph
	up       *store.Upstream
	now      time.Time
	today    store.Date
	loc      *time.Location
	slipped  []*store.Edge // slipped dependencies of planned releases, by needed-by date
	exts     []store.External
	crs      []*store.ChangeRequest // CRs open for votes, by deadline
	requests *[]store.Edge          // unanswered requests (handshake_doc.go), once asked for
	freezes  []store.Freeze
	news     []store.News // freezes made and removed and roles changed, oldest first (store.Tx.News)
}

// NewDigester prepares digests as of now over g and the store's external
// items, open change requests, freezes and news (store.Tx.News, from at
// least as far back as the earliest digest it composes looks); loc is the
// workspace zone. It keeps exts and sorts it.
func NewDigester(g *store.Graph, exts []store.External, crs []store.ChangeRequest, freezes []store.Freeze, news []store.News, now time.Time, loc *time.Location) *Digester {
	today := store.DateOf(now, loc)
	es := g.Slips(today)
	slips := make([]*store.Edge, len(es))
	for i := range es {
		slips[i] = &es[i]
	}
	slices.SortStableFunc(slips, func(a, b *store.Edge) int { return a.NeededBy.Sub(b.NeededBy) })
	slices.SortStableFunc(exts, func(a, b store.External) int { return a.Due.Sub(b.Due) })
	return &Digester{g: g, up: g.Upstream(today), now: now, today: today, loc: loc, slipped: slips, exts: exts, crs: openCRs(crs, now), freezes: freezes, news: news}
}

// Digest composes sub's digest (see the function Digest).
func (dg *Digester) Digest(sub *store.Subscription, since time.Time) store.Doc {
	d := &digestData{Digester: dg, sub: sub, since: since}
	d.scope()
	b := NewDoc(fmt.Sprintf("Digest for %s · %s", ProductList(sub.Products), d.today.Pretty()))
	var nothing []string
	empty := 0
	for _, s := range digestSections {
		lines, total := s.build(d, s.limit)
		if total == 0 {
			empty++
			if none := s.none(d); none != "" {
				nothing = append(nothing, none)
			}
			continue
		}
		if n := total - len(lines); n > 0 {
			lines = append(lines, fmt.Sprintf("…and %d more — %s", n, s.all(d)))
		}
		b.Lines(append([]string{"*" + s.title(d) + "*"}, lines...))
	}
	if empty == len(digestSections) {
		one := NewDoc("")
		one.Section(fmt.Sprintf(":zzz: Digest for %s, %s: %s.", ProductList(sub.Products), d.today.Pretty(), AndList(nothing)))
		return one.Build()
	}
	b.Context(digestFooter(sub))
	return b.Build()
}

// digestSection is one section of a digest. The sections are one list
// (digestSections), in reading order, so a new kind of news is one more
// entry.
type digestSection struct {
	title func(d *digestData) string // mrkdwn, shown in bold
	none  func(d *digestData) string // what an empty digest says of it: "nothing at risk" ("": nothing)
	all   func(d *digestData) string // the command that lists everything a capped section left out
	limit int
	// build returns the section's first limit lines and how many items it
	// has in all.
	build func(d *digestData, limit int) (lines []string, total int)
}

var digestSections = []digestSection{
	{
		title: func(*digestData) string { return ":warning: At risk" },
		none:  func(*digestData) string { return "nothing at risk" },
		all:   func(d *digestData) string { return d.listCommand("at-risk") },
		limit: 10, build: (*digestData).atRisk,
	},
	{
		title: func(d *digestData) string {
			return fmt.Sprintf(":calendar: Next 4 weeks (to %s)", d.today.AddDays(DigestAhead).Pretty())
		},
		none:  func(*digestData) string { return "nothing due in the next 4 weeks" },
		all:   func(d *digestData) string { return d.listCommand("due 4w") },
		limit: 15, build: (*digestData).comingUp,
	},
	{
		title: func(*digestData) string { return ":link: Slipped and overdue dependencies" },
		none:  func(*digestData) string { return "no slipped dependency" },
		all:   func(d *digestData) string { return d.listCommand("at-risk") },
		limit: 10, build: (*digestData).slips,
	},
	unansweredSection,
	checklistSection,
	{
		title: func(*digestData) string { return ":ballot_box_with_ballot: CRs awaiting votes" },
		none:  func(*digestData) string { return "no CR awaiting votes" },
		all:   func(*digestData) string { return "`/ccb list open`" },
		limit: 10, build: (*digestData).awaitingVotes,
	},
	{
		title: func(*digestData) string { return ":hourglass: External items awaiting confirmation" },
		none:  func(*digestData) string { return "no external item awaiting confirmation" },
		all:   func(*digestData) string { return "`/release list externals`" },
		limit: 10, build: (*digestData).unconfirmed,
	},
	{
		title: func(*digestData) string { return ":snowflake: Freezes in progress and in the next 4 weeks" },
		none:  func(*digestData) string { return "" }, // a digest need not say there is no freeze
		all:   func(*digestData) string { return "`/release freeze list`" },
		limit: 5, build: (*digestData).freezesAhead,
	},
	{
		title: func(d *digestData) string { return ":loudspeaker: Freezes and roles changed since " + d.sinceText() },
		none:  func(*digestData) string { return "" }, // nor that nothing changed
		all:   func(d *digestData) string { return "`/release audit`" },
		limit: 10, build: (*digestData).newsSince,
	},
	{
		title: func(d *digestData) string { return ":white_check_mark: Shipped since " + d.sinceText() },
		none:  func(d *digestData) string { return "nothing shipped since " + d.sinceText() },
		all:   func(d *digestData) string { return d.listCommand("shipped") },
		limit: 10, build: (*digestData).shipped,
	},
}

// digestData is what one digest's sections read.
type digestData struct {
	*Digester
	sub   *store.Subscription
	since time.Time
	rels  []*store.Release // the releases of the covered products, by date
}

// clock is the zone the digest says times of day in: a DM digest's
// subscriber's (the zone its schedule keeps), a channel's the workspace's
// (Stamp names the zone either way).
func (d *digestData) clock() *time.Location {
	if d.sub.DM && d.sub.Zone != "" {
		return d.sub.Location()
	}
	return d.loc
}

// scope collects the covered products' releases, by date.
func (d *digestData) scope() {
	if len(d.sub.Products) == 0 {
		d.rels = d.g.ReleasesByDate()
		return
	}
	for _, p := range d.sub.Products {
		d.rels = append(d.rels, d.g.ReleasesOf(p)...)
	}
	slices.SortFunc(d.rels, store.CompareByDate)
}

// listCommand is the list command that shows a section in full, for the
// digest's one product when it covers one.
func (d *digestData) listCommand(what string) string {
	if len(d.sub.Products) == 1 {
		return "`/release list " + d.sub.Products[0] + " " + what + "`"
	}
	return "`/release list " + what + "`"
}

func (d *digestData) sinceText() string { return store.DateOf(d.since, d.loc).Pretty() }

// releaseLine is a release as the digest lists it, the way list does.
func (d *digestData) releaseLine(r *store.Release, atRisk bool) string {
	return ReleaseLine(r, atRisk, d.today)
}

// atRisk: planned releases at risk, soonest first, each with its first
// root cause.
func (d *digestData) atRisk(limit int) ([]string, int) {
	var lines []string
	total := 0
	for _, r := range d.rels {
		if r.Status != store.Planned || !d.up.AtRisk(r.Ref) {
			continue
		}
		total++
		if len(lines) == limit {
			continue
		}
		line := Bold(r.Ref) + " — " + When(r.Target, d.today) + " · " + Mention(r.Owner)
		if causes, more := d.up.Causes(r.Ref, 1); len(causes) > 0 {
			line += ": " + CauseLine(causes[0], d.g, d.today, d.loc)
			if more {
				line += " — and more: `/release show " + r.Ref.String() + "`"
			}
		}
		lines = append(lines, "• "+line)
	}
	return lines, total
}

// comingUp: planned releases whose target is at most DigestAhead days
// away (overdue ones first, marked), by date.
func (d *digestData) comingUp(limit int) ([]string, int) { return d.dueWithin(DigestAhead, limit) }

// dueWithin: planned releases whose target is at most n days away
// (overdue ones first, marked), by date.
func (d *digestData) dueWithin(n, limit int) ([]string, int) {
	until := d.today.AddDays(n)
	var lines []string
	total := 0
	for _, r := range d.rels {
		if r.Target.After(until) {
			break // by date: the rest is later
		}
		if r.Status != store.Planned {
			continue
		}
		total++
		if len(lines) < limit {
			lines = append(lines, d.releaseLine(r, d.up.AtRisk(r.Ref)))
		}
	}
	return lines, total
}

// slips: slipped and overdue dependencies of planned releases, where the
// consumer or the provider is covered, by needed-by date.
func (d *digestData) slips(limit int) ([]string, int) {
	var lines []string
	total := 0
	for _, e := range d.slipped {
		if !d.sub.Covers(e.Consumer.Product) && (e.IsExternal() || !d.sub.Covers(e.Provider.Product)) {
			continue
		}
		total++
		if len(lines) < limit {
			lines = append(lines, "• "+Bold(e.Consumer)+": "+EdgeLine(*e, d.today))
		}
	}
	return lines, total
}

// unconfirmed: external items awaiting confirmation that a covered
// planned release waits for, by due date.
func (d *digestData) unconfirmed(limit int) ([]string, int) {
	var lines []string
	total := 0
	for _, x := range d.exts {
		n := awaitingConfirmation(d.g, x, d.now, d.today, d.sub.Covers)
		if n == 0 {
			continue
		}
		total++
		if len(lines) < limit {
			lines = append(lines, ExternalLine(x, n, d.now, d.today, d.loc))
		}
	}
	return lines, total
}

// awaitingConfirmation returns how many planned releases, of the products
// covers accepts, wait for external item x while its owner has not
// confirmed its date for StaleAfter and the date has not come: 0 when it
// awaits nothing. reminders.Reconfirms asks the owner of such an item.
func awaitingConfirmation(g *store.Graph, x store.External, now time.Time, today store.Date, covers func(string) bool) int {
	if x.Owner == "" || x.Due.Before(today) || !stale(x, now) {
		return 0
	}
	n := 0
	for _, dep := range g.Dependents("ext:" + store.ExternalKey(x.Name)) {
		if r := g.Release(dep.Consumer); r != nil && r.Status == store.Planned && covers(r.Product) {
			n++
		}
	}
	return n
}

// awaitingVotes: CRs on covered releases open for votes, by deadline,
// with who has not voted (how many, on an anonymous board).
func (d *digestData) awaitingVotes(limit int) ([]string, int) {
	var lines []string
	total := 0
	for _, cr := range d.crs {
		if !d.sub.Covers(cr.Release.Product) {
			continue
		}
		total++
		if len(lines) < limit {
			lines = append(lines, "• "+CRVotesLine(cr, d.now, d.clock()))
		}
	}
	return lines, total
}

// shipped: covered releases marked shipped after since, by ship date.
func (d *digestData) shipped(limit int) ([]string, int) {
	var lines []string
	total := 0
	for _, r := range d.rels {
		if r.Status != store.Shipped || !d.shippedSince(r) {
			continue
		}
		total++
		if len(lines) < limit {
			lines = append(lines, fmt.Sprintf(":white_check_mark: %s — shipped %s · %s", Bold(r.Ref), r.Date().Pretty(), Mention(r.Owner)))
		}
	}
	return lines, total
}

// shippedSince reports whether r was marked shipped after d.since (and
// not after now): a ship recorded with an earlier date is news all the
// same when it was recorded since the last digest.
func (d *digestData) shippedSince(r *store.Release) bool {
	for i := len(r.History) - 1; i >= 0; i-- {
		if h := r.History[i]; h.Kind == store.HistoryShipped {
			return h.At.After(d.since) && !h.At.After(d.now)
		}
	}
	return false
}

// digestFooter says where a digest comes from and how to stop it, or, for
// one asked for now, how to get it every day.
func digestFooter(sub *store.Subscription) string {
	switch {
	case sub.Cadence == "":
		return "`/release digest daily 09:00 me` sends you this every morning; `/release digest now &lt;product…&gt;` narrows it."
	case sub.DM:
		return "You get " + DescribeSchedule(sub) + ". `/release digest off me` stops it."
	}
	return fmt.Sprintf("%s set this channel to get %s. `/release digest off here` stops it.", Mention(sub.CreatedBy), DescribeSchedule(sub))
}

// agendaPart is one part of an agenda: its title, what an empty agenda
// says of it, its lines (the first limit) and how many items it has.
type agendaPart struct {
	title, none string
	lines       []string
	total       int
	all         string // the command that lists what a capped part left out
}

// agendaLimit caps each part of an agenda.
const agendaLimit = 10

// describeSchedule: "a daily digest at 09:00 (UTC)".
func DescribeSchedule(s *store.Subscription) string {
	when := "a daily digest"
	if s.Cadence == store.Weekly {
		when = "a weekly digest on " + s.Weekday.String() + "s"
	}
	out := fmt.Sprintf("%s at %02d:%02d (%s)", when, s.Hour, s.Minute, Escape(s.Zone))
	if s.Cadence == store.Daily && !s.OnDay(time.Saturday) {
		out += " on weekdays"
	}
	return out
}
