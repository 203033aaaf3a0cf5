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
// or where they hold a role), the releases at risk, and what awaits their
// vote. It reads the store and changes nothing.
func (s *Service) Home(ctx context.Context, user string) ([]store.Doc, error) {
	today := s.Today()
	var mine, risky []store.Release
	var risks map[store.Ref]*store.Risk
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		risks = g.AtRisk(today)
		ps, err := tx.Products()
		if err != nil {
			return err
		}
		products := make(map[string]*store.Product, len(ps))
		for i := range ps {
			products[ps[i].Name] = &ps[i]
		}
		rs, err := tx.Releases()
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Status != store.Planned {
				continue
			}
			if _, ok := risks[r.Ref]; ok {
				risky = append(risky, r)
			}
			if r.Owner == user || holdsRole(&r, products[r.Product], user) {
				mine = append(mine, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	byDate := func(a, b store.Release) int {
		return cmp.Or(a.Target.Sub(b.Target), cmp.Compare(a.Key(), b.Key()))
	}
	slices.SortFunc(mine, byDate)
	slices.SortFunc(risky, byDate)
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
	return []store.Doc{
		section("Your releases", "You own no planned release and hold no role on one. `/release add` registers one.", mine),
		section("At risk", ":tada: Nothing is at risk.", risky),
		section("Votes awaiting you", "No change request awaits your vote.", nil),
	}, nil
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
