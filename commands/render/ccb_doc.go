package render

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"relman/store"
)

// VoteAction is the action_id of the Approve, Reject and Abstain buttons of
// a CR; their value is "<id>:<choice>" (see Service.Vote).
const VoteAction = "ccb.vote"

// voteButtons are the buttons of an open CR. The value is an opaque
// reference: the handler re-reads the CR and trusts nothing else in it.
func voteButtons(id int) []store.Button {
	n := strconv.Itoa(id)
	return []store.Button{
		{ActionID: VoteAction, Text: "Approve", Value: n + ":approve", Style: "primary"},
		{ActionID: VoteAction, Text: "Reject", Value: n + ":reject", Style: "danger"},
		{ActionID: VoteAction, Text: "Abstain", Value: n + ":abstain"},
	}
}

// BoardName is "payments" or "default".
func BoardName(product string) string {
	if product == "" {
		return "default"
	}
	return product
}

// PolicyText says a board's policy with its veto: "majority, veto <@U1>".
func PolicyText(b *store.Board) string {
	s := b.PolicyText()
	if len(b.Veto) > 0 {
		s += ", veto " + Mentions(b.Veto)
	}
	return s
}

// ballotText is "open ballot" or "anonymous ballot".
func ballotText(b *store.Board) string {
	if b.Anonymous {
		return "anonymous ballot"
	}
	return "open ballot"
}

// Stamp formats an instant in loc: "Thu 14:00 UTC" within the coming week,
// with the date otherwise.
func Stamp(t, now time.Time, loc *time.Location) string {
	t = t.In(loc)
	if d := t.Sub(now); d > -6*24*time.Hour && d < 6*24*time.Hour {
		return t.Format("Mon 15:04 MST")
	}
	return t.Format("Mon 2006-01-02 15:04 MST")
}

// span says a duration the way people do: "2 days", "5 hours", "40 minutes".
func span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 48*time.Hour:
		return Days(int(d / (24 * time.Hour)))
	case d >= 2*time.Hour:
		return Plural(int(d/time.Hour), "hour")
	case d >= time.Minute:
		return Plural(int(d/time.Minute), "minute")
	}
	return "less than a minute"
}

// ClosesText says a CR's deadline in the reader's words: "closes Thu 14:00
// UTC, in 2 days", "closed Mon 09:00 UTC, 5 hours ago".
func ClosesText(deadline, now time.Time, loc *time.Location) string {
	if deadline.After(now) {
		return "closes " + Stamp(deadline, now, loc) + ", in " + span(deadline.Sub(now))
	}
	return "closed " + Stamp(deadline, now, loc) + ", " + span(now.Sub(deadline)) + " ago"
}

// ChoiceIcons are the emoji a vote for or against a change shows with.
var ChoiceIcons = map[store.Choice]string{store.Approve: ":white_check_mark:", store.Reject: ":x:"}

// TallyText is the live tally: "2 approve · 1 reject · 0 abstain — 2 of 5
// still to vote: <@d>, <@e>". Anonymous ballots name nobody.
func TallyText(cr *store.ChangeRequest) string {
	t := cr.Tally()
	s := fmt.Sprintf("%s %d approve · %s %d reject · %d abstain", ChoiceIcons[store.Approve], t[store.Approve],
		ChoiceIcons[store.Reject], t[store.Reject], t[store.Abstain])
	pending := cr.Pending()
	members := len(cr.Members())
	switch {
	case len(pending) == 0:
		s += " — everyone has voted"
	case cr.PolicySnapshot.Anonymous || !cr.Open():
		s += fmt.Sprintf(" — %d of %d still to vote", len(pending), members)
	default:
		s += fmt.Sprintf(" — %d of %d still to vote: %s", len(pending), members, Mentions(pending))
	}
	return s
}

// votersText lists who chose what, for open ballots: "Approve: <@a>, <@c>
// (for <@b>)".
func votersText(cr *store.ChangeRequest) []string {
	if cr.PolicySnapshot.Anonymous {
		return nil
	}
	by := map[store.Choice][]string{}
	for _, m := range cr.Members() {
		b, ok := cr.Votes[m]
		if !ok {
			continue
		}
		who := Mention(m)
		if b.For != "" {
			who = Mention(b.Voter) + " for " + Mention(m)
		}
		by[b.Choice] = append(by[b.Choice], who)
	}
	var out []string
	for _, c := range []store.Choice{store.Approve, store.Reject, store.Abstain} {
		if len(by[c]) > 0 {
			out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s: %s", ChoiceIcons[c], Capitalize(string(c)), strings.Join(by[c], ", "))))
		}
	}
	return out
}

// outcomeText says how a CR ended: "*Approved* by the votes (majority)",
// "*Rejected* at the deadline (the board's default)", "*Approved* by <@root>
// (override): “reason”", "*Withdrawn* by <@alex>"; "" while it is open.
func outcomeText(cr *store.ChangeRequest, now time.Time, loc *time.Location) string {
	d := cr.Decision
	if d == nil || cr.Open() {
		return ""
	}
	when := Stamp(d.At, now, loc)
	if cr.Status == store.CRWithdrawn {
		return fmt.Sprintf(":leftwards_arrow_with_hook: *Withdrawn* by %s, %s", Mention(d.By), when)
	}
	verb := Capitalize(string(cr.Status))
	icon := ChoiceIcons[d.Outcome]
	switch d.By {
	case store.ByPolicy:
		return fmt.Sprintf("%s *%s* by the votes (%s), %s", icon, verb, cr.PolicySnapshot.PolicyText(), when)
	case store.ByDeadline:
		return fmt.Sprintf("%s *%s* at the deadline: the board's default outcome, %s", icon, verb, when)
	}
	s := fmt.Sprintf("%s *%s* by %s (admin override), %s", icon, verb, Mention(d.By), when)
	if d.Reason != "" {
		s += ": “" + Escape(d.Reason) + "”"
	}
	return s
}

// CRCard is the message of a CR as its channel shows it, rendered from
// stored state alone: buttons while it is open, the outcome once it is not.
// frozen, when not "", is freezeNote's line for its release (see crCardOf).
func CRCard(cr *store.ChangeRequest, now time.Time, loc *time.Location, frozen string) store.Doc {
	b := NewDoc(cr.Name() + ": " + cr.Title)
	deadline := ClosesText(cr.Deadline, now, loc)
	if !cr.Open() {
		deadline = "was to close " + Stamp(cr.Deadline, now, loc)
	}
	b.Fields(
		"Release", Bold(cr.Release),
		"Requested by", Mention(cr.Requester),
		"Board", fmt.Sprintf("%s — %s, %s", BoardName(cr.Board), PolicyText(&cr.PolicySnapshot), ballotText(&cr.PolicySnapshot)),
		"Deadline", deadline,
	)
	if frozen != "" {
		b.Section(frozen)
	}
	if o := outcomeText(cr, now, loc); o != "" {
		b.Section(o)
	}
	b.Section(TallyText(cr))
	if vs := votersText(cr); len(vs) > 0 {
		b.Lines(vs)
	}
	if cr.Open() {
		b.Context(fmt.Sprintf("Discuss in this thread; votes can be changed until the CR is decided. `/ccb show %s`", cr.Name()))
		b.d.Buttons = voteButtons(cr.ID)
	} else {
		b.Context(fmt.Sprintf("Every ballot and change of vote is in the audit log. `/ccb show %s`", cr.Name()))
	}
	return b.Build()
}

// CRLine is a CR in a list: "CR-3 *payments@2.3.0* — “Swap the PSP” —
// open, 2 of 5 voted, closes Thu 14:00 UTC, in 2 days".
func CRLine(cr *store.ChangeRequest, now time.Time, loc *time.Location) string {
	s := fmt.Sprintf("*%s* %s — “%s” — ", cr.Name(), Bold(cr.Release), Escape(cr.Title))
	if cr.Open() {
		members := len(cr.Members())
		return s + fmt.Sprintf("open, %d of %d voted, %s", members-len(cr.Pending()), members, ClosesText(cr.Deadline, now, loc))
	}
	return s + string(cr.Status)
}

// CRWhere says where a CR is discussed: "in <#CPAY> (`/ccb show CR-3`)".
// DMs about a CR also link to its thread (Message.LinkOf); this is what
// is left when the link cannot be had.
func CRWhere(cr *store.ChangeRequest) string {
	return fmt.Sprintf("in %s (`/ccb show %s`)", ChannelRef(cr.Channel), cr.Name())
}

// downstreamLines say, for each of someone's releases downstream of a CR's
// release, how it stands towards it: "*mobile@5.0* needs *payments@2.3.0*
// by Fri 2027-01-29 — on track (14 days to spare)".
func downstreamLines(items []store.Downstream, today store.Date) []string {
	var out []string
	for _, d := range items {
		e := d.Edges[0]
		out = append(out, fmt.Sprintf("%s needs %s by %s — %s", Bold(d.Release.Ref), ProviderName(e), e.NeededBy.Pretty(), EdgeStateText(e, today)))
	}
	return out
}

// DecisionDoc announces how a CR ended, for its thread and its requester.
func DecisionDoc(cr *store.ChangeRequest, now time.Time, loc *time.Location) store.Doc {
	b := NewDoc("")
	b.Section(fmt.Sprintf("*%s* on %s (“%s”): %s", cr.Name(), Bold(cr.Release), Escape(cr.Title), outcomeText(cr, now, loc)))
	if cr.Status != store.CRWithdrawn {
		b.Section(TallyText(cr))
		if vs := votersText(cr); len(vs) > 0 {
			b.Lines(vs)
		}
	}
	return b.Build()
}

// BoardDoc shows a board's settings, after note when there is one.
func BoardDoc(b *store.Board, set bool, fallback *store.Board, note string) store.Doc {
	d := NewDoc("The " + b.Name() + " board")
	if note != "" {
		d.Section(note)
	}
	if !set {
		if fallback != nil {
			d.Section(fmt.Sprintf("%s has no board of its own: its change requests go to the default board.", b.Name()))
			b = fallback
		} else {
			d.Section("This board has not been set up: an admin adds members with `/ccb board " + b.Name() + " members add @user…`.")
		}
	}
	members := Mentions(b.Members)
	if len(b.Groups) > 0 {
		gs := make([]string, len(b.Groups))
		for i, g := range b.Groups {
			gs[i] = "<!subteam^" + g + ">"
		}
		if len(b.Members) == 0 {
			members = strings.Join(gs, ", ")
		} else {
			members += ", " + strings.Join(gs, ", ")
		}
	}
	def := "rejected"
	if b.Default == store.Approve {
		def = "approved"
	}
	d.Fields(
		"Members", members,
		"Policy", PolicyText(b),
		"Deadline", span(b.Deadline)+" after a CR is raised; then undecided CRs are "+def,
		"Ballot", ballotText(b),
	)
	return d.Build()
}

// CRVotesLine is an open CR as digests and agendas list it, with who has
// not voted (how many, on an anonymous board): "*CR-3* “Swap the PSP” for
// *payments@2.3.0* — closes Thu 14:00 UTC, in 2 days — 2 of 5 still to
// vote: <@d>, <@e>".
func CRVotesLine(cr *store.ChangeRequest, now time.Time, loc *time.Location) string {
	s := fmt.Sprintf("*%s* “%s” for %s — %s — ", cr.Name(), Escape(cr.Title), Bold(cr.Release), ClosesText(cr.Deadline, now, loc))
	pending := cr.Pending()
	switch {
	case len(pending) == 0:
		return s + "everyone has voted"
	case cr.PolicySnapshot.Anonymous:
		return s + fmt.Sprintf("%d of %d still to vote", len(pending), len(cr.Members()))
	}
	return s + fmt.Sprintf("%d of %d still to vote: %s", len(pending), len(cr.Members()), Mentions(pending))
}

// openCRs returns the CRs of crs still open for votes at now (undecided,
// deadline to come), by deadline then CR.
func openCRs(crs []store.ChangeRequest, now time.Time) []*store.ChangeRequest {
	var out []*store.ChangeRequest
	for i := range crs {
		if crs[i].Open() && now.Before(crs[i].Deadline) {
			out = append(out, &crs[i])
		}
	}
	slices.SortFunc(out, func(a, b *store.ChangeRequest) int {
		return cmp.Or(a.Deadline.Compare(b.Deadline), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// DownstreamDoc tells a release manager downstream of a CR's release about
// it: raised (while open) or decided, with the releases of theirs (items)
// that depend on it.
func DownstreamDoc(cr *store.ChangeRequest, items []store.Downstream, today store.Date, now time.Time, loc *time.Location) store.Doc {
	b := NewDoc("")
	if cr.Open() {
		b.Section(fmt.Sprintf(":arrow_right: %s requested *%s* on %s, which your releases depend on: “%s”. The %s board decides (%s), %s. Take part %s.",
			Mention(cr.Requester), cr.Name(), Bold(cr.Release), Escape(cr.Title), BoardName(cr.Board), PolicyText(&cr.PolicySnapshot),
			ClosesText(cr.Deadline, now, loc), CRWhere(cr)))
	} else {
		b.Section(fmt.Sprintf("*%s* on %s (“%s”), which your releases depend on: %s. See it %s.",
			cr.Name(), Bold(cr.Release), Escape(cr.Title), outcomeText(cr, now, loc), CRWhere(cr)))
	}
	b.Lines(downstreamLines(items, today))
	return b.Build()
}

// VoteNag is the DM that reminds a member of cr, at now, that their vote
// is awaited: the CR, its release and requester, when voting closes in
// loc, the tally so far (counts only, for an anonymous board), what
// happens at the deadline, and where the buttons are.
func VoteNag(cr *store.ChangeRequest, now time.Time, loc *time.Location) store.Doc {
	b := NewDoc("")
	b.Section(fmt.Sprintf(":ballot_box_with_ballot: Your vote is awaited on *%s* “%s” for %s, asked by %s. Voting %s.",
		cr.Name(), Escape(cr.Title), Bold(cr.Release), Mention(cr.Requester), ClosesText(cr.Deadline, now, loc)))
	b.Section("So far: " + TallyText(cr))
	b.Context(fmt.Sprintf("Vote with the Approve, Reject and Abstain buttons on the CR's message %s. Undecided at the deadline, it is %s by the board's default.",
		CRWhere(cr), pastTense(cr.PolicySnapshot.Default)))
	return b.Build()
}

// pastTense says an outcome as done to a CR: "approved", "rejected".
func pastTense(c store.Choice) string {
	if c == store.Approve {
		return "approved"
	}
	return "rejected"
}
