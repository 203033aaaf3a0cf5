package reminders

import (
	"slices"
	"time"

	"relman/commands"
	"relman/store"
)

var _ commands.AlertCheck = DueAfterCommand

// DueAfterCommand is the due-check a command runs for what it touched
// (commands.Service.Alerts): the edge alerts (EdgeAlerts) of the touched
// releases' dependencies and dependents and of the touched external items'
// dependents, queued in the command's transaction tx, so a crash loses none
// of them and the sweep does not send them again. A channel the command
// already posted its news in (posted: that news says who is now late) does
// not get the alert's post as well; DMs always go. It returns how many
// messages it queued.
func DueAfterCommand(tx *store.Tx, now time.Time, loc *time.Location, touched commands.Touched, posted []string) (int, error) {
	g, err := tx.Graph()
	if err != nil {
		return 0, err
	}
	alerts, err := EdgeAlerts(tx, g, now, loc, Scope{Releases: touched.Releases, Externals: touched.Externals})
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, a := range alerts {
		a.Messages = slices.DeleteFunc(a.Messages, func(m store.Message) bool { return !m.DM && slices.Contains(posted, m.Channel) })
		n, err := QueueAlert(tx, a)
		if err != nil {
			return 0, err
		}
		queued += n
	}
	return queued, nil
}
