package commands

import (
	"fmt"
	"time"

	"relman/store"
)

// alertDownstream caps the releases downstream an alert names.
const alertDownstream = 10

// alert composes p's messages: a slip, overdue, cancelled-provider or
// recovery alert to the consumer's channel and, by quiet DM, its release
// managers (the owner when none is set); an upcoming nudge by quiet DM to
// the provider's release managers, or the external item's owner. The
// words are the same whichever trigger found it, so a command and the
// sweep compose the same alert.
func (p dueAlert) alert(tx *store.Tx, g *store.Graph, up *store.Upstream, today store.Date, loc *time.Location) (Alert, error) {
	a := Alert{Key: p.key}
	switch p.kind {
	case store.KindSlip:
		a.Forget = []string{store.RecoveryKey(p.e.Dependency, p.e.NeededBy, p.e.ProviderDate)}
	case store.KindRecovery:
		a.Forget = []string{store.SlipKey(p.e.Dependency, p.slip.neededBy, p.slip.providerDate)}
	}
	if p.kind == store.KindUpcoming {
		doc, to := upcomingNudge(tx, g, p.e, today)
		for _, u := range to {
			a.Messages = append(a.Messages, store.Message{Channel: u, DM: true, Quiet: true, Doc: doc})
		}
		return a, nil
	}
	consumer := g.Release(p.e.Consumer)
	if consumer == nil {
		return a, nil
	}
	doc := edgeAlert(p, g, up, today, loc)
	if consumer.Channel != "" {
		a.Messages = append(a.Messages, store.Message{Channel: consumer.Channel, Doc: doc})
	}
	for _, u := range consumer.Holders(store.ReleaseManager, product(tx, consumer.Product)) {
		a.Messages = append(a.Messages, store.Message{Channel: u, DM: true, Quiet: true, Doc: doc})
	}
	return a, nil
}

// edgeAlert is the alert about one edge of a consumer: what happened, to
// which dates, who changed them and why, and what is at risk downstream.
func edgeAlert(p dueAlert, g *store.Graph, up *store.Upstream, today store.Date, loc *time.Location) store.Doc {
	e := p.e
	head := map[string]string{
		store.KindSlip:      ":warning: *Slip*",
		store.KindOverdue:   ":warning: *Overdue*",
		store.KindCancelled: ":no_entry_sign: *Provider cancelled*",
		store.KindRecovery:  ":white_check_mark: *Back on track*",
	}[p.kind]
	b := newDoc("")
	b.section(fmt.Sprintf("%s: %s needs %s by %s; it is %s — %s.", head, bold(e.Consumer), providerName(e), when(e.NeededBy, today), providerDue(e), edgeStateText(e, today)))
	if p.kind == store.KindRecovery {
		b.section(fmt.Sprintf("It was late: due %s, needed by %s.", p.slip.providerDate.Pretty(), p.slip.neededBy.Pretty()))
	}
	if h, verb := lastDateChange(e, g); verb != "" {
		s := fmt.Sprintf("%s %s", providerShort(e), verb)
		if verb == "moved" {
			s += fmt.Sprintf(" from %s to %s", h.From.Pretty(), h.To.Pretty())
		}
		s += fmt.Sprintf(" by %s on %s", mention(h.By), store.DateOf(h.At, loc).Pretty())
		if h.Reason != "" {
			s += ": “" + Escape(h.Reason) + "”"
		}
		b.section(s + ".")
	}
	if s := brokenCommitment(p, g, loc); s != "" {
		b.section(s)
	}
	if p.kind != store.KindRecovery {
		if lines := atRiskDownstream(g, up, e.Consumer, today); lines != nil {
			b.lines(lines)
		}
	}
	b.context(fmt.Sprintf("`/release show %s` · `/release impact %s`", e.Consumer, e.Consumer))
	return b.build()
}

// brokenCommitment says, of a slip or overdue alert about an edge whose
// provider had committed to its needed-by date, that the commitment is
// broken: by a move of the provider after the commitment (a slip), or by
// the date passing (overdue). It is "" otherwise.
func brokenCommitment(p dueAlert, g *store.Graph, loc *time.Location) string {
	e := p.e
	if e.Handshake != store.HandshakeCommitted {
		return ""
	}
	switch p.kind {
	case store.KindOverdue:
	case store.KindSlip:
		if h, verb := lastDateChange(e, g); verb != "moved" || h.At.Before(e.AnsweredAt) {
			return "" // late when it was committed: not broken by a move since
		}
	default:
		return ""
	}
	return fmt.Sprintf(":warning: Broken commitment: %s had committed to deliver by %s (%s, on %s).", providerShort(e), e.NeededBy.Pretty(),
		mention(e.AnsweredBy), store.DateOf(e.AnsweredAt, loc).Pretty())
}

// atRiskDownstream lists the releases downstream of ref that are at risk,
// each with its tightest edge towards ref and that edge's slack; nil when
// there are none.
//
// Only the releases it names have their edges evaluated and ordered (the
// first levels of the downstream set, widened until they hold enough
// releases at risk): an alert about a release thousands depend on costs
// about what one naming a handful does.
func atRiskDownstream(g *store.Graph, up *store.Upstream, ref store.Ref, today store.Date) []string {
	n := up.CountDownstream(ref.Key())
	if n == 0 {
		return nil
	}
	var lines []string
	for limit := 4 * alertDownstream; ; limit *= 4 {
		lines = lines[:0]
		first, total := g.DownstreamFirst(ref.Key(), today, limit)
		for _, d := range first {
			if len(lines) == alertDownstream {
				break
			}
			if up.AtRisk(d.Release.Ref) {
				e := d.Edges[0]
				lines = append(lines, fmt.Sprintf("• %s needs %s by %s — %s", bold(d.Release.Ref), providerName(e), e.NeededBy.Pretty(), edgeStateText(e, today)))
			}
		}
		if len(lines) == min(n, alertDownstream) || limit >= total {
			break
		}
	}
	if n > alertDownstream {
		lines = append(lines, fmt.Sprintf("…and %d more — `/release impact %s`", n-alertDownstream, ref))
	}
	return append([]string{fmt.Sprintf("*Now at risk* downstream of %s (%s):", bold(ref), plural(n, "release"))}, lines...)
}

// upcomingNudge asks the provider's release managers (an external item's
// owner) whether a needed-by date soon to come will be met, and returns to
// whom it goes. "On track" (for an edge on track) runs show of the
// provider — it changes nothing and marks the nudge answered; "Will slip…"
// asks for a date and a reason and runs move, which tells the consumer.
// For an external item the buttons are the re-confirm request's.
func upcomingNudge(tx *store.Tx, g *store.Graph, e store.Edge, today store.Date) (store.Doc, []string) {
	b := newDoc("")
	b.section(fmt.Sprintf(":calendar: %s needs %s by %s; it is %s — %s.", bold(e.Consumer), providerName(e), when(e.NeededBy, today), providerDue(e), edgeStateText(e, today)))
	var to []string
	if e.IsExternal() {
		x := g.External(e.External)
		if x == nil || x.Owner == "" {
			return store.Doc{}, nil
		}
		to = []string{x.Owner}
		command := `confirm external "` + Escape(x.Name) + `"`
		b.section("Is it still on?")
		b.d.Buttons = []store.Button{
			RunButton("Still on "+x.Due.Pretty(), command),
			AskButton("New date…", Ask{Title: "New date", Command: command + " due {date}", Date: x.Due.String()}),
		}
		b.context("Or type `/release " + command + " [due &lt;date&gt;]`.")
		return b.build(), to
	}
	r := g.Release(e.Provider)
	if r == nil {
		return store.Doc{}, nil
	}
	to = r.Holders(store.ReleaseManager, product(tx, r.Product))
	if e.Kind == store.OnTrack {
		b.section(fmt.Sprintf("Will %s make it? If it will slip, say when and why, and %s hears at once.", bold(r.Ref), bold(e.Consumer)))
	} else {
		b.section(fmt.Sprintf("%s is due after %s needs it. When you know its date, say it and why, and %s hears at once.", bold(r.Ref), bold(e.Consumer), bold(e.Consumer)))
	}
	move := "move " + r.Ref.String() + " {date} {reason}"
	if e.Kind == store.OnTrack {
		b.d.Buttons = append(b.d.Buttons, RunButton("On track", "show "+r.Ref.String()))
	}
	b.d.Buttons = append(b.d.Buttons, AskButton("Will slip…", Ask{Title: "Will slip", Command: move, Date: e.NeededBy.AddDays(1).String(), Reason: true, Preview: true}))
	b.context(fmt.Sprintf("Or type `/release move %s &lt;date&gt; because &lt;reason&gt;`.", r.Ref))
	return b.build(), to
}
