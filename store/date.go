package store

import (
	"fmt"
	"time"
)

// Date is a calendar date with no time of day. The zero Date means "not
// set". Dates compare with ==, Before and After.
type Date struct {
	n int32 // days since 0000-01-01, plus one so that zero means unset
}

// unixDay is the n of 1970-01-01. Counting from year 0 rather than from 1970
// keeps the unset value (n == 0) out of the range of real dates: counting from
// 1970, 1969-12-31 was indistinguishable from "not set".
const unixDay = 719528 + 1

const dateLayout = "2006-01-02"

// NewDate returns the date y-m-d, normalising out-of-range values as
// time.Date does.
func NewDate(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date{n: int32(t.Unix()/86400 + unixDay)}
}

// DateOf returns the calendar date of the instant t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return NewDate(y, m, d)
}

// ParseDate parses an ISO date such as 2027-01-15. It returns an EInvalid
// *Error for anything else.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, Errorf(EInvalid, "%q is not a date like 2027-01-15", s)
	}
	return NewDate(t.Date()), nil
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.n == 0 }

// Time returns midnight at the start of d in loc.
func (d Date) Time(loc *time.Location) time.Time {
	u := time.Unix((int64(d.n)-unixDay)*86400, 0).UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, loc)
}

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return Date{n: d.n + int32(n)} }

// Sub returns d minus e in days.
func (d Date) Sub(e Date) int { return int(d.n - e.n) }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.n < e.n }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.n > e.n }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return time.Weekday(((int(d.n)-unixDay)%7 + 7 + 4) % 7) }

// String formats d as 2027-01-15, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return string(d.appendISO(make([]byte, 0, 10)))
}

// Pretty formats d for people: "Fri 2027-01-15".
func (d Date) Pretty() string {
	if d.IsZero() {
		return "no date"
	}
	b := make([]byte, 0, 14)
	b = append(b, d.Weekday().String()[:3]...)
	b = append(b, ' ')
	return string(d.appendISO(b))
}

// appendISO appends d as 2027-01-15. Dates are formatted in every list row,
// so this avoids time.Format's generality.
func (d Date) appendISO(b []byte) []byte {
	y, m, day := d.civil()
	if y < 0 || y > 9999 {
		return append(b, d.Time(time.UTC).Format(dateLayout)...)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+day/10), byte('0'+day%10))
}

// civil returns the year, month and day of d (Howard Hinnant's
// days-to-civil algorithm, proleptic Gregorian).
func (d Date) civil() (y, m, day int) {
	z := int(d.n) - unixDay + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, day
}

// MarshalText encodes d as 2027-01-15 (empty when unset).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes the form MarshalText writes.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return fmt.Errorf("decode date: %w", err)
	}
	*d = v
	return nil
}
