package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"relman/bot/slackfake"
	"relman/store"
	"relman/store/boltdb"
	"relman/store/storetest"
)

// mustServeOn is mustServe with the store st opened by the test, so the
// test can wrap its KV: serve(ctx, cfg, st) runs until the test ends.
func mustServeOn(tb testing.TB, env map[string]string, st *store.Store) *server {
	tb.Helper()
	cfg, err := loadConfig(getenv(env))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{logs: newLogSink(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = serve(ctx, cfg, st, s.logs)
	}()
	tb.Cleanup(func() { s.stop(tb) })
	select {
	case s.servingLine = <-s.logs.serving:
	case <-s.done:
		tb.Fatalf("serve = %v before serving; log:\n%s", s.err, s.logs)
	case <-time.After(waitLong):
		tb.Fatalf("serve did not log \"relman serving\" within %v; log:\n%s", waitLong, s.logs)
	}
	return s
}

// mustReady gets /readyz and checks its status, and that its body holds
// each of want.
func mustReady(tb testing.TB, srv *server, status int, want ...string) {
	tb.Helper()
	got, body := get(tb, srv.url("/readyz"))
	if got != status {
		tb.Fatalf("GET /readyz = %d %q; want %d", got, body, status)
	}
	for _, w := range want {
		if !strings.Contains(string(body), w) {
			tb.Errorf("GET /readyz = %d %q; want it to say %q", got, body, w)
		}
	}
}

// awaitReady gets /readyz until it answers status, for at most waitLong:
// for a change relman makes as it reads an answer from the fake Slack,
// which the test cannot see happen.
func awaitReady(tb testing.TB, srv *server, status int) {
	tb.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		got, body := get(tb, srv.url("/readyz"))
		if got == status {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("GET /readyz = %d %q for %v; want %d", got, body, waitLong, status)
		}
		runtime.Gosched()
	}
}

// metricLine returns the line of GET /metrics that starts with series, or "".
func metricLine(tb testing.TB, srv *server, series string) string {
	tb.Helper()
	_, body := get(tb, srv.url("/metrics"))
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, series+" ") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

func TestRunStopsWhenSlackRefusesTheBotToken(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	const wrong = "xoxb-not-this-one"
	env := httpEnv(fake, filepath.Join(t.TempDir(), "relman.db"))
	env["SLACK_BOT_TOKEN"] = wrong
	logs := newLogSink()
	err := run(t.Context(), []string{"serve"}, getenv(env), strings.NewReader(""), nil, logs)
	if err == nil || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("run(serve) with a token Slack refuses = %v; want an error naming SLACK_BOT_TOKEN and invalid_auth", err)
	}
	if strings.Contains(logs.String(), "relman serving") {
		t.Errorf("relman served with a refused token; log:\n%s", logs)
	}
	checkNoSecrets(t, logs.String()+"\n"+err.Error(), map[string]string{"bot token": wrong})
}

// TestRunReadyz: relman serve starts while Slack does not answer, and
// /readyz says so until it does; while Slack refuses the token later,
// /readyz is 503 again, and each Slack error is counted.
func TestRunReadyz(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	fake.ServerError("auth.test", 2) // at start, and at the first /readyz
	srv := mustServe(t, httpEnv(fake, filepath.Join(t.TempDir(), "relman.db")))
	if !strings.Contains(srv.logs.String(), "Slack does not answer") {
		t.Errorf("log does not say Slack does not answer:\n%s", srv.logs)
	}
	mustReady(t, srv, http.StatusServiceUnavailable, "not ready", "Slack answers 500 Internal Server Error to auth.test")
	mustReady(t, srv, http.StatusOK, "ready")
	if got, body := get(t, srv.url("/healthz")); got != http.StatusOK {
		t.Errorf("GET /healthz = %d %q; want 200 (alive whatever Slack does)", got, body)
	}

	// Slack refuses the token while relman runs: the outbox's sends fail,
	// the message stays queued, and /readyz says why.
	fake.Fail("chat.postMessage", slackfake.Fault{Error: "invalid_auth"}, 0)
	fake.Fail("auth.test", slackfake.Fault{Error: "invalid_auth"}, 0)
	status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(), slashForm(addCommand, fake.ResponseURL()))
	if status != http.StatusOK || !strings.Contains(mustReply(t, body).Text, "Added") {
		t.Fatalf("%q = %d %s; want it added", addCommand, status, body)
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	if _, err := fake.WaitCalls(ctx, "chat.postMessage", 1); err != nil {
		t.Fatalf("waiting for the outbox to try: %v", err)
	}
	// The fake records the call as it answers; relman reads the answer a
	// moment later.
	awaitReady(t, srv, http.StatusServiceUnavailable)
	mustReady(t, srv, http.StatusServiceUnavailable, "SLACK_BOT_TOKEN", "invalid_auth")
	if line := metricLine(t, srv, `relman_slack_errors_total{error="invalid_auth",method="chat.postMessage"}`); line == "" {
		t.Error(`/metrics has no relman_slack_errors_total{error="invalid_auth",method="chat.postMessage"}`)
	}
	if line := metricLine(t, srv, `relman_slack_errors_total{error="http_500",method="auth.test"}`); !strings.HasSuffix(line, " 2") {
		t.Errorf(`relman_slack_errors_total for auth.test's 500s: %q; want 2`, line)
	}
	if msgs := fake.Messages("C2147483705"); len(msgs) != 0 {
		t.Errorf("messages posted while Slack refused the token: %+v", msgs)
	}

	fake.ClearFaults()
	mustReady(t, srv, http.StatusOK, "ready")
}

// TestRunFullDisk: with the disk full a command is refused saying so,
// relman_store_full_total counts it, and /readyz is 503 until a write
// succeeds again, which it tries itself.
func TestRunFullDisk(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	path := filepath.Join(t.TempDir(), "relman.db")
	kv, err := boltdb.OpenKV(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	full := &storetest.FullKV{KV: kv, Path: path}
	st, err := store.New(t.Context(), full, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := mustServeOn(t, httpEnv(fake, path), st)
	mustReady(t, srv, http.StatusOK, "ready")

	full.Full.Store(true)
	status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(), slashForm(addCommand, fake.ResponseURL()))
	if status != http.StatusOK {
		t.Fatalf("%q on a full disk = %d %s; want 200 with a reply", addCommand, status, body)
	}
	r := mustReply(t, body)
	for _, want := range []string{"could not save", "storage is full", "nothing was changed", "Try again later"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("%q on a full disk replied %q; want it to say %q", addCommand, r.Text, want)
		}
	}
	if strings.Contains(r.Text, "Something went wrong") {
		t.Errorf("%q on a full disk replied %q; want the full disk named, not a generic error", addCommand, r.Text)
	}
	// The leader's own writes (the sweep as its term starts) may find the
	// disk full too: each failed write counts.
	if line := metricLine(t, srv, "relman_store_full_total"); line == "" || line == "relman_store_full_total 0" {
		t.Errorf("/metrics: %q; want relman_store_full_total at least 1", line)
	}
	mustReady(t, srv, http.StatusServiceUnavailable, "storage is full", "no space left on device")
	mustReady(t, srv, http.StatusServiceUnavailable, "storage is full")

	full.Full.Store(false)
	mustReady(t, srv, http.StatusOK, "ready")
	status, body = post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(), slashForm(addCommand, fake.ResponseURL()))
	if r := mustReply(t, body); status != http.StatusOK || !strings.Contains(r.Text, "Added") {
		t.Errorf("%q with room again = %d %q; want it added", addCommand, status, r.Text)
	}
}

// TestRunDamageWhileServing: the bbolt file is cut to half its length
// while relman serves it. relman does not crash: a command is answered
// (200) saying the database is damaged and nothing was changed, /readyz
// is 503 naming the damage, /healthz stays 200, and nothing more is
// written to the file.
func TestRunDamageWhileServing(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	path := filepath.Join(t.TempDir(), "relman.db")
	st, err := boltdb.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	target, _ := store.ParseDate("2027-01-15")
	for i := range 1500 {
		if err := st.Update(t.Context(), "U1", at, func(tx *store.Tx) error {
			return tx.PutRelease("add", &store.Release{Ref: store.Ref{Product: fmt.Sprintf("p%04d", i), Version: "1.0"},
				Target: target, Owner: "U1", Channel: "C1", Status: store.Planned, CreatedAt: at, CreatedBy: "U1"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	srv := mustServe(t, httpEnv(fake, path))
	mustReady(t, srv, http.StatusOK, "ready")

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"list all", "add auth 1.4.0 2027-01-20"} {
		status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(), slashForm(text, fake.ResponseURL()))
		if status != http.StatusOK {
			t.Fatalf("%q on a damaged file = %d %s; want 200 with a reply", text, status, body)
		}
		if text == "list all" {
			continue // may still be answered from what relman holds in memory
		}
		r := mustReply(t, body)
		for _, want := range []string{"database", "damaged", "Nothing was changed"} {
			if !strings.Contains(r.Text, want) {
				t.Errorf("%q on a damaged file replied %q; want it to say %q", text, r.Text, want)
			}
		}
	}
	mustReady(t, srv, http.StatusServiceUnavailable, "damaged", path)
	if got, body := get(t, srv.url("/healthz")); got != http.StatusOK {
		t.Errorf("GET /healthz = %d %q; want 200 (the process is alive)", got, body)
	}
	srv.stop(t)
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("relman wrote to the file after it was found damaged (%d bytes before, %d after)", len(before), len(after))
	}
	if !strings.Contains(srv.logs.String(), "damaged") {
		t.Errorf("the log does not say the database is damaged:\n%s", srv.logs)
	}
}
