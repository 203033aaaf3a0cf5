package commands

import (
	"context"
	"fmt"

	"relman/commands/render"
	"relman/store"
)

// JiraState is what the Jira sync of one project starts from: its link and
// what the last sync saw of each version, by id.
type JiraState struct {
	Link     store.Link
	Versions map[string]store.JiraVersion
}

// JiraState reads the link of the Jira project key and the versions the
// last sync saw; an ENotFound error when the project is not linked.
func (s *Service) JiraState(ctx context.Context, key string) (JiraState, error) {
	var st JiraState
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		l, err := tx.Link(store.LinkJira, key)
		if err != nil {
			return err
		}
		st.Link = *l
		st.Versions, err = tx.JiraVersions(l.Target)
		return err
	})
	return st, err
}

// JiraLinks returns the keys of every linked Jira project.
func (s *Service) JiraLinks(ctx context.Context) ([]string, error) {
	var keys []string
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		ls, err := tx.Links()
		for _, l := range ls {
			if l.Kind == store.LinkJira {
				keys = append(keys, l.Target)
			}
		}
		return err
	})
	return keys, err
}

// JiraSynced records a sync of project key that succeeded: the versions
// seen that no command recorded, what it changed, how many names it
// skipped. It ends a failure, so the next one is told again.
func (s *Service) JiraSynced(ctx context.Context, key string, seen []store.JiraVersion, changed []string, skipped int) error {
	now := s.Clock.Now()
	return s.Store.Update(store.WithVia(ctx, store.ViaJira), store.ActorJira, now, func(tx *store.Tx) error {
		for i := range seen {
			if err := tx.PutJiraVersion(&seen[i]); err != nil {
				return err
			}
		}
		l, err := tx.Link(store.LinkJira, key)
		if err != nil {
			return err
		}
		l.Last, l.LastChanged, l.Skipped, l.Failing, l.Told = now, changed, skipped, "", false
		return tx.RecordSync(l)
	})
}

// JiraFailed records that syncing project key failed with why (plain
// text) and tells whoever linked it, by quiet DM, once: again only after a
// sync has succeeded in between. It returns the messages queued.
func (s *Service) JiraFailed(ctx context.Context, key, why string) (int, error) {
	now := s.Clock.Now()
	x := &Exec{ctx: ctx, s: s, req: Request{User: store.ActorJira, Via: store.ViaJira}, now: now, today: store.DateOf(now, s.loc())}
	err := x.update(func(tx *store.Tx) error {
		x.queued = 0
		l, err := tx.Link(store.LinkJira, key)
		if err != nil {
			return err
		}
		l.Failing = why
		if !l.Told {
			l.Told = true
			b := render.NewDoc("")
			b.Section(fmt.Sprintf(":warning: relman could not read the versions of Jira project %s, linked to *%s*: %s. Nothing was changed; relman tries again at the next sync and tells you again only after it has worked in between. `/release link list` shows the links.", render.Escape(key), l.Product, render.Escape(why)))
			x.queued++
			if err := tx.Enqueue(&store.Message{Channel: l.By, DM: true, Quiet: true, Doc: b.Build()}); err != nil {
				return err
			}
		}
		return tx.RecordSync(l)
	})
	return x.queued, err
}
