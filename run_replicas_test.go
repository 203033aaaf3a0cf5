package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"relman/bot"
	"relman/bot/outbox"
	"relman/bot/slackfake"
	"relman/store"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
)

// waitMetrics polls s's /metrics until it has every line of want, and
// fails tb after waitLong.
func waitMetrics(tb testing.TB, s *server, want ...string) {
	tb.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		_, body := get(tb, s.url("/metrics"))
		missing := ""
		for _, w := range want {
			if !strings.Contains("\n"+string(body), "\n"+w+"\n") {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("/metrics of %s lacks %q after %v; log:\n%s", s.Addr, missing, waitLong, s.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitOutboxEmpty polls the database dsn until its outbox holds no
// message, queued or parked, and fails tb when ctx ends first.
func waitOutboxEmpty(ctx context.Context, tb testing.TB, dsn string) {
	tb.Helper()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	for {
		var n int
		err := st.View(ctx, func(tx *store.Tx) error {
			queued, err := tx.Outbox()
			if err != nil {
				return err
			}
			parked, err := tx.ParkedMessages()
			n = len(queued) + len(parked)
			return err
		})
		if err == nil && n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("the outbox still holds %d messages (err %v) after %v", n, err, waitLong)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestRunReplicasOnPostgres runs two replicas on one database: the first
// leads, a command sent to the follower is delivered once by the leader,
// and when the leader stops (SIGTERM) the follower takes over at once and
// delivers the next one.
func TestRunReplicasOnPostgres(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	db := pgtest.MustDatabase(t)
	a := mustServe(t, httpEnv(fake, db))
	waitMetrics(t, a, "relman_leader 1", "relman_leader_epoch 1")
	b := mustServe(t, httpEnv(fake, db))
	waitMetrics(t, b, "relman_leader 0", "relman_leader_epoch 0")
	if status, body := get(t, b.url("/healthz")); status != http.StatusOK {
		t.Errorf("GET /healthz on the follower = %d %s; want 200", status, body)
	}

	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	status, body := post(t, b.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(),
		slashForm(addCommand, fake.ResponseURL()))
	if status != http.StatusOK || !strings.Contains(mustReply(t, body).Text, "Added") {
		t.Fatalf("%q sent to the follower: %d %s; want 200 saying Added", addCommand, status, body)
	}
	if _, err := fake.WaitCalls(ctx, "chat.postMessage", 1); err != nil {
		t.Fatalf("waiting for the leader to post what the follower queued: %v; leader's log:\n%s", err, a.logs)
	}
	waitMetrics(t, a, "relman_outbox_delivered_total 1")
	waitMetrics(t, b, "relman_outbox_delivered_total 0", "relman_leader 0")

	start := time.Now()
	if err := a.stop(t); err != nil {
		t.Fatalf("the leader's run(serve) after SIGTERM = %v", err)
	}
	if !strings.Contains(a.logs.String(), "leader lease released") {
		t.Errorf("the leader's log does not say it released the lease:\n%s", a.logs)
	}
	waitMetrics(t, b, "relman_leader 1", "relman_leader_epoch 2")
	t.Logf("takeover after SIGTERM: %v", time.Since(start))

	const next = "add billing 1.0.0 2027-02-01"
	status, body = post(t, b.url("/slack/commands"), "application/x-www-form-urlencoded", signingSecret, time.Now(),
		slashForm(next, fake.ResponseURL()))
	if status != http.StatusOK || !strings.Contains(mustReply(t, body).Text, "Added") {
		t.Fatalf("%q sent to the new leader: %d %s; want 200 saying Added", next, status, body)
	}
	if _, err := fake.WaitCalls(ctx, "chat.postMessage", 2); err != nil {
		t.Fatalf("waiting for the new leader to post: %v; its log:\n%s", err, b.logs)
	}
	waitMetrics(t, b, "relman_outbox_delivered_total 1")
	// Only a queued message is posted, and the old leader has stopped:
	// once the database holds none, queued or parked, neither message can
	// go out again.
	waitOutboxEmpty(ctx, t, db)
	calls := fake.CallsTo("chat.postMessage")
	if len(calls) != 2 {
		t.Fatalf("chat.postMessage calls = %d; want 2, one per command", len(calls))
	}
	for i, want := range []string{"payments@2.3.0", "billing@1.0.0"} {
		if got := calls[i].Param("text"); !strings.Contains(got, want) {
			t.Errorf("chat.postMessage %d text = %q; want it to mention %s", i+1, got, want)
		}
	}
}

// TestStaleLeaderPostsNothing: an outbox worker fenced with an epoch that
// is no longer the lease's posts nothing, records nothing, and returns
// ErrNotLeader; the current leader's worker then posts the message once.
func TestStaleLeaderPostsNothing(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	ctx, cancel := context.WithTimeout(t.Context(), waitLong)
	defer cancel()
	st, err := postgres.Open(ctx, pgtest.MustDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l := st.Leaser()
	ea, _, err := l.Acquire(ctx, "a", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, "UALICE", time.Now(), func(tx *store.Tx) error {
		return tx.Enqueue(&store.Message{Channel: "C2147483705", Doc: store.Doc{Text: "payments@2.3.0 is planned"}})
	}); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(ctx, "a", ea); err != nil {
		t.Fatal(err)
	}
	eb, ok, err := l.Acquire(ctx, "b", time.Hour)
	if err != nil || !ok {
		t.Fatalf("Acquire(b) = %t, %v", ok, err)
	}
	worker := func() *outbox.Outbox {
		return &outbox.Outbox{Store: st, Sender: &bot.SlackSender{API: bot.NewAPI(fake.BotToken, "", fake.URL())}, Clock: store.SystemClock{}}
	}
	if err := worker().Lead(ctx, st.Fenced("a", ea)); !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("stale outbox Lead = %v; want ErrNotLeader", err)
	}
	if n := len(fake.CallsTo("chat.postMessage")); n != 0 {
		t.Errorf("the stale leader made %d posts; want none", n)
	}
	lctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- worker().Lead(lctx, st.Fenced("b", eb)) }()
	if _, err := fake.WaitCalls(ctx, "chat.postMessage", 1); err != nil {
		t.Fatalf("waiting for the leader's post: %v", err)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("leader's outbox Lead after its ctx ended = %v; want nil", err)
	}
	var left []store.Message
	if err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		left, err = tx.Outbox()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 || len(fake.CallsTo("chat.postMessage")) != 1 {
		t.Errorf("after the leader's delivery: %d queued, %d posts; want 0 and 1", len(left), len(fake.CallsTo("chat.postMessage")))
	}
}
