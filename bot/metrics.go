package bot

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"relman/bot/outbox"
	"relman/store"
)

// Metrics are relman's Prometheus metrics, on a registry of their own (no
// package-level state), served at GET /metrics.
type Metrics struct {
	reg             *prometheus.Registry
	requests        *prometheus.CounterVec
	commandLatency  *prometheus.HistogramVec
	outboxDepth     prometheus.Gauge
	outboxDelivered prometheus.Counter
	outboxFailures  *prometheus.CounterVec
	outboxParked    prometheus.Counter
	// outboxFound counts messages found already in Slack (posted by an
	// attempt whose answer was lost) and recorded instead of posted again.
	outboxFound prometheus.Counter
	// outboxEditsSkipped counts edits never sent: superseded by a newer
	// edit of the same message, or of a message never posted.
	outboxEditsSkipped *prometheus.CounterVec
	// noticesDropped counts notices never delivered: no longer true at
	// delivery, or superseded by a newer one about the same subject.
	noticesDropped *prometheus.CounterVec
	slackErrors    *prometheus.CounterVec
	// slackAPIErrors counts every Web API answer that is an error, as
	// SlackStatus's transport sees them, whoever made the call.
	slackAPIErrors *prometheus.CounterVec
	// pictures counts the pictures of outbox messages by outcome: posted,
	// or the text posted alone (too_big, render_failed, upload_failed).
	pictures    *prometheus.CounterVec
	leading     prometheus.Gauge
	leaderEpoch prometheus.Gauge
	// lookups counts looks in Slack for an earlier post of a message by
	// result; socketUndecodable, Socket Mode envelopes slack-go could not
	// decode (acknowledged, not run).
	lookups           *prometheus.CounterVec
	socketUndecodable prometheus.Counter
	// connectorErrors counts failed connector runs (a Jira sync) by
	// connector.
	connectorErrors *prometheus.CounterVec
}

// NewMetrics registers relman's metrics and the Go runtime's.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relman_http_requests_total", Help: "HTTP requests by endpoint and status code.",
		}, []string{"endpoint", "status"}),
		commandLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "relman_command_duration_seconds", Help: "Time to execute a command, from parsed request to reply.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"command", "outcome"}),
		outboxDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "relman_outbox_depth", Help: "Messages waiting in the outbox for delivery (parked ones excluded).",
		}),
		outboxDelivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relman_outbox_delivered_total", Help: "Outbox messages delivered to Slack.",
		}),
		outboxFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relman_outbox_failures_total", Help: "Failed outbox delivery attempts by reason.",
		}, []string{"reason"}),
		outboxParked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relman_outbox_parked_total", Help: "Outbox messages parked because delivery cannot succeed.",
		}),
		outboxFound: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relman_outbox_found_posted_total", Help: "Outbox messages found already posted in Slack (an earlier attempt's answer was lost) and recorded as delivered instead of posted again.",
		}),
		outboxEditsSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relman_outbox_edits_skipped_total",
			Help: "Queued edits not sent, by reason: superseded (a newer edit of the message was queued), original_parked or original_missing (the message was never posted).",
		}, []string{"reason"}),
		noticesDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relman_outbox_notices_dropped_total",
			Help: "Queued notices not delivered, by reason: untrue (what they reported no longer held when they fell due) or superseded (a newer notice about the same subject for the same reader was queued).",
		}, []string{"reason"}),
		connectorErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relman_connector_errors_total", Help: "Failed connector runs (a Jira sync that got 401, 403, 404, 429, 5xx, garbage or no answer) by connector.",
		}, []string{"connector"}),
		slackErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relman_slack_api_errors_total", Help: "Slack Web API errors by method and error.",
		}, []string{"method", "error"}),
		slackAPIErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relman_slack_errors_total",
			Help: "Slack Web API calls that failed, by method and error: Slack's error code (ok:false), ratelimited (429), http_NNN, timeout or network; every call, seen below slack-go.",
		}, []string{"method", "error"}),
		pictures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relman_outbox_pictures_total",
			Help: "Pictures of outbox messages by outcome: posted, or the message's text posted alone instead (too_big, render_failed, upload_failed).",
		}, []string{"outcome"}),
		leading: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "relman_leader", Help: "1 while this replica holds the leader lease (runs the outbox and the sweep), else 0.",
		}),
		leaderEpoch: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "relman_leader_epoch", Help: "The epoch of the leader lease this replica last held (0: never; always 0 on bbolt).",
		}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relman_outbox_lookups_total",
			Help: "Looks in Slack (conversations.history or conversations.replies) for an earlier post of a message that may have been posted but not recorded, by result: found, not_found, ratelimited, failed.",
		}, []string{"result"}),
		socketUndecodable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relman_socket_undecodable_total",
			Help: "Socket Mode envelopes whose payload could not be decoded: acknowledged so Slack does not resend them, and not run.",
		}),
	}
	m.reg.MustRegister(m.lookups, m.socketUndecodable, m.connectorErrors, m.leading, m.leaderEpoch, m.requests, m.commandLatency, m.outboxDepth, m.outboxDelivered, m.outboxFailures,
		m.outboxParked, m.outboxFound, m.outboxEditsSkipped, m.noticesDropped, m.slackErrors, m.slackAPIErrors, m.pictures, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry exposes the registry, for tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) request(endpoint string, status int) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(endpoint, statusLabel(status)).Inc()
}

func (m *Metrics) command(name string, ok bool, d time.Duration) {
	if m == nil {
		return
	}
	outcome := "ok"
	if !ok {
		outcome = "error"
	}
	m.commandLatency.WithLabelValues(name, outcome).Observe(d.Seconds())
}

var _ outbox.Metrics = (*Metrics)(nil)

// OutboxDepth sets relman_outbox_depth.
func (m *Metrics) OutboxDepth(waiting int) {
	if m == nil {
		return
	}
	m.outboxDepth.Set(float64(waiting))
}

// OutboxLookup counts relman_outbox_lookups_total by result.
func (m *Metrics) OutboxLookup(result string) {
	if m == nil {
		return
	}
	m.lookups.WithLabelValues(result).Inc()
}

// SocketUndecodable counts relman_socket_undecodable_total.
func (m *Metrics) SocketUndecodable() {
	if m == nil {
		return
	}
	m.socketUndecodable.Inc()
}

// OutboxDelivered counts relman_outbox_delivered_total.
func (m *Metrics) OutboxDelivered() {
	if m == nil {
		return
	}
	m.outboxDelivered.Inc()
}

// OutboxFailed counts relman_outbox_failures_total by reason.
func (m *Metrics) OutboxFailed(reason string) {
	if m == nil {
		return
	}
	m.outboxFailures.WithLabelValues(reason).Inc()
}

// OutboxParked counts relman_outbox_parked_total.
func (m *Metrics) OutboxParked() {
	if m == nil {
		return
	}
	m.outboxParked.Inc()
}

// OutboxFound counts relman_outbox_found_posted_total.
func (m *Metrics) OutboxFound() {
	if m == nil {
		return
	}
	m.outboxFound.Inc()
}

// OutboxEditsSkipped adds n to relman_outbox_edits_skipped_total by reason.
func (m *Metrics) OutboxEditsSkipped(reason string, n int) {
	if m == nil {
		return
	}
	m.outboxEditsSkipped.WithLabelValues(reason).Add(float64(n))
}

// OutboxNoticesDropped adds n to relman_outbox_notices_dropped_total by
// reason.
func (m *Metrics) OutboxNoticesDropped(reason string, n int) {
	if m == nil {
		return
	}
	m.noticesDropped.WithLabelValues(reason).Add(float64(n))
}

// OutboxPicture counts relman_outbox_pictures_total by outcome.
func (m *Metrics) OutboxPicture(outcome string) {
	if m == nil {
		return
	}
	m.pictures.WithLabelValues(outcome).Inc()
}

func (m *Metrics) slackError(method, code string) {
	if m == nil {
		return
	}
	m.slackErrors.WithLabelValues(method, code).Inc()
}

// slackAPIError counts relman_slack_errors_total.
func (m *Metrics) slackAPIError(method, code string) {
	if m == nil {
		return
	}
	m.slackAPIErrors.WithLabelValues(method, code).Inc()
}

// WatchStore adds the store's own counters to the metrics:
// relman_store_full_total, the writes that failed because the database's
// storage is full (store.Store.FullWrites). Call it once.
func (m *Metrics) WatchStore(st *store.Store) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "relman_store_full_total", Help: "Writes that failed because the database's storage is full (no space left on the disk, a quota, PostgreSQL's disk_full); nothing of them was kept.",
	}, func() float64 { return float64(st.FullWrites()) }))
}

// Leading sets relman_leader, and relman_leader_epoch to a term's epoch.
func (m *Metrics) Leading(leading bool, epoch uint64) {
	if m == nil {
		return
	}
	v := 0.0
	if leading {
		v = 1
	}
	m.leading.Set(v)
	if epoch > 0 {
		m.leaderEpoch.Set(float64(epoch))
	}
}

func statusLabel(code int) string { return strconv.Itoa(code) }

// ConnectorError counts one failed run of connector ("jira"): the
// counter relman_connector_errors_total{connector}.
func (m *Metrics) ConnectorError(connector string) {
	if m == nil {
		return
	}
	m.connectorErrors.WithLabelValues(connector).Inc()
}
