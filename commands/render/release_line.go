package render

import (
	"strconv"
	"sync"

	"relman/store"
)

// ReleaseLine is a release as a list shows it, one line: its status icon,
// the release in bold, its date relative to today, its owner and its
// marks: ":warning: *payments@2.3.0* — Fri 2027-01-15 (in 11 days) ·
// <@U1> · *at risk*". Lists and digests say a release this same way.
func ReleaseLine(r *store.Release, atRisk bool, today store.Date) string {
	return string(AppendReleaseLine(make([]byte, 0, 128), r, atRisk, today))
}

// AppendReleaseLine appends ReleaseLine to b and returns the result. A
// list renders its rows with it into one reused buffer (see
// DocBuilder.Line), without a string per row.
func AppendReleaseLine(b []byte, r *store.Release, atRisk bool, today store.Date) []byte {
	b = append(b, StatusIcon(r, atRisk)...)
	b = append(b, " *"...)
	b = append(b, r.Ref.Product...)
	b = append(b, '@')
	b = append(b, r.Ref.Version...)
	b = append(b, "* — "...)
	b = append(b, when(r.Date(), today)...)
	b = append(b, " · "...)
	b = appendMention(b, r.Owner)
	return appendReleaseMarks(b, r, atRisk, today)
}

// whens remembers When's words by date and today: a list says a date for
// every row, and the words are a pure function of the two dates, so they
// stay right as long as they are kept. Cleared when full.
var whens struct {
	sync.Mutex
	m map[[2]store.Date]string
}

// maxWhens bounds whens: a few years of dates, seen from a few days.
const maxWhens = 4096

// when is When(d, today), remembered in whens.
func when(d, today store.Date) string {
	k := [2]store.Date{d, today}
	whens.Lock()
	s, ok := whens.m[k]
	whens.Unlock()
	if ok {
		return s
	}
	s = string(AppendWhen(make([]byte, 0, 40), d, today))
	whens.Lock()
	if whens.m == nil || len(whens.m) >= maxWhens {
		whens.m = make(map[[2]store.Date]string)
	}
	whens.m[k] = s
	whens.Unlock()
	return s
}

// AppendWhen appends When(d, today) to b and returns the result.
func AppendWhen(b []byte, d, today store.Date) []byte {
	if d.IsZero() {
		return append(b, "no date"...)
	}
	b = append(b, d.Pretty()...)
	switch n := d.Sub(today); {
	case n == 0:
		return append(b, " (today)"...)
	case n == 1:
		return append(b, " (tomorrow)"...)
	case n > 0:
		b = append(b, " (in "...)
		b = appendDays(b, n)
		return append(b, ')')
	case n == -1:
		return append(b, " (yesterday)"...)
	default:
		b = append(b, " ("...)
		b = appendDays(b, n)
		return append(b, " ago)"...)
	}
}

// appendDays appends Days(n).
func appendDays(b []byte, n int) []byte {
	switch n {
	case 1, -1:
		return append(b, "1 day"...)
	}
	if n < 0 {
		n = -n
	}
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, " days"...)
}

// appendMention appends Mention(u).
func appendMention(b []byte, u string) []byte {
	if u == "" {
		return append(b, "nobody"...)
	}
	b = append(b, "<@"...)
	b = append(b, u...)
	return append(b, '>')
}

// appendReleaseMarks appends ReleaseMarks(r, atRisk, today).
func appendReleaseMarks(b []byte, r *store.Release, atRisk bool, today store.Date) []byte {
	if r.Status != store.Planned {
		b = append(b, " · "...)
		return append(b, r.Status...)
	}
	if r.OverdueOn(today) {
		b = append(b, " · :warning: *overdue*"...)
	}
	b = appendStageMark(b, r, today)
	if atRisk {
		b = append(b, " · *at risk*"...)
	}
	return b
}
