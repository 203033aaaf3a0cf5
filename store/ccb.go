package store

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Policy is how a board decides a change request (SPEC §4).
type Policy string

// Board policies.
const (
	Unanimous Policy = "unanimous" // every member approves
	Majority  Policy = "majority"  // more than half of the members approve
	Quorum    Policy = "quorum"    // at least N votes cast, more approvals than rejections
	Any       Policy = "any"       // one approval and no rejection
	First     Policy = "first"     // the first vote decides
)

// Policies lists the policies, in the order help names them.
var Policies = []Policy{Unanimous, Majority, Quorum, Any, First}

// ParsePolicy reads a policy name (any case), or returns an EInvalid *Error
// naming the policies there are.
func ParsePolicy(s string) (Policy, error) {
	p := Policy(strings.ToLower(s))
	if slices.Contains(Policies, p) {
		return p, nil
	}
	return "", Errorf(EInvalid, "%q is not a policy: use unanimous, majority, quorum N, any or first", clip(s, 40))
}

// Choice is a vote, and the outcome of a change request.
type Choice string

// Choices. Outcomes are Approve or Reject.
const (
	Approve Choice = "approve"
	Reject  Choice = "reject"
	Abstain Choice = "abstain"
)

// ParseChoice reads approve, reject or abstain (any case).
func ParseChoice(s string) (Choice, error) {
	switch c := Choice(strings.ToLower(s)); c {
	case Approve, Reject, Abstain:
		return c, nil
	}
	return "", Errorf(EInvalid, "%q is not a vote: use approve, reject or abstain", clip(s, 20))
}

// DefaultDeadline is how long a board gives its members to vote when its
// settings say nothing else.
const DefaultDeadline = 72 * time.Hour

// DefaultBoardKey is the key of the default board, which decides the CRs
// of products without a board of their own. It cannot be a product name.
const DefaultBoardKey = "*"

// Board is a Change Control Board: of one product, or the default board
// (Product ""). Members are users; Groups are Slack user group IDs whose
// members are members too, resolved when a CR is raised and again when
// their members vote.
type Board struct {
	Product   string        `json:"product"`
	Members   []string      `json:"members,omitempty"`
	Groups    []string      `json:"groups,omitempty"`
	Policy    Policy        `json:"policy"`
	Quorum    int           `json:"quorum,omitempty"` // for Quorum: the votes that must be cast
	Veto      []string      `json:"veto,omitempty"`   // members whose rejection rejects
	Deadline  time.Duration `json:"deadline"`         // how long a CR stays open by default
	Default   Choice        `json:"default"`          // the outcome when the deadline passes undecided
	Anonymous bool          `json:"anonymous,omitempty"`
	UpdatedAt time.Time     `json:"updated_at,omitzero"`
	UpdatedBy string        `json:"updated_by,omitempty"`
}

// NewBoard returns the settings of a board nobody has set up: no members,
// majority, a 72-hour deadline, rejected when it passes undecided, open
// ballots.
func NewBoard(product string) Board {
	return Board{Product: product, Policy: Majority, Deadline: DefaultDeadline, Default: Reject}
}

// Key is the store key of the board: its product, or DefaultBoardKey.
func (b *Board) Key() string { return BoardKey(b.Product) }

// BoardKey is the store key of the board of product ("" for the default).
func BoardKey(product string) string {
	if product == "" {
		return DefaultBoardKey
	}
	return product
}

// Name says which board it is: "payments" or "default".
func (b *Board) Name() string {
	if b.Product == "" {
		return "default"
	}
	return b.Product
}

// Validate checks the settings and returns an EInvalid *Error saying what
// is wrong. size is how many members the board has with its groups
// resolved (len(Members) when it has no groups): a quorum larger than the
// board could never be reached.
func (b *Board) Validate(size int) error {
	switch {
	case !slices.Contains(Policies, b.Policy):
		return Errorf(EInvalid, "%q is not a policy: use unanimous, majority, quorum N, any or first", clip(string(b.Policy), 40))
	case b.Policy == Quorum && b.Quorum < 1:
		return Errorf(EInvalid, "a quorum needs a number of votes of at least 1, like quorum 3")
	case b.Policy == Quorum && b.Quorum > size:
		return Errorf(EInvalid, "quorum %d can never be reached on a board of %s", b.Quorum, countNoun(size, "member"))
	case b.Default != Approve && b.Default != Reject:
		return Errorf(EInvalid, "the default outcome must be approve or reject, not %q", clip(string(b.Default), 20))
	case b.Deadline <= 0:
		return Errorf(EInvalid, "a board's deadline must be in the future, like +3d")
	}
	for _, v := range b.Veto {
		if !slices.Contains(b.Members, v) && len(b.Groups) == 0 {
			return Errorf(EInvalid, "<@%s> can only hold a veto as a member of the board", v)
		}
	}
	return nil
}

// PolicyText says the policy as the grammar writes it: "quorum 3",
// "majority".
func (b *Board) PolicyText() string {
	if b.Policy == Quorum {
		return "quorum " + strconv.Itoa(b.Quorum)
	}
	return string(b.Policy)
}

func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// CRStatus is where a change request stands.
type CRStatus string

// Change request statuses.
const (
	CROpen      CRStatus = "open"
	CRApproved  CRStatus = "approved"
	CRRejected  CRStatus = "rejected"
	CRWithdrawn CRStatus = "withdrawn"
)

// Ballot is one vote: Voter clicked Choice At, for the member For when
// voting as a delegate ("" when voting for themselves).
type Ballot struct {
	Voter  string    `json:"voter"`
	For    string    `json:"for,omitempty"`
	Choice Choice    `json:"choice"`
	At     time.Time `json:"at"`
}

// Member is the member the ballot counts for.
func (b Ballot) Member() string {
	if b.For != "" {
		return b.For
	}
	return b.Voter
}

// Decision is how a change request was decided. By is "policy" (the votes
// decided it), "deadline" (the board's default outcome applied), or the
// admin who overrode the vote (with Reason); a withdrawal has By the user
// who withdrew it and no Outcome.
type Decision struct {
	Outcome Choice    `json:"outcome,omitempty"`
	By      string    `json:"by"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

// Decided by, besides an admin's user ID.
const (
	ByPolicy   = "policy"
	ByDeadline = "deadline"
)

// ChangeRequest is a proposed change to a release, CR-ID, voted on by a
// board. PolicySnapshot is the board as it was when the CR was raised
// (later changes of the board do not change a CR in flight); its Members
// are the users named on the board, and GroupMembers the members of its
// groups as last resolved.
type ChangeRequest struct {
	ID             int               `json:"id"`
	Release        Ref               `json:"release"`
	Title          string            `json:"title"`
	Requester      string            `json:"requester"`
	Board          string            `json:"board,omitempty"` // the board's product, "" for the default board
	PolicySnapshot Board             `json:"policy_snapshot"`
	GroupMembers   []string          `json:"group_members,omitempty"`
	Deadline       time.Time         `json:"deadline"`
	Status         CRStatus          `json:"status"`
	Votes          map[string]Ballot `json:"votes,omitempty"`   // the current ballot of each member, by member
	History        []Ballot          `json:"history,omitempty"` // every vote and change of vote, in order
	Decision       *Decision         `json:"decision,omitempty"`
	Channel        string            `json:"channel"` // where its message was posted
	Thread         string            `json:"thread"`  // the Message.Ref of its message: "cr:12"
	CreatedAt      time.Time         `json:"created_at"`
}

// Name is "CR-12".
func (cr *ChangeRequest) Name() string { return "CR-" + strconv.Itoa(cr.ID) }

// CRThread is the Message.Ref of the message of CR-id.
func CRThread(id int) string { return "cr:" + strconv.Itoa(id) }

// Open reports whether the CR can still be voted on.
func (cr *ChangeRequest) Open() bool { return cr.Status == CROpen }

// Members returns who may vote on the CR: the board's members and the
// members of its groups, sorted, each once.
func (cr *ChangeRequest) Members() []string {
	ms := append(slices.Clone(cr.PolicySnapshot.Members), cr.GroupMembers...)
	slices.Sort(ms)
	return slices.Compact(ms)
}

// Ballots returns the current choice of each member.
func (cr *ChangeRequest) Ballots() map[string]Choice {
	out := make(map[string]Choice, len(cr.Votes))
	for m, b := range cr.Votes {
		out[m] = b.Choice
	}
	return out
}

// Decide evaluates the CR's policy as of now: the outcome and whether it
// is decided (see the function Decide).
func (cr *ChangeRequest) Decide(now time.Time) (Choice, bool) {
	b := &cr.PolicySnapshot
	return Decide(cr.Members(), b.Veto, b.Policy, b.Quorum, cr.Ballots(), !now.Before(cr.Deadline), b.Default)
}

// Pending returns the members who have not voted, sorted.
func (cr *ChangeRequest) Pending() []string {
	var out []string
	for _, m := range cr.Members() {
		if _, ok := cr.Votes[m]; !ok {
			out = append(out, m)
		}
	}
	return out
}

// Tally counts the current ballots of members by choice; ballots of
// people no longer members are not counted.
func (cr *ChangeRequest) Tally() map[Choice]int {
	t := map[Choice]int{}
	for _, m := range cr.Members() {
		if b, ok := cr.Votes[m]; ok {
			t[b.Choice]++
		}
	}
	return t
}

// Decide applies a board's policy to the ballots cast so far (member →
// choice) and reports the outcome, Approve or Reject, once it is certain:
// when no vote still to come can change it. Ballots of people who are not
// members are ignored, and so is a veto held by a non-member.
//
//   - A veto member's rejection rejects. While a veto member has not voted
//     an approval is not certain (they could still reject), except under
//     First, and once the deadline has passed.
//   - Unanimous: approved when every member approves; rejected as soon as
//     one rejects or abstains.
//   - Majority: approved when more than half of the members approve;
//     rejected as soon as approvals can no longer exceed half.
//   - Quorum n: approved once n votes (abstentions count) have been cast
//     and approvals outnumber rejections even if every member still to
//     vote rejects; rejected once approvals can no longer exceed
//     rejections. At the deadline, a quorum reached decides by approvals
//     against rejections (a tie rejects); a quorum not reached takes the
//     default.
//   - Any: rejected by any rejection; approved with at least one approval
//     once every member has voted or the deadline has passed.
//   - First: the first approval or rejection decides (abstentions do not);
//     should several be present, a rejection wins.
//
// Abstentions never count as approvals. Once the deadline has passed, an
// outcome the policy has not made certain is def (Reject unless def is
// Approve). Votes can be changed until a CR is decided, so certainty is
// about members who have not voted yet.
func Decide(members []string, veto []string, policy Policy, quorum int, ballots map[string]Choice, deadlinePassed bool, def Choice) (outcome Choice, decided bool) {
	ms := slices.Compact(slices.Sorted(slices.Values(members)))
	var approve, reject, abstain, pending int
	vetoPending := false
	for _, m := range ms {
		c, voted := ballots[m]
		isVeto := slices.Contains(veto, m)
		switch {
		case !voted:
			pending++
			vetoPending = vetoPending || isVeto
		case c == Approve:
			approve++
		case c == Reject:
			if isVeto {
				return Reject, true
			}
			reject++
		case c == Abstain:
			abstain++
		default:
			pending++ // not a vote: as if not cast
			vetoPending = vetoPending || isVeto
		}
	}
	n := len(ms)
	cast := approve + reject + abstain
	var out Choice
	switch policy {
	case Unanimous:
		switch {
		case reject > 0 || abstain > 0:
			out = Reject
		case n > 0 && approve == n:
			out = Approve
		}
	case Majority:
		switch {
		case n > 0 && 2*approve > n:
			out = Approve
		case n > 0 && 2*(approve+pending) <= n:
			out = Reject
		}
	case Quorum:
		switch {
		case quorum < 1:
		case cast >= quorum && approve > reject+pending:
			out = Approve
		case n > 0 && approve+pending <= reject:
			out = Reject
		case deadlinePassed && cast >= quorum && approve > reject:
			out = Approve
		case deadlinePassed && cast >= quorum:
			out = Reject
		}
	case Any:
		switch {
		case reject > 0:
			out = Reject
		case approve > 0 && (pending == 0 || deadlinePassed):
			out = Approve
		case n > 0 && pending == 0:
			out = Reject // everyone abstained
		}
	case First:
		switch {
		case reject > 0:
			out = Reject
		case approve > 0:
			out = Approve
		}
		vetoPending = false
	}
	if out == Approve && vetoPending && !deadlinePassed {
		out = ""
	}
	if out != "" {
		return out, true
	}
	if deadlinePassed {
		if def == Approve {
			return Approve, true
		}
		return Reject, true
	}
	return "", false
}

// Delegation lets To vote for From until the end of Until (a workspace
// date), on the board of Product, or on every board when Product is "".
type Delegation struct {
	From      string    `json:"from"`
	To        string    `json:"to"`
	Until     Date      `json:"until"`
	Product   string    `json:"product,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Key is the store key of the delegation: one per delegator and product.
func (d *Delegation) Key() string { return d.From + " " + d.Product }

// Active reports whether the delegation lets its delegate vote on a CR of
// product today.
func (d *Delegation) Active(product string, today Date) bool {
	return !today.After(d.Until) && (d.Product == "" || d.Product == product)
}

// KindCRDeadline is the ledger kind of a CR decided at its deadline.
const KindCRDeadline = "ccb-deadline"

// CRDeadlineKey names the decision of CR-id at its deadline, so the sweep
// applies the board's default once, also after a restart.
func CRDeadlineKey(id int, deadline time.Time) string {
	return ledgerKey(KindCRDeadline, "CR-"+strconv.Itoa(id), instant(deadline))
}
