package commands

import (
	"errors"
	"time"

	"relman/store"
)

// Touched is what a command changed that can change whether an edge alert
// is due: releases (their own dependencies and their dependents) and
// external items, by name (their dependents).
type Touched struct {
	Releases  []store.Ref
	Externals []string
}

// AlertCheck queues, in a command's transaction tx, the alerts that fall
// due as of now because of what the command touched, and returns how many
// messages it queued; loc is the workspace zone. A post to one of the
// channels in posted (where the command already posted its news, which
// says who is now late) is left out; DMs always go. It is the consumer's
// side of reminders.DueAfterCommand: commands may not import reminders
// (the arrows run main → bot → reminders → commands), so main's wiring
// sets Service.Alerts to it.
type AlertCheck func(tx *store.Tx, now time.Time, loc *time.Location, touched Touched, posted []string) (int, error)

// errNoAlerts fails a command that changed dates when no due-check is
// wired: better refused than silently not telling anyone.
var errNoAlerts = errors.New("no due-check wired: set Service.Alerts (reminders.DueAfterCommand)")

// alert runs the due-check for what a command touched and queues what is
// due in the command's own transaction, so a crash loses none of it and
// the sweep does not send it again.
func (x *Exec) alert(tx *store.Tx, touched Touched) error {
	if x.s.Alerts == nil {
		return errNoAlerts
	}
	n, err := x.s.Alerts(tx, x.now, x.s.loc(), touched, x.newsIn)
	if err != nil {
		return err
	}
	x.queued += n
	return nil
}

// announce posts news, the news of a change to r, in r's channel and runs
// the due-check for r in the same transaction: the edges on and of r are
// the ones whose state the change can have changed.
func (x *Exec) announce(tx *store.Tx, r *store.Release, news store.Doc) error {
	if err := x.post(tx, r.Channel, news); err != nil {
		return err
	}
	return x.alert(tx, Touched{Releases: []store.Ref{r.Ref}})
}
