package commands

import (
	"fmt"
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

// boardName is "payments" or "default".
func boardName(product string) string {
	if product == "" {
		return "default"
	}
	return product
}

// policyText says a board's policy with its veto: "majority, veto <@U1>".
func policyText(b *store.Board) string {
	s := b.PolicyText()
	if len(b.Veto) > 0 {
		s += ", veto " + mentions(b.Veto)
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

// stamp formats an instant in loc: "Thu 14:00 UTC" within the coming week,
// with the date otherwise.
func stamp(t, now time.Time, loc *time.Location) string {
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
		return days(int(d / (24 * time.Hour)))
	case d >= 2*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int(d/time.Minute), "minute")
	}
	return "less than a minute"
}

// closesText says a CR's deadline in the reader's words: "closes Thu 14:00
// UTC, in 2 days", "closed Mon 09:00 UTC, 5 hours ago".
func closesText(deadline, now time.Time, loc *time.Location) string {
	if deadline.After(now) {
		return "closes " + stamp(deadline, now, loc) + ", in " + span(deadline.Sub(now))
	}
	return "closed " + stamp(deadline, now, loc) + ", " + span(now.Sub(deadline)) + " ago"
}

var choiceIcons = map[store.Choice]string{store.Approve: ":white_check_mark:", store.Reject: ":x:"}

// tallyText is the live tally: "2 approve · 1 reject · 0 abstain — 2 of 5
// still to vote: <@d>, <@e>". Anonymous ballots name nobody.
func tallyText(cr *store.ChangeRequest) string {
	t := cr.Tally()
	s := fmt.Sprintf("%s %d approve · %s %d reject · %d abstain", choiceIcons[store.Approve], t[store.Approve],
		choiceIcons[store.Reject], t[store.Reject], t[store.Abstain])
	pending := cr.Pending()
	members := len(cr.Members())
	switch {
	case len(pending) == 0:
		s += " — everyone has voted"
	case cr.PolicySnapshot.Anonymous || !cr.Open():
		s += fmt.Sprintf(" — %d of %d still to vote", len(pending), members)
	default:
		s += fmt.Sprintf(" — %d of %d still to vote: %s", len(pending), members, mentions(pending))
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
		who := mention(m)
		if b.For != "" {
			who = mention(b.Voter) + " for " + mention(m)
		}
		by[b.Choice] = append(by[b.Choice], who)
	}
	var out []string
	for _, c := range []store.Choice{store.Approve, store.Reject, store.Abstain} {
		if len(by[c]) > 0 {
			out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s: %s", choiceIcons[c], capitalize(string(c)), strings.Join(by[c], ", "))))
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
	when := stamp(d.At, now, loc)
	if cr.Status == store.CRWithdrawn {
		return fmt.Sprintf(":leftwards_arrow_with_hook: *Withdrawn* by %s, %s", mention(d.By), when)
	}
	verb := capitalize(string(cr.Status))
	icon := choiceIcons[d.Outcome]
	switch d.By {
	case store.ByPolicy:
		return fmt.Sprintf("%s *%s* by the votes (%s), %s", icon, verb, cr.PolicySnapshot.PolicyText(), when)
	case store.ByDeadline:
		return fmt.Sprintf("%s *%s* at the deadline: the board's default outcome, %s", icon, verb, when)
	}
	s := fmt.Sprintf("%s *%s* by %s (admin override), %s", icon, verb, mention(d.By), when)
	if d.Reason != "" {
		s += ": “" + Escape(d.Reason) + "”"
	}
	return s
}

// crCard is the message of a CR as its channel shows it, rendered from
// stored state alone: buttons while it is open, the outcome once it is not.
// frozen, when not "", is freezeNote's line for its release (see crCardOf).
func crCard(cr *store.ChangeRequest, now time.Time, loc *time.Location, frozen string) store.Doc {
	b := newDoc(cr.Name() + ": " + cr.Title)
	deadline := closesText(cr.Deadline, now, loc)
	if !cr.Open() {
		deadline = "was to close " + stamp(cr.Deadline, now, loc)
	}
	b.fields(
		"Release", bold(cr.Release),
		"Requested by", mention(cr.Requester),
		"Board", fmt.Sprintf("%s — %s, %s", boardName(cr.Board), policyText(&cr.PolicySnapshot), ballotText(&cr.PolicySnapshot)),
		"Deadline", deadline,
	)
	if frozen != "" {
		b.section(frozen)
	}
	if o := outcomeText(cr, now, loc); o != "" {
		b.section(o)
	}
	b.section(tallyText(cr))
	if vs := votersText(cr); len(vs) > 0 {
		b.lines(vs)
	}
	if cr.Open() {
		b.context(fmt.Sprintf("Discuss in this thread; votes can be changed until the CR is decided. `/ccb show %s`", cr.Name()))
		b.d.Buttons = voteButtons(cr.ID)
	} else {
		b.context(fmt.Sprintf("Every ballot and change of vote is in the audit log. `/ccb show %s`", cr.Name()))
	}
	return b.build()
}

// crLine is a CR in a list: "CR-3 *payments@2.3.0* — “Swap the PSP” —
// open, 2 of 5 voted, closes Thu 14:00 UTC, in 2 days".
func crLine(cr *store.ChangeRequest, now time.Time, loc *time.Location) string {
	s := fmt.Sprintf("*%s* %s — “%s” — ", cr.Name(), bold(cr.Release), Escape(cr.Title))
	if cr.Open() {
		members := len(cr.Members())
		return s + fmt.Sprintf("open, %d of %d voted, %s", members-len(cr.Pending()), members, closesText(cr.Deadline, now, loc))
	}
	return s + string(cr.Status)
}

// crWhere says where a CR is discussed: "in <#CPAY> (`/ccb show CR-3`)".
// DMs about a CR also link to its thread (Message.LinkOf); this is what
// is left when the link cannot be had.
func crWhere(cr *store.ChangeRequest) string {
	return fmt.Sprintf("in %s (`/ccb show %s`)", channelRef(cr.Channel), cr.Name())
}

// downstreamLines say, for each of someone's releases downstream of a CR's
// release, how it stands towards it: "*mobile@5.0* needs *payments@2.3.0*
// by Fri 2027-01-29 — on track (14 days to spare)".
func downstreamLines(items []store.Downstream, today store.Date) []string {
	var out []string
	for _, d := range items {
		e := d.Edges[0]
		out = append(out, fmt.Sprintf("%s needs %s by %s — %s", bold(d.Release.Ref), providerName(e), e.NeededBy.Pretty(), edgeStateText(e, today)))
	}
	return out
}

// downstreamManagers groups the planned releases downstream of a CR's
// release by release manager, so each hears once; the requester, who
// knows, is left out. Managers are in order of first appearance.
func downstreamManagers(tx *store.Tx, g *store.Graph, cr *store.ChangeRequest, today store.Date) ([]string, map[string][]store.Downstream) {
	var order []string
	by := map[string][]store.Downstream{}
	for _, d := range g.Downstream(cr.Release.Key(), today) {
		if d.Release.Status != store.Planned || len(d.Edges) == 0 {
			continue
		}
		for _, u := range d.Release.Holders(store.ReleaseManager, product(tx, d.Release.Product)) {
			if u == cr.Requester {
				continue
			}
			if _, ok := by[u]; !ok {
				order = append(order, u)
			}
			by[u] = append(by[u], d)
		}
	}
	return order, by
}

// downstreamDMs are the direct messages that tell the release managers
// downstream of a CR's release about it: raised (decided false) or
// decided. Not quiet: they may want to take part before it is decided.
func downstreamDMs(tx *store.Tx, cr *store.ChangeRequest, now time.Time, loc *time.Location) ([]store.Message, error) {
	g, err := tx.Graph()
	if err != nil {
		return nil, err
	}
	today := store.DateOf(now, loc)
	users, by := downstreamManagers(tx, g, cr, today)
	var out []store.Message
	for _, u := range users {
		b := newDoc("")
		if cr.Open() {
			b.section(fmt.Sprintf(":arrow_right: %s requested *%s* on %s, which your releases depend on: “%s”. The %s board decides (%s), %s. Take part %s.",
				mention(cr.Requester), cr.Name(), bold(cr.Release), Escape(cr.Title), boardName(cr.Board), policyText(&cr.PolicySnapshot),
				closesText(cr.Deadline, now, loc), crWhere(cr)))
		} else {
			b.section(fmt.Sprintf("*%s* on %s (“%s”), which your releases depend on: %s. See it %s.",
				cr.Name(), bold(cr.Release), Escape(cr.Title), outcomeText(cr, now, loc), crWhere(cr)))
		}
		b.lines(downstreamLines(by[u], today))
		// The transport ends the DM with a link to the CR's thread once
		// the card is posted; the text says where to look without it.
		out = append(out, store.Message{Channel: u, DM: true, Doc: b.build(), LinkOf: cr.Thread, LinkText: "Open the " + cr.Name() + " thread"})
	}
	return out, nil
}

// decisionDoc announces how a CR ended, for its thread and its requester.
func decisionDoc(cr *store.ChangeRequest, now time.Time, loc *time.Location) store.Doc {
	b := newDoc("")
	b.section(fmt.Sprintf("*%s* on %s (“%s”): %s", cr.Name(), bold(cr.Release), Escape(cr.Title), outcomeText(cr, now, loc)))
	if cr.Status != store.CRWithdrawn {
		b.section(tallyText(cr))
		if vs := votersText(cr); len(vs) > 0 {
			b.lines(vs)
		}
	}
	return b.build()
}

// boardDoc shows a board's settings, after note when there is one.
func boardDoc(b *store.Board, set bool, fallback *store.Board, note string) store.Doc {
	d := newDoc("The " + b.Name() + " board")
	if note != "" {
		d.section(note)
	}
	if !set {
		if fallback != nil {
			d.section(fmt.Sprintf("%s has no board of its own: its change requests go to the default board.", b.Name()))
			b = fallback
		} else {
			d.section("This board has not been set up: an admin adds members with `/ccb board " + b.Name() + " members add @user…`.")
		}
	}
	members := mentions(b.Members)
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
	d.fields(
		"Members", members,
		"Policy", policyText(b),
		"Deadline", span(b.Deadline)+" after a CR is raised; then undecided CRs are "+def,
		"Ballot", ballotText(b),
	)
	return d.build()
}
