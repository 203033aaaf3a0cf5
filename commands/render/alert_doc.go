package render

import (
	"fmt"
	"time"

	"relman/store"
)

// alertDownstream caps the releases downstream an alert names.
const alertDownstream = 10

// EdgeNews is what an edge alert is about: its kind (store.KindSlip,
// store.KindOverdue, store.KindCancelled or store.KindRecovery), the edge
// as it is now, and for a recovery the dates of the slip it recovers from.
type EdgeNews struct {
	Kind                           string
	Edge                           store.Edge
	SlipNeededBy, SlipProviderDate store.Date
}

// EdgeAlert is the alert about one edge of a consumer: what happened, to
// which dates, who changed them and why, and what is at risk downstream.
func EdgeAlert(p EdgeNews, g *store.Graph, up *store.Upstream, today store.Date, loc *time.Location) store.Doc {
	e := p.Edge
	head := map[string]string{
		store.KindSlip:      ":warning: *Slip*",
		store.KindOverdue:   ":warning: *Overdue*",
		store.KindCancelled: ":no_entry_sign: *Provider cancelled*",
		store.KindRecovery:  ":white_check_mark: *Back on track*",
	}[p.Kind]
	if p.Kind == store.KindRecovery && e.Kind == store.Delivered {
		// The provider came: on time, or after the date it was needed by,
		// which is said as such and never as "back on track".
		head = ":white_check_mark: *Delivered*"
		if e.DaysLate() > 0 {
			head = ":warning: *Delivered late*"
		}
	}
	b := NewDoc("")
	b.Section(fmt.Sprintf("%s: %s needs %s by %s; it is %s — %s.", head, Bold(e.Consumer), ProviderName(e), When(e.NeededBy, today), ProviderDue(e), EdgeStateText(e, today)))
	if p.Kind == store.KindRecovery {
		b.Section(fmt.Sprintf("It was late: due %s, needed by %s.", p.SlipProviderDate.Pretty(), p.SlipNeededBy.Pretty()))
	}
	if h, verb := lastDateChange(e, g); verb != "" {
		s := fmt.Sprintf("%s %s", ProviderShort(e), verb)
		if verb == "moved" {
			s += fmt.Sprintf(" from %s to %s", h.From.Pretty(), h.To.Pretty())
		}
		s += fmt.Sprintf(" by %s on %s", Mention(h.By), store.DateOf(h.At, loc).Pretty())
		if h.Reason != "" {
			s += ": “" + Escape(h.Reason) + "”"
		}
		b.Section(s + ".")
	}
	if s := brokenCommitment(p, g, loc); s != "" {
		b.Section(s)
	}
	if p.Kind != store.KindRecovery {
		if lines := atRiskDownstream(g, up, e.Consumer, today); lines != nil {
			b.Lines(lines)
		}
	}
	b.Context(fmt.Sprintf("`/release show %s` · `/release impact %s`", e.Consumer, e.Consumer))
	return b.Build()
}

// brokenCommitment says, of a slip or overdue alert about an edge whose
// provider had committed to its needed-by date, that the commitment is
// broken: by a move of the provider after the commitment (a slip), or by
// the date passing (overdue). It is "" otherwise.
func brokenCommitment(p EdgeNews, g *store.Graph, loc *time.Location) string {
	e := p.Edge
	if e.Handshake != store.HandshakeCommitted {
		return ""
	}
	// A commitment is broken by what happened after it: a move of the
	// provider past the date it was committed to, or (overdue) the date
	// passing while the provider was planned in time. One made while the
	// provider was already late ("anyway") was never possible, so nothing
	// breaks it.
	h, crossed := crossingMove(e, g)
	after := crossed && !h.At.Before(e.AnsweredAt)
	switch p.Kind {
	case store.KindOverdue:
		if !after && e.ProviderDate.After(e.NeededBy) {
			return ""
		}
	case store.KindSlip:
		if !after {
			return ""
		}
	default:
		return ""
	}
	return fmt.Sprintf(":warning: Broken commitment: %s had committed to deliver by %s (%s, on %s).", ProviderShort(e), e.NeededBy.Pretty(),
		Mention(e.AnsweredBy), store.DateOf(e.AnsweredAt, loc).Pretty())
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
				lines = append(lines, fmt.Sprintf("• %s needs %s by %s — %s", Bold(d.Release.Ref), ProviderName(e), e.NeededBy.Pretty(), EdgeStateText(e, today)))
			}
		}
		if len(lines) == min(n, alertDownstream) || limit >= total {
			break
		}
	}
	if n > alertDownstream {
		lines = append(lines, fmt.Sprintf("…and %d more — `/release impact %s`", n-alertDownstream, ref))
	}
	return append([]string{fmt.Sprintf("*Now at risk* downstream of %s (%s):", Bold(ref), Plural(n, "release"))}, lines...)
}

// UpcomingNudge asks the provider's release managers (an external item's
// owner) whether a needed-by date soon to come will be met. "On track" (for an edge on track) runs show of the
// provider — it changes nothing and marks the nudge answered; "Will slip…"
// asks for a date and a reason and runs move, which tells the consumer.
// For an external item the buttons are the re-confirm request's.
// It is the zero Doc when the provider is not in g.
func UpcomingNudge(g *store.Graph, e store.Edge, today store.Date) store.Doc {
	b := NewDoc("")
	b.Section(fmt.Sprintf(":calendar: %s needs %s by %s; it is %s — %s.", Bold(e.Consumer), ProviderName(e), When(e.NeededBy, today), ProviderDue(e), EdgeStateText(e, today)))
	if e.IsExternal() {
		x := g.External(e.External)
		if x == nil {
			return store.Doc{}
		}
		command := "confirm external " + Quote(x.Name)
		b.Section("Is it still on?")
		b.d.Buttons = []store.Button{
			RunButton("Still on "+x.Due.Pretty(), command),
			AskButton("New date…", Ask{Title: "New date", Command: command + " due {date} {reason}", Date: x.Due.String(), Reason: true}),
		}
		b.Context("Or type `/release " + command + " [due &lt;date&gt; because &lt;reason&gt;]`.")
		return b.Build()
	}
	r := g.Release(e.Provider)
	if r == nil {
		return store.Doc{}
	}
	if e.Kind == store.OnTrack {
		b.Section(fmt.Sprintf("Will %s make it? If it will slip, say when and why, and %s hears at once.", Bold(r.Ref), Bold(e.Consumer)))
	} else {
		b.Section(fmt.Sprintf("%s is due after %s needs it. When you know its date, say it and why, and %s hears at once.", Bold(r.Ref), Bold(e.Consumer), Bold(e.Consumer)))
	}
	move, typed, preview := "move "+r.Ref.String()+" {date} {reason}", "move "+r.Ref.String(), true
	if inStage(e) { // the date it waits for is the stage's: re-plan that
		move, typed, preview = "stage "+r.Ref.String()+" "+e.Stage+" on {date} {reason}", "stage "+r.Ref.String()+" "+e.Stage+" on", false
	}
	if e.Kind == store.OnTrack {
		b.d.Buttons = append(b.d.Buttons, RunButton("On track", "show "+r.Ref.String()))
	}
	b.d.Buttons = append(b.d.Buttons, AskButton("Will slip…", Ask{Title: "Will slip", Command: move, Date: e.NeededBy.AddDays(1).String(), Reason: true, Preview: preview}))
	b.Context(fmt.Sprintf("Or type `/release %s &lt;date&gt; because &lt;reason&gt;`.", typed))
	return b.Build()
}
