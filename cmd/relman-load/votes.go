package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"relman/commands"
	"relman/store"
)

// The vote load (-votes), issue 8's speed goals: a burst of concurrent
// vote clicks with grouped commits (Store.Batch) against one commit per
// vote, and /release list throughput while votes stream in against
// without.
const (
	goalVoteSpeedup = 2.0 // burst throughput, grouped / one commit per vote
	goalListVotes   = 1.5 // list throughput without votes / with, at most

	loadAdmin     = "U0LOADADMIN"
	loadRequester = "U0LOADREQ"
	burstCRs      = 50 // CRs per burst
	crMembers     = 10 // members of each board; every one clicks once a burst
	streamCRs     = 10
	streamVoters  = 8 // concurrent voters streaming during the list rounds
)

// voteCR is a seeded change request and where its card was posted.
type voteCR struct {
	id          int
	channel, ts string
}

// voteSeed is what seedVotes made: bursts of burstCRs CRs on the default
// board (unanimous: every CR is decided by its last approval, so every
// click of a burst is recorded), and CRs for the stream on a product
// board (majority) that the stream's votes never decide.
type voteSeed struct {
	members []string
	bursts  [][]voteCR
	stream  []voteCR
}

func voteMembers() []string {
	ms := make([]string, crMembers)
	for i := range ms {
		ms[i] = fmt.Sprintf("U0VOTER%02d", i)
	}
	return ms
}

// seedVotes sets up the boards and raises the CRs through the service, as
// their requester and an admin would type them.
func seedVotes(ctx context.Context, svc *commands.Service, bursts int) (voteSeed, error) {
	vs := voteSeed{members: voteMembers(), bursts: make([][]voteCR, bursts)}
	exec := func(user, text string) (commands.Reply, error) {
		r := svc.Execute(ctx, commands.Request{User: user, Channel: "C0LOADCCB", Command: "/ccb", Text: text})
		if !r.OK() {
			return r, fmt.Errorf("seed: /ccb %s: %s: %s", text, r.Code, r.Doc.Text)
		}
		return r, nil
	}
	var rels []store.Release
	if err := svc.Store.View(ctx, func(tx *store.Tx) (err error) {
		rels, err = tx.Releases()
		return err
	}); err != nil {
		return vs, err
	}
	if len(rels) < 2 {
		return vs, errors.New("-votes needs at least 2 releases (-releases)")
	}
	streamProduct := rels[0].Product
	var burstRels, streamRels []store.Release
	for _, r := range rels {
		if r.Product == streamProduct {
			streamRels = append(streamRels, r)
		} else {
			burstRels = append(burstRels, r)
		}
	}
	if len(burstRels) == 0 {
		return vs, errors.New("-votes needs releases of at least 2 products (-releases 10 or more)")
	}
	mentions := "<@" + strings.Join(vs.members, "> <@") + ">"
	for _, text := range []string{
		"board default members add " + mentions,
		"board default policy unanimous deadline +7d",
		"board " + streamProduct + " members add " + mentions,
		"board " + streamProduct + " policy majority deadline +7d",
	} {
		if _, err := exec(loadAdmin, text); err != nil {
			return vs, err
		}
	}
	raise := func(r store.Release, title string) (voteCR, error) {
		if _, err := exec(loadRequester, "request "+r.Ref.String()+" "+title); err != nil {
			return voteCR{}, err
		}
		var cr *store.ChangeRequest
		err := svc.Store.View(ctx, func(tx *store.Tx) error {
			crs, err := tx.ChangeRequests()
			if err == nil {
				cr = &crs[len(crs)-1]
				for i := range crs {
					if crs[i].ID > cr.ID {
						cr = &crs[i]
					}
				}
			}
			return err
		})
		return voteCR{id: cr.ID, channel: cr.Channel}, err
	}
	k := 0
	for b := range bursts {
		for i := range burstCRs {
			cr, err := raise(burstRels[k%len(burstRels)], fmt.Sprintf("burst %d change %d", b+1, i+1))
			if err != nil {
				return vs, err
			}
			vs.bursts[b] = append(vs.bursts[b], cr)
			k++
		}
	}
	for i := range streamCRs {
		cr, err := raise(streamRels[i%len(streamRels)], fmt.Sprintf("streamed change %d", i+1))
		if err != nil {
			return vs, err
		}
		vs.stream = append(vs.stream, cr)
	}
	return vs, nil
}

// postedCards fills in where each CR's card was posted, once the seed's
// messages are delivered.
func (vs *voteSeed) postedCards(ctx context.Context, st *store.Store) error {
	return st.View(ctx, func(tx *store.Tx) error {
		fill := func(crs []voteCR) error {
			for i := range crs {
				p, err := tx.Posted(store.CRThread(crs[i].id))
				if err != nil {
					return err
				}
				if p == nil {
					return fmt.Errorf("CR-%d's card was not posted", crs[i].id)
				}
				crs[i].channel, crs[i].ts = p.Channel, p.TS
			}
			return nil
		}
		for _, b := range vs.bursts {
			if err := fill(b); err != nil {
				return err
			}
		}
		return fill(vs.stream)
	})
}

// clickForm is the block_actions body Slack posts when user clicks the
// button of choice on cr's card (SLACK.md's block_actions sample).
func clickForm(p *inProcess, cr voteCR, user, choice string) []byte {
	payload := map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": user, "username": strings.ToLower(user), "team_id": loadTeam},
		"api_app_id":   loadAppID,
		"team":         map[string]any{"id": loadTeam, "domain": "loadtest"},
		"channel":      map[string]any{"id": cr.channel, "name": "releases"},
		"container":    map[string]any{"type": "message", "message_ts": cr.ts, "channel_id": cr.channel, "is_ephemeral": false},
		"trigger_id":   "13345224609.738474920.8088930838d88f008e0",
		"response_url": p.fake.ResponseURLFor(cr.channel, cr.ts),
		"message":      map[string]any{"type": "message", "ts": cr.ts, "text": fmt.Sprintf("CR-%d", cr.id)},
		"actions": []any{map[string]any{
			"type": "button", "action_id": "ccb.vote", "block_id": "m1-4", "value": strconv.Itoa(cr.id) + ":" + choice,
			"text": map[string]any{"type": "plain_text", "text": choice}, "action_ts": strconv.FormatInt(time.Now().Unix(), 10) + ".000100",
		}},
	}
	b, _ := json.Marshal(payload)
	return []byte(url.Values{"payload": {string(b)}}.Encode())
}

// click sends one signed click and returns its latency and status.
func click(ctx context.Context, client *http.Client, secret, endpoint string, body []byte) (time.Duration, int, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(string(body)))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sign(secret, ts, body))
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return time.Since(start), resp.StatusCode, err
}

// voteRun is one mode's relman and what its bursts measured.
type voteRun struct {
	name string
	pg   string // a PostgreSQL server's DSN: this mode's relman keeps its store there
	p    *inProcess
	seed voteSeed

	votes     int
	elapsed   time.Duration
	latencies []time.Duration
	errors    int
	unseen    int // acknowledged clicks whose vote the store did not have at the ack
}

func (v *voteRun) endpoint() string {
	return strings.Replace(v.p.url, "/slack/commands", "/slack/interactions", 1)
}

// burst sends every member's approval of every CR of burst b at once, one
// goroutine per click, and checks after each acknowledgement that its vote
// is in the store.
func (v *voteRun) burst(ctx context.Context, client *http.Client, secret string, b int) {
	type click1 struct {
		cr   voteCR
		user string
		body []byte
	}
	var clicks []click1
	for _, cr := range v.seed.bursts[b] {
		for _, m := range v.seed.members {
			clicks = append(clicks, click1{cr: cr, user: m, body: clickForm(v.p, cr, m, "approve")})
		}
	}
	lat := make([]time.Duration, len(clicks))
	var errs, unseen atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	endpoint := v.endpoint()
	for i, c := range clicks {
		wg.Go(func() {
			<-start
			d, status, err := click(ctx, client, secret, endpoint, c.body)
			lat[i] = d
			if err != nil || status != http.StatusOK {
				errs.Add(1)
				return
			}
			// Acknowledged: the vote must be readable now.
			var ok bool
			v.p.st.View(ctx, func(tx *store.Tx) error {
				cr, err := tx.ChangeRequest(c.cr.id)
				if err == nil {
					_, ok = cr.Votes[c.user]
				}
				return err
			})
			if !ok {
				unseen.Add(1)
			}
		})
	}
	runtime.GC()
	t0 := time.Now()
	close(start)
	wg.Wait()
	v.elapsed += time.Since(t0)
	v.votes += len(clicks)
	v.latencies = append(v.latencies, lat...)
	v.errors += int(errs.Load())
	v.unseen += int(unseen.Load())
}

// recorded counts the votes on disk on the CRs of the bursts run, and the
// CRs decided.
func (v *voteRun) recorded(ctx context.Context, bursts int) (votes, decided, crs int, err error) {
	err = v.p.st.View(ctx, func(tx *store.Tx) error {
		for _, b := range v.seed.bursts[:bursts] {
			for _, c := range b {
				cr, err := tx.ChangeRequest(c.id)
				if err != nil {
					return err
				}
				votes += len(cr.Votes)
				crs++
				if cr.Status == store.CRApproved {
					decided++
				}
			}
		}
		return nil
	})
	return
}

func (v *voteRun) throughput() float64 {
	if v.elapsed <= 0 {
		return 0
	}
	return float64(v.votes) / v.elapsed.Seconds()
}

// runVotes measures issue 8's goals against two in-process relmans, one
// per commit mode, seeded alike.
func runVotes(ctx context.Context, o options, stdout, stderr io.Writer) error {
	o.secret = "relman-load-secret"
	runs := []*voteRun{{name: "one commit per vote"}, {name: "grouped commits"}}
	if o.pg != "" {
		runs = append(runs, &voteRun{name: "PostgreSQL", pg: o.pg})
	}
	for i, r := range runs {
		fmt.Fprintf(stderr, "starting relman (%s)…\n", r.name)
		prepare := func(ctx context.Context, p *inProcess) error {
			var err error
			r.seed, err = seedVotes(ctx, p.svc, o.rounds)
			return err
		}
		p, err := startRelman(ctx, o.secret, o.releases, 0, o.noCache, "", o.serverLog, i == 0, r.pg, prepare, stderr)
		if err != nil {
			return err
		}
		defer p.Close()
		r.p = p
		if err := r.seed.postedCards(ctx, p.st); err != nil {
			return err
		}
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	burstSize := burstCRs * crMembers
	client := newClient(burstSize)
	defer client.CloseIdleConnections()

	fmt.Fprintf(stdout, "relman-load -votes: bursts of %d concurrent signed block_actions clicks (%d CRs × %d members), %d burst(s) per mode, alternating\n",
		burstSize, burstCRs, crMembers, o.rounds)
	fmt.Fprintf(stdout, "machine: %d CPUs (GOMAXPROCS %d), %s, %s, load average at start %s\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel(), runtime.Version(), loadAvg())
	fmt.Fprintf(stdout, "each mode: its own relman in this process, %d releases, bbolt with fsync; %q hides bbolt's Batch from the store\n",
		runs[0].p.seed.releases, runs[0].name)
	if o.pg != "" {
		fmt.Fprintf(stdout, "mode %q: grouped commits (Store.Batch) on %s\n", "PostgreSQL", runs[2].p.dbName)
	}

	for b := range o.rounds {
		order := runs
		if b%2 == 1 {
			order = slices.Clone(runs)
			slices.Reverse(order)
		}
		for _, r := range order {
			fmt.Fprintf(stderr, "burst %d/%d: %s…\n", b+1, o.rounds, r.name)
			r.burst(ctx, client, o.secret, b)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	fmt.Fprintf(stdout, "\n%-20s %7s %7s %10s %9s %9s %9s %9s %s\n", "mode", "votes", "errors", "votes/s", "p50", "p90", "p99", "max", "on disk")
	for _, r := range runs {
		r.p.sl.Wait()
		votes, decided, crs, err := r.recorded(ctx, o.rounds)
		if err != nil {
			return err
		}
		slices.Sort(r.latencies)
		fmt.Fprintf(stdout, "%-20s %7d %7d %10.0f %9s %9s %9s %9s %d votes, %d of %d CRs decided; %d acks before their vote was readable\n",
			r.name, r.votes, r.errors, r.throughput(), ms(pct(r.latencies, 0.5)), ms(pct(r.latencies, 0.9)), ms(pct(r.latencies, 0.99)), ms(pct(r.latencies, 1)),
			votes, decided, crs, r.unseen)
		if votes != r.votes || r.errors > 0 || r.unseen > 0 {
			fmt.Fprintf(stdout, "%s: NOT every vote recorded before its ack: the figures are not valid\n", r.name)
		}
	}
	one, grouped := runs[0], runs[1]
	ratio := grouped.throughput() / max(one.throughput(), 1e-9)
	fmt.Fprintf(stdout, "burst throughput grouped / one commit per vote: %.2f× (goal ≥ %.1f×): %s\n", ratio, goalVoteSpeedup, verdict(ratio >= goalVoteSpeedup))

	return listWhileVoting(ctx, o, grouped, stdout, stderr)
}

// listWhileVoting measures /release list on the grouped-commit relman in
// alternating rounds, with streamVoters members changing their votes on
// the stream CRs as fast as they are answered, and without.
func listWhileVoting(ctx context.Context, o options, r *voteRun, stdout, stderr io.Writer) error {
	p := r.p
	quiet := &target{name: "list", url: p.url, users: p.users, channels: p.channels, responseURL: p.responseURL, metrics: p}
	voting := &target{name: "list+votes", url: p.url, users: p.users, channels: p.channels, responseURL: p.responseURL, metrics: p}
	client := newClient(o.conc + streamVoters)
	defer client.CloseIdleConnections()
	lg := &loadGen{client: client, secret: o.secret, command: "/release", text: "list", conc: o.conc, distinct: o.distinct}
	fmt.Fprintf(stderr, "warming up /release list for %s…\n", o.warmup)
	if o.warmup > 0 {
		lg.phase(ctx, quiet, o.warmup, 0)
	}
	if err := lg.check(ctx, stdout, quiet); err != nil {
		return err
	}
	if n, err := outboxDepth(p.st); err == nil {
		fmt.Fprintf(stdout, "outbox at the start of the list rounds: %d messages waiting (the bursts' decisions: thread replies and DMs, spaced a second apart per channel)\n", n)
	}
	var streamed, streamErrs atomic.Int64
	var streamLat []time.Duration
	var mu sync.Mutex
	stream := func(ctx context.Context) {
		var wg sync.WaitGroup
		for v := range streamVoters {
			wg.Go(func() {
				// Members 0–4 of the majority board change between approve
				// and abstain: never more than 5 of 10 approve and 5 never
				// vote, so no stream CR is decided and every click counts.
				member := r.seed.members[v%5]
				var tick <-chan time.Time
				if o.voteRate > 0 {
					t := time.NewTicker(time.Duration(float64(streamVoters) / o.voteRate * float64(time.Second)))
					defer t.Stop()
					tick = t.C
				}
				for i := 0; ctx.Err() == nil; i++ {
					if tick != nil {
						select {
						case <-ctx.Done():
							return
						case <-tick:
						}
					}
					cr := r.seed.stream[(v/5+i)%len(r.seed.stream)]
					choice := "approve"
					if (i/len(r.seed.stream))%2 == 1 {
						choice = "abstain"
					}
					d, status, err := click(ctx, client, o.secret, r.endpoint(), clickForm(p, cr, member, choice))
					if ctx.Err() != nil {
						return
					}
					if err != nil || status != http.StatusOK {
						streamErrs.Add(1)
						continue
					}
					streamed.Add(1)
					mu.Lock()
					streamLat = append(streamLat, d)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	perRound := o.dur / time.Duration(o.rounds)
	streamTime := time.Duration(0)
	for round := range o.rounds {
		order := []*target{quiet, voting}
		if round%2 == 1 {
			order = []*target{voting, quiet}
		}
		for _, t := range order {
			fmt.Fprintf(stderr, "round %d/%d: %s…\n", round+1, o.rounds, t.name)
			runtime.GC()
			var sctx context.Context
			cancel := func() {}
			done := make(chan struct{})
			if t == voting {
				sctx, cancel = context.WithCancel(ctx)
				go func() { stream(sctx); close(done) }()
			} else {
				close(done)
			}
			before := t.serverSnapshot()
			t0 := time.Now()
			res := lg.phase(ctx, t, perRound, max(o.n/o.rounds, 0))
			cancel()
			<-done
			if t == voting {
				streamTime += time.Since(t0)
			}
			t.add(res, t.serverSnapshot().sub(before))
		}
	}
	report(stdout, []*target{quiet, voting}, o.conc)
	slices.Sort(streamLat)
	pace := "as fast as answered"
	if o.voteRate > 0 {
		pace = fmt.Sprintf("paced at %.0f/s", o.voteRate)
	}
	fmt.Fprintf(stdout, "votes streamed during the list+votes rounds: %d (%.0f/s by %d voters %s, p99 %s, %d errors)\n",
		streamed.Load(), float64(streamed.Load())/max(streamTime.Seconds(), 1e-9), streamVoters, pace, ms(pct(streamLat, 0.99)), streamErrs.Load())
	ratio := quiet.throughput() / max(voting.throughput(), 1e-9)
	fmt.Fprintf(stdout, "/release list throughput without votes / with: %.0f / %.0f req/s = %.2f× (goal ≤ %.1f×): %s\n",
		quiet.throughput(), voting.throughput(), ratio, goalListVotes, verdict(ratio <= goalListVotes))
	fmt.Fprintf(stdout, "load average at end %s\n", loadAvg())
	return nil
}
