package commands

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"relman/store"
)

// HomeLimit is how many releases each App Home section lists.
const HomeLimit = 20

// Home returns the documents of a user's App Home: their releases (owned,
// or where they hold a role), those of them at risk with the root cause,
// what waits for their answer (external items they own awaiting
// re-confirmation, needed-by dates in the next week of releases they are
// release manager of), and the change requests awaiting their vote, as a
// member or the delegate of one (votesAwaiting). It reads the store and
// changes nothing.
func (s *Service) Home(ctx context.Context, user string) ([]store.Doc, error) {
	now := s.Clock.Now()
	today := store.DateOf(now, s.loc())
	var mine []store.Release
	var risks map[store.Ref]*store.Risk
	var risky []string // lines: the user's releases at risk, with why
	var waiting []pendingItem
	var votes []awaitedVote
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
			line := fmt.Sprintf(":warning: %s — %s", bold(r.Ref), when(r.Target, today))
			if causes, more := up.Causes(r.Ref, 1); len(causes) > 0 {
				line += ": " + causeLine(causes[0], g, today, s.loc())
				if more {
					line += " — and more: `/release show " + r.Ref.String() + "`"
				}
			}
			risky = append(risky, line)
		}
		waiting = pending(g, products, exts, rels, user, now, s.loc())
		crs, err := tx.OpenChangeRequests()
		if err != nil {
			return err
		}
		ds, err := tx.Delegations()
		if err != nil {
			return err
		}
		votes = votesAwaiting(crs, ds, user, now, today)
		return nil
	})
	if err != nil {
		return nil, err
	}
	section := func(title, empty string, rows []store.Release) store.Doc {
		b := newDoc(title)
		if len(rows) == 0 {
			b.section(empty)
			return b.build()
		}
		shown := rows[:min(len(rows), HomeLimit)]
		lines := make([]string, 0, len(shown))
		for i := range shown {
			r := &shown[i]
			_, atRisk := risks[r.Ref]
			line := fmt.Sprintf("%s %s — %s · %s%s", statusIcon(r, atRisk), bold(r.Ref), when(r.Target, today), mention(r.Owner), releaseMarks(r, false, today))
			if rk := risks[r.Ref]; rk != nil && len(rk.Slips) > 0 {
				e := rk.Slips[0]
				line += fmt.Sprintf(" · needs %s, %s", providerShort(e), edgeStateText(e, today))
			} else if rk != nil && len(rk.Via) > 0 {
				line += fmt.Sprintf(" · through %s", bold(rk.Via[0]))
			}
			lines = append(lines, line)
		}
		b.lines(lines)
		b.more(len(rows) - len(shown))
		return b.build()
	}
	atRisk := newDoc("Yours at risk")
	if len(risky) == 0 {
		atRisk.section(":tada: None of your releases is at risk.")
	} else {
		shown := risky[:min(len(risky), HomeLimit)]
		atRisk.lines(shown)
		atRisk.more(len(risky)-len(shown), "`/release list at-risk mine`")
	}
	answer := newDoc("Waiting for your answer")
	if len(waiting) == 0 {
		answer.section("Nothing waits for your answer.")
	} else {
		answer.lines(pendingLines(waiting, HomeLimit, "`/release list due 1w mine` and `/release list externals mine`"))
		answer.context(pendingAnswer(waiting))
	}
	ballot := newDoc("Votes awaiting you")
	if len(votes) == 0 {
		ballot.section("No change request awaits your vote.")
	} else {
		shown := votes[:min(len(votes), HomeLimit)]
		lines := make([]string, len(shown))
		for i, v := range shown {
			lines[i] = v.line(now, s.loc())
		}
		ballot.lines(lines)
		ballot.more(len(votes)-len(shown), "`/ccb list open`")
		ballot.context("Vote with the Approve, Reject and Abstain buttons on each CR's message in its channel; `/ccb show CR-N` shows where it is.")
	}
	return []store.Doc{
		section("Your releases", "You own no planned release and hold no role on one. `/release add` registers one.", mine),
		atRisk.build(),
		answer.build(),
		ballot.build(),
	}, nil
}

// byDate orders releases by target, then key.
func byDate(a, b store.Release) int {
	return cmp.Or(a.Target.Sub(b.Target), cmp.Compare(a.Key(), b.Key()))
}

// providerShort names an edge's provider for one-line summaries.
func providerShort(e store.Edge) string {
	if e.IsExternal() {
		return "“" + Escape(e.ProviderName) + "”"
	}
	return bold(e.Provider)
}

func holdsRole(r *store.Release, p *store.Product, user string) bool {
	for _, role := range store.AllRoles {
		if slices.Contains(r.Holders(role, p), user) {
			return true
		}
	}
	return false
}
