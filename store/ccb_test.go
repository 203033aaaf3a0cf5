package store_test

import (
	"testing"
	"time"

	"relman/store"
)

// votes builds a ballot map from "a=approve b=reject" style pairs.
func votes(pairs ...string) map[string]store.Choice {
	m := map[string]store.Choice{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = store.Choice(pairs[i+1])
	}
	return m
}

const (
	A = store.Approve
	R = store.Reject
	S = store.Abstain
)

func TestDecide(t *testing.T) {
	five := []string{"a", "b", "c", "d", "e"}
	four := []string{"a", "b", "c", "d"}
	three := []string{"a", "b", "c"}
	type tc struct {
		name     string
		members  []string
		veto     []string
		policy   store.Policy
		quorum   int
		ballots  map[string]store.Choice
		deadline bool
		def      store.Choice
		want     store.Choice
		decided  bool
	}
	undecided := func(name string, members []string, p store.Policy, q int, b map[string]store.Choice) tc {
		return tc{name: name, members: members, policy: p, quorum: q, ballots: b, def: R}
	}
	tests := []tc{
		// unanimous
		{name: "UnanimousApprovesWhenEveryMemberApproves", members: three, policy: store.Unanimous, ballots: votes("a", "approve", "b", "approve", "c", "approve"), want: A, decided: true},
		undecided("UnanimousWaitsForTheLastMember", three, store.Unanimous, 0, votes("a", "approve", "b", "approve")),
		{name: "UnanimousRejectsAtTheFirstRejection", members: three, policy: store.Unanimous, ballots: votes("a", "reject"), want: R, decided: true},
		{name: "UnanimousRejectsAtAnAbstention", members: three, policy: store.Unanimous, ballots: votes("a", "approve", "b", "abstain"), want: R, decided: true},
		{name: "UnanimousAtDeadlineWithAMissingVoteTakesTheDefault", members: three, policy: store.Unanimous, ballots: votes("a", "approve", "b", "approve"), deadline: true, def: A, want: A, decided: true},
		{name: "UnanimousAtDeadlineDefaultReject", members: three, policy: store.Unanimous, ballots: votes("a", "approve"), deadline: true, def: R, want: R, decided: true},
		// majority
		{name: "MajorityApprovesAtMoreThanHalf", members: five, policy: store.Majority, ballots: votes("a", "approve", "b", "approve", "c", "approve"), want: A, decided: true},
		undecided("MajorityHalfIsNotEnoughWhileVotesAreOut", four, store.Majority, 0, votes("a", "approve", "b", "approve")),
		{name: "MajorityTieOfFourRejects", members: four, policy: store.Majority, ballots: votes("a", "approve", "b", "approve", "c", "reject", "d", "reject"), want: R, decided: true},
		{name: "MajorityRejectsAsSoonAsApprovalCannotExceedHalf", members: five, policy: store.Majority, ballots: votes("a", "reject", "b", "reject", "c", "reject"), want: R, decided: true},
		{name: "MajorityRejectsWhenAbstentionsLeaveTooFew", members: five, policy: store.Majority, ballots: votes("a", "abstain", "b", "abstain", "c", "reject"), want: R, decided: true},
		undecided("MajorityTwoRejectionsOfFiveLeaveItOpen", five, store.Majority, 0, votes("a", "reject", "b", "reject")),
		{name: "MajorityAbstentionsAreNotApprovals", members: three, policy: store.Majority, ballots: votes("a", "approve", "b", "abstain", "c", "abstain"), want: R, decided: true},
		{name: "MajorityAtDeadlineUndecidedTakesDefaultApprove", members: five, policy: store.Majority, ballots: votes("a", "approve"), deadline: true, def: A, want: A, decided: true},
		{name: "MajorityAtDeadlineKeepsAnOutcomeTheVotesMade", members: five, policy: store.Majority, ballots: votes("a", "reject", "b", "reject", "c", "reject"), deadline: true, def: A, want: R, decided: true},
		// quorum
		undecided("QuorumWaitsForNVotes", five, store.Quorum, 3, votes("a", "approve", "b", "approve")),
		undecided("QuorumWaitsWhileVotesToComeCouldOutweighApprovals", five, store.Quorum, 3, votes("a", "approve", "b", "approve", "c", "reject")),
		{name: "QuorumApprovesOnceApprovalsOutweighEveryVoteToCome", members: five, policy: store.Quorum, quorum: 3, ballots: votes("a", "approve", "b", "approve", "c", "approve"), want: A, decided: true},
		{name: "QuorumAbstentionsCountTowardQuorumAtDeadline", members: five, policy: store.Quorum, quorum: 3, ballots: votes("a", "approve", "b", "abstain", "c", "abstain"), deadline: true, def: R, want: A, decided: true},
		{name: "QuorumAbstentionsAloneDoNotReachIt", members: five, policy: store.Quorum, quorum: 3, ballots: votes("a", "approve", "b", "abstain"), deadline: true, def: R, want: R, decided: true},
		{name: "QuorumReachedTieRejectsAtDeadlineDespiteDefaultApprove", members: five, policy: store.Quorum, quorum: 2, ballots: votes("a", "approve", "b", "reject"), deadline: true, def: A, want: R, decided: true},
		{name: "QuorumReachedByAbstentionsOnlyRejectsAtDeadline", members: five, policy: store.Quorum, quorum: 2, ballots: votes("a", "abstain", "b", "abstain"), deadline: true, def: A, want: R, decided: true},
		{name: "QuorumOfOneAtDeadline", members: five, policy: store.Quorum, quorum: 1, ballots: votes("c", "approve"), deadline: true, def: R, want: A, decided: true},
		{name: "QuorumOfAllNeedsEveryone", members: three, policy: store.Quorum, quorum: 3, ballots: votes("a", "approve", "b", "approve", "c", "approve"), want: A, decided: true},
		undecided("QuorumOfAllOneShort", three, store.Quorum, 3, votes("a", "approve", "b", "approve")),
		{name: "QuorumRejectsOnceApprovalsCannotExceedRejections", members: five, policy: store.Quorum, quorum: 5, ballots: votes("a", "reject", "b", "reject", "c", "reject"), want: R, decided: true},
		{name: "QuorumNotReachedAtDeadlineTakesDefault", members: five, policy: store.Quorum, quorum: 3, ballots: votes("a", "approve", "b", "approve"), deadline: true, def: A, want: A, decided: true},
		{name: "QuorumNotReachedAtDeadlineDefaultReject", members: five, policy: store.Quorum, quorum: 3, ballots: votes("a", "approve", "b", "approve"), deadline: true, def: R, want: R, decided: true},
		// any
		undecided("AnyWaitsForEveryMember", three, store.Any, 0, votes("a", "approve", "b", "approve")),
		{name: "AnyApprovesOnceEveryoneVotedWithoutRejection", members: three, policy: store.Any, ballots: votes("a", "approve", "b", "abstain", "c", "abstain"), want: A, decided: true},
		{name: "AnyRejectsAtARejection", members: three, policy: store.Any, ballots: votes("a", "approve", "b", "reject"), want: R, decided: true},
		{name: "AnyApprovesAtDeadlineWithOneApproval", members: three, policy: store.Any, ballots: votes("a", "approve"), deadline: true, def: R, want: A, decided: true},
		{name: "AnyAllAbstainRejects", members: three, policy: store.Any, ballots: votes("a", "abstain", "b", "abstain", "c", "abstain"), def: A, want: R, decided: true},
		{name: "AnyNoVotesAtDeadlineTakesDefault", members: three, policy: store.Any, ballots: votes(), deadline: true, def: A, want: A, decided: true},
		// first
		{name: "FirstApprovalDecides", members: five, policy: store.First, ballots: votes("d", "approve"), want: A, decided: true},
		{name: "FirstRejectionDecides", members: five, policy: store.First, ballots: votes("d", "reject"), want: R, decided: true},
		undecided("FirstAbstentionDecidesNothing", five, store.First, 0, votes("d", "abstain")),
		{name: "FirstVetoPendingDoesNotHold", members: five, veto: []string{"a"}, policy: store.First, ballots: votes("d", "approve"), want: A, decided: true},
		{name: "FirstNoVoteAtDeadlineTakesDefault", members: five, policy: store.First, ballots: votes(), deadline: true, def: A, want: A, decided: true},
		// veto
		{name: "VetoRejectionRejectsAMajority", members: five, veto: []string{"e"}, policy: store.Majority, ballots: votes("a", "approve", "b", "approve", "c", "approve", "e", "reject"), want: R, decided: true},
		{name: "VetoRejectionRejectsEvenAfterDeadlineDefaultApprove", members: five, veto: []string{"e"}, policy: store.Majority, ballots: votes("e", "reject"), deadline: true, def: A, want: R, decided: true},
		{name: "VetoPendingHoldsAnApproval", members: five, veto: []string{"e"}, policy: store.Majority, ballots: votes("a", "approve", "b", "approve", "c", "approve"), def: R},
		{name: "VetoApprovalReleasesTheHold", members: five, veto: []string{"e"}, policy: store.Majority, ballots: votes("a", "approve", "b", "approve", "c", "approve", "e", "approve"), want: A, decided: true},
		{name: "VetoAbstentionReleasesTheHold", members: five, veto: []string{"e"}, policy: store.Majority, ballots: votes("a", "approve", "b", "approve", "c", "approve", "e", "abstain"), want: A, decided: true},
		{name: "VetoPendingAtDeadlineNoLongerHolds", members: five, veto: []string{"e"}, policy: store.Majority, ballots: votes("a", "approve", "b", "approve", "c", "approve"), deadline: true, def: R, want: A, decided: true},
		{name: "VetoOfANonMemberIsIgnored", members: three, veto: []string{"x"}, policy: store.Majority, ballots: votes("a", "approve", "b", "approve", "x", "reject"), want: A, decided: true},
		{name: "VetoPendingDoesNotHoldARejection", members: five, veto: []string{"e"}, policy: store.Majority, ballots: votes("a", "reject", "b", "reject", "c", "reject"), want: R, decided: true},
		// membership
		{name: "NonMemberBallotsAreIgnored", members: three, policy: store.Majority, ballots: votes("a", "approve", "x", "approve", "y", "approve"), want: "", decided: false},
		{name: "MemberRemovedMidVoteNoLongerCounts", members: []string{"a", "b"}, policy: store.Unanimous, ballots: votes("a", "approve", "b", "approve", "c", "reject"), want: A, decided: true},
		{name: "MemberAddedMidVoteMustVote", members: []string{"a", "b", "c", "d"}, policy: store.Unanimous, ballots: votes("a", "approve", "b", "approve", "c", "approve"), want: "", decided: false},
		{name: "DuplicateMembersCountOnce", members: []string{"a", "a", "b", "c"}, policy: store.Majority, ballots: votes("a", "approve", "b", "approve"), want: A, decided: true},
		undecided("NoMembersNeverDecidesBeforeDeadline", nil, store.Majority, 0, votes("x", "approve")),
		{name: "NoMembersAtDeadlineTakesDefault", policy: store.Unanimous, deadline: true, def: A, want: A, decided: true},
		{name: "DefaultOtherThanApproveRejects", members: three, policy: store.Majority, deadline: true, def: store.Abstain, want: R, decided: true},
		{name: "GarbageChoiceCountsAsNotCast", members: three, policy: store.Unanimous, ballots: votes("a", "approve", "b", "approve", "c", "maybe"), want: "", decided: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			veto := tt.veto
			got, decided := store.Decide(tt.members, veto, tt.policy, tt.quorum, tt.ballots, tt.deadline, tt.def)
			if got != tt.want || decided != tt.decided {
				t.Errorf("Decide(%v, veto %v, %s %d, %v, deadline %v, default %s) = %q, %v; want %q, %v",
					tt.members, veto, tt.policy, tt.quorum, tt.ballots, tt.deadline, tt.def, got, decided, tt.want, tt.decided)
			}
		})
	}
}

// TestDecideIsMonotoneInTime checks, for every policy and every ballot of
// three members, that a decision taken before the deadline is the one the
// deadline would take, and that once decided it stays decided whatever
// the members still to vote choose: certainty means no vote to come can
// change the outcome.
func TestDecideIsMonotoneInTime(t *testing.T) {
	members := []string{"a", "b", "c"}
	choices := []store.Choice{"", A, R, S}
	for _, p := range store.Policies {
		for _, veto := range [][]string{nil, {"c"}} {
			for _, def := range []store.Choice{A, R} {
				for i := range 64 {
					b := map[string]store.Choice{}
					for j, m := range members {
						if c := choices[(i>>(2*j))&3]; c != "" {
							b[m] = c
						}
					}
					out, decided := store.Decide(members, veto, p, 2, b, false, def)
					if !decided {
						continue
					}
					// every completion of the missing votes keeps the outcome
					for k := range 64 {
						full := map[string]store.Choice{}
						for j, m := range members {
							if c, ok := b[m]; ok {
								full[m] = c
							} else if c := choices[(k>>(2*j))&3]; c != "" {
								full[m] = c
							}
						}
						if p == store.First {
							continue // order decides; the map cannot say which came first
						}
						for _, late := range []bool{false, true} {
							got, d := store.Decide(members, veto, p, 2, full, late, def)
							if d && got != out {
								t.Fatalf("%s veto %v default %s: %v decided %s, but later %v (deadline %v) decides %s",
									p, veto, def, b, out, full, late, got)
							}
						}
					}
				}
			}
		}
	}
}

func TestBoardValidate(t *testing.T) {
	base := store.NewBoard("payments")
	base.Members = []string{"a", "b", "c", "d", "e"}
	tests := []struct {
		name string
		edit func(b *store.Board)
		size int
		want string // "" = valid
	}{
		{name: "AcceptsDefaults", edit: func(*store.Board) {}, size: 5},
		{name: "RefusesQuorumLargerThanBoard", edit: func(b *store.Board) { b.Policy, b.Quorum = store.Quorum, 9 }, size: 5, want: "quorum 9 can never be reached on a board of 5 members"},
		{name: "AcceptsQuorumOfWholeBoard", edit: func(b *store.Board) { b.Policy, b.Quorum = store.Quorum, 5 }, size: 5},
		{name: "RefusesQuorumZero", edit: func(b *store.Board) { b.Policy, b.Quorum = store.Quorum, 0 }, size: 5, want: "a quorum needs a number of votes of at least 1, like quorum 3"},
		{name: "RefusesUnknownPolicy", edit: func(b *store.Board) { b.Policy = "mostly" }, size: 5, want: `"mostly" is not a policy: use unanimous, majority, quorum N, any or first`},
		{name: "RefusesAbstainAsDefault", edit: func(b *store.Board) { b.Default = store.Abstain }, size: 5, want: `the default outcome must be approve or reject, not "abstain"`},
		{name: "RefusesVetoOfANonMember", edit: func(b *store.Board) { b.Veto = []string{"x"} }, size: 5, want: "<@x> can only hold a veto as a member of the board"},
		{name: "RefusesNoDeadline", edit: func(b *store.Board) { b.Deadline = 0 }, size: 5, want: "a board's deadline must be in the future, like +3d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base
			b.Members = append([]string(nil), base.Members...)
			tt.edit(&b)
			err := b.Validate(tt.size)
			if got := store.ErrorMessage(err); got != tt.want {
				t.Errorf("Validate(%d) = %q; want %q", tt.size, got, tt.want)
			}
			if err != nil && store.ErrorCode(err) != store.EInvalid {
				t.Errorf("Validate code = %q; want invalid", store.ErrorCode(err))
			}
		})
	}
}

func TestDelegationActive(t *testing.T) {
	until := store.NewDate(2027, time.January, 8)
	tests := []struct {
		d       store.Delegation
		product string
		today   store.Date
		want    bool
	}{
		{store.Delegation{Until: until}, "payments", until, true},
		{store.Delegation{Until: until}, "payments", until.AddDays(1), false},
		{store.Delegation{Until: until, Product: "payments"}, "payments", until.AddDays(-3), true},
		{store.Delegation{Until: until, Product: "auth"}, "payments", until.AddDays(-3), false},
	}
	for _, tt := range tests {
		if got := tt.d.Active(tt.product, tt.today); got != tt.want {
			t.Errorf("%+v.Active(%q, %s) = %v; want %v", tt.d, tt.product, tt.today, got, tt.want)
		}
	}
}
