// Package reminders decides when to tell whom: slip sweeps, reminders and
// digests, on robfig/cron schedules. It is the only package that imports
// robfig/cron. A scheduled job is a trigger, not the state: it asks the
// store what is due as of now, so it can run twice, late, or after a
// restart and still do the right thing once.
//
// So far it has the trigger (Scheduler: RELMAN_SWEEP in the workspace zone,
// once at start, panics recovered, overlapping runs skipped), quiet hours
// (NextWorkingTime) and digest schedules (NextDigest, LastDigest); the
// due-check the sweep runs comes with the slip-alert work.
package reminders
