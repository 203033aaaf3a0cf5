package commands

import (
	"fmt"
	"time"

	"relman/store"
)

// ReconfirmRequest is the DM that asks an external item's owner, at now,
// whether its date still holds: the item, its date, when it was last
// confirmed, and the releases waiting for it (waiting) with the earliest
// date they need it by; with a "Still on <date>" button (confirm) and a
// "New date…" button (a form, then confirm … due <date>). Both run the
// confirm command as whoever clicks, with their permissions. Dates are
// read in loc, the workspace zone.
func ReconfirmRequest(x store.External, waiting []store.Ref, neededBy store.Date, now time.Time, loc *time.Location) store.Doc {
	today := store.DateOf(now, loc)
	name := Escape(x.Name)
	confirmed := "never"
	if !x.LastConfirmed.IsZero() {
		confirmed = "on " + when(store.DateOf(x.LastConfirmed, loc), today)
	}
	b := newDoc("")
	b.section(fmt.Sprintf(":calendar: Is external “%s” still due %s? It was last confirmed %s.", name, when(x.Due, today), confirmed))
	if len(waiting) > 0 {
		refs := make([]string, len(waiting))
		for i, r := range waiting {
			refs[i] = bold(r)
		}
		verb := "needs"
		if len(waiting) > 1 {
			verb = "need"
		}
		b.section(fmt.Sprintf("%s %s it by %s.", andList(refs), verb, when(neededBy, today)))
	}
	command := `confirm external "` + name + `"`
	b.d.Buttons = []store.Button{
		RunButton("Still on "+x.Due.Pretty(), command),
		AskButton("New date…", Ask{Title: "New date", Command: command + " due {date}", Date: x.Due.String()}),
	}
	b.context("Or type `/release " + command + " [due &lt;date&gt;]`.")
	return b.build()
}
