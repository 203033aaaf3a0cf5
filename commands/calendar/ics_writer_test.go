package calendar

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
	"github.com/emersion/go-ical"
	"github.com/google/go-cmp/cmp"
)

// textProps are the TEXT properties the feed writes.
var textProps = []ics.ComponentProperty{ics.ComponentPropertySummary, ics.ComponentPropertyDescription, ics.ComponentPropertyCategories}

// fastCalendar writes a calendar of one event holding uid and values (one
// per textProps) with icsWriter; libCalendar the same with golang-ical's
// own serialisation.
func fastCalendar(uid string, values []string) []byte {
	w := &icsWriter{}
	w.line1("BEGIN:VCALENDAR")
	w.line1("VERSION:2.0")
	w.line1("PRODID:-//relman//test//EN")
	w.line1("BEGIN:VEVENT")
	w.prop("UID:")
	w.text(uid)
	w.end()
	w.line1("DTSTAMP:20270104T090000Z")
	w.line1("DTSTART;VALUE=DATE:20270115")
	for i, p := range textProps {
		w.prop(string(p) + ":")
		w.text(values[i])
		w.end()
	}
	w.line1("END:VEVENT")
	w.line1("END:VCALENDAR")
	return w.b
}

func libCalendar(uid string, values []string) []byte {
	cal := ics.NewCalendarFor("test")
	cal.SetProductId("-//relman//test//EN")
	e := cal.AddEvent(uid)
	e.SetProperty(ics.ComponentPropertyDtstamp, "20270104T090000Z")
	e.SetProperty(ics.ComponentPropertyDtStart, "20270115", ics.WithValue(string(ics.ValueDataTypeDate)))
	for i, p := range textProps {
		e.SetProperty(p, values[i])
	}
	var b bytes.Buffer
	if err := cal.SerializeTo(&b, &ics.SerializationConfiguration{MaxLength: 75, PropertyMaxLength: 75, NewLine: "\r\n"}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// readBack returns the UID and text values of the one event of body as
// golang-ical and as go-ical read them.
func readBack(t *testing.T, body []byte) (lib, other []string) {
	t.Helper()
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil || len(cal.Events()) != 1 {
		t.Fatalf("golang-ical: %v, %d events:\n%s", err, len(cal.Events()), body)
	}
	e := cal.Events()[0]
	lib = append(lib, e.Id())
	for _, p := range textProps {
		lib = append(lib, e.GetProperty(p).Value)
	}
	c, err := ical.NewDecoder(bytes.NewReader(body)).Decode()
	if err != nil || len(c.Events()) != 1 {
		t.Fatalf("go-ical: %v:\n%s", err, body)
	}
	for _, p := range append([]string{ical.PropUID}, ical.PropSummary, ical.PropDescription, ical.PropCategories) {
		if p == ical.PropCategories {
			// go-ical reads CATEGORIES as a list; the feed writes one.
			v, err := c.Events()[0].Props.Get(p).TextList()
			if err != nil {
				t.Fatalf("go-ical %s: %v", p, err)
			}
			other = append(other, strings.Join(v, ","))
			continue
		}
		v, err := c.Events()[0].Props.Text(p)
		if err != nil {
			t.Fatalf("go-ical %s: %v", p, err)
		}
		other = append(other, v)
	}
	return lib, other
}

// checkLines fails unless every line of body ends with CRLF and holds at
// most 75 octets, and no fold splits a UTF-8 character.
func checkLines(t *testing.T, body []byte) {
	t.Helper()
	lines := bytes.Split(body, []byte("\r\n"))
	if len(lines[len(lines)-1]) != 0 {
		t.Errorf("the last line does not end with CRLF")
	}
	for _, l := range lines {
		if len(l) > 75 {
			t.Errorf("a line of %d octets: %q", len(l), l)
		}
		if bytes.ContainsAny(l, "\r\n") {
			t.Errorf("a bare CR or LF in %q", l)
		}
		if !utf8.Valid(l) {
			t.Errorf("a fold splits a character: %q", l)
		}
	}
}

// alphabet is what the random values are made of: plain letters, the
// characters TEXT escapes, ones it does not (colon, quotes), line breaks,
// and characters of two to four octets (emoji with joiners and skin
// tones among them).
var alphabet = []string{"a", "b", "Z", " ", "7", ",", ";", "\\", "\\n", ":", `"`, "'", "\n", "é", "ĳ", "漢", "字", "🚀", "👩🏽‍💻", "€", "\u00a0", "«", "‘"}

func randomText(rng *rand.Rand) string {
	var b strings.Builder
	n := rng.IntN(200)
	if rng.IntN(4) == 0 {
		n = rng.IntN(8)
	}
	for range n {
		b.WriteString(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

// TestICSWriterReadsBackAsTheLibrarysOwn writes events with random text
// (long UTF-8 lines, escapes, line breaks, emoji) with icsWriter and with
// golang-ical's serialisation, and reads both back with both golang-ical
// and go-ical: every parser must read the same values from both, and
// those values must be the text written.
func TestICSWriterReadsBackAsTheLibrarysOwn(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 75))
	cases := [][]string{
		{"", "", ""},
		{"a,b;c\\d", "line one\nline two\n", "payments"},
		{strings.Repeat("x", 74), strings.Repeat("y", 75), strings.Repeat("z", 76)},
		{strings.Repeat("🚀", 40), strings.Repeat("é,", 60), strings.Repeat("\\", 80)},
		{strings.Repeat("a", 63) + "漢字漢字", strings.Repeat("a", 64) + ",,,", "x" + strings.Repeat("👩🏽‍💻", 9)},
	}
	for range 300 {
		cases = append(cases, []string{randomText(rng), randomText(rng), randomText(rng)})
	}
	for i, c := range cases {
		uid := "release-p@1." + strconv.Itoa(i) + "@relman"
		fast, lib := fastCalendar(uid, c), libCalendar(uid, c)
		checkLines(t, fast)
		fastLib, fastOther := readBack(t, fast)
		libLib, libOther := readBack(t, lib)
		want := append([]string{uid}, c...)
		if diff := cmp.Diff(libLib, fastLib); diff != "" {
			t.Errorf("case %d: golang-ical reads the fast writer's event differently from its own (-own +fast):\n%s\n%s", i, diff, fast)
		}
		if diff := cmp.Diff(libOther, fastOther); diff != "" {
			t.Errorf("case %d: go-ical reads the fast writer's event differently from golang-ical's (-golang-ical's +fast):\n%s\n%s", i, diff, fast)
		}
		if diff := cmp.Diff(want, fastLib); diff != "" {
			t.Errorf("case %d: golang-ical reads back other values than were written (-written +read):\n%s\n%s", i, diff, fast)
		}
	}
}

// TestICSWriterTextReplacesControlCharacters: a control character other
// than a line break would break the line structure (a bare CR) or reorder
// what a calendar shows (a bidi override): the writer writes a space; CRLF
// is one line break; invalid UTF-8 becomes U+FFFD.
func TestICSWriterTextReplacesControlCharacters(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"CRLFIsOneLineBreak", "a\r\nb", "a\nb"},
		{"ABareCRIsASpace", "a\rb\r", "a b "},
		{"TabAndNULAreSpaces", "a\tb\x00c\x7f", "a b c "},
		{"C1ControlsAreSpaces", "a\u0085b\u009bc", "a b c"},
		{"BidiControlsAreSpaces", "a\u202eb\u2066c\u200fd", "a b c d"},
		{"InvalidUTF8IsReplaced", "a\xffb\xe6\x97", "a\ufffdb\ufffd\ufffd"},
		{"JoinersStay", "👩🏽‍💻\u200d", "👩🏽‍💻\u200d"},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := fastCalendar("u@relman", []string{c.in, c.in + strings.Repeat("é", 40) + c.in, "x"})
			checkLines(t, body)
			lib, other := readBack(t, body)
			want := []string{"u@relman", c.want, c.want + strings.Repeat("é", 40) + c.want, "x"}
			if diff := cmp.Diff(want, lib); diff != "" {
				t.Errorf("golang-ical reads (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, other); diff != "" {
				t.Errorf("go-ical reads (-want +got):\n%s", diff)
			}
		})
	}
}
