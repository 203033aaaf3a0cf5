package reminders

import (
	"time"

	"relman/commands"
	"relman/store"
)

// CRDeadlines is the due-check of change requests whose deadline has
// passed undecided: the sweep decides each once (ledger key
// store.CRDeadlineKey), with the policy's outcome if the votes cast make
// one, else the board's default, and queues what a decision queues. It
// looks only when scope is everything: commands never move a deadline.
func CRDeadlines(tx *store.Tx, _ *store.Graph, now time.Time, loc *time.Location, scope Scope) ([]Alert, error) {
	if !scope.All {
		return nil, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	crs, err := tx.OpenChangeRequests()
	if err != nil {
		return nil, err
	}
	var out []Alert
	for _, cr := range crs {
		if !cr.Open() || now.Before(cr.Deadline) {
			continue
		}
		id := cr.ID
		out = append(out, Alert{Key: store.CRDeadlineKey(id, cr.Deadline), Apply: func(tx *store.Tx) (int, error) {
			return commands.DecideAtDeadline(tx, id, now, loc)
		}})
	}
	return out, nil
}
