package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"relman/bot/outbox"
	"relman/bot/slackfake"
	"relman/store"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
)

// replica is one `relman serve` process of the failover test.
type replica struct {
	name string // its application_name in PostgreSQL
	cmd  *exec.Cmd
	logs *logSink
	addr string
	done chan struct{} // closed when the process exited
}

func (r *replica) url(path string) string { return "http://" + r.addr + path }

// alive reports whether the process still runs.
func (r *replica) alive() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// startReplica starts bin serve with env and RELMAN_DB's application_name
// set to name, and returns once it logged that it serves.
func startReplica(tb testing.TB, bin, name string, env map[string]string) *replica {
	tb.Helper()
	r := &replica{name: name, logs: newLogSink(), done: make(chan struct{})}
	r.cmd = exec.Command(bin, "serve")
	r.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		if k == "RELMAN_DB" {
			v = withApplicationName(v, name)
		}
		r.cmd.Env = append(r.cmd.Env, k+"="+v)
	}
	r.cmd.Stderr = r.logs
	if err := r.cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	tb.Cleanup(func() { r.stop(tb) })
	select {
	case s := <-r.logs.serving:
		r.addr = s.Addr
	case <-r.done:
		tb.Fatalf("%s exited before serving; log:\n%s", name, r.logs)
	case <-time.After(waitLong):
		tb.Fatalf("%s did not serve within %v; log:\n%s", name, waitLong, r.logs)
	}
	return r
}

// kill SIGKILLs the process and waits for it to exit.
func (r *replica) kill(tb testing.TB) {
	tb.Helper()
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

// stop SIGTERMs the process if it runs, and waits for it (SIGKILL after waitLong).
func (r *replica) stop(tb testing.TB) {
	if !r.alive() {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(waitLong):
		tb.Errorf("%s did not stop within %v of SIGTERM", r.name, waitLong)
		r.cmd.Process.Kill()
		<-r.done
	}
}

// withApplicationName returns the DSN dsn with application_name set, so
// that one process's connections can be told apart in pg_stat_activity.
func withApplicationName(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn
		}
		q := u.Query()
		q.Set("application_name", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " application_name=" + name
}

// leaderMetrics reads relman_leader and relman_leader_epoch from r's
// /metrics; ok is false when r did not answer.
func leaderMetrics(r *replica) (leading bool, epoch uint64, ok bool) {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(r.url("/metrics"))
	if err != nil {
		return false, 0, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, 0, false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, found := strings.CutPrefix(line, "relman_leader "); found {
			leading = v == "1"
		}
		if v, found := strings.CutPrefix(line, "relman_leader_epoch "); found {
			f, _ := strconv.ParseFloat(v, 64)
			epoch = uint64(f)
		}
	}
	return leading, epoch, true
}

// loadForm is a signed-ready slash command form for text from user in channel.
func loadForm(text, channel, responseURL string) string {
	v, _ := url.ParseQuery(slashForm(text, responseURL))
	v.Set("channel_id", channel)
	return v.Encode()
}

// outboxID is the outbox ID in a message's metadata (bot.SlackSender), or 0.
func outboxID(meta json.RawMessage) uint64 {
	var m struct {
		EventType    string `json:"event_type"`
		EventPayload struct {
			ID uint64 `json:"id"`
		} `json:"event_payload"`
	}
	if json.Unmarshal(meta, &m) != nil || m.EventType != "relman_outbox" {
		return 0
	}
	return m.EventPayload.ID
}

// TestReplicasSurviveKills runs three relman processes on one PostgreSQL
// database (issue 9) under a load of uniquely numbered /release add
// commands spread over them, with the sweep running every second. Mid-load
// the leader is SIGKILLed, then the new leader's database connections are
// terminated and a follower is SIGKILLed; the killed ones are restarted.
// A move made while no replica leads makes a dependency late. Every
// acknowledged command must be in the database, the slip alert must fire
// once, every outbox message
// must reach Slack once (by its metadata ID) in per-channel order, and the
// lease epochs must only grow. It logs the takeover times.
func TestReplicasSurviveKills(t *testing.T) {
	const (
		commands = 150
		channels = 25                     // Slack spacing is per channel: 6 messages each
		pace     = 110 * time.Millisecond // ≈ 17 s of load, longer than a takeover
		killAt   = 25                     // acknowledged commands before the leader is killed
		crDueIn  = 6 * time.Second        // after the CR is raised: the leader is dead by then
	)
	db := pgtest.MustDatabase(t)
	bin := filepath.Join(t.TempDir(), "relman")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	env := httpEnv(fake, db)
	env["RELMAN_SWEEP"] = "@every 1s"
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	var mu sync.Mutex // guards replicas, epochs
	replicas := make([]*replica, 3)
	for i := range replicas {
		replicas[i] = startReplica(t, bin, fmt.Sprintf("relman-r%d", i), env)
	}
	current := func(i int) *replica { mu.Lock(); defer mu.Unlock(); return replicas[i] }
	restart := func(i int) {
		r := startReplica(t, bin, current(i).name, env)
		mu.Lock()
		replicas[i] = r
		mu.Unlock()
	}
	// leaderIndex polls until one live replica says it leads and returns it.
	leaderIndex := func(not *replica) (int, uint64) {
		for ctx.Err() == nil {
			for i := range replicas {
				r := current(i)
				if r == not || !r.alive() {
					continue
				}
				if leading, epoch, ok := leaderMetrics(r); ok && leading {
					return i, epoch
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no replica leads within the test's deadline")
		return 0, 0
	}

	// The epochs every process reported, in order: they must never shrink.
	var watchWG sync.WaitGroup
	watchCtx, stopWatch := context.WithCancel(ctx)
	type seen struct {
		at      time.Time
		replica string
		pid     int
		leading bool
		epoch   uint64
	}
	var observed []seen
	watchWG.Go(func() {
		for watchCtx.Err() == nil {
			for i := range replicas {
				r := current(i)
				if leading, epoch, ok := leaderMetrics(r); ok {
					mu.Lock()
					observed = append(observed, seen{time.Now(), r.name, r.cmd.Process.Pid, leading, epoch})
					mu.Unlock()
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	first, _ := leaderIndex(nil)

	// A dependency for the sweep to find late once payments moves
	// (TestRunAlertsOnceOverHTTP): its slip alert must fire exactly once,
	// though the move lands while no replica leads.
	const slipChannel = "C0MOBILE"
	for _, text := range []string{
		"add payments 2.3.0 +10d",
		"add mobile 5.0 +30d channel <#" + slipChannel + "|mobile>",
		"depend mobile@5.0 on payments@2.3.0 by +15d",
	} {
		if status, reply := trySignedPost(ctx, current(first).url("/slack/commands"), loadForm(text, "C0PAYMENTS", fake.ResponseURL())); status != http.StatusOK || !strings.Contains(reply, "ephemeral") {
			t.Fatalf("%q: %d %s", text, status, reply)
		}
	}

	// A change request whose deadline falls due while no replica leads: the
	// next leader's sweep must decide it once (the board's default, reject).
	admin := func(text string) string {
		v, _ := url.ParseQuery(loadForm(text, "C0PAYMENTS", fake.ResponseURL()))
		v.Set("user_id", "U012ABCDEF")
		return v.Encode()
	}
	for _, form := range []string{
		admin("ccb board default members add <@U0CCB1|ccb1>"),
		loadForm("ccb request payments@2.3.0 Swap the HSM vendor", "C0PAYMENTS", fake.ResponseURL()),
	} {
		if status, reply := trySignedPost(ctx, current(first).url("/slack/commands"), form); status != http.StatusOK || !strings.Contains(reply, "ephemeral") {
			t.Fatalf("%s: %d %s", form, status, reply)
		}
	}
	setup, err := postgres.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	crDue := time.Now().Add(crDueIn)
	if err := setup.Update(ctx, "test", time.Now(), func(tx *store.Tx) error {
		cr, err := tx.ChangeRequest(1)
		if err != nil {
			return err
		}
		cr.Deadline = crDue
		return tx.PutChangeRequest("test.deadline", cr)
	}); err != nil {
		t.Fatal(err)
	}
	setup.Close()

	// The load: command n adds svc<n> in channel C0LOAD<n mod channels>,
	// sent to replica n mod 3 (whichever process runs there now).
	type outcome struct {
		status int
		added  bool
	}
	results := make([]outcome, commands)
	var acked atomic.Int32
	var loadWG sync.WaitGroup
	loadWG.Go(func() {
		tick := time.NewTicker(pace)
		defer tick.Stop()
		var sends sync.WaitGroup
		for n := range commands {
			<-tick.C
			sends.Go(func() {
				text := fmt.Sprintf("add svc%d 1.0.0 2027-06-01", n)
				body := loadForm(text, fmt.Sprintf("C0LOAD%02d", n%channels), fake.ResponseURL())
				r := current(n % 3)
				status, reply := trySignedPost(ctx, r.url("/slack/commands"), body)
				results[n] = outcome{status, status == http.StatusOK && strings.Contains(reply, "Added")}
				if results[n].added {
					acked.Add(1)
				}
			})
		}
		sends.Wait()
	})

	// The faults, while the load runs.
	for acked.Load() < killAt && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	killed := time.Now()
	postsAtKill := len(fake.CallsTo("chat.postMessage"))
	current(first).kill(t)
	t.Logf("SIGKILLed leader %s after %d acknowledged commands", current(first).name, acked.Load())
	move := "move payments@2.3.0 +20d because the HSM firmware is late"
	if status, reply := trySignedPost(ctx, current((first+1)%3).url("/slack/commands"), loadForm(move, "C0PAYMENTS", fake.ResponseURL())); status != http.StatusOK || !strings.Contains(reply, "Moved") {
		t.Fatalf("%q while no replica leads: %d %s", move, status, reply)
	}
	restart(first)
	next, epoch := leaderIndex(nil)
	flip := time.Since(killed)
	// The first post the fake Slack received after the kill (the old
	// leader's own were answered before it).
	posts, err := fake.WaitCalls(ctx, "chat.postMessage", postsAtKill+1)
	if err != nil {
		t.Fatalf("no post after the leader was killed: %v", err)
	}
	firstPost := posts[postsAtKill].At.Sub(killed)
	t.Logf("takeover after SIGKILL: %s leads at epoch %d, /metrics flipped %v after the kill, its first post %v after it",
		current(next).name, epoch, flip.Round(time.Millisecond), firstPost.Round(time.Millisecond))
	// The lease was renewed before the kill, so it runs out within its
	// time of it; the follower tries at that moment (store.LeaseClock).
	// A second covers the /metrics polling and a busy machine.
	if flip > outbox.LeaseTTL+time.Second {
		t.Errorf("a follower led %v after the leader's SIGKILL; want within the lease time (%v)", flip, outbox.LeaseTTL)
	}

	cut := time.Now()
	n := pgtest.TerminateApp(t, db, current(next).name)
	t.Logf("terminated %d database connections of the leader %s", n, current(next).name)
	follower := (next + 1) % 3
	current(follower).kill(t)
	t.Logf("SIGKILLed follower %s", current(follower).name)
	restart(follower)
	after, epoch2 := leaderIndex(nil)
	t.Logf("after the cut, %s leads at epoch %d (%v after it)", current(after).name, epoch2, time.Since(cut).Round(time.Millisecond))

	loadWG.Wait()
	var ackedRefs []string
	channelOf := map[string]string{}
	for n, r := range results {
		if r.added {
			ref := fmt.Sprintf("svc%d@1.0.0", n)
			ackedRefs = append(ackedRefs, ref)
			channelOf[ref] = fmt.Sprintf("C0LOAD%02d", n%channels)
		}
	}
	t.Logf("%d of %d commands acknowledged", len(ackedRefs), commands)
	if len(ackedRefs) < commands/2 {
		t.Errorf("only %d of %d commands acknowledged; want most (two replicas answer at any time)", len(ackedRefs), commands)
	}

	// Every acknowledged command is in the database, and the outbox drains.
	st, err := postgres.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inDB := map[string]bool{}
	var queued int
	drained := false
	for !drained && ctx.Err() == nil {
		err := st.View(ctx, func(tx *store.Tx) error {
			rs, err := tx.Releases()
			for _, r := range rs {
				inDB[r.Ref.String()] = true
			}
			msgs, err2 := tx.Outbox()
			queued = 0
			for _, m := range msgs {
				if !m.DM { // a DM may wait for its recipient's working hours
					queued++
				}
			}
			if err == nil {
				err = err2
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		drained = queued == 0
		if !drained {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !drained {
		t.Fatalf("the outbox still holds %d messages", queued)
	}
	for _, ref := range ackedRefs {
		if !inDB[ref] {
			t.Errorf("acknowledged %s is not in the database", ref)
		}
	}
	// Sweeps go on every second: give them two to send anything twice.
	quiet, stopQuiet := context.WithTimeout(ctx, 2*time.Second)
	calls, _ := fake.WaitCalls(quiet, "chat.postMessage", len(fake.CallsTo("chat.postMessage"))+1)
	stopQuiet()
	stopWatch()
	watchWG.Wait()

	// Once each, by metadata ID, in order within each channel.
	count := map[uint64]int{}
	var dups []string
	all := []string{"C0PAYMENTS", slipChannel}
	for c := range channels {
		all = append(all, fmt.Sprintf("C0LOAD%02d", c))
	}
	for _, ch := range all {
		var last uint64
		for _, m := range fake.Messages(ch) {
			id := outboxID(m.Metadata)
			if id == 0 {
				t.Errorf("message in %s without outbox metadata: %q", ch, m.Text)
				continue
			}
			count[id]++
			if count[id] > 1 {
				dups = append(dups, fmt.Sprintf("outbox %d in %s: %q", id, ch, m.Text))
				continue
			}
			if id < last {
				t.Errorf("in %s outbox %d came after %d", ch, id, last)
			}
			last = id
		}
	}
	for _, ref := range ackedRefs {
		found := false
		for _, m := range fake.Messages(channelOf[ref]) {
			found = found || strings.Contains(m.Text, "*"+ref+"*") || strings.Contains(m.Text, ref)
		}
		if !found {
			t.Errorf("the news of acknowledged %s never reached %s", ref, channelOf[ref])
		}
	}
	// A message Slack took just before the leader died (or lost its
	// connections, so that its delivery could not be recorded) is looked
	// for by its metadata ID before it is posted again: each reached Slack
	// once.
	t.Logf("%d chat.postMessage calls, %d distinct outbox messages, %d posted twice; %d conversations.history and %d conversations.replies lookups",
		len(calls), len(count), len(dups), len(fake.CallsTo("conversations.history")), len(fake.CallsTo("conversations.replies")))
	for _, d := range dups {
		t.Errorf("posted twice: %s", d)
	}

	// Fired once: one outbox message (a second delivery of it is a
	// duplicate post, counted above).
	slips := map[uint64]bool{}
	for _, m := range fake.Messages(slipChannel) {
		if strings.Contains(m.Text, "*Slip*") {
			slips[outboxID(m.Metadata)] = true
		}
	}
	if len(slips) != 1 {
		t.Errorf("%s got %d slip alerts (outbox IDs %v); want 1 (sweeps ran every second on three replicas, across two takeovers)", slipChannel, len(slips), slices.Sorted(maps.Keys(slips)))
	}

	// The CR was decided once, at its deadline, after the takeover.
	var decisions []store.Audit
	if err := st.View(ctx, func(tx *store.Tx) error {
		log, err := tx.AuditLog(0, 0)
		for _, a := range log {
			if a.Action == "ccb.deadline" {
				decisions = append(decisions, a)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(decisions) != 1 {
		t.Errorf("CR-1 was decided at its deadline %d times; want once", len(decisions))
	}
	replies := map[uint64]bool{}
	for _, m := range fake.Messages("C0PAYMENTS") {
		if m.ThreadTS != "" && strings.Contains(m.Text, "deadline") {
			replies[outboxID(m.Metadata)] = true
		}
	}
	if len(replies) != 1 {
		t.Errorf("C0PAYMENTS got %d decision replies in CR-1's thread (outbox IDs %v); want 1", len(replies), slices.Sorted(maps.Keys(replies)))
	}
	if len(decisions) > 0 {
		t.Logf("CR-1 due %v after it was shortened, decided %v after its deadline", crDueIn, decisions[0].At.Sub(crDue).Round(time.Millisecond))
	}

	// Epochs only grew: per process, and for the leaders in time order.
	byPID := map[int]uint64{}
	var leaderEpoch uint64
	for _, o := range observed {
		if o.epoch < byPID[o.pid] {
			t.Errorf("%s (pid %d) reported epoch %d after %d", o.replica, o.pid, o.epoch, byPID[o.pid])
		}
		byPID[o.pid] = o.epoch
		if o.leading {
			if o.epoch < leaderEpoch {
				t.Errorf("at %v %s led at epoch %d after a leader at epoch %d", o.at.Format(time.StampMilli), o.replica, o.epoch, leaderEpoch)
			}
			leaderEpoch = max(leaderEpoch, o.epoch)
		}
	}
	epochs := slices.Sorted(func(yield func(uint64) bool) {
		for _, e := range byPID {
			if !yield(e) {
				return
			}
		}
	})
	t.Logf("epochs reported: %v; %d observations", slices.Compact(epochs), len(observed))
	if leaderEpoch < 2 {
		t.Errorf("highest leader epoch %d; want at least 2 after a takeover", leaderEpoch)
	}
}

// trySignedPost posts a signed form to url and returns the status and
// body; status 0 when the replica did not answer (it was killed).
func trySignedPost(ctx context.Context, url, body string) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, waitLong)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sign(signingSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
