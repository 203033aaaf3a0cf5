package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relman/bot/slackfake"
	"relman/store/postgres/pgtest"
)

func TestRunOnPostgres(t *testing.T) {
	t.Run("ConsoleKeepsReleasesAcrossRuns", func(t *testing.T) {
		env := getenv(map[string]string{"RELMAN_DB": pgtest.MustDatabase(t)})
		var out, errb bytes.Buffer
		if err := run(t.Context(), []string{"console"}, env, strings.NewReader(addCommand+"\n"), &out, &errb); err != nil {
			t.Fatalf("run(console) on PostgreSQL = %v; stderr:\n%s", err, errb.String())
		}
		if !strings.Contains(out.String(), "Added *payments@2.3.0*") {
			t.Errorf("console output lacks the add's reply:\n%s", out.String())
		}
		out.Reset()
		if err := run(t.Context(), []string{"console"}, env, strings.NewReader("list\n"), &out, io.Discard); err != nil {
			t.Fatalf("second run(console) on PostgreSQL = %v", err)
		}
		if !strings.Contains(out.String(), "payments@2.3.0") {
			t.Errorf("second console run lists:\n%s\nwant payments@2.3.0 from the first run", out.String())
		}
	})
	t.Run("ServesSlackOverHTTP", func(t *testing.T) {
		fake := slackfake.New()
		t.Cleanup(fake.Close)
		srv := mustServe(t, httpEnv(fake, pgtest.MustDatabase(t)))
		status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(),
			slashForm(addCommand, fake.ResponseURL()))
		if status != http.StatusOK {
			t.Fatalf("signed %q: status %d %s; want 200", addCommand, status, body)
		}
		if r := mustReply(t, body); !strings.Contains(r.Text, "Added") {
			t.Errorf("signed %q: reply %+v; want one saying Added", addCommand, r)
		}
		ctx, cancel := context.WithTimeout(t.Context(), waitLong)
		defer cancel()
		if _, err := fake.WaitCalls(ctx, "chat.postMessage", 1); err != nil {
			t.Fatalf("waiting for the outbox to post: %v; log:\n%s", err, srv.logs)
		}
		if err := srv.stop(t); err != nil {
			t.Errorf("run(serve) on PostgreSQL returned %v after SIGTERM", err)
		}
		checkNoSecrets(t, srv.logs.String(), map[string]string{"bot token": fake.BotToken})
	})
}

// TestRunPostgresGoesAway: a slash command while the database is away is
// answered 200 with a short "try again" (never a 5xx, never an empty body),
// and relman reconnects by itself when the database is back.
func TestRunPostgresGoesAway(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	dsn := pgtest.MustDatabase(t)
	srv := mustServe(t, httpEnv(fake, dsn))
	// command returns the reply's fallback text and its whole body.
	type answer struct{ Text, Body string }
	command := func(text string) answer {
		t.Helper()
		status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(),
			slashForm(text, fake.ResponseURL()))
		if status != http.StatusOK {
			t.Fatalf("signed %q: status %d %s; want 200", text, status, body)
		}
		return answer{mustReply(t, body).Text, string(body)}
	}
	if r := command(addCommand); !strings.Contains(r.Text, "Added") {
		t.Fatalf("%q: reply %+v; want one saying Added", addCommand, r)
	}

	restore := pgtest.Cut(t, dsn)
	for _, text := range []string{"add search 1.0.0 2027-02-01", "list"} {
		if r := command(text); !strings.Contains(r.Text, "can't reach its database right now; nothing was changed. Try again") {
			t.Errorf("%q while the database is away: reply %+v; want the try-again message", text, r)
		}
	}
	restore()

	if r := command("add search 1.0.0 2027-02-01"); !strings.Contains(r.Text, "Added") {
		t.Errorf("add once the database is back: reply %+v; want one saying Added", r)
	}
	if r := command("list"); !strings.Contains(r.Body, "payments@2.3.0") || !strings.Contains(r.Body, "search@1.0.0") {
		t.Errorf("list once the database is back: reply %+v; want payments@2.3.0 and search@1.0.0", r)
	}
	if n := pgtest.Terminate(t, dsn); n == 0 {
		t.Error("pg_terminate_backend ended no connection of the serving relman")
	}
	if r := command("add auth 1.4.0 2027-02-02"); !strings.Contains(r.Text, "Added") {
		t.Errorf("add right after the server ended relman's connections: reply %+v; want one saying Added", r)
	}
	if err := srv.stop(t); err != nil {
		t.Errorf("run(serve) returned %v after SIGTERM", err)
	}
}

// TestRunBackupOnPostgres: relman backup, run where RELMAN_DB reaches the
// database, and the serving replica's admin endpoint each write a bbolt
// file that opens as a relman store holding what was acknowledged.
func TestRunBackupOnPostgres(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	dsn := pgtest.MustDatabase(t)
	srv := mustServe(t, httpEnv(fake, dsn))
	status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(),
		slashForm(addCommand, fake.ResponseURL()))
	if status != http.StatusOK {
		t.Fatalf("signed %q: status %d %s; want 200", addCommand, status, body)
	}
	dir := t.TempDir()

	t.Run("CommandCopiesTheDatabase", func(t *testing.T) {
		backup := filepath.Join(dir, "direct.db")
		var out bytes.Buffer
		env := getenv(map[string]string{"RELMAN_DB": dsn})
		if err := run(t.Context(), []string{"backup", backup}, env, strings.NewReader(""), &out, io.Discard); err != nil {
			t.Fatalf("relman backup %s with RELMAN_DB on PostgreSQL: %v", backup, err)
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
		err := run(t.Context(), []string{"backup", backup}, env, strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("relman backup to an existing file = %v; want an \"already exists\" error", err)
		}
	})
	t.Run("AdminEndpointServesABboltCopy", func(t *testing.T) {
		backup := filepath.Join(dir, "admin.db")
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+srv.AdminAddr+"/backup", nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET /backup on PostgreSQL = %d, %d bytes, %v; want 200 and a file", res.StatusCode, len(b), err)
		}
		if err := os.WriteFile(backup, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if r := mustRelease(t, backup, "payments", "2.3.0"); r.Date().String() != "2027-01-15" {
			t.Errorf("backed-up payments@2.3.0 targets %s; want 2027-01-15", r.Date())
		}
	})
	if err := srv.stop(t); err != nil {
		t.Errorf("run(serve) on PostgreSQL returned %v after SIGTERM", err)
	}
}

// TestRunPostgresSettings needs no server: it checks what relman says
// about a DSN it cannot use, and about backing PostgreSQL up.
func TestRunPostgresSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		dsn  string
		want []string
	}{
		{"DSNThatDoesNotParse", []string{"console"}, "postgres://relman:hunter2@db:notaport/relman", []string{"RELMAN_DB", "not a PostgreSQL connection string"}},
		{"ServerNotThere", []string{"console"}, "host=127.0.0.1 port=1 dbname=relman user=relman password=hunter2", []string{"RELMAN_DB", "connect to postgres 127.0.0.1/relman"}},
		{"BackupServerNotThere", []string{"backup", "out.db"}, "host=127.0.0.1 port=1 dbname=relman user=relman password=hunter2", []string{"backup", "RELMAN_DB", "connect to postgres 127.0.0.1/relman"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := getenv(map[string]string{"RELMAN_DB": tc.dsn, "RELMAN_ADMIN_ADDR": "127.0.0.1:0"})
			start := time.Now()
			err := run(t.Context(), tc.args, env, strings.NewReader(""), io.Discard, io.Discard)
			if err == nil {
				t.Fatalf("run(%q) with RELMAN_DB=%q = nil; want an error", tc.args, tc.dsn)
			}
			if d := time.Since(start); d > 12*time.Second {
				t.Errorf("run(%q) took %s to fail; want a few seconds at most", tc.args, d)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("run(%q) = %q; want it to mention %q", tc.args, err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("run(%q) = %q; the error shows the password", tc.args, err)
			}
		})
	}
}
