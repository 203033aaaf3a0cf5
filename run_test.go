package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"relman/bot/slackfake"
	"relman/store"
	"relman/store/boltdb"
)

// waitLong bounds every wait for the program under test. It is generous
// because the race detector on two shared cores is slow; the waits
// themselves end as soon as the awaited thing happens.
const waitLong = 20 * time.Second

const signingSecret = "s3cret"

// addCommand is the command every end-to-end test types first.
const addCommand = "add payments 2.3.0 2027-01-15"

// getenv returns a getenv for run that reads env.
func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// servingLine is the JSON log line runServe writes once it listens.
type servingLine struct {
	Msg       string `json:"msg"`
	Mode      string `json:"mode"`
	Addr      string `json:"addr"`
	AdminAddr string `json:"admin_addr"`
}

// logSink is run's stderr in tests: safe for concurrent writes, it keeps
// everything written and sends the first "relman serving" line on serving.
type logSink struct {
	serving chan servingLine // buffered; receives at most one line

	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	sent    bool
}

func newLogSink() *logSink { return &logSink{serving: make(chan servingLine, 1)} }

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all.Write(p)
	l.partial = append(l.partial, p...)
	for {
		line, rest, ok := bytes.Cut(l.partial, []byte("\n"))
		if !ok {
			break
		}
		var s servingLine
		if !l.sent && json.Unmarshal(line, &s) == nil && s.Msg == "relman serving" {
			l.sent = true
			l.serving <- s
		}
		l.partial = append([]byte(nil), rest...)
	}
	return len(p), nil
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}

// server is `relman serve` running in a goroutine of the test.
type server struct {
	servingLine
	logs   *logSink
	cancel context.CancelFunc
	done   chan struct{} // closed when run returned; err is then set
	err    error
}

// mustServe starts run(ctx, {"serve"}, env) and returns once it logged
// that it is serving. The server is stopped at the end of the test.
func mustServe(tb testing.TB, env map[string]string) *server {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{logs: newLogSink(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = run(ctx, []string{"serve"}, getenv(env), strings.NewReader(""), io.Discard, s.logs)
	}()
	tb.Cleanup(func() { s.stop(tb) })
	select {
	case s.servingLine = <-s.logs.serving:
	case <-s.done:
		tb.Fatalf("run(serve) = %v before serving; log:\n%s", s.err, s.logs)
	case <-time.After(waitLong):
		tb.Fatalf("run(serve) did not log \"relman serving\" within %v; log:\n%s", waitLong, s.logs)
	}
	return s
}

// stop cancels run's context, as SIGTERM does, and returns run's result.
func (s *server) stop(tb testing.TB) error {
	tb.Helper()
	s.cancel()
	select {
	case <-s.done:
		return s.err
	case <-time.After(waitLong):
		tb.Fatalf("run(serve) did not return within %v of cancellation; log:\n%s", waitLong, s.logs)
		return nil
	}
}

func (s *server) url(path string) string { return "http://" + s.Addr + path }

// sign returns Slack's v0 signature of body at timestamp ts (SLACK.md §2).
func sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// post sends body to url. With a secret it is signed as of at; without,
// it carries no signature headers.
func post(tb testing.TB, url, contentType, secret string, at time.Time, body string) (int, []byte) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if secret != "" {
		ts := strconv.FormatInt(at.Unix(), 10)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sign(secret, ts, []byte(body)))
	}
	return do(tb, req)
}

func get(tb testing.TB, url string) (int, []byte) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return do(tb, req)
}

func do(tb testing.TB, req *http.Request) (int, []byte) {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, b
}

// slashForm is the official slash command example (SLACK.md §1.1) with the
// given command text and response URL.
func slashForm(text, responseURL string) string {
	v := url.Values{
		"token":           {"gIkuvaNzQIHg97ATvDxqgjtO"},
		"team_id":         {"T0001"},
		"team_domain":     {"example"},
		"enterprise_id":   {"E0001"},
		"enterprise_name": {"Globular Construct Inc"},
		"channel_id":      {"C2147483705"},
		"channel_name":    {"test"},
		"user_id":         {"U2147483697"},
		"user_name":       {"Steve"},
		"command":         {"/release"},
		"text":            {text},
		"response_url":    {responseURL},
		"trigger_id":      {"13345224609.738474920.8088930838d88f008e0"},
		"api_app_id":      {"A123456"},
	}
	return v.Encode()
}

// reply is the part of an ephemeral slash command reply the tests read.
type reply struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

func mustReply(tb testing.TB, body []byte) reply {
	tb.Helper()
	var r reply
	if err := json.Unmarshal(body, &r); err != nil {
		tb.Fatalf("reply %q is not JSON: %v", body, err)
	}
	return r
}

// mustRelease opens the database at path and returns the release ref.
func mustRelease(tb testing.TB, path, product, version string) *store.Release {
	tb.Helper()
	st, err := boltdb.Open(path, boltdb.Options{})
	if err != nil {
		tb.Fatalf("boltdb.Open(%s): %v", path, err)
	}
	defer st.Close()
	ref, err := store.NewRef(product, version)
	if err != nil {
		tb.Fatal(err)
	}
	var r *store.Release
	err = st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		r, err = tx.Release(ref)
		return err
	})
	if err != nil {
		tb.Fatalf("release %s in %s: %v", ref, path, err)
	}
	return r
}

// hasRelease reports whether the database at path holds the release.
func hasRelease(tb testing.TB, path, product, version string) bool {
	tb.Helper()
	st, err := boltdb.Open(path, boltdb.Options{})
	if err != nil {
		tb.Fatalf("boltdb.Open(%s): %v", path, err)
	}
	defer st.Close()
	var found bool
	err = st.View(context.Background(), func(tx *store.Tx) error {
		rs, err := tx.Releases()
		for _, r := range rs {
			found = found || (r.Product == product && r.Version == version)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return found
}

// checkNoSecrets fails the test if logs contain any of the secrets.
func checkNoSecrets(tb testing.TB, logs string, secrets map[string]string) {
	tb.Helper()
	for name, secret := range secrets {
		if secret != "" && strings.Contains(logs, secret) {
			tb.Errorf("the log contains %s %q:\n%s", name, secret, logs)
		}
	}
}

func httpEnv(fake *slackfake.Server, db string) map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN":      fake.BotToken,
		"SLACK_SIGNING_SECRET": signingSecret,
		"SLACK_API_URL":        fake.URL(),
		"RELMAN_DB":            db,
		"RELMAN_ADDR":          "127.0.0.1:0",
		"RELMAN_ADMIN_ADDR":    "127.0.0.1:0",
		"RELMAN_ADMINS":        "U012ABCDEF,W0ENTERPRISE",
	}
}

func TestRunServesSlackOverHTTP(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	db := filepath.Join(t.TempDir(), "relman.db")
	srv := mustServe(t, httpEnv(fake, db))
	fake.SetUser("U2147483697", "Steve", "America/Los_Angeles")
	if srv.Mode != "http" {
		t.Errorf("serving mode = %q; want http", srv.Mode)
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()

	status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(),
		slashForm(addCommand, fake.ResponseURL()))
	if status != http.StatusOK {
		t.Fatalf("signed %q: status %d %s; want 200", addCommand, status, body)
	}
	if r := mustReply(t, body); r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "Added") {
		t.Errorf("signed %q: reply %+v; want an ephemeral reply saying Added", addCommand, r)
	}

	calls, err := fake.WaitCalls(ctx, "chat.postMessage", 1)
	if err != nil {
		t.Fatalf("waiting for the outbox to post: %v; log:\n%s", err, srv.logs)
	}
	if got := calls[0].Param("channel"); got != "C2147483705" {
		t.Errorf("chat.postMessage channel = %q; want the command's channel C2147483705", got)
	}
	if msgs := fake.Messages("C2147483705"); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "payments@2.3.0") {
		t.Errorf("messages in C2147483705 = %+v; want one announcing payments@2.3.0", msgs)
	}

	t.Run("RejectsUnverifiedRequests", func(t *testing.T) {
		body := slashForm("add billing 1.0.0 2027-02-01", fake.ResponseURL())
		for _, tc := range []struct {
			name   string
			secret string
			at     time.Time
		}{
			{"Unsigned", "", time.Now()},
			{"WrongSecret", "not-the-secret", time.Now()},
			{"StaleTimestamp", signingSecret, time.Now().Add(-6 * time.Minute)},
		} {
			if status, resp := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", tc.secret, tc.at, body); status != http.StatusUnauthorized {
				t.Errorf("%s: status %d %s; want 401", tc.name, status, resp)
			}
		}
	})
	t.Run("AnswersHealthz", func(t *testing.T) {
		if status, body := get(t, srv.url("/healthz")); status != http.StatusOK || strings.TrimSpace(string(body)) != "ok" {
			t.Errorf("GET /healthz = %d %q; want 200 ok", status, body)
		}
	})
	t.Run("CountsRequestsInMetrics", func(t *testing.T) {
		status, body := get(t, srv.url("/metrics"))
		if status != http.StatusOK {
			t.Fatalf("GET /metrics = %d", status)
		}
		for _, want := range []string{
			`relman_http_requests_total{endpoint="commands",status="200"} 1`,
			`relman_http_requests_total{endpoint="commands",status="401"}`,
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("GET /metrics lacks %s:\n%s", want, body)
			}
		}
	})

	if err := srv.stop(t); err != nil {
		t.Fatalf("run(serve) after cancellation = %v; want nil; log:\n%s", err, srv.logs)
	}
	// The lock is released, so the store was closed; the rejected requests changed nothing.
	if !hasRelease(t, db, "payments", "2.3.0") {
		t.Errorf("payments@2.3.0 is not in %s after shutdown", db)
	}
	if hasRelease(t, db, "billing", "1.0.0") {
		t.Errorf("an unverified request added billing@1.0.0")
	}
	checkNoSecrets(t, srv.logs.String(), map[string]string{"bot token": fake.BotToken, "signing secret": signingSecret})
}

func TestRunBackupCopiesTheServingDatabase(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	srv := mustServe(t, httpEnv(fake, filepath.Join(dir, "relman.db")))
	status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(),
		slashForm(addCommand, fake.ResponseURL()))
	if status != http.StatusOK {
		t.Fatalf("signed %q: status %d %s; want 200", addCommand, status, body)
	}
	env := getenv(map[string]string{"RELMAN_ADMIN_ADDR": srv.AdminAddr})
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	backup := filepath.Join(dir, "backup.db")

	t.Run("WritesACopyThatOpens", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(ctx, []string{"backup", backup}, env, strings.NewReader(""), &out, io.Discard); err != nil {
			t.Fatalf("relman backup %s: %v", backup, err)
		}
		if !strings.Contains(out.String(), "wrote "+backup) {
			t.Errorf("relman backup printed %q; want it to name %s", out.String(), backup)
		}
		if r := mustRelease(t, backup, "payments", "2.3.0"); r.Date().String() != "2027-01-15" {
			t.Errorf("backed-up payments@2.3.0 targets %s; want 2027-01-15", r.Date())
		}
		if _, err := os.Stat(backup + ".partial"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s.partial left behind (stat: %v)", backup, err)
		}
	})
	t.Run("RefusesToOverwrite", func(t *testing.T) {
		existing := filepath.Join(dir, "existing.db")
		if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := run(ctx, []string{"backup", existing}, env, strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("relman backup to an existing file = %v; want an \"already exists\" error", err)
		}
		if b, _ := os.ReadFile(existing); string(b) != "keep me" {
			t.Errorf("existing file now holds %q; want it untouched", b)
		}
	})
	t.Run("NeedsAFileName", func(t *testing.T) {
		err := run(ctx, []string{"backup"}, env, strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("relman backup with no file = %v; want a usage error", err)
		}
	})

	if err := srv.stop(t); err != nil {
		t.Fatalf("run(serve) after cancellation = %v; want nil", err)
	}
}

// socketSlash is the Socket Mode slash command payload of SLACK.md §4 with
// the command, text and response URL replaced.
const socketSlash = `{"token":"bHKJ2n9AW6Ju3MjciOHfbA1b","team_id":"T123ABC456","team_domain":"maria","channel_id":"C123ABC456","channel_name":"general","user_id":"U123ABC456","user_name":"rainer","command":"/release","text":TEXT,"response_url":RESPONSE_URL,"trigger_id":"37053613634.26768298162.440952c06ef4de2653466a48fe495f93"}`

func socketSlashPayload(text, responseURL string) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return strings.NewReplacer("TEXT", q(text), "RESPONSE_URL", q(responseURL)).Replace(socketSlash)
}

// appHomeOpened is an events_api payload for a user opening the Home tab.
const appHomeOpened = `{"token":"XXYYZZ","team_id":"T123ABC456","api_app_id":"A0FAKEAPP","event":{"type":"app_home_opened","user":"U123ABC456","channel":"D123ABC456","tab":"home","event_ts":"1515449522000016"},"type":"event_callback","event_id":"Ev0PV52K21","event_time":1515449522}`

// blockActions is the official block_actions sample (SLACK.md §3.1).
const blockActions = `{"type":"block_actions","team":{"id":"T9TK3CUKW","domain":"example"},"user":{"id":"UA8RXUSPL","username":"jtorrance","team_id":"T9TK3CUKW"},"api_app_id":"AABA1ABCD","token":"9s8d9as89d8as9d8as989","container":{"type":"message_attachment","message_ts":"1548261231.000200","attachment_id":1,"channel_id":"CBR2V3XEX","is_ephemeral":false,"is_app_unfurl":false},"trigger_id":"12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3","channel":{"id":"CBR2V3XEX","name":"review-updates"},"message":{"bot_id":"BAH5CA16Z","type":"message","text":"This content can't be displayed.","user":"UAJ2RU415","ts":"1548261231.000200"},"response_url":"https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209","actions":[{"action_id":"WaXA","block_id":"=qXel","text":{"type":"plain_text","text":"View","emoji":true},"value":"click_me_123","type":"button","action_ts":"1548426417.840180"}]}`

// mustAck sends an envelope and returns the payload it was acked with.
func mustAck(ctx context.Context, tb testing.TB, fake *slackfake.Server, typ, payload string) json.RawMessage {
	tb.Helper()
	id, err := fake.SendEnvelope(ctx, typ, payload)
	if err != nil {
		tb.Fatalf("SendEnvelope(%s): %v", typ, err)
	}
	ack, err := fake.WaitAck(ctx, id)
	if err != nil {
		tb.Fatalf("WaitAck(%s envelope): %v", typ, err)
	}
	return ack
}

func TestRunServesSlackOverSocketMode(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	db := filepath.Join(t.TempDir(), "relman.db")
	srv := mustServe(t, map[string]string{
		"SLACK_BOT_TOKEN":   fake.BotToken,
		"SLACK_APP_TOKEN":   fake.AppToken,
		"SLACK_API_URL":     fake.URL(),
		"RELMAN_DB":         db,
		"RELMAN_ADDR":       "127.0.0.1:0",
		"RELMAN_ADMIN_ADDR": "127.0.0.1:0",
	})
	if srv.Mode != "socket" {
		t.Errorf("serving mode = %q; want socket", srv.Mode)
	}
	fake.SetUser("U123ABC456", "rainer", "Europe/Berlin")
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	if _, err := fake.WaitConnections(ctx, 1); err != nil {
		t.Fatalf("waiting for a Socket Mode connection: %v; log:\n%s", err, srv.logs)
	}

	ack := mustAck(ctx, t, fake, "slash_commands", socketSlashPayload(addCommand, fake.ResponseURL()))
	if r := mustReply(t, ack); r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "Added") {
		t.Errorf("ack of %q = %s; want an ephemeral reply saying Added", addCommand, ack)
	}
	calls, err := fake.WaitCalls(ctx, "chat.postMessage", 1)
	if err != nil {
		t.Fatalf("waiting for the outbox to post: %v; log:\n%s", err, srv.logs)
	}
	if got := calls[0].Param("channel"); got != "C123ABC456" {
		t.Errorf("chat.postMessage channel = %q; want the command's channel C123ABC456", got)
	}

	fake.Disconnect("refresh_requested")
	if _, err := fake.WaitConnections(ctx, 2); err != nil {
		t.Fatalf("waiting for the reconnection after refresh_requested: %v; log:\n%s", err, srv.logs)
	}
	ack = mustAck(ctx, t, fake, "slash_commands", socketSlashPayload("list", fake.ResponseURL()))
	if r := mustReply(t, ack); r.ResponseType != "ephemeral" || !strings.Contains(string(ack), "payments@2.3.0") {
		t.Errorf("ack of list after reconnecting = %s; want an ephemeral reply listing payments@2.3.0", ack)
	}

	if ack := mustAck(ctx, t, fake, "events_api", appHomeOpened); len(ack) != 0 {
		t.Errorf("ack of app_home_opened carries payload %s; want none", ack)
	}
	publish, err := fake.WaitCalls(ctx, "views.publish", 1)
	if err != nil {
		t.Fatalf("waiting for App Home to be published: %v; log:\n%s", err, srv.logs)
	}
	if got := publish[0].Param("user_id"); got != "U123ABC456" {
		t.Errorf("views.publish user_id = %q; want U123ABC456", got)
	}
	if _, ok := fake.HomeView("U123ABC456"); !ok {
		t.Errorf("no Home view published for U123ABC456")
	}

	if ack := mustAck(ctx, t, fake, "interactive", blockActions); len(ack) != 0 {
		t.Errorf("ack of block_actions carries payload %s; want none", ack)
	}

	// Without a signing secret nothing can pass as Slack over HTTP.
	if status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", "anything", time.Now(),
		slashForm("add billing 1.0.0 2027-02-01", fake.ResponseURL())); status != http.StatusUnauthorized {
		t.Errorf("HTTP slash command in Socket Mode: status %d %s; want 401", status, body)
	}

	if err := srv.stop(t); err != nil {
		t.Fatalf("run(serve) after cancellation = %v; want nil; log:\n%s", err, srv.logs)
	}
	if !hasRelease(t, db, "payments", "2.3.0") || hasRelease(t, db, "billing", "1.0.0") {
		t.Errorf("after shutdown the store should hold payments@2.3.0 and not billing@1.0.0")
	}
	checkNoSecrets(t, srv.logs.String(), map[string]string{"bot token": fake.BotToken, "app token": fake.AppToken})
}

func TestRunStopsWhenSlackRefusesTheAppToken(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	const revoked = "xapp-1-revoked"
	logs := newLogSink()
	errc := make(chan error, 1)
	go func() {
		errc <- run(t.Context(), []string{"serve"}, getenv(map[string]string{
			"SLACK_BOT_TOKEN":   fake.BotToken,
			"SLACK_APP_TOKEN":   revoked,
			"SLACK_API_URL":     fake.URL(),
			"RELMAN_DB":         filepath.Join(t.TempDir(), "relman.db"),
			"RELMAN_ADDR":       "127.0.0.1:0",
			"RELMAN_ADMIN_ADDR": "127.0.0.1:0",
		}), strings.NewReader(""), io.Discard, logs)
	}()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
			t.Errorf("run(serve) with a refused app token = %v; want an invalid_auth error", err)
		}
	case <-time.After(waitLong):
		t.Fatalf("run(serve) with a refused app token still running after %v; log:\n%s", waitLong, logs)
	}
	checkNoSecrets(t, logs.String(), map[string]string{"bot token": fake.BotToken, "app token": revoked})
}

func TestRunRejectsBadConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"UnknownTimeZone", []string{"console"}, map[string]string{"RELMAN_TZ": "Mars/Base"}, []string{"RELMAN_TZ", "Mars/Base"}},
		{"PublicURLNotAURL", []string{"console"}, map[string]string{"RELMAN_PUBLIC_URL": "relman.example.com"}, []string{"RELMAN_PUBLIC_URL", "https://"}},
		{"BadSweepSchedule", []string{"console"}, map[string]string{"RELMAN_SWEEP": "every 15 minutes"}, []string{"RELMAN_SWEEP", "cron"}},
		{"BotTokenOfTheWrongKind", []string{"serve"}, map[string]string{"SLACK_BOT_TOKEN": "bad", "SLACK_SIGNING_SECRET": signingSecret}, []string{"SLACK_BOT_TOKEN", "xoxb-"}},
		{"AppTokenOfTheWrongKind", []string{"serve"}, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, []string{"SLACK_APP_TOKEN", "xapp-"}},
		{"AdminAddressNotLoopback", []string{"serve"}, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": signingSecret, "RELMAN_ADMIN_ADDR": "0.0.0.0:3001"}, []string{"RELMAN_ADMIN_ADDR", "loopback"}},
		{"ServeWithoutSigningSecretOrAppToken", []string{"serve"}, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, []string{"SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"}},
		{"ImplicitServeWithoutSigningSecret", nil, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, []string{"SLACK_SIGNING_SECRET"}},
		{"ServeWithoutBotToken", []string{"serve"}, map[string]string{"SLACK_SIGNING_SECRET": signingSecret}, []string{"SLACK_BOT_TOKEN"}},
		{"EverySettingAtOnce", []string{"serve"}, map[string]string{
			"RELMAN_TZ": "Mars/Base", "SLACK_BOT_TOKEN": "bad", "SLACK_APP_TOKEN": "bad", "RELMAN_ADMIN_ADDR": "0.0.0.0:3001", "SLACK_API_URL": "ftp://x",
		}, []string{"RELMAN_TZ", "xoxb-", "xapp-", "loopback", "SLACK_API_URL"}},
		{"AdminByName", []string{"serve"}, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": signingSecret, "RELMAN_ADMINS": "@alice"},
			[]string{"RELMAN_ADMINS", `"@alice" is not a Slack member ID`, "Copy member ID"}},
		{"AdminsByNameAndLowerCaseID", []string{"serve"}, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": signingSecret, "RELMAN_ADMINS": "U012ABCDEF, alice,u012abcdef"},
			[]string{"RELMAN_ADMINS", `"alice", "u012abcdef" are not Slack member IDs`}},
		{"ImplicitServeWithAdminByName", nil, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "RELMAN_ADMINS": "alice"}, []string{"RELMAN_ADMINS", `"alice"`}},
		{"AdminByNameWithOtherBadSettings", []string{"serve"}, map[string]string{"RELMAN_TZ": "Mars/Base", "SLACK_BOT_TOKEN": "xoxb-1", "RELMAN_ADMINS": "@alice"},
			[]string{"RELMAN_TZ", "SLACK_SIGNING_SECRET", "RELMAN_ADMINS"}},
		{"SettingsAndServeRequirementsAtOnce", []string{"serve"}, map[string]string{"RELMAN_TZ": "Mars/Base", "SLACK_BOT_TOKEN": "xoxb-1"}, []string{"RELMAN_TZ", "SLACK_SIGNING_SECRET"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "relman.db")
			tc.env["RELMAN_DB"] = db
			tc.env["RELMAN_ADDR"] = "127.0.0.1:0"
			if tc.env["RELMAN_ADMIN_ADDR"] == "" {
				tc.env["RELMAN_ADMIN_ADDR"] = "127.0.0.1:0"
			}
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tc.args, getenv(tc.env), strings.NewReader(""), &stdout, &stderr)
			if err == nil {
				t.Fatalf("run(%q) = nil; want an error mentioning %q", tc.args, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("run(%q) = %q; want it to mention %q", tc.args, err, w)
				}
			}
			// Configuration is validated before anything is opened.
			if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("database %s was created (stat: %v); want nothing opened on a configuration error", db, err)
			}
		})
	}
}

func TestRunFailsFastOnLockedDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "relman.db")
	st, err := boltdb.Open(db, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fake := slackfake.New()
	t.Cleanup(fake.Close)

	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"Console", []string{"console"}, map[string]string{"RELMAN_DB": db}},
		{"Serve", []string{"serve"}, httpEnv(fake, db)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errc := make(chan error, 1)
			start := time.Now()
			go func() {
				errc <- run(t.Context(), tc.args, getenv(tc.env), strings.NewReader("list\n"), io.Discard, io.Discard)
			}()
			select {
			case err := <-errc:
				if err == nil || !strings.Contains(err.Error(), db) || !strings.Contains(err.Error(), "in use") {
					t.Errorf("run(%q) on a locked database = %v; want an error naming %s and saying it is in use", tc.args, err, db)
				}
				// The store waits one second for the lock; allow for a slow machine.
				if took := time.Since(start); took > 5*time.Second {
					t.Errorf("run(%q) on a locked database took %v to fail; want about a second", tc.args, took)
				}
			case <-time.After(waitLong):
				t.Fatalf("run(%q) on a locked database still running after %v", tc.args, waitLong)
			}
		})
	}
}

func TestRunConsole(t *testing.T) {
	db := filepath.Join(t.TempDir(), "relman.db")
	env := getenv(map[string]string{"RELMAN_DB": db})

	t.Run("EchoesPipedInputWithRepliesAndPosts", func(t *testing.T) {
		var out, errb bytes.Buffer
		if err := run(t.Context(), nil, env, strings.NewReader(addCommand+"\nlist\n"), &out, &errb); err != nil {
			t.Fatalf("run(console) = %v; stderr:\n%s", err, errb.String())
		}
		for _, want := range []string{
			"> " + addCommand + "\n",
			"Added *payments@2.3.0*",
			"[#general]",
			"> list\n",
			"payments@2.3.0* — Fri 2027-01-15",
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("console output lacks %q:\n%s", want, out.String())
			}
		}
	})
	t.Run("KeepsReleasesAcrossRuns", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(t.Context(), []string{"console"}, env, strings.NewReader("list\n"), &out, io.Discard); err != nil {
			t.Fatalf("run(console) = %v", err)
		}
		if !strings.Contains(out.String(), "payments@2.3.0") {
			t.Errorf("second console run lists:\n%s\nwant payments@2.3.0 from the first run", out.String())
		}
	})
	t.Run("AdminsAreConsoleNames", func(t *testing.T) {
		env := getenv(map[string]string{"RELMAN_DB": filepath.Join(t.TempDir(), "relman.db"), "RELMAN_ADMINS": "@alex, root"})
		var out bytes.Buffer
		if err := run(t.Context(), []string{"console"}, env, strings.NewReader(addCommand+"\n"), &out, io.Discard); err != nil {
			t.Fatalf("run(console) with RELMAN_ADMINS=@alex,root = %v; want console names accepted", err)
		}
		if !strings.Contains(out.String(), "owner @alex") {
			t.Errorf("console output:\n%s\nwant the first admin, alex, as the console's user", out.String())
		}
	})
	t.Run("PrintsVersion", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(t.Context(), []string{"version"}, env, strings.NewReader(""), &out, io.Discard); err != nil {
			t.Fatalf("run(version) = %v", err)
		}
		if !strings.HasPrefix(out.String(), "relman ") {
			t.Errorf("run(version) printed %q; want \"relman <version>\"", out.String())
		}
	})
	t.Run("RejectsUnknownSubcommand", func(t *testing.T) {
		err := run(t.Context(), []string{"frobnicate"}, env, strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("run(frobnicate) = %v; want an error with the usage", err)
		}
	})
}
