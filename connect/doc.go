// Package connect takes what CI, GitHub and Jira already know (SPEC §8):
// the deploy webhook (POST /hooks/deploy), GitHub's webhooks (POST
// /hooks/github) and the Jira version sync. It decodes and verifies what
// they send and turns it into the commands a person would type
// (commands.ShipRelease, commands.MoveRelease, …), run by a Runner — the
// Dispatcher every transport uses — as the actors store.ActorCI,
// store.ActorGitHub and store.ActorJira. So a connector's change is an
// ordinary change: history, news, alerts, ledger, audit and outbox in the
// command's one transaction.
//
// Arrows: bot mounts the handlers and main wires the sync into a
// reminders.Scheduler; connect imports commands and store, never bot,
// reminders or slack-go.
package connect
