// Package commands is relman's command grammar: it turns the text of a
// /release or /ccb command into a Command (a pure parse), executes it against
// the store in one transaction, and returns a transport-neutral Reply.
//
// Every transport — Slack over HTTP, Socket Mode, the console — hands its
// text to Service.Execute. Text arrives with Slack's escaping (<@U123|name>,
// <#C123|name>, &amp; …); the tokenizer unwraps it once, and every piece of
// user text echoed back is escaped once (Escape) so it can never ping or
// forge a link. The package knows nothing of Slack's API types.
package commands
