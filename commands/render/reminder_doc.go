package render

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
		confirmed = "on " + When(store.DateOf(x.LastConfirmed, loc), today)
	}
	b := NewDoc("")
	b.Section(fmt.Sprintf(":calendar: Is external “%s” still due %s? It was last confirmed %s.", name, When(x.Due, today), confirmed))
	if len(waiting) > 0 {
		refs := make([]string, len(waiting))
		for i, r := range waiting {
			refs[i] = Bold(r)
		}
		verb := "needs"
		if len(waiting) > 1 {
			verb = "need"
		}
		b.Section(fmt.Sprintf("%s %s it by %s.", AndList(refs), verb, When(neededBy, today)))
	}
	command := "confirm external " + Quote(x.Name)
	b.d.Buttons = []store.Button{
		RunButton("Still on "+x.Due.Pretty(), command),
		AskButton("New date…", Ask{Title: "New date", Command: command + " due {date} {reason}", Date: x.Due.String(), Reason: true}),
	}
	b.Context("Or type `/release " + command + " [due &lt;date&gt; because &lt;reason&gt;]`.")
	return b.Build()
}

// StaleAfter is how long an external item's date may go unconfirmed before
// lists flag it (SPEC §3 asks its owner to re-confirm then).
const StaleAfter = 14 * 24 * time.Hour

// ExternalLine is one external item as lists and digests show it: its
// due date, owner and when it was last confirmed (flagged after
// StaleAfter), and, when deps > 0, how many releases need it. loc is the
// workspace zone, in which the confirmation's date is read.
func ExternalLine(e store.External, deps int, now time.Time, today store.Date, loc *time.Location) string {
	confirmed := store.DateOf(e.LastConfirmed, loc)
	icon, note := ":package:", "confirmed "+confirmedWhen(confirmed, today)
	if stale(e, now) {
		icon, note = ":warning:", "*not confirmed for "+Days(today.Sub(confirmed))+"*"
	}
	line := fmt.Sprintf("%s external “%s” — due %s · %s · %s", icon, Escape(e.Name), When(e.Due, today), Mention(e.Owner), note)
	if deps > 0 {
		line += " · needed by " + Plural(deps, "release")
	}
	return line
}

// stale reports whether e's date went unconfirmed for StaleAfter as of now.
func stale(e store.External, now time.Time) bool { return now.Sub(e.LastConfirmed) >= StaleAfter }

func confirmedWhen(d, today store.Date) string {
	switch n := today.Sub(d); n {
	case 0:
		return "today"
	case 1:
		return "yesterday"
	default:
		return Days(n) + " ago"
	}
}
