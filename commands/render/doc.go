// Package render holds relman's words: how a release, a dependency, a
// change request, a freeze, a digest, an agenda, an alert or a reminder is
// said, as a store.Doc (Block Kit sections and the same message as plain
// mrkdwn text). Its functions are pure: values in (the store's domain
// types, a graph, today's date or now and the workspace zone), a Doc or a
// line out. They open no transaction and decide nothing: which alert is
// due and whom it goes to is the reminders package's, what a command
// changes is the commands package's. So a command's reply, an alert and a
// digest say the same thing the same way.
package render
