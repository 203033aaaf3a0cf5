package calendar

import (
	"time"
	"unicode"
	"unicode/utf8"

	"relman/store"
)

// icsWriter writes the content lines of calendar events (RFC 5545 §3.1)
// straight into a byte slice: a property is begun with its name (and
// parameters), its value appended in pieces, escaped as TEXT (§3.3.11)
// where it is text, and folded as it goes, so no value is built as a
// string first and escaped again after. golang-ical writes the calendar
// around the events; at tens of thousands of events its per-property cost
// (a strings.Builder, a sort of the parameters and an escaping pass per
// property) was most of the feed's time. Tests check that what this writes
// parses back, with golang-ical and with emersion's go-ical, to the values
// golang-ical's own writer gives.
type icsWriter struct {
	b []byte
	// line is where the line being written starts in b: a line may hold
	// at most 75 octets, CRLF not counted (§3.1).
	line int
	// dates caches the iCalendar (20270115) and human (Fri 2027-01-15)
	// forms of the dates seen: a feed has a few hundred distinct days.
	dates map[store.Date]*[2]string
	// needs is scratch space for what a release needs.
	needs []provided
}

const icsLineMax = 75

// prop begins a property: name is its name and parameters, and the colon
// ("SUMMARY:", "DTSTART;VALUE=DATE:"). Names are short and ASCII.
func (w *icsWriter) prop(name string) {
	w.line = len(w.b)
	w.b = append(w.b, name...)
}

// end ends the property's line.
func (w *icsWriter) end() { w.b = append(w.b, '\r', '\n') }

// line1 writes a whole property whose value needs no escaping or folding
// ("BEGIN:VEVENT", "TRANSP:TRANSPARENT").
func (w *icsWriter) line1(s string) {
	w.b = append(w.b, s...)
	w.b = append(w.b, '\r', '\n')
}

// fold starts a continuation line when n more octets would not fit.
func (w *icsWriter) fold(n int) {
	if len(w.b)-w.line+n > icsLineMax {
		w.b = append(w.b, '\r', '\n', ' ')
		w.line = len(w.b) - 1 // the space is the new line's first octet
	}
}

// raw appends s, which needs no escaping (digits, an ASCII identifier),
// folding where needed.
func (w *icsWriter) raw(s string) {
	for len(s) > 0 {
		w.fold(1)
		n := min(len(s), icsLineMax-(len(w.b)-w.line))
		w.b = append(w.b, s[:n]...)
		s = s[n:]
	}
}

// text appends s as TEXT: backslash, semicolon and comma escaped, a line
// break (LF or CRLF) as \n, other control characters (which would break
// the line structure, or reorder what is shown) as spaces, and invalid
// UTF-8 as U+FFFD. A fold never splits an escape or a character.
func (w *icsWriter) text(s string) {
	for i := 0; i < len(s); {
		// A run of ASCII that is kept as it is.
		j := i
		for j < len(s) && plainASCII[s[j]] {
			j++
		}
		for i < j {
			w.fold(1)
			n := min(j-i, icsLineMax-(len(w.b)-w.line))
			w.b = append(w.b, s[i:i+n]...)
			i += n
		}
		if i == len(s) {
			return
		}
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch c {
			case '\\', ';', ',':
				w.fold(2)
				w.b = append(w.b, '\\', c)
			case '\n':
				w.fold(2)
				w.b = append(w.b, '\\', 'n')
			case '\r':
				if i < len(s) && s[i] == '\n' {
					continue // CRLF is one line break
				}
				w.fold(1)
				w.b = append(w.b, ' ')
			default: // a control character
				w.fold(1)
				w.b = append(w.b, ' ')
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			w.fold(1)
			w.b = append(w.b, ' ')
		case r == utf8.RuneError && n == 1:
			w.fold(3)
			w.b = utf8.AppendRune(w.b, r)
		default:
			w.fold(n)
			w.b = append(w.b, s[i-n:i]...)
		}
	}
}

// plainASCII marks the bytes text copies as they are.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '\\' && c != ';' && c != ','
	}
	return t
}()

// date appends d as an iCalendar date: 20270115.
func (w *icsWriter) date(d store.Date) { w.raw(w.dateText(d)[0]) }

// pretty appends d for people: Fri 2027-01-15.
func (w *icsWriter) pretty(d store.Date) { w.text(w.dateText(d)[1]) }

func (w *icsWriter) dateText(d store.Date) *[2]string {
	if t, ok := w.dates[d]; ok {
		return t
	}
	if w.dates == nil {
		w.dates = make(map[store.Date]*[2]string)
	}
	t := &[2]string{1: d.Pretty()}
	if iso := d.String(); len(iso) == len("2006-01-02") {
		t[0] = iso[:4] + iso[5:7] + iso[8:]
	} else { // a year of more than four digits
		t[0] = d.Time(time.UTC).Format("20060102")
	}
	w.dates[d] = t
	return t
}

// stamp appends t as an iCalendar UTC date-time: 20270104T090000Z.
func (w *icsWriter) stamp(t time.Time) {
	w.fold(16)
	w.b = t.UTC().AppendFormat(w.b, "20060102T150405Z")
}
