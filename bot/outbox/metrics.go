package outbox

// Metrics records what the outbox and the leader do. *bot.Metrics, on
// Prometheus, is the one relman runs with; a nil Metrics records nothing.
type Metrics interface {
	// OutboxDepth is how many messages wait (parked ones excluded).
	OutboxDepth(waiting int)
	OutboxDelivered()
	// OutboxFailed counts a failed attempt by reason (a DeliveryError's).
	OutboxFailed(reason string)
	OutboxParked()
	// OutboxFound counts a message found already posted and recorded
	// instead of posted again.
	OutboxFound()
	// OutboxEditsSkipped counts n edits never sent, by reason: superseded,
	// original_parked or original_missing.
	OutboxEditsSkipped(reason string, n int)
	// OutboxNoticesDropped counts n notices (store.Notice) never
	// delivered, by reason: untrue (what they reported no longer held) or
	// superseded (a newer one about the same subject, same reader).
	OutboxNoticesDropped(reason string, n int)
	// OutboxPicture counts a message's picture by outcome: posted, or the
	// text alone (too_big, render_failed, upload_failed).
	OutboxPicture(outcome string)
	// OutboxLookup counts a look in Slack for an earlier post of a message
	// (after a takeover or a lost answer) by result: found, not_found,
	// ratelimited or failed.
	OutboxLookup(result string)
	// Leading records whether this replica leads, and its term's epoch.
	Leading(leading bool, epoch uint64)
}

// noMetrics records nothing.
type noMetrics struct{}

func (noMetrics) OutboxDepth(int)                  {}
func (noMetrics) OutboxDelivered()                 {}
func (noMetrics) OutboxFailed(string)              {}
func (noMetrics) OutboxParked()                    {}
func (noMetrics) OutboxFound()                     {}
func (noMetrics) OutboxEditsSkipped(string, int)   {}
func (noMetrics) OutboxNoticesDropped(string, int) {}
func (noMetrics) OutboxPicture(string)             {}
func (noMetrics) OutboxLookup(string)              {}
func (noMetrics) Leading(bool, uint64)             {}

// metricsOr is m, or noMetrics when m is nil.
func metricsOr(m Metrics) Metrics {
	if m == nil {
		return noMetrics{}
	}
	return m
}

func (o *Outbox) metrics() Metrics { return metricsOr(o.Metrics) }
