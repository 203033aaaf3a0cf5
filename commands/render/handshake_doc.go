package render

import (
	"cmp"
	"fmt"
	"slices"

	"relman/store"
)

// unansweredSection is the digest's section of requests awaiting their
// provider's answer.
var unansweredSection = digestSection{
	title: func(*digestData) string { return ":handshake: Requests awaiting an answer" },
	none:  func(*digestData) string { return "no request awaiting an answer" },
	all:   func(*digestData) string { return "`/release show &lt;release&gt;` shows each" },
	limit: 10, build: (*digestData).unanswered,
}

// unansweredRequests returns the requests of planned releases that their
// providers have not answered for more than store.AnswerDays working days,
// oldest first; worked out once per Digester.
func (dg *Digester) unansweredRequests() []store.Edge {
	if dg.requests != nil {
		return *dg.requests
	}
	var out []store.Edge
	for _, e := range dg.g.Requests(dg.today) {
		if handshakeWords(e) != "" && e.Unanswered(dg.today, dg.loc) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b store.Edge) int {
		return cmp.Or(a.RequestedAt.Compare(b.RequestedAt), cmp.Compare(a.Key(), b.Key()))
	})
	dg.requests = &out
	return out
}

// unanswered: requests of covered releases, or to covered providers,
// unanswered for more than store.AnswerDays working days, oldest first.
func (d *digestData) unanswered(limit int) ([]string, int) {
	var lines []string
	total := 0
	for _, e := range d.unansweredRequests() {
		if !d.sub.Covers(e.Consumer.Product) && (e.IsExternal() || !d.sub.Covers(e.Provider.Product)) {
			continue
		}
		total++
		if len(lines) < limit {
			lines = append(lines, d.requestLine(e))
		}
	}
	return lines, total
}

// requestLine is an unanswered request as digests and agendas list it.
func (d *digestData) requestLine(e store.Edge) string {
	asked := store.DateOf(e.RequestedAt, d.loc)
	line := fmt.Sprintf("• %s asked for %s by %s on %s — no answer for %s", Bold(e.Consumer), ProviderName(e), e.NeededBy.Pretty(), asked.Pretty(),
		workingDays(store.WorkingDays(asked, d.today)))
	if r := d.g.Release(e.Provider); r != nil && !e.IsExternal() {
		line += " · owner " + Mention(r.Owner)
	} else if x := d.g.External(e.External); x != nil && e.IsExternal() {
		line += " · owner " + Mention(x.Owner)
	}
	return line
}

// unansweredPart is the agenda's part of requests awaiting an answer.
func (d *digestData) unansweredPart() agendaPart {
	lines, total := d.unanswered(agendaLimit)
	return agendaPart{title: unansweredSection.title(d), none: unansweredSection.none(d), lines: lines, total: total, all: unansweredSection.all(d)}
}

// workingDays says a count of working days: "1 working day", "4 working days".
func workingDays(n int) string {
	if n == 1 {
		return "1 working day"
	}
	return fmt.Sprintf("%d working days", n)
}
