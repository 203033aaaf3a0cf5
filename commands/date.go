package commands

import (
	"strconv"
	"strings"
	"time"

	"relman/commands/render"
	"relman/store"
)

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// ParseDate reads a date as users write it, relative to today:
// 2027-01-15, today, tomorrow, +3d, +2w, or a weekday name (fri is the next
// Friday after today). It returns an EInvalid *store.Error listing the forms.
func ParseDate(s string, today store.Date) (store.Date, error) {
	w := strings.ToLower(s)
	switch w {
	case "today":
		return today, nil
	case "tomorrow":
		return today.AddDays(1), nil
	}
	if wd, ok := weekdays[w]; ok {
		n := (int(wd) - int(today.Weekday()) + 7) % 7
		if n == 0 {
			n = 7
		}
		return today.AddDays(n), nil
	}
	if len(w) >= 3 && w[0] == '+' && '0' <= w[1] && w[1] <= '9' { // Atoi would take a second sign: ++3d, +-0d
		n, err := strconv.Atoi(w[1 : len(w)-1])
		if err == nil && n >= 0 && n <= 3650 {
			switch w[len(w)-1] {
			case 'd':
				return today.AddDays(n), nil
			case 'w':
				return today.AddDays(7 * n), nil
			}
		}
	}
	if d, err := store.ParseDate(s); err == nil && d.Sub(today) < 36500 && today.Sub(d) < 36500 {
		return d, nil
	}
	return store.Date{}, store.Errorf(store.EInvalid, "%q is not a date: use 2027-01-15, today, tomorrow, +3d, +2w or a weekday like fri", render.Clip(s, 40))
}

// ParseDuration reads a relative deadline: +12h, +2d, +1w. It returns an
// EInvalid *store.Error otherwise.
func ParseDuration(s string) (time.Duration, error) {
	w := strings.ToLower(s)
	if len(w) >= 3 && w[0] == '+' && '0' <= w[1] && w[1] <= '9' {
		n, err := strconv.Atoi(w[1 : len(w)-1])
		if err == nil && n > 0 && n <= 10000 {
			switch w[len(w)-1] {
			case 'h':
				return time.Duration(n) * time.Hour, nil
			case 'd':
				return time.Duration(n) * 24 * time.Hour, nil
			case 'w':
				return time.Duration(n) * 7 * 24 * time.Hour, nil
			}
		}
	}
	return 0, store.Errorf(store.EInvalid, "%q is not a duration: use +12h, +2d or +1w", render.Clip(s, 40))
}
