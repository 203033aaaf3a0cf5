package reminders

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// MustCR stores cr as raised at alertStart, with board members UA, UB and
// UC (majority, rejected at the deadline) unless cr names its own, and
// returns its ID. The /ccb request command is not needed: the vote
// reminders read only the stored CR.
func MustCR(tb testing.TB, st *store.Store, cr store.ChangeRequest) int {
	tb.Helper()
	if cr.Release.Product == "" {
		cr.Release = store.Ref{Product: "payments", Version: "2.3.0"}
	}
	if cr.Title == "" {
		cr.Title = "Swap the PSP <!channel>"
	}
	if cr.Requester == "" {
		cr.Requester = "UREQ"
	}
	if cr.Channel == "" {
		cr.Channel = "CPAY"
	}
	if cr.PolicySnapshot.Policy == "" {
		b := store.NewBoard("payments")
		b.Members = []string{"UA", "UB", "UC"}
		b.Anonymous = cr.PolicySnapshot.Anonymous
		cr.PolicySnapshot = b
		cr.Board = "payments"
	}
	if cr.Deadline.IsZero() {
		cr.Deadline = alertStart.Add(72 * time.Hour) // Thu 2027-01-07 10:00 UTC
	}
	if err := st.Update(context.Background(), cr.Requester, alertStart, func(tx *store.Tx) error {
		return tx.NewChangeRequest("ccb.request", &cr)
	}); err != nil {
		tb.Fatalf("NewChangeRequest: %v", err)
	}
	return cr.ID
}

// ballot is a vote of member at alertStart.
func ballot(member string, c store.Choice) store.Ballot {
	return store.Ballot{Voter: member, Choice: c, At: alertStart}
}

func TestVoteNags(t *testing.T) {
	const hour = time.Hour
	deadline := alertStart.Add(72 * hour)
	for _, tc := range []struct {
		name   string
		cr     store.ChangeRequest
		sweeps []time.Time // each sweep, in order
		want   [][]string  // what each sweep queued
	}{
		{name: "OnceToEachMemberWhoHasNotVoted24HoursAhead",
			cr:     store.ChangeRequest{Votes: map[string]store.Ballot{"UA": ballot("UA", store.Approve)}},
			sweeps: []time.Time{deadline.Add(-24*hour - time.Minute), deadline.Add(-24 * hour), deadline.Add(-23 * hour), deadline.Add(-time.Minute)},
			want:   [][]string{nil, {"vote @UB", "vote @UC"}, nil, nil}},
		{name: "NotToAMemberWhoAbstained",
			cr:     store.ChangeRequest{Votes: map[string]store.Ballot{"UA": ballot("UA", store.Abstain), "UB": ballot("UB", store.Reject)}},
			sweeps: []time.Time{deadline.Add(-2 * hour)},
			want:   [][]string{{"vote @UC"}}},
		{name: "LateWhenRelmanWasDownAtTheTime",
			sweeps: []time.Time{deadline.Add(-hour)},
			want:   [][]string{{"vote @UA", "vote @UB", "vote @UC"}}},
		{name: "NotAfterTheDeadline",
			sweeps: []time.Time{deadline, deadline.Add(hour)},
			want:   [][]string{nil, nil}},
		{name: "NotForADecidedCR",
			cr:     store.ChangeRequest{Status: store.CRApproved, Decision: &store.Decision{Outcome: store.Approve, By: store.ByPolicy, At: alertStart}},
			sweeps: []time.Time{deadline.Add(-hour)},
			want:   [][]string{nil}},
		{name: "NotForAWithdrawnCR",
			cr:     store.ChangeRequest{Status: store.CRWithdrawn, Decision: &store.Decision{By: "UREQ", At: alertStart}},
			sweeps: []time.Time{deadline.Add(-hour)},
			want:   [][]string{nil}},
		{name: "HalfwayThroughAVoteShorterThanADay",
			cr:     store.ChangeRequest{Deadline: alertStart.Add(12 * hour)},
			sweeps: []time.Time{alertStart, alertStart.Add(6*hour - time.Minute), alertStart.Add(6 * hour)},
			want:   [][]string{nil, nil, {"vote @UA", "vote @UB", "vote @UC"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAlertFixture(t, "")
			MustCR(t, f.st, tc.cr)
			for i, at := range tc.sweeps {
				MustSweep(t, f.sweep, at)
				var got []string
				msgs := mustOutbox(t, f.st)[f.seen:]
				f.seen += len(msgs)
				for _, m := range msgs {
					if !strings.HasPrefix(m.Doc.Text, ":ballot_box_with_ballot: Your vote is awaited") && !(m.DM && m.Quiet) {
						continue // the decision at the deadline (CRDeadlines) is not a reminder
					}
					kind := "other"
					if strings.HasPrefix(m.Doc.Text, ":ballot_box_with_ballot: Your vote is awaited") {
						kind = "vote"
					}
					if !m.DM || !m.Quiet {
						kind += " (not a quiet DM)"
					}
					got = append(got, kind+" "+where(m))
				}
				if diff := cmp.Diff(tc.want[i], got); diff != "" {
					t.Errorf("sweep %d at %s queued (-want +got):\n%s", i, at.Format(time.RFC3339), diff)
				}
			}
		})
	}
}

func TestVoteNagSays(t *testing.T) {
	deadline := alertStart.Add(72 * time.Hour)
	for _, tc := range []struct {
		name   string
		cr     store.ChangeRequest
		want   []string
		absent []string
	}{
		{name: "TheCRItsDeadlineTheTallyAndWhereToVote",
			cr: store.ChangeRequest{Votes: map[string]store.Ballot{"UA": ballot("UA", store.Approve)}},
			want: []string{
				"Your vote is awaited on *CR-1* “Swap the PSP &lt;!channel&gt;” for *payments@2.3.0*, asked by <@UREQ>. Voting closes Thu 10:00 UTC, in 23 hours.",
				"So far: ", "1 approve", "0 reject", "0 abstain — 2 of 3 still to vote: <@UB>, <@UC>",
				"buttons on the CR's message in <#CPAY> (`/ccb show CR-1`)",
				"Undecided at the deadline, it is rejected by the board's default.",
			}},
		{name: "OnlyCountsOnAnAnonymousBoard",
			cr:     store.ChangeRequest{PolicySnapshot: store.Board{Anonymous: true}, Votes: map[string]store.Ballot{"UA": ballot("UA", store.Reject)}},
			want:   []string{"So far: ", "0 approve", "1 reject", "0 abstain — 2 of 3 still to vote"},
			absent: []string{"<@UA>", "<@UC>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAlertFixture(t, "")
			MustCR(t, f.st, tc.cr)
			MustSweep(t, f.sweep, deadline.Add(-23*time.Hour))
			msgs := mustOutbox(t, f.st)
			var text string
			for _, m := range msgs {
				if m.Channel == "UB" {
					text = m.Doc.Text
				}
			}
			if text == "" {
				t.Fatalf("no reminder to UB among %d messages", len(msgs))
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("reminder lacks %q:\n%s", w, text)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(text, a) {
					t.Errorf("reminder names %q on an anonymous board:\n%s", a, text)
				}
			}
		})
	}
}
