package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"relman/store"
)

// Mention renders a user ID so Slack shows the user.
func Mention(u string) string {
	if u == "" {
		return "nobody"
	}
	return "<@" + u + ">"
}

// Mentions renders user IDs so Slack shows the users, comma-separated;
// "nobody" for none.
func Mentions(us []string) string {
	if len(us) == 0 {
		return "nobody"
	}
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = Mention(u)
	}
	return strings.Join(out, ", ")
}

// ChannelRef renders a channel ID so Slack links the channel.
func ChannelRef(c string) string {
	if c == "" {
		return "no channel"
	}
	return "<#" + c + ">"
}

// Bold renders a release reference in bold.
func Bold(ref store.Ref) string { return "*" + ref.String() + "*" }

// Days says a day count the way people do: "1 day", "3 days" (of n's
// size: "3 days" for -3 too).
func Days(n int) string { return string(appendDays(make([]byte, 0, 16), n)) }

// When is a date relative to today: "Fri 2027-01-15 (in 12 days)",
// "… (today)", "… (tomorrow)", "… (yesterday)", "… (3 days ago)"; "no
// date" for the zero Date.
func When(d, today store.Date) string { return when(d, today) }

// Plural says a count of a noun: "1 release", "3 releases".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return strconv.Itoa(n) + " " + noun[:len(noun)-1] + "ies"
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// AndList joins items as people write them: "a", "a and b", "a, b and c".
func AndList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// EdgeStateWords says an edge's state in the words every view uses:
// "on track (5 days to spare)", "late (3 days)", "overdue (needed 2 days
// ago, not shipped)", "provider cancelled", "delivered on time", "delivered
// 3 days late" (a provider that came after the needed-by date), or, for an edge
// whose consumer is shipped or cancelled, "not needed any more (… shipped)".
// Where its handshake stands is edgeStateText's to add.
func EdgeStateWords(e store.Edge, today store.Date) string {
	switch e.Kind {
	case store.Late:
		return "late (" + Days(e.DaysLate()) + ")"
	case store.Overdue:
		if inStage(e) {
			return "overdue (needed " + Days(today.Sub(e.NeededBy)) + " ago, not in " + e.Stage + ")"
		}
		return "overdue (needed " + Days(today.Sub(e.NeededBy)) + " ago, not shipped)"
	case store.ProviderCancelled:
		return "provider cancelled"
	case store.Delivered:
		if n := e.DaysLate(); n > 0 {
			return "delivered " + Days(n) + " late"
		}
		return "delivered on time"
	case store.NotNeeded:
		return "not needed any more (" + e.Consumer.String() + " is " + string(e.ConsumerStatus) + ")"
	}
	if e.Slack <= 0 {
		return "on track (no days to spare)"
	}
	return "on track (" + Days(e.Slack) + " to spare)"
}

// handshakeWords says where an edge's request to its provider stands, for
// an edge still waiting for its provider: " · requested" (not answered),
// " · committed", " · counter-proposed Mon 2027-01-25"; "" for an edge
// without a handshake.
func handshakeWords(e store.Edge) string {
	if e.Kind != store.OnTrack && e.Kind != store.Late && e.Kind != store.Overdue {
		return ""
	}
	switch e.Handshake {
	case store.HandshakeRequested:
		return " · requested"
	case store.HandshakeCommitted:
		return " · committed"
	case store.HandshakeCountered:
		return " · counter-proposed " + e.Proposed.Pretty()
	}
	return ""
}

// EdgeStateText is an edge's state as every reply, post and view shows it:
// edgeStateWords, marked when the edge slipped, then where its handshake
// stands (handshakeWords). It is a pure function of the edge and today, so
// alerts and digests can say the same.
func EdgeStateText(e store.Edge, today store.Date) string {
	w := EdgeStateWords(e, today)
	switch e.Kind {
	case store.Late, store.Overdue:
		w = ":warning: *" + w + "*"
	case store.ProviderCancelled:
		w = ":no_entry_sign: *" + w + "*"
	}
	return w + handshakeWords(e)
}

// ProviderName renders an edge's provider: a release in bold, an external
// item's (user-given) name escaped and quoted.
func ProviderName(e store.Edge) string {
	if e.IsExternal() {
		return "external " + ProviderShort(e)
	}
	return Bold(e.Provider) + InStage(e.Stage)
}

// InStage is " in test" for a dependency in a stage before production,
// "" for one on the provider's production (its shipping).
func InStage(stage string) string {
	if stage == "" || stage == store.Production {
		return ""
	}
	return " in " + stage
}

// inStage reports whether e waits for a stage before production.
func inStage(e store.Edge) bool { return !e.IsExternal() && InStage(e.Stage) != "" }

// StatusIcon is the emoji a release line starts with: its status, or a
// warning when a planned release is at risk.
func StatusIcon(r *store.Release, atRisk bool) string {
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

// ReleaseMarks are the marks a release's line carries after its date:
// " · shipped", " · :warning: *overdue*", " · *at risk*".
func ReleaseMarks(r *store.Release, atRisk bool, today store.Date) string {
	return string(appendReleaseMarks(nil, r, atRisk, today))
}

// ProviderDue says when an edge's provider comes: "due Wed 2027-01-20",
// "shipped Sun 2027-01-03", "due Mon 2027-01-11 (passed, not shipped)".
func ProviderDue(e store.Edge) string {
	switch {
	case e.Delivered && inStage(e):
		return "in " + e.Stage + " " + e.ProviderDate.Pretty()
	case e.Delivered && !e.IsExternal():
		return "shipped " + e.ProviderDate.Pretty()
	case e.ProviderOverdue && inStage(e):
		return "due in " + e.Stage + " " + e.ProviderDate.Pretty() + " (passed, not reached)"
	case e.ProviderOverdue:
		return "due " + e.ProviderDate.Pretty() + " (passed, not shipped)"
	case inStage(e):
		return "due in " + e.Stage + " " + e.ProviderDate.Pretty()
	}
	return "due " + e.ProviderDate.Pretty()
}

// EdgeLine describes one dependency: its provider, dates and state.
func EdgeLine(e store.Edge, today store.Date) string {
	return fmt.Sprintf("%s needed by %s, %s — %s", ProviderName(e), e.NeededBy.Pretty(), ProviderDue(e), EdgeStateText(e, today))
}

// lastMove says who last moved (or cancelled) an edge's provider, when (in
// zone) and why: "moved by <@kim> on Tue 2027-01-05: “token rotation”", or ""
// when it never moved.
func lastMove(e store.Edge, g *store.Graph, zone *time.Location) string {
	h, verb := lastDateChange(e, g)
	if verb == "" {
		return ""
	}
	s := fmt.Sprintf("%s by %s on %s", verb, Mention(h.By), store.DateOf(h.At, zone).Pretty())
	if h.Reason != "" {
		s += ": “" + Escape(h.Reason) + "”"
	}
	return s
}

// lastDateChange returns the change of an edge's provider's date that
// explains the edge's state, and its verb, "moved" or "cancelled"; verb is
// "" when no change of the provider's date explains it (it was late from
// the start, its needed-by date was pulled in, or time passed). It is the
// one answer to "what caused this?" that alerts, show, impact, digests and
// agendas give:
//
//   - a cancelled provider: its cancellation;
//   - a late or overdue edge: the move that took the provider's date across
//     the needed-by date (from on or before it to after it), the last such;
//     failing that, the last move that made the provider later. A move that
//     made it earlier (less late) is never the cause of a slip;
//   - any other state (on track, delivered): the last change of the date,
//     the one that brought it back.
func lastDateChange(e store.Edge, g *store.Graph) (store.HistoryEntry, string) {
	hs := providerHistory(e, g)
	switch e.Kind {
	case store.Late, store.Overdue:
		if h, ok := crossingMove(e, g); ok {
			return h, "moved"
		}
		for i := len(hs) - 1; i >= 0; i-- { // the last move that made the provider later
			if h := hs[i]; moved(e, h) && h.To.After(h.From) {
				return h, "moved"
			}
		}
		return store.HistoryEntry{}, ""
	}
	for i := len(hs) - 1; i >= 0; i-- {
		h := hs[i]
		switch {
		case moved(e, h):
			if e.Kind == store.ProviderCancelled {
				continue
			}
			return h, "moved"
		case h.Kind == store.HistoryCancelled:
			return h, "cancelled"
		}
	}
	return store.HistoryEntry{}, ""
}

// providerHistory is the date history of e's provider.
func providerHistory(e store.Edge, g *store.Graph) []store.HistoryEntry {
	if e.IsExternal() {
		if x := g.External(e.External); x != nil {
			return x.History
		}
	} else if r := g.Release(e.Provider); r != nil {
		return r.History
	}
	return nil
}

// moved reports whether h changed the date of e's provider that e waits
// for: its target, or, for an edge in a stage, that stage's planned date
// too.
func moved(e store.Edge, h store.HistoryEntry) bool {
	if h.Kind == store.HistoryStageMoved {
		return inStage(e) && h.Stage == e.Stage
	}
	return h.Kind == store.HistoryMoved || h.Kind == store.HistoryConfirmed && h.From != h.To
}

// crossingMove returns the last move of e's provider that took its date
// from on or before e's needed-by date to after it: the move that made the
// edge late. ok is false when there is none (the provider was late from
// the start, or the needed-by date was pulled in before it).
func crossingMove(e store.Edge, g *store.Graph) (h store.HistoryEntry, ok bool) {
	hs := providerHistory(e, g)
	for i := len(hs) - 1; i >= 0; i-- {
		if h := hs[i]; moved(e, h) && !h.From.After(e.NeededBy) && h.To.After(e.NeededBy) {
			return h, true
		}
	}
	return store.HistoryEntry{}, false
}

// CauseLine says where a risk comes from: "*auth@1.4.0* slipped 5 days past
// its needed-by (moved by <@kim> on Tue 2027-01-05: “token rotation”) —
// through *d@1* → *b@1*".
func CauseLine(c store.Cause, g *store.Graph, today store.Date, zone *time.Location) string {
	e := c.Edge
	who := ProviderShort(e)
	var s string
	switch e.Kind {
	case store.Late:
		s = fmt.Sprintf("%s slipped %s past its needed-by %s", who, Days(e.DaysLate()), e.NeededBy.Pretty())
	case store.ProviderCancelled:
		s = who + " was cancelled"
	default:
		s = who + " is " + EdgeStateWords(e, today)
	}
	if m := lastMove(e, g, zone); strings.HasPrefix(m, "cancelled ") && e.Kind == store.ProviderCancelled {
		s = who + " was " + m // "was cancelled by <@kim> on …"
	} else if m != "" {
		s += " (" + m + ")"
	}
	if len(c.Path) > 1 {
		s += " — through " + pathText(c.Path[1:])
	}
	return s
}

// pathText renders a path of releases, eliding the middle of a long one:
// "*r58@1* → *r57@1* → …54 more… → *r02@1* → *r01@1*".
func pathText(path []store.Ref) string {
	const ends = 2
	var parts []string
	for i, r := range path {
		switch {
		case len(path) <= 2*ends+1 || i < ends || i >= len(path)-ends:
			parts = append(parts, Bold(r))
		case i == ends:
			parts = append(parts, fmt.Sprintf("…%d more…", len(path)-2*ends))
		}
	}
	return strings.Join(parts, " → ")
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes user text safe to embed in Slack mrkdwn: it can no longer
// ping (<!channel>, <@U…>) or forge a link.
func Escape(s string) string { return escaper.Replace(s) }

// Capitalize starts s with a capital and spells its dashes as spaces:
// "release-manager" reads "Release manager".
func Capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "-", " ")
}

// ProductList names products for a title: "every product" for none.
func ProductList(ps []string) string {
	if len(ps) == 0 {
		return "every product"
	}
	return AndList(ps)
}

// ProviderShort names an edge's provider for one-line summaries.
func ProviderShort(e store.Edge) string {
	if e.IsExternal() {
		return "“" + Escape(e.ProviderName) + "”"
	}
	return Bold(e.Provider) + InStage(e.Stage)
}

// Clip shortens s to n runes for echoing in error messages.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
