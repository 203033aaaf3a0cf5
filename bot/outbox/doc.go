// Package outbox is relman's delivery engine: it sends the messages
// commands and the sweep queue in the store (store.Message), oldest first,
// through a Sender, retrying what fails with a backoff, parking what cannot
// succeed and telling release owners when their channel is unreachable,
// holding quiet DMs for working hours, and drawing pictures at delivery.
// Leader decides which replica runs it when several share a database.
//
// It knows nothing of Slack: bot provides the Sender (chat.postMessage and
// friends) and the Metrics.
package outbox
