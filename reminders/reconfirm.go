package reminders

import (
	"time"

	"relman/commands/render"
	"relman/store"
)

// Reconfirms is the Check for external items whose owner has not confirmed
// their date for ReconfirmAfter while a planned release still waits for
// them (due today or later, at least one planned consumer): one DM to the
// owner per confirmation (store.ReconfirmKey), held for their working
// hours, with "Still on <date>" and "New date…" buttons.
// It looks at every external item whatever the scope: commands do not
// run it.
func Reconfirms(tx *store.Tx, _ *store.Graph, now time.Time, loc *time.Location, _ Scope) ([]Alert, error) {
	today := store.DateOf(now, loc)
	xs, err := tx.Externals()
	if err != nil {
		return nil, err
	}
	stale := map[string]*store.External{}
	for i := range xs {
		x := &xs[i]
		if x.Owner == "" || x.Due.Before(today) || now.Sub(x.LastConfirmed) < ReconfirmAfter {
			continue
		}
		if tx.Sent(store.ReconfirmKey(x.Name, x.LastConfirmed)) {
			continue
		}
		stale[store.ExternalKey(x.Name)] = x
	}
	if len(stale) == 0 {
		return nil, nil
	}
	deps, err := tx.Dependencies()
	if err != nil {
		return nil, err
	}
	type wait struct {
		refs     []store.Ref
		neededBy store.Date
	}
	waits := map[string]*wait{}
	for _, d := range deps {
		if stale[d.External] == nil {
			continue
		}
		r, err := tx.Release(d.Consumer)
		if err != nil || r.Status != store.Planned {
			continue // a consumer that is gone, shipped or cancelled waits for nothing
		}
		need := d.NeededBy
		if need.IsZero() {
			need = r.Target
		}
		w := waits[d.External]
		if w == nil {
			w = &wait{neededBy: need}
			waits[d.External] = w
		}
		w.refs = append(w.refs, d.Consumer)
		if need.Before(w.neededBy) {
			w.neededBy = need
		}
	}
	var alerts []Alert
	for _, x := range xs {
		w := waits[store.ExternalKey(x.Name)]
		if stale[store.ExternalKey(x.Name)] == nil || w == nil {
			continue
		}
		doc := render.ReconfirmRequest(x, w.refs, w.neededBy, now, loc)
		key := store.ReconfirmKey(x.Name, x.LastConfirmed)
		alerts = append(alerts, Alert{
			Key: key,
			Messages: []store.Message{{Channel: x.Owner, DM: true, Quiet: true, Doc: doc,
				Notice: &store.Notice{Kind: store.KindReconfirm, Subject: store.ExternalSubject(x.Name), Key: key, External: x.Name}}},
		})
	}
	return alerts, nil
}

// ReconfirmAfter is how long an external item's date may go unconfirmed
// before its owner is asked whether it still holds.
const ReconfirmAfter = 14 * 24 * time.Hour

// reconfirmNotice is the re-confirm request of the notice's external item
// as of now, dates read in loc; false once the item was confirmed after m
// was queued, its date passed, or no planned release waits for it.
func reconfirmNotice(g *store.Graph, m *store.Message, now time.Time, loc *time.Location) (store.Doc, bool) {
	x := g.External(m.Notice.External)
	today := store.DateOf(now, loc)
	if x == nil || x.LastConfirmed.After(m.CreatedAt) || x.Due.Before(today) {
		return store.Doc{}, false
	}
	var refs []store.Ref
	var neededBy store.Date
	for _, d := range g.Dependents("ext:" + store.ExternalKey(x.Name)) {
		r := g.Release(d.Consumer)
		if r == nil || r.Status != store.Planned {
			continue
		}
		need := d.NeededBy
		if need.IsZero() {
			need = r.Target
		}
		if len(refs) == 0 || need.Before(neededBy) {
			neededBy = need
		}
		refs = append(refs, d.Consumer)
	}
	if len(refs) == 0 {
		return store.Doc{}, false
	}
	return render.ReconfirmRequest(*x, refs, neededBy, now, loc), true
}
