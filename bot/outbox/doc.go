// Package outbox is relman's delivery engine: it sends the messages
// commands and the sweep queue in the store (store.Message), oldest first,
// through a Sender, retrying what fails with a backoff, parking what cannot
// succeed and telling release owners when their channel is unreachable,
// holding quiet DMs for working hours, and drawing pictures at delivery.
// Channels are delivered to in parallel (Outbox.Parallel), each channel's
// messages one at a time and in order. A post is marked Sending in the
// store before it is handed over, so that after a crash or a change of
// leader only the posts that may have landed unrecorded are looked for.
// Leader decides which replica runs it when several share a database.
//
// It knows nothing of Slack: bot provides the Sender (chat.postMessage and
// friends) and the Metrics.
package outbox
