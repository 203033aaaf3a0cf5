package store

import (
	"cmp"
	"slices"
	"time"
)

// Handshake is where a dependency's request to its provider stands. A
// dependency recorded with a needed-by date is a request ("can you deliver
// by then?") until the provider's release manager (an external item's
// owner) answers: committed, or a counter-proposal of another date, which
// the consumer may accept. The zero Handshake is "no handshake": a
// dependency without a needed-by date of its own, or one recorded before
// handshakes existed.
type Handshake string

// Handshake states.
const (
	HandshakeRequested Handshake = "requested"
	HandshakeCommitted Handshake = "committed"
	HandshakeCountered Handshake = "countered"
)

// AnswerDays is how many working days a request may wait for its
// provider's answer before digests and agendas list it as unanswered.
const AnswerDays = 3

// Request makes d a new request, made by who at at: whatever was answered
// before (for another needed-by date) no longer holds.
func (d *Dependency) Request(at time.Time, by string) {
	d.Handshake, d.RequestedAt, d.RequestedBy = HandshakeRequested, at.UTC(), by
	d.Proposed, d.ProposedReason, d.AnsweredBy, d.AnsweredAt = Date{}, "", "", time.Time{}
}

// NoHandshake clears d's handshake: nothing is asked of its provider.
func (d *Dependency) NoHandshake() {
	d.Request(time.Time{}, "")
	d.Handshake = ""
}

// Commit records that who, answering for the provider, committed at at to
// deliver by d's needed-by date.
func (d *Dependency) Commit(at time.Time, by string) {
	d.Handshake, d.AnsweredBy, d.AnsweredAt = HandshakeCommitted, by, at.UTC()
	d.Proposed, d.ProposedReason = Date{}, ""
}

// Counter records that who, answering for the provider, proposed at at to
// deliver on date instead, because of reason.
func (d *Dependency) Counter(date Date, reason string, at time.Time, by string) {
	d.Handshake, d.Proposed, d.ProposedReason, d.AnsweredBy, d.AnsweredAt = HandshakeCountered, date, reason, by, at.UTC()
}

// Accept takes d's counter-proposal: its date becomes the needed-by date,
// to which the provider has committed (the answer stays the provider's).
func (d *Dependency) Accept() {
	d.NeededBy, d.Handshake = d.Proposed, HandshakeCommitted
	d.Proposed, d.ProposedReason = Date{}, ""
}

// Unanswered reports whether d is a request its provider has not answered
// for more than AnswerDays working days, as of today; loc is the zone in
// which the day of the request is read.
func (d *Dependency) Unanswered(today Date, loc *time.Location) bool {
	if d.Handshake != HandshakeRequested || d.RequestedAt.IsZero() {
		return false
	}
	return WorkingDays(DateOf(d.RequestedAt, loc), today) > AnswerDays
}

// WorkingDays counts the working days (Monday to Friday) after from, up to
// and including to: from a Monday to the Friday of that week is 4. It is 0
// when to is not after from.
func WorkingDays(from, to Date) int {
	n := to.Sub(from)
	if n <= 0 {
		return 0
	}
	weeks, rest := n/7, n%7
	count := weeks * 5
	wd := from.Weekday()
	for i := 1; i <= rest; i++ {
		if w := (wd + time.Weekday(i)) % 7; w != time.Saturday && w != time.Sunday {
			count++
		}
	}
	return count
}

// Requests returns the state as of today of every dependency waiting for
// its provider's answer (HandshakeRequested) whose consumer and provider
// are known, ordered by consumer and provider. Only those edges' states
// are worked out.
func (g *Graph) Requests(today Date) []Edge {
	var out []Edge
	for c, edges := range g.out {
		if g.releases[c] == nil {
			continue
		}
		for _, ei := range edges {
			if g.deps[ei].Handshake == HandshakeRequested {
				out = append(out, g.edge(g.deps[ei], c, int(g.ends[ei].p), today))
			}
		}
	}
	slices.SortFunc(out, func(a, b Edge) int { return cmp.Compare(a.Key(), b.Key()) })
	return out
}
