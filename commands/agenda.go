package commands

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

// agendaCmd posts a release meeting's agenda for some products (none:
// every product) in the channel it was typed in.
type agendaCmd struct{ products []string }

func parseAgenda(p *parser) (Command, error) {
	c := &agendaCmd{}
	for !p.done() {
		if err := p.product(&c.products, "product names after agenda", ": the agenda is posted here"); err != nil {
			return nil, err
		}
	}
	slices.Sort(c.products)
	return c, nil
}

// product reads the next word as a product name and adds it to products,
// once. Anything else is refused: "expected <what>, not …<hint>".
func (p *parser) product(products *[]string, what, hint string) error {
	t, _ := p.peek()
	if t.Kind != Word {
		return invalid("expected %s, not %q%s", what, clip(cmp.Or(t.Label, t.Text), 40), hint)
	}
	prod, err := store.NormalizeProduct(t.Text)
	if err != nil {
		return err
	}
	p.pos++
	if !slices.Contains(*products, prod) {
		*products = append(*products, prod)
	}
	return nil
}

func (c *agendaCmd) run(x *Exec) (store.Doc, error) {
	if x.req.Channel == "" {
		return store.Doc{}, invalid("an agenda is posted in a channel: type /release agenda in the channel of the meeting")
	}
	err := x.update(func(tx *store.Tx) error {
		if err := knownProducts(tx, c.products); err != nil {
			return err
		}
		last := tx.LastAgenda(x.req.Channel, c.products)
		doc, err := Agenda(tx, c.products, last, x.now, x.s.loc())
		if err != nil {
			return err
		}
		if _, err := tx.MarkSent(store.AgendaKey(x.req.Channel, c.products, x.now)); err != nil {
			return err
		}
		return x.post(tx, x.req.Channel, doc)
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := newDoc("")
	b.section(fmt.Sprintf(":white_check_mark: Posted the agenda for %s in %s.", productList(c.products), channelRef(x.req.Channel)))
	return b.build(), nil
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

// Agenda composes the agenda of a release meeting for products (none:
// every product) as of now (SPEC §2): the moves of their releases since
// last (the previous agenda; the last AgendaEvery when zero), the releases
// at risk and why, the votes on their CRs that close before the next
// meeting (AgendaEvery), the releases due in the next AgendaDueDays days,
// the external items awaiting confirmation, and the freezes in progress or
// starting within FreezeAhead days. Empty parts are left out;
// an agenda with nothing in it is one line. loc is the workspace zone. It
// only reads.
func Agenda(tx *store.Tx, products []string, last, now time.Time, loc *time.Location) (store.Doc, error) {
	dg, err := NewDigester(tx, now, loc)
	if err != nil {
		return store.Doc{}, err
	}
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
		part(":ballot_box_with_ballot: Votes closing before the next meeting (by "+stamp(next, now, loc)+")", "no vote closing in the next 7 days", "`/ccb list open`",
			func(limit int) ([]string, int) { return d.votesClosing(next, limit) }),
		part(fmt.Sprintf(":calendar: Due in the next 2 weeks (to %s)", d.today.AddDays(AgendaDueDays).Pretty()), "nothing due in the next 2 weeks", d.listCommand("due 2w"),
			func(limit int) ([]string, int) { return d.dueWithin(AgendaDueDays, limit) }),
		part(":hourglass: External items awaiting confirmation", "no external item awaiting confirmation", "`/release list externals`", d.unconfirmed),
		part(":snowflake: Freezes in progress and in the next 4 weeks", "", "`/release freeze list`", d.freezesAhead),
	}
	b := newDoc(fmt.Sprintf("Release meeting agenda · %s · %s", productList(products), d.today.Pretty()))
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
		b.lines(append([]string{"*" + p.title + "*"}, lines...))
	}
	if empty == len(parts) {
		one := newDoc("")
		one.section(fmt.Sprintf(":zzz: Nothing for the release meeting of %s, %s: %s.", productList(products), d.today.Pretty(), andList(nothing)))
		return one.build(), nil
	}
	again := strings.Join(append([]string{"/release agenda"}, products...), " ")
	b.context(fmt.Sprintf("Moves are listed since the last agenda for %s posted here; `%s` posts the next one.", productList(products), again))
	return b.build(), nil
}

// moves: the moves of covered releases recorded after since (and not
// after now), in the order they were made, each with who, when and why.
func (d *digestData) moves(limit int) ([]string, int) {
	type move struct {
		ref store.Ref
		h   store.DateChange
	}
	var ms []move
	for _, r := range d.rels {
		for _, h := range r.History {
			if h.Kind == "moved" && h.At.After(d.since) && !h.At.After(d.now) {
				ms = append(ms, move{r.Ref, h})
			}
		}
	}
	slices.SortStableFunc(ms, func(a, b move) int { return cmp.Or(a.h.At.Compare(b.h.At), cmp.Compare(a.ref.Key(), b.ref.Key())) })
	var lines []string
	for _, m := range ms[:min(len(ms), limit)] {
		line := fmt.Sprintf("• %s moved by %s from %s to %s (%s) on %s", bold(m.ref), mention(m.h.By), m.h.From.Pretty(), m.h.To.Pretty(),
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
			lines = append(lines, "• "+crVotesLine(cr, d.now, d.loc))
		}
	}
	return lines, total
}
