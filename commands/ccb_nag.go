package commands

import (
	"cmp"
	"fmt"
	"slices"
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
			alerts = append(alerts, Alert{Key: key, Messages: []store.Message{{Channel: m, DM: true, Quiet: true, Doc: VoteNag(cr, now, loc)}}})
		}
	}
	return alerts, nil
}

// VoteNag is the DM that reminds a member of cr, at now, that their vote
// is awaited: the CR, its release and requester, when voting closes in
// loc, the tally so far (counts only, for an anonymous board), what
// happens at the deadline, and where the buttons are.
func VoteNag(cr *store.ChangeRequest, now time.Time, loc *time.Location) store.Doc {
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":ballot_box_with_ballot: Your vote is awaited on *%s* “%s” for %s, asked by %s. Voting %s.",
		cr.Name(), render.Escape(cr.Title), render.Bold(cr.Release), render.Mention(cr.Requester), render.ClosesText(cr.Deadline, now, loc)))
	b.Section("So far: " + render.TallyText(cr))
	b.Context(fmt.Sprintf("Vote with the Approve, Reject and Abstain buttons on the CR's message %s. Undecided at the deadline, it is %s by the board's default.",
		render.CRWhere(cr), pastTense(cr.PolicySnapshot.Default)))
	return b.Build()
}

// pastTense says an outcome as done to a CR: "approved", "rejected".
func pastTense(c store.Choice) string {
	if c == store.Approve {
		return "approved"
	}
	return "rejected"
}

// awaitedVote is an open CR awaiting a user's vote: their own (self), or
// that of the members whose active delegation they hold (fors).
type awaitedVote struct {
	cr   *store.ChangeRequest
	self bool
	fors []string
}

// votesAwaiting returns the CRs of crs open for votes at now that await
// user's vote, as a member who has not voted or as the delegate (ds, active
// today) of one, by deadline then CR.
func votesAwaiting(crs []store.ChangeRequest, ds []store.Delegation, user string, now time.Time, today store.Date) []awaitedVote {
	var out []awaitedVote
	for i := range crs {
		cr := &crs[i]
		if !cr.Open() || !now.Before(cr.Deadline) {
			continue
		}
		pending := cr.Pending()
		v := awaitedVote{cr: cr, self: slices.Contains(pending, user)}
		for _, d := range ds {
			if d.To == user && d.From != user && slices.Contains(pending, d.From) && d.Active(cr.Release.Product, today) && !slices.Contains(v.fors, d.From) {
				v.fors = append(v.fors, d.From)
			}
		}
		if v.self || len(v.fors) > 0 {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b awaitedVote) int {
		return cmp.Or(a.cr.Deadline.Compare(b.cr.Deadline), cmp.Compare(a.cr.ID, b.cr.ID))
	})
	return out
}

// line is the vote as the App Home lists it: "*CR-3* “Swap the PSP” for
// *payments@2.3.0* · asked by <@alex> · closes Thu 14:00 UTC, in 2 days ·
// `/ccb show CR-3`", with " · for you and <@bob>" when voting as a
// delegate.
func (v awaitedVote) line(now time.Time, loc *time.Location) string {
	cr := v.cr
	s := fmt.Sprintf(":ballot_box_with_ballot: *%s* “%s” for %s · asked by %s · %s · `/ccb show %s`",
		cr.Name(), render.Escape(cr.Title), render.Bold(cr.Release), render.Mention(cr.Requester), render.ClosesText(cr.Deadline, now, loc), cr.Name())
	if len(v.fors) > 0 {
		who := render.Mentions(v.fors)
		if v.self {
			who = "you and " + who
		}
		s += " · for " + who
	}
	return s
}
