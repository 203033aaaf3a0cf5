package commands

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"relman/store"
)

// idRE is what a user or channel ID may contain: Slack's IDs (U123ABC,
// C123ABC) and the names console users type (alex, releases).
var idRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// mention renders a user ID so Slack shows the user.
func mention(u string) string {
	if u == "" {
		return "nobody"
	}
	return "<@" + u + ">"
}

func mentions(us []string) string {
	if len(us) == 0 {
		return "nobody"
	}
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = mention(u)
	}
	return strings.Join(out, ", ")
}

// channelRef renders a channel ID so Slack links the channel.
func channelRef(c string) string {
	if c == "" {
		return "no channel"
	}
	return "<#" + c + ">"
}

func bold(ref store.Ref) string { return "*" + ref.String() + "*" }

// days says a day count the way people do.
func days(n int) string {
	switch n {
	case 1, -1:
		return "1 day"
	}
	if n < 0 {
		n = -n
	}
	return strconv.Itoa(n) + " days"
}

// when is a date relative to today: "Fri 2027-01-15 (in 12 days)".
func when(d, today store.Date) string {
	n := d.Sub(today)
	switch {
	case d.IsZero():
		return "no date"
	case n == 0:
		return d.Pretty() + " (today)"
	case n == 1:
		return d.Pretty() + " (tomorrow)"
	case n > 0:
		return d.Pretty() + " (in " + days(n) + ")"
	case n == -1:
		return d.Pretty() + " (yesterday)"
	default:
		return d.Pretty() + " (" + days(n) + " ago)"
	}
}

// slackText says an edge's slack: "5 days to spare", "3 days late".
func slackText(n int) string {
	switch {
	case n > 0:
		return days(n) + " to spare"
	case n == 0:
		return "no slack"
	default:
		return days(n) + " late"
	}
}

// providerName renders an edge's provider: a release in bold, an external
// item's (user-given) name escaped and quoted.
func providerName(d store.Dependency, g *store.Graph) string {
	if d.IsExternal() {
		if x := g.External(d.External); x != nil {
			return "external “" + Escape(x.Name) + "”"
		}
		return "external “" + Escape(d.External) + "”"
	}
	return bold(d.Provider)
}

func statusIcon(r *store.Release, atRisk bool) string {
	switch {
	case r.Status == store.Shipped:
		return ":white_check_mark:"
	case r.Status == store.Cancelled:
		return ":no_entry_sign:"
	case atRisk:
		return ":warning:"
	}
	return ":calendar:"
}

// edgeLine describes one dependency's state.
func edgeLine(e store.Edge, g *store.Graph, today store.Date) string {
	s := fmt.Sprintf("%s needed by %s, due %s", providerName(e.Dependency, g), e.NeededBy.Pretty(), e.ProviderDate.Pretty())
	switch {
	case e.Cancelled:
		s += " — :no_entry_sign: *cancelled*"
	case e.Delivered:
		s += " — shipped"
	case e.Overdue:
		s += fmt.Sprintf(" — :warning: *overdue* (needed %s ago, not shipped)", days(today.Sub(e.NeededBy)))
	case e.Slipped:
		s += fmt.Sprintf(" — :warning: *%s late*", days(e.DaysLate()))
	default:
		s += " — " + slackText(e.Slack)
	}
	return s
}
