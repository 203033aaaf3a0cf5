package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSignMatchesSlackExample checks the signature against the worked
// example in Slack's documentation (SLACK.md §2).
func TestSignMatchesSlackExample(t *testing.T) {
	const (
		secret = "8f742231b10e8888abcd99yyyzzz85a5"
		ts     = "1531420618"
		body   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
		want   = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	)
	if got := sign(secret, ts, []byte(body)); got != want {
		t.Errorf("sign(example) = %s; want %s", got, want)
	}
}

// TestBareHandler checks the bare handler accepts what the load sends and
// refuses a wrong signature, as relman does.
func TestBareHandler(t *testing.T) {
	h := bareHandler("s3cret", 0)
	g := &loadGen{secret: "s3cret", command: "/release", text: "list"}
	body := g.form(&target{}, 3, 7)
	for _, tc := range []struct {
		name   string
		secret string
		want   int
	}{
		{"AcceptsSigned", "s3cret", http.StatusOK},
		{"RejectsWrongSecret", "other", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			req := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", sign(tc.secret, ts, body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status = %d (%s); want %d", rec.Code, rec.Body, tc.want)
			}
		})
	}
}

// TestRunMeasuresBoth runs a short load against the in-process relman and
// the bare handler and checks every request succeeded.
func TestRunMeasuresBoth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts relman with a bbolt file")
	}
	var out, errb bytes.Buffer
	args := []string{"-c", "2", "-n", "40", "-warmup", "0", "-releases", "10", "-parked", "3"}
	if err := run(context.Background(), args, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("run(%q) = %v\nstderr:\n%s", args, err, errb.String())
	}
	got := out.String()
	for _, want := range []string{"10 releases, 12 dependencies", "3 messages parked", "throughput relman/bare:", "relman p99:"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, line := range strings.Split(got, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || (f[0] != "bare" && f[0] != "relman") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err == nil { // a row of the table
			if f[1] != "40" || f[2] != "0" {
				t.Errorf("%s: %s requests, %s errors; want 40 and 0:\n%s", f[0], f[1], f[2], got)
			}
		}
	}
}

// TestRunMeasuresTheSweep runs the in-process relman with its sweep on
// during the relman+sweep target's rounds only.
func TestRunMeasuresTheSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("starts relman with a bbolt file")
	}
	var out, errb bytes.Buffer
	args := []string{"-c", "2", "-n", "40", "-warmup", "0", "-releases", "10", "-targets", "relman", "-sweep", "@every 1s"}
	if err := run(context.Background(), args, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("run(%q) = %v\nstderr:\n%s", args, err, errb.String())
	}
	got := out.String()
	for _, want := range []string{"relman+sweep ", "p99 with the sweep / without:"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(errb.String(), "the first sweep queued") {
		t.Errorf("stderr lacks the first sweep:\n%s", errb.String())
	}
}

// TestRunMeasuresVotes runs -votes: both commit modes record every click
// of their burst before acknowledging it, and /release list is measured
// with and without votes streaming.
func TestRunMeasuresVotes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts relman with a bbolt file")
	}
	var out, errb bytes.Buffer
	args := []string{"-votes", "-rounds", "1", "-c", "2", "-n", "40", "-warmup", "0", "-releases", "10"}
	if err := run(context.Background(), args, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("run(%q) = %v\nstderr:\n%s", args, err, errb.String())
	}
	got := out.String()
	for _, want := range []string{
		"500 votes, 50 of 50 CRs decided; 0 acks before their vote was readable",
		"burst throughput grouped / one commit per vote:",
		"list+votes ",
		"/release list throughput without votes / with:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, mode := range []string{"one commit per vote ", "grouped commits "} {
		for _, line := range strings.Split(got, "\n") {
			if f := strings.Fields(strings.TrimPrefix(line, mode)); strings.HasPrefix(line, mode) && (len(f) < 2 || f[0] != "500" || f[1] != "0") {
				t.Errorf("%s: %q; want 500 votes and 0 errors", mode, line)
			}
		}
	}
	if strings.Contains(got, "not valid") {
		t.Errorf("a run is not valid:\n%s", got)
	}
}
