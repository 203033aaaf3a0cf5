// Package calendar serves the calendar feeds (`GET /calendar/<token>.ics`,
// SPEC §2 `/release calendar`): an iCalendar document of a subscription's
// release targets, needed-by dates, CR deadlines and freezes, with ETags
// that let a client's poll be answered Not Modified. The `/release
// calendar` command that makes and revokes feeds is the commands
// package's; bot serves Feeds over HTTP.
package calendar
