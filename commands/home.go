package commands

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"relman/commands/render"
	"relman/store"
)

// HomeLimit is how many releases each App Home section lists.
const HomeLimit = 20

// Home returns the documents of a user's App Home: their releases (owned,
// or where they hold a role), those of them at risk with the root cause,
// what waits for their answer (external items they own awaiting
// re-confirmation, needed-by dates in the next week of releases they are
// release manager of), and the change requests awaiting their vote, as a
// member or the delegate of one (votesAwaiting), and, when there are any,
// the open checklist items they answer for. It reads the store and
// changes nothing.
func (s *Service) Home(ctx context.Context, user string) ([]store.Doc, error) {
	now := s.Clock.Now()
	today := store.DateOf(now, s.loc())
	var mine []store.Release
	var risks map[store.Ref]*store.Risk
	var risky []string // lines: the user's releases at risk, with why
	var waiting []render.PendingItem
	var votes []awaitedVote
	var items []render.DueItem
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		risks = g.AtRisk(today)
		products, err := productMap(tx)
		if err != nil {
			return err
		}
		exts, err := tx.Externals()
		if err != nil {
			return err
		}
		var rels []*store.Release
		for _, r := range g.Releases() {
			if r.Status == store.Planned && (r.Owner == user || holdsRole(r, products[r.Product], user)) {
				mine = append(mine, *r)
				rels = append(rels, r)
			}
		}
		slices.SortFunc(mine, byDate)
		up := g.Upstream(today)
		for i := range mine {
			r := &mine[i]
			if risks[r.Ref] == nil {
				continue
			}
			line := fmt.Sprintf(":warning: %s — %s", render.Bold(r.Ref), render.When(r.Target, today))
			if causes, more := up.Causes(r.Ref, 1); len(causes) > 0 {
				line += ": " + render.CauseLine(causes[0], g, today, s.loc())
				if more {
					line += " — and more: `/release show " + r.Ref.String() + "`"
				}
			}
			risky = append(risky, line)
		}
		waiting = render.Pending(g, products, exts, rels, user, now, s.loc())
		crs, err := tx.OpenChangeRequests()
		if err != nil {
			return err
		}
		ds, err := tx.Delegations()
		if err != nil {
			return err
		}
		votes = votesAwaiting(crs, ds, user, now, today)
		items = myOpenItems(g, user)
		return nil
	})
	if err != nil {
		return nil, err
	}
	section := func(title, empty string, rows []store.Release) store.Doc {
		b := render.NewDoc(title)
		if len(rows) == 0 {
			b.Section(empty)
			return b.Build()
		}
		shown := rows[:min(len(rows), HomeLimit)]
		lines := make([]string, 0, len(shown))
		for i := range shown {
			r := &shown[i]
			_, atRisk := risks[r.Ref]
			line := fmt.Sprintf("%s %s — %s · %s%s", render.StatusIcon(r, atRisk), render.Bold(r.Ref), render.When(r.Target, today), render.Mention(r.Owner), render.ReleaseMarks(r, false, today))
			if rk := risks[r.Ref]; rk != nil && len(rk.Slips) > 0 {
				e := rk.Slips[0]
				line += fmt.Sprintf(" · needs %s, %s", render.ProviderShort(e), render.EdgeStateText(e, today))
			} else if rk != nil && len(rk.Via) > 0 {
				line += fmt.Sprintf(" · through %s", render.Bold(rk.Via[0]))
			}
			if st := render.StageSummary(r, today); st != "" {
				line += "\n      " + st
			}
			lines = append(lines, line)
		}
		b.Lines(lines)
		b.More(len(rows) - len(shown))
		return b.Build()
	}
	atRisk := render.NewDoc("Yours at risk")
	if len(risky) == 0 {
		atRisk.Section(":tada: None of your releases is at risk.")
	} else {
		shown := risky[:min(len(risky), HomeLimit)]
		atRisk.Lines(shown)
		atRisk.More(len(risky)-len(shown), "`/release list at-risk mine`")
	}
	answer := render.NewDoc("Waiting for your answer")
	if len(waiting) == 0 {
		answer.Section("Nothing waits for your answer.")
	} else {
		answer.Lines(render.PendingLines(waiting, HomeLimit, "`/release list due 1w mine` and `/release list externals mine`"))
		answer.Context(render.PendingAnswer(waiting))
	}
	ballot := render.NewDoc("Votes awaiting you")
	if len(votes) == 0 {
		ballot.Section("No change request awaits your vote.")
	} else {
		shown := votes[:min(len(votes), HomeLimit)]
		lines := make([]string, len(shown))
		for i, v := range shown {
			lines[i] = v.line(now, s.loc())
		}
		ballot.Lines(lines)
		ballot.More(len(votes)-len(shown), "`/ccb list open`")
		ballot.Context("Vote with the Approve, Reject and Abstain buttons on each CR's message in its channel; `/ccb show CR-N` shows where it is.")
	}
	docs := []store.Doc{
		section("Your releases", "You own no planned release and hold no role on one. `/release add` registers one.", mine),
		atRisk.Build(),
		answer.Build(),
		ballot.Build(),
	}
	if len(items) > 0 {
		docs = append(docs, checklistHome(items, today))
	}
	return docs, nil
}

// myOpenItems returns the open checklist items of planned releases that
// user answers for: those with a due date first, by date.
func myOpenItems(g *store.Graph, user string) []render.DueItem {
	var out []render.DueItem
	for _, r := range g.Releases() {
		if r.Status != store.Planned {
			continue
		}
		for i := range r.Checklist {
			if it := &r.Checklist[i]; !it.Done && it.Answerer(r) == user {
				out = append(out, render.DueItem{Release: r, Item: it})
			}
		}
	}
	slices.SortFunc(out, func(a, b render.DueItem) int {
		if az, bz := a.Item.Due.IsZero(), b.Item.Due.IsZero(); az != bz {
			if az {
				return 1
			}
			return -1
		}
		return cmp.Or(a.Item.Due.Sub(b.Item.Due), cmp.Compare(a.Release.Key(), b.Release.Key()), cmp.Compare(a.Item.N, b.Item.N))
	})
	return out
}

// checklistHome is the App Home section of the user's open checklist
// items; it is shown only when there are some.
func checklistHome(items []render.DueItem, today store.Date) store.Doc {
	b := render.NewDoc("Your checklist items")
	shown := items[:min(len(items), HomeLimit)]
	lines := make([]string, len(shown))
	for i, d := range shown {
		lines[i] = render.DueItemLine(d.Item, d.Release, today)
	}
	b.Lines(lines)
	b.More(len(items)-len(shown), "`/release check &lt;release&gt;`")
	b.Context("`/release check &lt;release&gt; done &lt;N&gt;` ticks one off.")
	return b.Build()
}

// byDate orders releases by target, then key.
func byDate(a, b store.Release) int {
	return cmp.Or(a.Target.Sub(b.Target), cmp.Compare(a.Key(), b.Key()))
}

func holdsRole(r *store.Release, p *store.Product, user string) bool {
	for _, role := range store.AllRoles {
		if slices.Contains(r.Holders(role, p), user) {
			return true
		}
	}
	return false
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
