package main

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relman/bot/slackfake"
	"relman/store"
	"relman/store/boltdb"
)

// TestRunChecklistReminderOverHTTP serves with the sweep running every
// second: a checklist item due tomorrow, added over signed slash commands
// for someone else, is reminded to its owner by one DM (held for their
// working hours when no zone is at work), however many sweeps run.
func TestRunChecklistReminderOverHTTP(t *testing.T) {
	const (
		user      = "U2147483697" // slashForm's user: owner of payments
		sam       = "U0SAM"       // owns the checklist item
		postCalls = "chat.postMessage"
	)
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	zone, working := workingZone(time.Now())
	if !working {
		zone = "UTC"
	}
	fake.SetUser(user, "Steve", zone)
	fake.SetUser(sam, "Sam", zone)
	env := httpEnv(fake, filepath.Join(t.TempDir(), "relman.db"))
	env["RELMAN_SWEEP"] = "@every 1s"
	srv := mustServe(t, env)
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()

	for _, text := range []string{
		"add payments 2.3.0 +10d",
		`check payments@2.3.0 add "security review" owner <@` + sam + `|sam> due tomorrow before production`,
	} {
		status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(), slashForm(text, fake.ResponseURL()))
		if status != http.StatusOK || !strings.Contains(string(body), "ephemeral") {
			t.Fatalf("signed %q: status %d %s; want 200 and a private reply", text, status, body)
		}
	}
	// The news of the add and, in working hours, the reminder.
	want := 1
	if working {
		want = 2
	}
	if _, err := fake.WaitCalls(ctx, postCalls, want); err != nil {
		t.Fatalf("waiting for %d posts: %v; log:\n%s", want, err, srv.logs)
	}
	quiet, stop := context.WithTimeout(ctx, 3*time.Second)
	defer stop()
	if calls, err := fake.WaitCalls(quiet, postCalls, want+1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("after the reminder, %d posts (%v); want no more than %d", len(calls), err, want)
	}
	reminders := 0
	for _, m := range fake.Messages(slackfake.DMChannel(sam)) {
		if strings.Contains(m.Text, "Checklist item #1 of *payments@2.3.0* is due") {
			reminders++
			for _, w := range []string{"“security review”", "(tomorrow)", "`/release check payments@2.3.0 done 1`"} {
				if !strings.Contains(m.Text, w) {
					t.Errorf("reminder lacks %q:\n%s", w, m.Text)
				}
			}
		}
	}
	wantDM := 0
	if working {
		wantDM = 1
	}
	if reminders != wantDM {
		t.Errorf("sam got %d checklist reminders (zone %s); want %d", reminders, zone, wantDM)
	}
	if err := srv.stop(t); err != nil {
		t.Fatalf("run(serve) after cancellation = %v; log:\n%s", err, srv.logs)
	}
	if working {
		return
	}
	// No zone is at work: the reminder waits in the outbox, queued once.
	st, err := boltdb.Open(env["RELMAN_DB"], boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	held := 0
	err = st.View(context.Background(), func(tx *store.Tx) error {
		msgs, err := tx.Outbox()
		for _, m := range msgs {
			if m.DM && m.Channel == sam && strings.Contains(m.Doc.Text, "Checklist item #1") {
				held++
			}
		}
		return err
	})
	if err != nil || held != 1 {
		t.Errorf("checklist reminders held in the outbox = %d (%v); want 1", held, err)
	}
}
