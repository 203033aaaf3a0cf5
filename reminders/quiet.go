package reminders

import "time"

// Working hours in the recipient's zone: a DM goes out from 09:00 up to (not
// including) 18:00, Monday to Friday.
const (
	workStart = 9
	workEnd   = 18
)

// NextWorkingTime returns t itself when t falls in working hours in loc
// (09:00 to 18:00, Monday to Friday, in the recipient's Slack zone), else
// the next 09:00 on a weekday there. 18:00 exactly is after hours. The
// result is in UTC, ready for store.Message.NotBefore. Days are counted in
// loc's calendar, so a daylight-saving change in between moves the instant
// with the clock: 09:00 stays 09:00 on the wall. A nil loc means UTC.
func NextWorkingTime(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	l := t.In(loc)
	if weekday(l.Weekday()) && l.Hour() >= workStart && l.Hour() < workEnd {
		return t.UTC()
	}
	y, m, d := l.Date()
	if l.Hour() >= workStart || !weekday(l.Weekday()) {
		d++ // today's working hours are over, or today is a weekend day
	}
	for {
		// time.Date normalises day overflow and applies the offset in
		// force at 09:00 that day, which no DST change skips.
		next := time.Date(y, m, d, workStart, 0, 0, 0, loc)
		if weekday(next.Weekday()) {
			return next.UTC()
		}
		d++
	}
}

func weekday(d time.Weekday) bool { return d != time.Saturday && d != time.Sunday }
