// Package reminders decides when to tell whom: slip sweeps, reminders and
// digests, on robfig/cron schedules. It is the only package that imports
// robfig/cron. A scheduled job is a trigger, not the state: it asks the
// store what is due as of now, so it can run twice, late, or after a
// restart and still do the right thing once.
//
// Scheduler is the trigger (RELMAN_SWEEP in the workspace zone, once at
// start, panics recovered, overlapping runs skipped, no slot run twice when
// the wall clock steps back); Sweep is the job: it
// runs Checks (EdgeAlerts — slips, overdue and upcoming needed-by
// dates, cancelled providers, recoveries — Reconfirms, Digests and
// CRDeadlines, which decides CRs whose deadline passed) over everything
// in one transaction, queues each Alert once (the store's ledger),
// and prunes the ledger past LedgerHorizon. A command runs the same edge
// due-check for what it touched in its own transaction through
// DueAfterCommand, which main wires in as commands.Service.Alerts
// (commands may not import this package). The words of every alert are
// package render's. NextWorkingTime is quiet hours (the outbox holds
// quiet DMs with it); NextDigest, LastDigest and DueDigests place digest
// slots on the subscriber's clock.
package reminders
