package reminders

import (
	"errors"
	"slices"
	"time"

	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// RenderNotice composes the words of m's notice (store.Notice) as they are
// true at now, the moment m is delivered: relative words ("today", "in 3
// days", "needed 2 days ago") count from the reader's today, and times of
// day are said in reader, the zone of whoever reads it (a DM's recipient;
// the workspace zone for a channel). Whether the transition it reports
// still holds is judged in workspace, the zone the due-checks read dates
// in. It reports false when it no longer holds (the slip recovered, the
// nudge's date was met, moved or answered, the external item confirmed,
// the vote closed or was cast, a handshake's answer superseded or its date
// asked anew, a new owner no longer the owner): m is then to be dropped. A message without
// a notice, or with one of a kind this relman does not know, is m.Doc,
// true.
//
// It has the shape of outbox.Outbox's Render, into which bot injects it.
func RenderNotice(tx *store.Tx, m *store.Message, now time.Time, reader, workspace *time.Location) (store.Doc, bool, error) {
	n := m.Notice
	if n == nil {
		return m.Doc, true, nil
	}
	if reader == nil {
		reader = time.UTC
	}
	if workspace == nil {
		workspace = time.UTC
	}
	switch {
	case n.Kind == store.KindVoteNag:
		return voteNagNotice(tx, m, now, reader)
	case n.Kind == store.KindDecision:
		return decisionNotice(tx, m, now, reader)
	case n.Kind == store.KindCRNews:
		cr, err := notedCR(tx, n.CR)
		if cr == nil || err != nil {
			return store.Doc{}, false, err
		}
		return commands.CRNews(tx, cr, m.Channel, now, reader)
	case n.Kind == store.KindOwner:
		return ownerNotice(tx, m, now, reader)
	case n.Kind != store.KindReconfirm && n.Edge == nil:
		return m.Doc, true, nil
	}
	g, err := tx.Graph()
	if err != nil {
		return store.Doc{}, false, err
	}
	if n.Kind == store.KindReconfirm {
		doc, ok := reconfirmNotice(g, m, now, reader)
		return doc, ok, nil
	}
	e, ok := currentEdge(g, *n.Edge, store.DateOf(now, workspace))
	if !ok || !holds(g, m, e, now, workspace) {
		return store.Doc{}, false, nil
	}
	today := store.DateOf(now, workspace)
	if t := store.DateOf(now, reader); t != today {
		// The state was judged on the workspace's date; it is said as of
		// the reader's (days late, days to spare count from their date)
		// unless that would call it something else.
		if r, ok := currentEdge(g, *n.Edge, t); ok && r.Kind == e.Kind {
			e, today = r, t
		}
	}
	switch n.Kind {
	case store.KindUpcoming:
		doc := render.UpcomingNudge(g, e, today)
		return doc, len(doc.Text) > 0, nil
	case store.KindHandshake:
		consumer := g.Release(e.Consumer)
		if consumer == nil {
			return store.Doc{}, false, nil
		}
		return commands.HandshakeRequest(e, consumer, today), true, nil
	case store.KindCommitted:
		return commands.Committed(e, today), true, nil
	case store.KindCountered:
		consumer := g.Release(e.Consumer)
		if consumer == nil {
			return store.Doc{}, false, nil
		}
		return commands.CounterProposal(e, consumer, today), true, nil
	case store.KindAccepted:
		return commands.Accepted(e, n.By, n.Was), true, nil
	case store.KindReached:
		return commands.StageReached(g, e, today), true, nil
	}
	news := render.EdgeNews{Kind: n.Kind, Edge: e}
	if n.Kind == store.KindRecovery {
		news.SlipNeededBy, news.SlipProviderDate = n.NeededBy, n.ProviderDate
	}
	return render.EdgeAlert(news, g, g.Upstream(today), today, reader), true, nil
}

// currentEdge is the state as of today of the edge d names (its consumer
// and provider: its dates are read from g), and whether it still exists.
func currentEdge(g *store.Graph, d store.Dependency, today store.Date) (store.Edge, bool) {
	key := d.Key()
	for _, dep := range g.Dependencies(d.Consumer) {
		if dep.Key() == key {
			return g.EdgeState(dep, today)
		}
	}
	return store.Edge{}, false
}

// holds reports whether the transition m's notice reports is still true of
// e, the edge as of now (dates read in loc, the workspace zone).
func holds(g *store.Graph, m *store.Message, e store.Edge, now time.Time, loc *time.Location) bool {
	n := m.Notice
	switch n.Kind {
	case store.KindSlip:
		return e.Kind == store.Late
	case store.KindOverdue:
		return e.Kind == store.Overdue && e.NeededBy == n.NeededBy
	case store.KindCancelled:
		return e.Kind == store.ProviderCancelled
	case store.KindRecovery:
		return (e.Kind == store.OnTrack || e.Kind == store.Delivered) && e.ConsumerStatus == store.Planned
	case store.KindReached:
		// Still delivered (the promotion was not undone) and still needed.
		return e.Kind == store.Delivered && e.ConsumerStatus == store.Planned
	case store.KindHandshake:
		// Still asked, by the same request: not answered, nor asked anew.
		return e.Handshake == store.HandshakeRequested && store.HandshakeKey(e.Dependency, e.NeededBy, e.RequestedAt) == n.Key &&
			e.ConsumerStatus == store.Planned
	case store.KindCommitted, store.KindAccepted:
		// Still the answer it reports: not asked anew, nor answered again.
		return e.Handshake == store.HandshakeCommitted && store.AnswerKey(n.Kind, e.Dependency) == n.Key
	case store.KindCountered:
		return e.Handshake == store.HandshakeCountered && store.AnswerKey(n.Kind, e.Dependency) == n.Key
	case store.KindUpcoming:
		today := store.DateOf(now, loc)
		if (e.Kind != store.OnTrack && e.Kind != store.Late) || e.NeededBy != n.NeededBy || e.NeededBy.Before(today) {
			return false
		}
		if answeredInWindow(e, n.Days, loc) {
			return false
		}
		if e.IsExternal() {
			// Confirmed since the nudge was queued: it was answered.
			x := g.External(e.External)
			return x != nil && !x.LastConfirmed.After(m.CreatedAt)
		}
		return true
	}
	return true
}

// voteNagNotice is the reminder to vote on the notice's change request,
// as of now in reader's zone; false once the CR is decided or withdrawn,
// its deadline passed, or the recipient voted.
func voteNagNotice(tx *store.Tx, m *store.Message, now time.Time, reader *time.Location) (store.Doc, bool, error) {
	cr, err := notedCR(tx, m.Notice.CR)
	if cr == nil || err != nil {
		return store.Doc{}, false, err
	}
	if !cr.Open() || !now.Before(cr.Deadline) || !slices.Contains(cr.Pending(), m.Channel) {
		return store.Doc{}, false, nil
	}
	return render.VoteNag(cr, now, reader), true, nil
}

// decisionNotice is the news of the decision of the notice's change
// request to its requester, times of day in reader's zone; false when the
// CR is open again or gone.
func decisionNotice(tx *store.Tx, m *store.Message, now time.Time, reader *time.Location) (store.Doc, bool, error) {
	cr, err := notedCR(tx, m.Notice.CR)
	if cr == nil || err != nil || cr.Open() {
		return store.Doc{}, false, err
	}
	return render.DecisionDoc(cr, now, reader), true, nil
}

// ownerNotice is the news to a new owner of a release or an external item
// (the notice's Release or External) that they own it, as of now in
// reader's zone; false once it is gone or someone else owns it.
func ownerNotice(tx *store.Tx, m *store.Message, now time.Time, reader *time.Location) (store.Doc, bool, error) {
	n := m.Notice
	if n.External != "" {
		x, err := tx.External(n.External)
		if store.ErrorCode(err) == store.ENotFound || (err == nil && x.Owner != m.Channel) {
			return store.Doc{}, false, nil
		}
		if err != nil {
			return store.Doc{}, false, err
		}
		return commands.NewExternalOwner(x, n.By), true, nil
	}
	r, err := tx.Release(n.Release)
	if store.ErrorCode(err) == store.ENotFound || (err == nil && r.Owner != m.Channel) {
		return store.Doc{}, false, nil
	}
	if err != nil {
		return store.Doc{}, false, err
	}
	return commands.NewOwner(r, n.By, store.DateOf(now, reader)), true, nil
}

// notedCR is CR-id, nil when there is none.
func notedCR(tx *store.Tx, id int) (*store.ChangeRequest, error) {
	cr, err := tx.ChangeRequest(id)
	if se, ok := errors.AsType[*store.Error](err); ok && se.Code == store.ENotFound {
		return nil, nil
	}
	return cr, err
}

// edgeNotice is the notice of an alert of kind about e under ledger key
// key, for the messages that carry it.
func edgeNotice(kind, key string, e store.Edge) *store.Notice {
	n := &store.Notice{Kind: kind, Key: key, Edge: &store.Dependency{Consumer: e.Consumer, Provider: e.Provider, External: e.External},
		NeededBy: e.NeededBy, ProviderDate: e.ProviderDate}
	if kind == store.KindUpcoming {
		n.Subject = store.NudgeSubject(e.Key())
	} else {
		n.Subject = store.EdgeSubject(e.Key())
	}
	return n
}
