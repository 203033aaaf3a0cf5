package reminders

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"relman/commands/render"
	"relman/store"
)

// UpcomingDays are how many days before a needed-by date the provider's
// release manager is asked whether it will be met.
var UpcomingDays = []int{7, 1}

// upcomingDue returns which upcoming nudge is due when the needed-by date
// is left days away: the 7-day nudge from 7 days to 2 days before, the
// 1-day nudge from 1 day before to the day itself; 0 for none. A nudge
// missed while relman was down is sent late, and a superseded one not at
// all.
func upcomingDue(left int) int {
	switch {
	case left < 0:
		return 0
	case left <= UpcomingDays[1]:
		return UpcomingDays[1]
	case left <= UpcomingDays[0]:
		return UpcomingDays[0]
	}
	return 0
}

// nearerNudgeSent reports whether a nudge about e's needed-by date nearer
// to it than daysBefore was sent: that one supersedes this, even when the
// wall clock, stepped back over midnight, makes this one due again.
func nearerNudgeSent(tx *store.Tx, e store.Edge, daysBefore int) bool {
	for _, n := range UpcomingDays {
		if n < daysBefore && tx.Sent(store.UpcomingKey(e.Dependency, e.NeededBy, n)) {
			return true
		}
	}
	return false
}

// answeredInWindow reports whether the provider already answered for e's
// needed-by date within the window of the nudge sent daysBefore it: it
// committed (or proposed the date the consumer then accepted) on or after
// the day that nudge became due. Asking "will it make it?" again, seconds
// after the answer, is noise.
func answeredInWindow(e store.Edge, daysBefore int, loc *time.Location) bool {
	return e.Handshake == store.HandshakeCommitted && !e.AnsweredAt.IsZero() &&
		!store.DateOf(e.AnsweredAt, loc).Before(e.NeededBy.AddDays(-daysBefore))
}

// dueAlert is an alert found due, its words not yet composed.
type dueAlert struct {
	kind string // store.KindSlip, …
	key  string
	e    store.Edge
	days int        // an upcoming nudge: how many days ahead of the needed-by date
	slip slipRecord // a recovery: the slip it recovers from
	// ends, for a recovery, the ledger keys of every slip of the edge it
	// ends: one recovery closes the whole episode, so an older slip of
	// the same edge is not recovered from again later.
	ends []string
	// silent marks a slip that is not news: the edge is late, but by no
	// more than a slip already told (its provider moved earlier, still
	// late). It is recorded in the ledger, so a recovery later quotes the
	// dates that stand, and queues nothing.
	silent bool
}

// lessLate reports whether e, a late edge, is late by no more days than a
// slip of the same edge (same needed-by date) already in the ledger: an
// improvement is not a slip.
func lessLate(tx *store.Tx, e store.Edge) bool {
	less := false
	tx.LedgerEntries(slipPrefix+e.Key()+" ", func(key string, _ time.Time) bool {
		edge, rec, ok := parseSlipKey(key)
		if ok && edge == e.Key() && rec.neededBy == e.NeededBy && !rec.providerDate.Before(e.ProviderDate) {
			less = true
			return false
		}
		return true
	})
	return less
}

// slipRecord is a slip alert in the ledger: the dates it named.
type slipRecord struct {
	neededBy, providerDate store.Date
	at                     time.Time
	key                    string
}

// EdgeAlerts is the due-check for dependencies, within scope: new slips
// (an edge became late; a further slip is a new alert), overdue needed-by
// dates, cancelled providers, recoveries (an edge whose last slip alert is
// in the ledger is on track again, or delivered: once, ending every slip
// alert of the edge), to the consumer's channel and, by quiet DM, its
// release managers; and upcoming needed-by dates 7 days and 1 day ahead
// that are not yet met, by quiet DM to the provider's release managers (an
// external item's owner), with buttons; a 7-day nudge is superseded once
// the 1-day one was sent. Alerts are in a stable order: by kind, then edge.
func EdgeAlerts(tx *store.Tx, g *store.Graph, now time.Time, loc *time.Location, scope Scope) ([]Alert, error) {
	if loc == nil {
		loc = time.UTC
	}
	today := store.DateOf(now, loc)
	var due []dueAlert
	var onTrack []store.Edge // scoped: edges that may have recovered
	scope.edges(g, today, func(e store.Edge) bool {
		var p dueAlert
		switch e.Kind {
		case store.Late:
			p = dueAlert{kind: store.KindSlip, key: store.SlipKey(e.Dependency, e.NeededBy, e.ProviderDate)}
		case store.Overdue:
			p = dueAlert{kind: store.KindOverdue, key: store.OverdueKey(e.Dependency, e.NeededBy)}
		case store.ProviderCancelled:
			p = dueAlert{kind: store.KindCancelled, key: store.CancelledKey(e.Dependency, cancelledAt(g, e))}
		case store.OnTrack, store.Delivered:
			if !scope.All && e.ConsumerStatus == store.Planned {
				onTrack = append(onTrack, e)
			}
		}
		if p.key != "" && !tx.Sent(p.key) {
			p.e = e
			if p.kind == store.KindSlip {
				p.silent = lessLate(tx, e)
			}
			due = append(due, p)
		}
		if e.Kind == store.OnTrack || e.Kind == store.Late {
			if n := upcomingDue(e.NeededBy.Sub(today)); n > 0 {
				if key := store.UpcomingKey(e.Dependency, e.NeededBy, n); !tx.Sent(key) && !nearerNudgeSent(tx, e, n) && !answeredInWindow(e, n, loc) {
					due = append(due, dueAlert{kind: store.KindUpcoming, key: key, e: e, days: n})
				}
			}
		}
		return true
	})
	due = append(due, recoveries(tx, g, today, scope, onTrack)...)
	slices.SortFunc(due, func(a, b dueAlert) int {
		return cmp.Or(cmp.Compare(kindOrder(a.kind), kindOrder(b.kind)), cmp.Compare(a.key, b.key))
	})
	alerts := make([]Alert, 0, len(due))
	up := g.Upstream(today)
	for _, p := range due {
		a, err := p.alert(tx, g, up, today, loc)
		if err != nil {
			return nil, err
		}
		if len(a.Messages) > 0 || p.silent {
			alerts = append(alerts, a)
		}
	}
	return alerts, nil
}

func kindOrder(kind string) int {
	return slices.Index([]string{store.KindCancelled, store.KindOverdue, store.KindSlip, store.KindRecovery, store.KindUpcoming}, kind)
}

// edges calls fn with the state of every edge in scope, each once.
func (s Scope) edges(g *store.Graph, today store.Date, fn func(store.Edge) bool) {
	if s.All {
		g.EachEdge(today, fn)
		return
	}
	seen := map[string]bool{}
	visit := func(deps []store.Dependency) bool {
		for _, d := range deps {
			k := d.Key()
			if seen[k] {
				continue
			}
			seen[k] = true
			if e, ok := g.EdgeState(d, today); ok && !fn(e) {
				return false
			}
		}
		return true
	}
	for _, r := range s.Releases {
		if !visit(g.Dependencies(r)) || !visit(g.Dependents(r.Key())) {
			return
		}
	}
	for _, name := range s.Externals {
		if !visit(g.Dependents("ext:" + store.ExternalKey(name))) {
			return
		}
	}
}

// cancelledAt is when e's provider release was cancelled: its last
// "cancelled" history entry (its creation when it has none).
func cancelledAt(g *store.Graph, e store.Edge) time.Time {
	r := g.Release(e.Provider)
	if r == nil {
		return time.Time{}
	}
	for i := len(r.History) - 1; i >= 0; i-- {
		if r.History[i].Kind == store.HistoryCancelled {
			return r.History[i].At
		}
	}
	return r.CreatedAt
}

// slipPrefix is the start of every slip ledger key.
const slipPrefix = store.KindSlip + " "

// parseSlipKey splits a slip ledger key into its edge key and dates.
func parseSlipKey(key string) (edge string, rec slipRecord, ok bool) {
	rest, ok := strings.CutPrefix(key, slipPrefix)
	if !ok {
		return "", slipRecord{}, false
	}
	i := strings.LastIndexByte(rest, ' ')
	if i < 0 {
		return "", slipRecord{}, false
	}
	j := strings.LastIndexByte(rest[:i], ' ')
	if j < 0 {
		return "", slipRecord{}, false
	}
	need, err1 := store.ParseDate(rest[j+1 : i])
	prov, err2 := store.ParseDate(rest[i+1:])
	if err1 != nil || err2 != nil {
		return "", slipRecord{}, false
	}
	return rest[:j], slipRecord{neededBy: need, providerDate: prov, key: key}, true
}

// later reports whether slip record a was recorded after b (ties broken
// by key, so every check picks the same one).
func (a slipRecord) later(b slipRecord) bool {
	if !a.at.Equal(b.at) {
		return a.at.After(b.at)
	}
	return a.key > b.key
}

// recoveries finds the edges whose latest slip alert is in the ledger and
// that are on track or delivered now, their consumer still planned, and
// whose recovery from that slip was not yet sent. The sweep reads every
// slip in the ledger; a command, the ledger entries of the edges it
// touched (onTrack).
func recoveries(tx *store.Tx, g *store.Graph, today store.Date, scope Scope, onTrack []store.Edge) []dueAlert {
	latest := map[string]slipRecord{}
	all := map[string][]string{} // edge → the keys of its slips in the ledger
	note := func(prefix string, exact string) {
		tx.LedgerEntries(prefix, func(key string, at time.Time) bool {
			edge, rec, ok := parseSlipKey(key)
			if !ok || (exact != "" && edge != exact) {
				return true
			}
			all[edge] = append(all[edge], key)
			rec.at = at
			if old, had := latest[edge]; !had || rec.later(old) {
				latest[edge] = rec
			}
			return true
		})
	}
	var edges []store.Edge
	if scope.All {
		note(slipPrefix, "")
		for edge := range latest {
			consumer, _, _ := strings.Cut(edge, " ")
			ref, err := store.ParseRef(consumer)
			if err != nil {
				continue
			}
			for _, d := range g.Dependencies(ref) {
				if d.Key() != edge {
					continue
				}
				if e, ok := g.EdgeState(d, today); ok && (e.Kind == store.OnTrack || e.Kind == store.Delivered) && e.ConsumerStatus == store.Planned {
					edges = append(edges, e)
				}
			}
		}
	} else {
		for _, e := range onTrack {
			note(slipPrefix+e.Key()+" ", e.Key())
		}
		edges = onTrack
	}
	var out []dueAlert
	for _, e := range edges {
		rec, ok := latest[e.Key()]
		if !ok {
			continue
		}
		key := store.RecoveryKey(e.Dependency, rec.neededBy, rec.providerDate)
		if !tx.Sent(key) {
			out = append(out, dueAlert{kind: store.KindRecovery, key: key, e: e, slip: rec, ends: all[e.Key()]})
		}
	}
	return out
}

// LiveAlertKeys returns the ledger keys of the alerts whose condition
// holds as of now: the slip, overdue and cancelled-provider alerts of
// edges in those states. Forgotten, they would be sent again, so ledger
// pruning keeps them however old they are.
func LiveAlertKeys(g *store.Graph, now time.Time, loc *time.Location) map[string]bool {
	if loc == nil {
		loc = time.UTC
	}
	today := store.DateOf(now, loc)
	live := map[string]bool{}
	g.EachEdge(today, func(e store.Edge) bool {
		switch e.Kind {
		case store.Late:
			live[store.SlipKey(e.Dependency, e.NeededBy, e.ProviderDate)] = true
		case store.Overdue:
			live[store.OverdueKey(e.Dependency, e.NeededBy)] = true
		case store.ProviderCancelled:
			live[store.CancelledKey(e.Dependency, cancelledAt(g, e))] = true
		}
		return true
	})
	return live
}

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
		a.Forget = p.ends
	}
	if p.silent {
		return a, nil
	}
	if p.kind == store.KindUpcoming {
		to := upcomingTo(tx, g, p.e)
		if len(to) == 0 {
			return a, nil
		}
		doc := render.UpcomingNudge(g, p.e, today)
		for _, u := range to {
			n := edgeNotice(p.kind, p.key, p.e)
			n.Days = p.days
			a.Messages = append(a.Messages, store.Message{Channel: u, DM: true, Quiet: true, Remind: true, Doc: doc, Notice: n})
		}
		return a, nil
	}
	consumer := g.Release(p.e.Consumer)
	if consumer == nil {
		return a, nil
	}
	doc := render.EdgeAlert(render.EdgeNews{Kind: p.kind, Edge: p.e, SlipNeededBy: p.slip.neededBy, SlipProviderDate: p.slip.providerDate}, g, up, today, loc)
	notice := func() *store.Notice {
		n := edgeNotice(p.kind, p.key, p.e)
		if p.kind == store.KindRecovery {
			n.NeededBy, n.ProviderDate = p.slip.neededBy, p.slip.providerDate
		}
		return n
	}
	if consumer.Channel != "" {
		a.Messages = append(a.Messages, store.Message{Channel: consumer.Channel, Doc: doc, Notice: notice()})
	}
	for _, u := range consumer.Holders(store.ReleaseManager, product(tx, consumer.Product)) {
		a.Messages = append(a.Messages, store.Message{Channel: u, DM: true, Quiet: true, Doc: doc, Notice: notice()})
	}
	return a, nil
}

// upcomingTo is whom the upcoming nudge about e goes to: the provider's
// release managers, or the external item's owner; nobody when the provider
// is gone.
func upcomingTo(tx *store.Tx, g *store.Graph, e store.Edge) []string {
	if e.IsExternal() {
		if x := g.External(e.External); x != nil && x.Owner != "" {
			return []string{x.Owner}
		}
		return nil
	}
	r := g.Release(e.Provider)
	if r == nil {
		return nil
	}
	return r.Holders(store.ReleaseManager, product(tx, r.Product))
}

// product returns the release's product (nil if it is somehow missing:
// the release's own roles still apply).
func product(tx *store.Tx, name string) *store.Product {
	p, err := tx.Product(name)
	if err != nil {
		return nil
	}
	return p
}
