package commands

// Copies of the CR renderers of branch i8-ccb-core (commands/ccb_doc.go),
// which is written in parallel: the vote nag, the App Home, the digest and
// the agenda say a CR's deadline, tally and place the way its card does.
// When both branches are merged this file is deleted (the definitions
// collide by name, so the build says so), leaving one copy.

import (
	"fmt"
	"time"

	"relman/store"
)

// stamp formats an instant in loc: "Thu 14:00 UTC" within the coming week,
// with the date otherwise.
func stamp(t, now time.Time, loc *time.Location) string {
	t = t.In(loc)
	if d := t.Sub(now); d > -6*24*time.Hour && d < 6*24*time.Hour {
		return t.Format("Mon 15:04 MST")
	}
	return t.Format("Mon 2006-01-02 15:04 MST")
}

// span says a duration the way people do: "2 days", "5 hours", "40 minutes".
func span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 48*time.Hour:
		return days(int(d / (24 * time.Hour)))
	case d >= 2*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int(d/time.Minute), "minute")
	}
	return "less than a minute"
}

// closesText says a CR's deadline in the reader's words: "closes Thu 14:00
// UTC, in 2 days", "closed Mon 09:00 UTC, 5 hours ago".
func closesText(deadline, now time.Time, loc *time.Location) string {
	if deadline.After(now) {
		return "closes " + stamp(deadline, now, loc) + ", in " + span(deadline.Sub(now))
	}
	return "closed " + stamp(deadline, now, loc) + ", " + span(now.Sub(deadline)) + " ago"
}

var choiceIcons = map[store.Choice]string{store.Approve: ":white_check_mark:", store.Reject: ":x:"}

// tallyText is the live tally: "2 approve · 1 reject · 0 abstain — 2 of 5
// still to vote: <@d>, <@e>". Anonymous ballots name nobody.
func tallyText(cr *store.ChangeRequest) string {
	t := cr.Tally()
	s := fmt.Sprintf("%s %d approve · %s %d reject · %d abstain", choiceIcons[store.Approve], t[store.Approve],
		choiceIcons[store.Reject], t[store.Reject], t[store.Abstain])
	pending := cr.Pending()
	members := len(cr.Members())
	switch {
	case len(pending) == 0:
		s += " — everyone has voted"
	case cr.PolicySnapshot.Anonymous || !cr.Open():
		s += fmt.Sprintf(" — %d of %d still to vote", len(pending), members)
	default:
		s += fmt.Sprintf(" — %d of %d still to vote: %s", len(pending), members, mentions(pending))
	}
	return s
}

// crWhere says where a CR is discussed, until the bot renders thread
// links: "in <#CPAY> (`/ccb show CR-3`)".
func crWhere(cr *store.ChangeRequest) string {
	return fmt.Sprintf("in %s (`/ccb show %s`)", channelRef(cr.Channel), cr.Name())
}
