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
// not get the alert's post as well, and is recorded as told it
// (store.Tx.MarkTold); DMs always go. It returns how many messages it
// queued.
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
		var told []store.Message // in a channel the command's news told
		a.Messages = slices.DeleteFunc(a.Messages, func(m store.Message) bool {
			if !m.DM && slices.Contains(posted, m.Channel) {
				told = append(told, m)
				return true
			}
			return false
		})
		if !tx.Sent(a.Key) {
			// The channel heard it from the command's news: that is what it
			// was last told of the subject, as if the alert were delivered.
			for _, m := range told {
				if m.Notice != nil {
					if err := tx.MarkTold(m.Channel, m.Notice); err != nil {
						return 0, err
					}
				}
			}
		}
		n, err := QueueAlert(tx, a)
		if err != nil {
			return 0, err
		}
		queued += n
	}
	return queued, nil
}
