// Package commands is relman's command grammar: it turns the text of a
// /release or /ccb command into a Command (a pure parse), executes it against
// the store in one transaction, and returns a transport-neutral Reply.
//
// Parse is the grammar alone: text to a Command, with no store and no
// clock; Format is its inverse, the text a button or a form runs, which
// Parse reads back as the same Command. Every transport — Slack over HTTP,
// Socket Mode, the console — hands its text to Service.Execute, which
// parses it and runs the Command. Text arrives with Slack's escaping (<@U123|name>,
// <#C123|name>, &amp; …); the tokenizer unwraps it once, and every piece of
// user text echoed back is escaped once (render.Escape) so it can never ping
// or forge a link. The package knows nothing of Slack's API types.
//
// The words of replies are package render's; the calendar feed is package
// calendar's. A command that changes dates queues the alerts its change
// makes due in its own transaction through Service.Alerts, which main sets
// to reminders.DueAfterCommand. Who may do what is in permission.go.
package commands
