package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"relman/store"
)

// AgendaEvery is how far apart release meetings are taken to be: the
// agenda lists the votes that close before the next one, and, the first
// time, the moves of the last one.
const AgendaEvery = 7 * 24 * time.Hour

// AgendaDueDays is how many days ahead an agenda lists releases due.
const AgendaDueDays = 14

// Agenda composes the agenda of a release meeting for products (none:
// every product) as of now (SPEC §2): the moves of their releases since
// last (the previous agenda; the last AgendaEvery when zero), the releases
// at risk and why, the votes on their CRs that close before the next
// meeting (AgendaEvery), the releases due in the next AgendaDueDays days,
// the external items awaiting confirmation, and the freezes in progress or
// starting within FreezeAhead days, as of the Digester's moment and in its
// zone. Empty parts are left out; an agenda with nothing in it is one line.
func (dg *Digester) Agenda(products []string, last time.Time) store.Doc {
	now, loc := dg.now, dg.loc
	since, sinceText := last, "the last agenda ("+store.DateOf(last, loc).Pretty()+")"
	if last.IsZero() {
		since, sinceText = now.Add(-AgendaEvery), "a week ago"
	}
	d := &digestData{Digester: dg, sub: &store.Subscription{Products: products}, since: since}
	d.scope()
	next := now.Add(AgendaEvery)
	part := func(title, none, all string, build func(limit int) ([]string, int)) agendaPart {
		lines, total := build(agendaLimit)
		return agendaPart{title: title, none: none, lines: lines, total: total, all: all}
	}
	parts := []agendaPart{
		part(":arrow_right: Moved since "+sinceText, "no move since "+sinceText, "`/release history &lt;release&gt;`", d.moves),
		part(":warning: At risk", "nothing at risk", d.listCommand("at-risk"), d.atRisk),
		d.unansweredPart(),
		part(checklistSection.title(d), checklistSection.none(d), checklistSection.all(d), d.checklistDue),
		part(":ballot_box_with_ballot: Votes closing before the next meeting (by "+Stamp(next, now, loc)+")", "no vote closing in the next 7 days", "`/ccb list open`",
			func(limit int) ([]string, int) { return d.votesClosing(next, limit) }),
		part(fmt.Sprintf(":calendar: Due in the next 2 weeks (to %s)", d.today.AddDays(AgendaDueDays).Pretty()), "nothing due in the next 2 weeks", d.listCommand("due 2w"),
			func(limit int) ([]string, int) { return d.dueWithin(AgendaDueDays, limit) }),
		part(":hourglass: External items awaiting confirmation", "no external item awaiting confirmation", "`/release list externals`", d.unconfirmed),
		part(":snowflake: Freezes in progress and in the next 4 weeks", "", "`/release freeze list`", d.freezesAhead),
	}
	b := NewDoc(fmt.Sprintf("Release meeting agenda · %s · %s", ProductList(products), d.today.Pretty()))
	var nothing []string
	empty := 0
	for _, p := range parts {
		if p.total == 0 {
			empty++
			if p.none != "" { // "": an agenda need not say there is none
				nothing = append(nothing, p.none)
			}
			continue
		}
		lines := p.lines
		if n := p.total - len(lines); n > 0 {
			lines = append(lines, fmt.Sprintf("…and %d more — %s", n, p.all))
		}
		b.Lines(append([]string{"*" + p.title + "*"}, lines...))
	}
	if empty == len(parts) {
		one := NewDoc("")
		one.Section(fmt.Sprintf(":zzz: Nothing for the release meeting of %s, %s: %s.", ProductList(products), d.today.Pretty(), AndList(nothing)))
		return one.Build()
	}
	again := strings.Join(append([]string{"/release agenda"}, products...), " ")
	b.Context(fmt.Sprintf("Moves are listed since the last agenda for %s posted here; `%s` posts the next one.", ProductList(products), again))
	return b.Build()
}

// moves: the moves of covered releases (and of their stages' planned
// dates) recorded after since (and not
// after now), in the order they were made, each with who, when and why.
func (d *digestData) moves(limit int) ([]string, int) {
	type move struct {
		ref store.Ref
		h   store.HistoryEntry
	}
	var ms []move
	for _, r := range d.rels {
		for _, h := range r.History {
			if (h.Kind == store.HistoryMoved || h.Kind == store.HistoryStageMoved) && h.At.After(d.since) && !h.At.After(d.now) {
				ms = append(ms, move{r.Ref, h})
			}
		}
	}
	slices.SortStableFunc(ms, func(a, b move) int { return cmp.Or(a.h.At.Compare(b.h.At), cmp.Compare(a.ref.Key(), b.ref.Key())) })
	var lines []string
	for _, m := range ms[:min(len(ms), limit)] {
		line := fmt.Sprintf("• %s%s moved by %s from %s to %s (%s) on %s", Bold(m.ref), InStage(m.h.Stage), Mention(m.h.By), m.h.From.Pretty(), m.h.To.Pretty(),
			shift(m.h.To.Sub(m.h.From)), store.DateOf(m.h.At, d.loc).Pretty())
		if m.h.Reason != "" {
			line += ": “" + Escape(m.h.Reason) + "”"
		}
		lines = append(lines, line)
	}
	return lines, len(ms)
}

// votesClosing: CRs on covered releases open for votes that close before
// until, by deadline, with who has not voted.
func (d *digestData) votesClosing(until time.Time, limit int) ([]string, int) {
	var lines []string
	total := 0
	for _, cr := range d.crs {
		if !d.sub.Covers(cr.Release.Product) || !cr.Deadline.Before(until) {
			continue
		}
		total++
		if len(lines) < limit {
			lines = append(lines, "• "+CRVotesLine(cr, d.now, d.loc))
		}
	}
	return lines, total
}
