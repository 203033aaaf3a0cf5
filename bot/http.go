package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"relman/commands/calendar"
	"relman/store"
)

// MaxBody bounds a request body from Slack; Slack's own payloads are far
// smaller (a slash command's text is at most about 4 KB).
const MaxBody = 256 << 10

// HTTP serves Slack's HTTP endpoints and the operational ones:
//
//	POST /slack/commands      slash commands
//	POST /slack/interactions  buttons, shortcuts, modal submissions
//	POST /slack/events        Events API (url_verification, app_home_opened)
//	GET  /healthz             liveness
//	GET  /readyz              readiness: 200 "ready", or 503 and why not
//	GET  /metrics             Prometheus
//	GET  /calendar/<token>.ics  a calendar feed (when Calendar is set)
//	POST /hooks/deploy        CI's deploy webhook (when Deploy is set)
//	POST /hooks/github        GitHub's webhooks (when GitHub is set)
//
// Every /slack/* request is verified first — a valid Slack signature over
// the raw body, no older than five minutes — and answered 401 otherwise,
// before anything is parsed or changed. A calendar feed is not from Slack:
// its token is its credential, and an unknown one is answered exactly as an
// unknown path is.
type HTTP struct {
	Slack         *Slack
	SigningSecret string
	Metrics       *Metrics
	// Healthy, if set, reports liveness for /healthz (nil error = ok).
	Healthy func() error
	// Ready, if set, reports readiness for /readyz: nil when relman can
	// do its work, else why not (one reason a line).
	Ready func(ctx context.Context) error
	// Calendar, if set, serves the calendar feeds.
	Calendar *calendar.Feeds
	// Deploy and GitHub, if set, serve the connectors' webhooks
	// (connect.Deploy, connect.GitHub): each verifies its own signature,
	// and answers 404 without its secret.
	Deploy, GitHub http.Handler
}

// Handler returns the routes.
func (h *HTTP) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", h.slack("commands", "application/x-www-form-urlencoded", h.commands))
	mux.Handle("POST /slack/interactions", h.slack("interactions", "application/x-www-form-urlencoded", h.interactions))
	mux.Handle("POST /slack/events", h.slack("events", "application/json", h.events))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if h.Healthy != nil {
			if err := h.Healthy(); err != nil {
				http.Error(w, "unhealthy: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", h.readyz)
	if h.Metrics != nil {
		mux.Handle("GET /metrics", h.Metrics.Handler())
	}
	for path, hook := range map[string]http.Handler{"deploy": h.Deploy, "github": h.GitHub} {
		if hook != nil {
			mux.HandleFunc("POST /hooks/"+path, func(w http.ResponseWriter, r *http.Request) {
				rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
				hook.ServeHTTP(rec, r)
				h.Metrics.request("hook_"+path, rec.status)
			})
		}
	}
	if h.Calendar != nil {
		mux.HandleFunc("GET /calendar/{file}", func(w http.ResponseWriter, r *http.Request) {
			h.Metrics.request("calendar", h.calendar(w, r))
		})
	}
	return mux
}

// readyTimeout bounds the checks of one /readyz.
const readyTimeout = 5 * time.Second

// readyz answers 200 "ready" when Ready finds nothing wrong, else 503
// with "not ready:" and the reasons in plain text. It is never cached.
func (h *HTTP) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if h.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := h.Ready(ctx); err != nil {
			http.Error(w, "not ready:\n"+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ready\n")
}

// calendar answers GET /calendar/<token>.ics: the feed, or 304 when
// If-None-Match names its current ETag, or the 404 of any unknown path.
func (h *HTTP) calendar(w http.ResponseWriter, r *http.Request) int {
	token, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok {
		http.NotFound(w, r)
		return http.StatusNotFound
	}
	feed, err := h.Calendar.Feed(r.Context(), token, r.Header.Get("If-None-Match"))
	switch store.ErrorCode(err) {
	case "":
	case store.ENotFound:
		http.NotFound(w, r)
		return http.StatusNotFound
	case store.EUnavailable, store.EDamaged:
		w.Header().Set("Retry-After", "60")
		return fail(w, http.StatusServiceUnavailable, "the database is unavailable; try again later")
	default:
		if h.Slack != nil {
			h.Slack.log().Error("calendar feed", "err", err)
		}
		return fail(w, http.StatusInternalServerError, "internal error")
	}
	hd := w.Header()
	// The address is a credential: no shared cache keeps the feed, and
	// every use revalidates (cheaply, with the ETag).
	hd.Set("Cache-Control", "private, no-cache")
	hd.Set("ETag", feed.ETag)
	if feed.NotModified {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	hd.Set("Content-Type", "text/calendar; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(feed.Body)))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	w.Write(feed.Body)
	return http.StatusOK
}

// slackHandler handles a verified request whose raw body is given.
type slackHandler func(w http.ResponseWriter, r *http.Request, body []byte) int

// slack wraps an endpoint with the checks every Slack request passes, in
// order: body size, signature, content type. It records the outcome.
func (h *HTTP) slack(endpoint, contentType string, next slackHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := h.serveSlack(w, r, contentType, next)
		h.Metrics.request(endpoint, status)
	})
}

func (h *HTTP) serveSlack(w http.ResponseWriter, r *http.Request, contentType string, next slackHandler) int {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(w, http.StatusRequestEntityTooLarge, "request body too large")
		}
		return fail(w, http.StatusBadRequest, "cannot read request body")
	}
	sv, err := slack.NewSecretsVerifier(r.Header, h.SigningSecret)
	if err != nil {
		return fail(w, http.StatusUnauthorized, "missing or stale Slack signature")
	}
	if _, err := sv.Write(body); err != nil {
		return fail(w, http.StatusUnauthorized, "bad Slack signature")
	}
	if err := sv.Ensure(); err != nil {
		return fail(w, http.StatusUnauthorized, "bad Slack signature")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != contentType {
		return fail(w, http.StatusUnsupportedMediaType, "expected "+contentType)
	}
	// slack-go's parsers read the body again: give them a fresh reader of
	// the verified bytes (a drained body silently parses as empty fields).
	r.Body = io.NopCloser(bytes.NewReader(body))
	return next(w, r, body)
}

func fail(w http.ResponseWriter, status int, msg string) int {
	http.Error(w, msg, status)
	return status
}

func (h *HTTP) commands(w http.ResponseWriter, r *http.Request, body []byte) int {
	if err := r.ParseForm(); err != nil {
		return fail(w, http.StatusBadRequest, "malformed form")
	}
	if r.PostForm.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK)
		return http.StatusOK
	}
	sc, err := slack.SlashCommandParse(r)
	if err != nil || sc.Command == "" || sc.UserID == "" {
		return fail(w, http.StatusBadRequest, "not a slash command")
	}
	return writeAck(w, h.Slack.Command(r.Context(), sc))
}

func (h *HTTP) interactions(w http.ResponseWriter, r *http.Request, body []byte) int {
	ic, err := slack.InteractionCallbackParse(r)
	if err != nil || ic.Type == "" {
		return fail(w, http.StatusBadRequest, "malformed interaction payload")
	}
	return writeAck(w, h.Slack.Interaction(r.Context(), &ic))
}

func (h *HTTP) events(w http.ResponseWriter, r *http.Request, body []byte) int {
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// slack-go refuses inner events it does not know. A well-formed
		// callback relman did not subscribe to is acknowledged, so Slack
		// does not retry it or disable the subscription.
		var outer struct {
			Type  string          `json:"type"`
			Event json.RawMessage `json:"event"`
		}
		if json.Unmarshal(body, &outer) == nil && outer.Type == slackevents.CallbackEvent && len(outer.Event) > 0 {
			w.WriteHeader(http.StatusOK)
			return http.StatusOK
		}
		return fail(w, http.StatusBadRequest, "malformed event")
	}
	switch ev.Type {
	case slackevents.URLVerification:
		var ch slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &ch); err != nil || ch.Challenge == "" {
			return fail(w, http.StatusBadRequest, "malformed url_verification")
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, ch.Challenge)
		return http.StatusOK
	case slackevents.CallbackEvent:
		h.Slack.Event(r.Context(), ev)
	}
	w.WriteHeader(http.StatusOK)
	return http.StatusOK
}

// writeAck answers 200 with the acknowledgement's JSON body, if any, and
// then releases the ack's buffer: net/http has copied or sent the body
// when Write returns.
func writeAck(w http.ResponseWriter, ack Ack) int {
	defer ack.release()
	if ack.Body == nil {
		w.WriteHeader(http.StatusOK)
		return http.StatusOK
	}
	b, ok := ack.Body.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(ack.Body); err != nil {
			return fail(w, http.StatusInternalServerError, "cannot encode reply")
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// A known length spares the reply chunked encoding: net/http chunks a
	// body it has not seen the end of once it passes 2 KB.
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
	return http.StatusOK
}

// statusRecorder remembers the status a handler answered, for metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
