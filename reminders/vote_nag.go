package reminders

import (
	"time"

	"relman/commands/render"
	"relman/store"
)

// VoteNagBefore is how long before a CR's deadline its members who have
// not voted are reminded (SPEC §3).
const VoteNagBefore = 24 * time.Hour

// voteNagFrom is when the reminder to vote on cr falls due: VoteNagBefore
// ahead of the deadline, or, for a vote shorter than that, halfway through
// it, so a member is not reminded of a CR the moment it is raised.
func voteNagFrom(cr *store.ChangeRequest) time.Time {
	from := cr.Deadline.Add(-VoteNagBefore)
	if half := cr.CreatedAt.Add(cr.Deadline.Sub(cr.CreatedAt) / 2); half.After(from) {
		return half
	}
	return from
}

// VoteNags is the Check that reminds the members of an open CR who have
// not voted (ChangeRequest.Pending) once, by quiet DM, from VoteNagBefore
// ahead of its deadline until the deadline (store.VoteNagKey: one per CR
// and member). Nobody is reminded of a CR decided, withdrawn or past its
// deadline, nor after voting. Commands do not run it: it looks only when
// scope is everything. Alerts come by CR, then member. loc is the zone the
// deadline is said in.
func VoteNags(tx *store.Tx, _ *store.Graph, now time.Time, loc *time.Location, scope Scope) ([]Alert, error) {
	if !scope.All {
		return nil, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	crs, err := tx.OpenChangeRequests()
	if err != nil {
		return nil, err
	}
	var alerts []Alert
	for i := range crs {
		cr := &crs[i]
		if !cr.Open() || !now.Before(cr.Deadline) || now.Before(voteNagFrom(cr)) {
			continue
		}
		for _, m := range cr.Pending() {
			key := store.VoteNagKey(cr.ID, m)
			if tx.Sent(key) {
				continue
			}
			alerts = append(alerts, Alert{Key: key, Messages: []store.Message{{Channel: m, DM: true, Quiet: true, Doc: render.VoteNag(cr, now, loc),
				Notice: &store.Notice{Kind: store.KindVoteNag, Subject: store.CRSubject(cr.ID), Key: key, CR: cr.ID}}}})
		}
	}
	return alerts, nil
}
