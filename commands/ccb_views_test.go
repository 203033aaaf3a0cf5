package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/store"
)

// MustRaise stores cr, raised at the clock's time: on payments@2.3.0 in
// CPAY by bob, decided by a board of alice and sam closing in 3 days,
// unless cr says otherwise. It returns the CR's name. (The /ccb request
// command is not needed: these views read only the stored CR.)
func MustRaise(tb testing.TB, svc *commands.Service, cr store.ChangeRequest) string {
	tb.Helper()
	now := svc.Clock.Now()
	if cr.Release.Product == "" {
		cr.Release = store.Ref{Product: "payments", Version: "2.3.0"}
	}
	if cr.Title == "" {
		cr.Title = "Swap the PSP"
	}
	if cr.Requester == "" {
		cr.Requester = bob
	}
	if cr.Channel == "" {
		cr.Channel = "CPAY"
	}
	if cr.PolicySnapshot.Policy == "" {
		b := store.NewBoard(cr.Release.Product)
		b.Members = []string{alice, sam}
		b.Anonymous = cr.PolicySnapshot.Anonymous
		cr.PolicySnapshot, cr.Board = b, cr.Release.Product
	}
	if cr.Deadline.IsZero() {
		cr.Deadline = now.Add(72 * time.Hour)
	}
	if err := svc.Store.Update(context.Background(), cr.Requester, now, func(tx *store.Tx) error {
		return tx.NewChangeRequest("ccb.request", &cr)
	}); err != nil {
		tb.Fatalf("NewChangeRequest: %v", err)
	}
	return cr.Name()
}

// MustDelegate stores a delegation from one user to another until a date.
func MustDelegate(tb testing.TB, svc *commands.Service, d store.Delegation) {
	tb.Helper()
	if err := svc.Store.Update(context.Background(), d.From, svc.Clock.Now(), func(tx *store.Tx) error {
		return tx.PutDelegation("ccb.delegate", &d)
	}); err != nil {
		tb.Fatalf("PutDelegation: %v", err)
	}
}

func voted(member string, c store.Choice) map[string]store.Ballot {
	return map[string]store.Ballot{member: {Voter: member, Choice: c, At: epoch}}
}

// votesPart is the "Votes awaiting you" part of a Home.
func votesPart(home string) string {
	_, part, _ := strings.Cut(home, "*Votes awaiting you*")
	return part
}

func TestHomeVotesAwaiting(t *testing.T) {
	const cr1 = ":ballot_box_with_ballot: *CR-1* “Swap the PSP” for *payments@2.3.0* · asked by <@UBOB> · closes Thu 10:00 UTC, in 3 days · `/ccb show CR-1`"
	for _, tc := range []struct {
		name   string
		crs    []store.ChangeRequest
		ds     []store.Delegation
		as     string
		want   []string
		absent []string
	}{
		{name: "AnOpenCROfWhichTheUserIsAMemberYetToVote", as: alice, crs: []store.ChangeRequest{{}},
			want: []string{cr1, "Vote with the Approve, Reject and Abstain buttons on each CR's message in its channel"}},
		{name: "NotOnceTheUserHasVoted", as: alice, crs: []store.ChangeRequest{{Votes: voted(alice, store.Abstain)}},
			want: []string{"No change request awaits your vote."}},
		{name: "NotForANonMember", as: bob, crs: []store.ChangeRequest{{}},
			want: []string{"No change request awaits your vote."}},
		{name: "NotADecidedCR", as: alice, crs: []store.ChangeRequest{{Status: store.CRRejected, Decision: &store.Decision{Outcome: store.Reject, By: store.ByPolicy, At: epoch}}},
			want: []string{"No change request awaits your vote."}},
		{name: "NotAWithdrawnCR", as: alice, crs: []store.ChangeRequest{{Status: store.CRWithdrawn, Decision: &store.Decision{By: bob, At: epoch}}},
			want: []string{"No change request awaits your vote."}},
		{name: "NotACRPastItsDeadline", as: alice, crs: []store.ChangeRequest{{Deadline: epoch}},
			want: []string{"No change request awaits your vote."}},
		{name: "ForTheDelegateOfAMemberYetToVote", as: bob, crs: []store.ChangeRequest{{}},
			ds:   []store.Delegation{{From: sam, To: bob, Until: store.NewDate(2027, 1, 31)}},
			want: []string{"*CR-1* “Swap the PSP”", "· for <@USAM>"}},
		{name: "ForTheMemberAndThoseTheyStandInFor", as: alice, crs: []store.ChangeRequest{{}},
			ds:   []store.Delegation{{From: sam, To: alice, Until: store.NewDate(2027, 1, 31), Product: "payments"}},
			want: []string{cr1 + " · for you and <@USAM>"}},
		{name: "NotForADelegateWhoseDelegationEnded", as: bob, crs: []store.ChangeRequest{{}},
			ds:   []store.Delegation{{From: sam, To: bob, Until: store.NewDate(2027, 1, 3)}},
			want: []string{"No change request awaits your vote."}},
		{name: "NotForADelegateOfAnotherProduct", as: bob, crs: []store.ChangeRequest{{}},
			ds:   []store.Delegation{{From: sam, To: bob, Until: store.NewDate(2027, 1, 31), Product: "mobile"}},
			want: []string{"No change request awaits your vote."}},
		{name: "NotForADelegateOfAMemberWhoVoted", as: bob, crs: []store.ChangeRequest{{Votes: voted(sam, store.Approve)}},
			ds:   []store.Delegation{{From: sam, To: bob, Until: store.NewDate(2027, 1, 31)}},
			want: []string{"No change request awaits your vote."}},
		{name: "SoonestDeadlineFirst", as: alice, crs: []store.ChangeRequest{{Title: "later"}, {Title: "sooner", Deadline: epoch.Add(time.Hour)}},
			want: []string{"*CR-2* “sooner” for *payments@2.3.0* · asked by <@UBOB> · closes Mon 11:00 UTC, in 60 minutes", "*CR-1* “later”"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := MustService(t)
			MustFixture(t, svc)
			for _, cr := range tc.crs {
				MustRaise(t, svc, cr)
			}
			for _, d := range tc.ds {
				MustDelegate(t, svc, d)
			}
			part := votesPart(homeText(t, svc, tc.as))
			at := 0
			for _, w := range tc.want {
				i := strings.Index(part[at:], w)
				if i < 0 {
					t.Fatalf("Votes awaiting you lacks %q after position %d:\n%s", w, at, part)
				}
				at += i + len(w)
			}
			for _, a := range tc.absent {
				if strings.Contains(part, a) {
					t.Errorf("Votes awaiting you has %q:\n%s", a, part)
				}
			}
		})
	}
}

func TestDigestCRsAwaitingVotes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		crs    []store.ChangeRequest
		line   string // the digest command
		want   []string
		absent []string
	}{
		{name: "NamesWhoHasNotVoted", line: "/release digest now", crs: []store.ChangeRequest{{Votes: voted(alice, store.Approve)}},
			want: []string{"*:ballot_box_with_ballot: CRs awaiting votes*\n• *CR-1* “Swap the PSP” for *payments@2.3.0* — closes Thu 10:00 UTC, in 3 days — 1 of 2 still to vote: <@USAM>"}},
		{name: "OnlyCountsOnAnAnonymousBoard", line: "/release digest now payments", crs: []store.ChangeRequest{{PolicySnapshot: store.Board{Anonymous: true}}},
			want:   []string{"— 2 of 2 still to vote\n"},
			absent: []string{"<@USAM>"}},
		{name: "OnlyTheDigestsProducts", line: "/release digest now mobile", crs: []store.ChangeRequest{{}},
			absent: []string{"CRs awaiting votes", "CR-1"}},
		{name: "NotADecidedCR", line: "/release digest now", crs: []store.ChangeRequest{{Status: store.CRApproved, Decision: &store.Decision{Outcome: store.Approve, By: store.ByPolicy, At: epoch}}},
			absent: []string{"CRs awaiting votes", "CR-1"}},
		{name: "CappedWithTheCommandThatListsThemAll", line: "/release digest now", crs: make([]store.ChangeRequest, 12),
			want: []string{"*CR-10*", "…and 2 more — `/ccb list open`"}, absent: []string{"*CR-11*"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := MustService(t)
			MustFixture(t, svc)
			for _, cr := range tc.crs {
				MustRaise(t, svc, cr)
			}
			text := MustDo(t, svc, bob, tc.line).Doc.Text
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("digest lacks %q:\n%s", w, text)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(text, a) {
					t.Errorf("digest has %q:\n%s", a, text)
				}
			}
		})
	}
}
