package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"relman/bot/slackfake"
	"relman/connect"
	"relman/store/postgres/pgtest"
)

// syncLog is a fake Jira that records when each sync of a project began
// (its first page), and answers one page with one version.
type syncLog struct {
	mu     sync.Mutex
	starts []time.Time
}

func (s *syncLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer jira-token" || r.URL.Path != "/rest/api/2/project/PAY/version" {
		http.Error(w, "{}", http.StatusNotFound)
		return
	}
	if r.URL.Query().Get("startAt") == "0" {
		s.mu.Lock()
		s.starts = append(s.starts, time.Now())
		s.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"self":"x","maxResults":50,"startAt":0,"total":1,"isLast":true,"values":[{"self":"x","id":"10000","name":"payments 4.2.0","archived":false,"released":false,"releaseDate":"2027-06-01","overdue":false,"projectId":10000}]}`)
}

func (s *syncLog) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.starts...)
}

// TestJiraSyncsOnTheLeaderOnly: two replicas on one PostgreSQL database
// with RELMAN_JIRA_SYNC every second; /release link … jira typed on the
// follower syncs at once there, and then only the leader syncs: one sync
// per period, never two at once.
func TestJiraSyncsOnTheLeaderOnly(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	jira := &syncLog{}
	js := httptest.NewServer(jira)
	t.Cleanup(js.Close)
	db := pgtest.MustDatabase(t)
	env := httpEnv(fake, db)
	env["RELMAN_JIRA_URL"], env["RELMAN_JIRA_TOKEN"], env["RELMAN_JIRA_SYNC"] = js.URL, "jira-token", "@every 1s"
	a := mustServe(t, env)
	waitMetrics(t, a, "relman_leader 1")
	b := mustServe(t, env)
	waitMetrics(t, b, "relman_leader 0")

	status, body := post(t, b.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(),
		slashForm("link payments jira PAY", fake.ResponseURL()))
	if status != http.StatusOK || !strings.Contains(mustReply(t, body).Text, "Linked *payments* to Jira project PAY") {
		t.Fatalf("link on the follower: %d %s", status, body)
	}
	linked := time.Now()
	deadline := time.Now().Add(waitLong)
	for {
		var after []time.Time
		for _, s := range jira.times() {
			if s.After(linked) {
				after = append(after, s)
			}
		}
		if len(after) >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("syncs after the link: %d within %v; want 5 (one a second)", len(after), waitLong)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The link's own sync may come as the leader's tick does; after it, two
	// syncs less than half a period apart would be two replicas syncing.
	starts := jira.times()
	var after []time.Time
	for _, s := range starts {
		if s.After(linked.Add(500 * time.Millisecond)) {
			after = append(after, s)
		}
	}
	for i := 1; i < len(after); i++ {
		if gap := after[i].Sub(after[i-1]); gap < 500*time.Millisecond {
			t.Errorf("syncs %d and %d began %v apart; want one per period (the leader only): %v", i-1, i, gap, after)
		}
	}
	waitMetrics(t, a, "relman_leader 1")
	status, body = post(t, a.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(),
		slashForm("show payments@4.2.0", fake.ResponseURL()))
	if status != http.StatusOK || !strings.Contains(string(body), "Tue 2027-06-01") {
		t.Errorf("payments@4.2.0 after the syncs: %d %s; want it added with Jira's date", status, body)
	}
}

// TestRunServesTheDeployWebhook: relman serve mounts POST /hooks/deploy
// with RELMAN_WEBHOOK_SECRET, and a deployment CI reports reaches Slack as
// the release's news, by CI; /hooks/github without RELMAN_GITHUB_SECRET is
// not there (404).
func TestRunServesTheDeployWebhook(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	env := httpEnv(fake, filepath.Join(t.TempDir(), "relman.db"))
	env["RELMAN_WEBHOOK_SECRET"] = "ci-secret"
	srv := mustServe(t, env)
	status, body := post(t, srv.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(), slashForm(addCommand, fake.ResponseURL()))
	if status != http.StatusOK {
		t.Fatalf("%s: %d %s", addCommand, status, body)
	}
	deploy := `{"release":"payments@2.3.0","stage":"production","status":"success","url":"https://ci.example.com/run/1"}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, srv.url("/hooks/deploy"), strings.NewReader(deploy))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Relman-Timestamp", ts)
	req.Header.Set("X-Relman-Signature", "sha256="+hex.EncodeToString(connect.SignDeploy("ci-secret", ts, []byte(deploy))))
	if status, body := do(t, req); status != http.StatusOK || !strings.Contains(string(body), `"status":"done"`) {
		t.Fatalf("POST /hooks/deploy = %d %s; want 200 done", status, body)
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	calls, err := fake.WaitCalls(ctx, "chat.postMessage", 2)
	if err != nil {
		t.Fatalf("waiting for the news: %v", err)
	}
	if got := calls[1].Param("text"); !strings.Contains(got, "CI shipped *payments@2.3.0*") {
		t.Errorf("second post = %q; want CI's ship of payments@2.3.0", got)
	}
	if status, _ := post(t, srv.url("/hooks/github"), "application/json", "", time.Now(), "{}"); status != http.StatusNotFound {
		t.Errorf("POST /hooks/github without RELMAN_GITHUB_SECRET = %d; want 404", status)
	}
}
