package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relman/bot/slackfake"
	"relman/store"
	"relman/store/boltdb"
)

// workingZone returns a fixed-offset zone in which now is between 09:00
// and 17:00 on a weekday, so that a quiet DM goes at once; false when
// there is none (at weekends no zone on Earth is at work).
func workingZone(now time.Time) (string, bool) {
	for off := -12; off <= 14; off++ {
		name := "Etc/GMT"
		switch {
		case off > 0:
			name += fmt.Sprintf("-%d", off) // Etc/GMT-9 is nine hours ahead of UTC
		case off < 0:
			name += fmt.Sprintf("+%d", -off)
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			continue
		}
		t := now.In(loc)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday && t.Hour() >= 9 && t.Hour() < 17 {
			return name, true
		}
	}
	return "", false
}

// TestRunAlertsOnceOverHTTP serves with the sweep running every second:
// a signed move that makes mobile@5.0's dependency late posts one slip
// alert in mobile's channel and sends one DM to its release manager (its
// set on the release; not the one who moved), however many sweeps run
// after it.
func TestRunAlertsOnceOverHTTP(t *testing.T) {
	const (
		user      = "U2147483697" // slashForm's user: owner of payments, who moves it
		rm        = "U0MOBILE"    // mobile's release manager
		cmdChan   = "C2147483705" // slashForm's channel: payments' news
		mobileCh  = "C0MOBILE"
		postCalls = "chat.postMessage"
	)
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	zone, working := workingZone(time.Now())
	if !working {
		zone = "UTC"
	}
	fake.SetUser(user, "Steve", zone)
	fake.SetUser(rm, "Mo", zone)
	env := httpEnv(fake, filepath.Join(t.TempDir(), "relman.db"))
	env["RELMAN_SWEEP"] = "@every 1s"
	srv := mustServe(t, env)
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()

	for _, text := range []string{
		"add payments 2.3.0 +10d",
		"add mobile 5.0 +30d channel <#" + mobileCh + "|mobile>",
		"role mobile@5.0 release-manager <@" + rm + "|mo>",
		"depend mobile@5.0 on payments@2.3.0 by +15d",
		"move payments@2.3.0 +20d because the HSM firmware is late",
	} {
		status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(), slashForm(text, fake.ResponseURL()))
		if status != http.StatusOK || !strings.Contains(string(body), "ephemeral") {
			t.Fatalf("signed %q: status %d %s; want 200 and a private reply", text, status, body)
		}
	}
	// The news of five commands, the slip alert in mobile's channel and,
	// in working hours, the DM.
	want := 6
	if working {
		want = 7
	}
	if _, err := fake.WaitCalls(ctx, postCalls, want); err != nil {
		t.Fatalf("waiting for %d posts: %v; log:\n%s", want, err, srv.logs)
	}
	// Sweeps go on every second: give them three to send anything twice.
	quiet, stop := context.WithTimeout(ctx, 3*time.Second)
	defer stop()
	if calls, err := fake.WaitCalls(quiet, postCalls, want+1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("after the alerts, %d posts (%v); want no more than %d", len(calls), err, want)
	}

	slips := func(channel string) int {
		n := 0
		for _, m := range fake.Messages(channel) {
			if strings.Contains(m.Text, "*Slip*") {
				n++
				for _, w := range []string{"*mobile@5.0* needs *payments@2.3.0*", "late (5 days)", "moved from", "“the HSM firmware is late”"} {
					if !strings.Contains(m.Text, w) {
						t.Errorf("slip alert in %s lacks %q:\n%s", channel, w, m.Text)
					}
				}
			}
		}
		return n
	}
	if n := slips(mobileCh); n != 1 {
		t.Errorf("%s got %d slip alerts; want 1", mobileCh, n)
	}
	wantDM := 0
	if working {
		wantDM = 1
	}
	if n := slips(slackfake.DMChannel(user)); n != 0 {
		t.Errorf("the mover got %d slip DMs; want 0 (nobody is DMed about their own move)", n)
	}
	if n := slips(slackfake.DMChannel(rm)); n != wantDM {
		t.Errorf("the release manager got %d slip DMs (zone %s); want %d", n, zone, wantDM)
	}
	if n := slips(cmdChan); n != 0 {
		t.Errorf("payments' channel got %d slip alerts; want 0 (its news says who is late)", n)
	}
	if err := srv.stop(t); err != nil {
		t.Fatalf("run(serve) after cancellation = %v; log:\n%s", err, srv.logs)
	}
	if !working {
		// No zone is at work: the DM waits in the outbox, queued once,
		// held until the release manager's next working morning.
		st, err := boltdb.Open(env["RELMAN_DB"], boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		held := 0
		err = st.View(context.Background(), func(tx *store.Tx) error {
			msgs, err := tx.Outbox()
			for _, m := range msgs {
				if m.DM && m.Channel == rm && strings.Contains(m.Doc.Text, "*Slip*") {
					held++
					if !m.NotBefore.After(time.Now()) {
						t.Errorf("held slip DM NotBefore = %v; want a working time after now", m.NotBefore)
					}
				}
			}
			return err
		})
		if err != nil || held != 1 {
			t.Errorf("slip DMs held in the outbox = %d (%v); want 1", held, err)
		}
	}
}
