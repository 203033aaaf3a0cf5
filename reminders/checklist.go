package reminders

import (
	"cmp"
	"slices"
	"time"

	"relman/commands/render"
	"relman/store"
)

// ChecklistAlerts is the Check for checklist items: whoever answers for
// an open item of a planned release (its owner, else the release's owner)
// is reminded by quiet DM 7 days and 1 day before its due date (the
// upcoming windows of UpcomingDays: a reminder missed while relman was
// down goes late, a superseded one not at all) and told once when it is
// overdue. Each reminder is keyed by the item's due date
// (store.ChecklistKey), so a new due date reminds again. It reads the
// releases of the graph, every one whatever the scope: commands do not
// run it.
func ChecklistAlerts(tx *store.Tx, g *store.Graph, now time.Time, loc *time.Location, _ Scope) ([]Alert, error) {
	today := store.DateOf(now, loc)
	var alerts []Alert
	for _, r := range g.Releases() {
		if r.Status != store.Planned || len(r.Checklist) == 0 {
			continue
		}
		for i := range r.Checklist {
			it := &r.Checklist[i]
			if it.Done || it.Due.IsZero() {
				continue
			}
			n := 0 // the overdue notice
			if !it.Overdue(today) {
				if n = upcomingDue(it.Due.Sub(today)); n == 0 {
					continue
				}
			}
			if tx.ChecklistSent(r.Ref, it.N, it.Due, n) || nearerItemReminderSent(tx, r.Ref, it, n) {
				continue
			}
			to := it.Answerer(r)
			if to == "" {
				continue
			}
			alerts = append(alerts, Alert{Key: store.ChecklistKey(r.Ref, it.N, it.Due, n), Messages: []store.Message{{Channel: to, DM: true, Quiet: true, Remind: true, Doc: render.ChecklistReminder(it, r, today)}}})
		}
	}
	slices.SortFunc(alerts, func(a, b Alert) int { return cmp.Compare(a.Key, b.Key) })
	return alerts, nil
}

// nearerItemReminderSent reports whether a reminder about it nearer to its
// due date than daysBefore was sent (for the overdue notice, none is
// nearer): that one supersedes this, even when the wall clock, stepped
// back over midnight, makes this one due again.
func nearerItemReminderSent(tx *store.Tx, ref store.Ref, it *store.ChecklistItem, daysBefore int) bool {
	if daysBefore == 0 {
		return false
	}
	for _, n := range UpcomingDays {
		if n < daysBefore && tx.ChecklistSent(ref, it.N, it.Due, n) {
			return true
		}
	}
	return tx.ChecklistSent(ref, it.N, it.Due, 0)
}
