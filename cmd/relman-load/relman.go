package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"relman/bot"
	"relman/bot/outbox"
	"relman/bot/slackfake"
	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
)

// inProcess is relman wired as runServe wires it, serving on 127.0.0.1:0,
// with the Slack Web API replaced by slackfake.
// GenerationReads is the store's (store.Store.GenerationReads).
func (p *inProcess) GenerationReads() (asks, reads uint64) { return p.st.GenerationReads() }

type inProcess struct {
	url    string
	dbPath string
	dbName string // the backend and where, for the report
	// responseURL is the base of the response_urls sent: the fake's, so
	// nothing the load provokes reaches the real Slack.
	responseURL string
	users       []string // seeded release owners, who send the load
	channels    []string
	seed        seedStats

	dir     string
	svc     *commands.Service
	fake    *slackfake.Server
	st      *store.Store
	sl      *bot.Slack
	srv     *http.Server
	handler http.Handler
	logFile *os.File
	drop    func(context.Context) error // drops the -pg database
	stop    context.CancelFunc
	workers sync.WaitGroup
	// sweeping gates the sweep's runs (-sweep): on during the rounds of
	// the relman+sweep target only.
	sweeping atomic.Bool
	sweeps   atomic.Int64 // sweep runs that ran, not paused
}

// sweepDuring turns the sweep on for t's rounds and off for the others';
// nothing when p is nil.
func (p *inProcess) sweepDuring(t *target) {
	if p != nil {
		p.sweeping.Store(t.sweep)
	}
}

type seedStats struct {
	releases, deps, atRisk, messages, parked int
	took                                     time.Duration
	// refs are the seeded releases by product, the index of its owner
	// in inProcess.users.
	refs [][]string
}

// startRelman opens a store in a temporary directory, seeds it with
// releases, drains the seeding's messages to the fake Slack, and starts
// the outbox worker and the HTTP server as runServe does.
//
// With oneCommit, the store's KV hides bbolt's Batch, so Store.Batch (the
// votes' grouped commits) falls back to one commit per call, as Update.
// prepare, when set, seeds more after the releases, before their messages
// are delivered. With pg (a PostgreSQL server's DSN) the store is a new
// database on that server instead, dropped by Close.
func startRelman(ctx context.Context, secret string, releases, parked int, noCache bool, sweepSpec, logPath string, oneCommit bool, pg string, prepare func(context.Context, *inProcess) error, stderr io.Writer) (_ *inProcess, err error) {
	p := &inProcess{}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	if p.dir, err = os.MkdirTemp("", "relman-load-"); err != nil {
		return nil, err
	}
	logw := io.Discard
	if logPath != "" {
		if p.logFile, err = os.Create(logPath); err != nil {
			return nil, err
		}
		logw = p.logFile
	}
	log := slog.New(slog.NewJSONHandler(logw, nil))
	var kv store.KV
	if pg == "" {
		p.dbPath = filepath.Join(p.dir, "relman.db")
		p.dbName = "bbolt with fsync at " + p.dbPath
		if kv, err = boltdb.OpenKV(p.dbPath, boltdb.Options{}); err != nil {
			return nil, err
		}
	} else {
		var dsn string
		if dsn, p.drop, err = postgres.NewDatabase(ctx, pg, "relman_load_"); err != nil {
			return nil, fmt.Errorf("-pg: %w", err)
		}
		pkv, err := postgres.OpenKV(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("-pg: %w", err)
		}
		kv, p.dbPath = pkv, pkv.Name()
		p.dbName = "PostgreSQL " + p.dbPath + " (a new database)"
	}
	if oneCommit {
		kv = struct{ store.KV }{kv} // no Batch method: not a store.Batcher
	}
	if p.st, err = store.New(ctx, kv, p.dbPath); err != nil {
		kv.Close()
		return nil, err
	}
	p.fake = slackfake.New()
	p.responseURL = strings.TrimSuffix(p.fake.URL(), "api/") + "response/load-"

	clock := store.SystemClock{}
	metrics := bot.NewMetrics()
	api := slack.New(p.fake.BotToken, slack.OptionAPIURL(p.fake.URL()), slack.OptionHTTPClient(&http.Client{Timeout: 15 * time.Second}))
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: p.st, Clock: clock, Loc: time.UTC, Log: log, Admins: []string{loadAdmin}}
	p.svc = svc
	sender := &bot.SlackSender{API: api, Metrics: metrics}
	ob := &outbox.Outbox{Store: p.st, Sender: sender, Clock: clock, Log: log, Metrics: metrics, Render: reminders.RenderNotice}
	users := &bot.Users{API: api, Clock: clock, Log: log, Metrics: metrics}
	p.sl = &bot.Slack{
		Dispatcher: &bot.Dispatcher{Service: svc, Outbox: ob, Metrics: metrics, Log: log},
		API:        api, Users: users, Clock: clock, Log: log, Metrics: metrics,
		NoReplyCache: noCache,
	}
	web := &bot.HTTP{Slack: p.sl, SigningSecret: secret, Metrics: metrics}
	p.handler = web.Handler()

	fmt.Fprintf(stderr, "seeding %d releases…\n", releases)
	if p.seed, p.users, p.channels, err = seed(ctx, svc, releases); err != nil {
		return nil, err
	}
	for i, u := range p.users {
		p.fake.SetUser(u, "Owner "+strconv.Itoa(i), "Europe/Berlin")
	}
	if prepare != nil {
		if err := prepare(ctx, p); err != nil {
			return nil, err
		}
	}
	// The first sweep (at start, as relman serve runs it) queues what the
	// seed made due; later sweeps find nothing new until time passes.
	var sched *reminders.Scheduler
	if sweepSpec != "" {
		sweep := &reminders.Sweep{Store: p.st, Loc: time.UTC, Checks: reminders.Checks, Notify: ob.Notify, Log: log, Horizon: reminders.LedgerHorizon}
		n, err := sweep.Run(ctx, clock.Now())
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "the first sweep queued %d alerts\n", n)
		// Its DMs would wait for working hours and go out in the middle
		// of the measurement: deliver them now with the seed's messages.
		if err := p.st.Update(ctx, "relman-load", clock.Now(), func(tx *store.Tx) error {
			q, err := tx.Outbox()
			for i := range q {
				if err == nil && q[i].Quiet {
					q[i].Quiet = false
					err = tx.PutMessage(&q[i])
				}
			}
			return err
		}); err != nil {
			return nil, err
		}
		job := sweep.Job()
		gated := func(ctx context.Context, now time.Time) error {
			if !p.sweeping.Load() {
				return nil
			}
			p.sweeps.Add(1)
			return job(ctx, now)
		}
		if sched, err = reminders.NewScheduler(sweepSpec, time.UTC, clock, gated, log); err != nil {
			return nil, fmt.Errorf("-sweep: %w", err)
		}
	}
	// The seed queued one message per command, all at once; a real team's
	// commands come weeks apart. Deliver them now, unspaced, so the
	// measurement starts with the empty outbox of a server at rest.
	drain := &outbox.Outbox{Store: p.st, Sender: sender, Clock: clock, Log: log, Spacing: -1}
	for {
		n, err := drain.Flush(ctx)
		if err != nil {
			return nil, fmt.Errorf("deliver the seed's messages: %w", err)
		}
		p.seed.messages += n
		if n == 0 {
			break
		}
	}
	if left, held, err := outboxDue(p.st, clock.Now()); err != nil || left > held {
		return nil, fmt.Errorf("the seed's messages were not all delivered (%d left): %v", left-held, err)
	}
	if parked > 0 {
		if err := park(ctx, p.st, p.fake, drain, parked); err != nil {
			return nil, err
		}
		p.seed.parked = parked
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.url = "http://" + ln.Addr().String() + "/slack/commands"
	p.srv = &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	workCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	p.stop = stop
	p.workers.Go(func() { ob.Run(workCtx) })
	if sched != nil {
		p.workers.Go(func() { sched.Run(workCtx) })
	}
	p.workers.Go(func() { p.srv.Serve(ln) })
	return p, nil
}

// Close stops the server and the workers, closes the store and the fake
// and removes the temporary directory, in reverse order of starting them.
func (p *inProcess) Close() {
	if p.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p.srv.Shutdown(ctx)
		cancel()
	}
	if p.sl != nil {
		p.sl.Wait()
	}
	if p.stop != nil {
		p.stop()
	}
	p.workers.Wait()
	if p.st != nil {
		p.st.Close()
	}
	if p.drop != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		p.drop(ctx)
		cancel()
	}
	if p.fake != nil {
		p.fake.Close()
	}
	if p.logFile != nil {
		p.logFile.Close()
	}
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// commandTime sums relman_command_duration_seconds over every command, as
// /metrics shows it: the dispatcher's time to execute, without HTTP,
// signature checks and rendering.
func (p *inProcess) commandTime() serverTime {
	rec := httptest.NewRecorder()
	p.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	var st serverTime
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "{")
		if !ok {
			continue
		}
		_, val, _ := strings.Cut(rest, "} ")
		switch name {
		case "relman_command_duration_seconds_sum":
			if f, err := strconv.ParseFloat(val, 64); err == nil {
				st.sum += time.Duration(f * float64(time.Second))
			}
		case "relman_command_duration_seconds_count":
			if n, err := strconv.ParseUint(val, 10, 64); err == nil {
				st.count += n
			}
		}
	}
	return st
}

// reportOutbox prints what reached the fake Slack, to show the outbox
// worker ran and whether the load left messages behind.
func (p *inProcess) reportOutbox(w io.Writer) {
	left, err := outboxDepth(p.st)
	if err != nil {
		fmt.Fprintf(w, "outbox: %v\n", err)
		return
	}
	fmt.Fprintf(w, "outbox: %d seed messages delivered to the fake Slack (%d chat.postMessage calls in all); %d waiting at the end\n",
		p.seed.messages, len(p.fake.CallsTo("chat.postMessage")), left)
	if n := p.sweeps.Load(); n > 0 {
		fmt.Fprintf(w, "sweeps run during the relman+sweep rounds: %d\n", n)
	}
}

func outboxDepth(st *store.Store) (int, error) {
	n, _, err := outboxDue(st, time.Time{})
	return n, err
}

// outboxDue counts the messages waiting in the outbox, and of them those
// held until after now: quiet DMs (a dependency's handshake request to the
// provider) wait for their recipient's working hours, and the messages
// queued after them to the same person wait behind them, in order.
func outboxDue(st *store.Store, now time.Time) (waiting, held int, err error) {
	err = st.View(context.Background(), func(tx *store.Tx) error {
		q, err := tx.Outbox() // in the order they were queued
		behind := map[string]bool{}
		for _, m := range q {
			waiting++
			if m.NotBefore.After(now) || behind[m.Channel] {
				held++
				behind[m.Channel] = true
			}
		}
		return err
	})
	return waiting, held, err
}

// park leaves n messages parked in the outbox, as a server that has run
// for months keeps those Slack refused for good (an archived channel): they
// are queued for a channel the fake rejects and given one attempt.
func park(ctx context.Context, st *store.Store, fake *slackfake.Server, drain *outbox.Outbox, n int) error {
	const gone = "C0ARCHIVED"
	fake.RejectChannel(gone, "is_archived")
	err := st.Update(context.Background(), "U0LOADSEED", store.SystemClock{}.Now(), func(tx *store.Tx) error {
		for i := range n {
			text := fmt.Sprintf(":package: message %d to a channel archived since", i)
			if err := tx.Enqueue(&store.Message{Channel: gone, Doc: store.Doc{Text: text, Sections: []store.Section{{Text: text}}}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("park messages: %w", err)
	}
	// One channel: the drain tries one message a flush, and a refused one
	// blocks the channel's later messages until the next flush.
	for range n {
		if _, err := drain.Flush(ctx); err != nil {
			return fmt.Errorf("park messages: %w", err)
		}
	}
	var parked int
	err = st.View(context.Background(), func(tx *store.Tx) error {
		q, err := tx.ParkedMessages()
		parked = len(q)
		return err
	})
	if err == nil && parked != n {
		err = fmt.Errorf("%d of %d messages parked", parked, n)
	}
	if err != nil {
		return fmt.Errorf("park messages: %w", err)
	}
	return nil
}

// productNames are the products of the seeded team; more products than
// names get numbered.
var productNames = []string{"payments", "checkout", "mobile", "web", "search", "identity", "billing", "ledger",
	"notifications", "analytics", "catalog", "shipping", "pricing", "gateway", "support", "onboarding"}

// seed adds releases (five per product, targets spread over the next six
// months) and about 1.2 dependencies per release through svc, as their
// owners would type them: most needed by the consumer's target, one in
// twelve needed before its provider's target (so slipped, and its
// consumers at risk), one in fifteen on an external item. It returns the
// owners and channels of the products.
func seed(ctx context.Context, svc *commands.Service, n int) (seedStats, []string, []string, error) {
	start := time.Now()
	var st seedStats
	products := max(1, (n+4)/5)
	owners := make([]string, products)
	channels := make([]string, products)
	names := make([]string, products)
	for p := range products {
		owners[p] = fmt.Sprintf("U0OWNER%03d", p)
		channels[p] = fmt.Sprintf("C0REL%03d", p)
		names[p] = productNames[p%len(productNames)]
		if p >= len(productNames) {
			names[p] += "-" + strconv.Itoa(p/len(productNames))
		}
	}
	today := svc.Today()
	type rel struct {
		ref     string
		product int
		target  store.Date
	}
	rels := make([]rel, n)
	exec := func(user, channel, text string) error {
		r := svc.Execute(ctx, commands.Request{User: user, Channel: channel, Command: "/release", Text: text})
		if !r.OK() {
			return fmt.Errorf("seed: /release %s: %s: %s", text, r.Code, r.Doc.Text)
		}
		return nil
	}
	for i := range n {
		p := i % products
		r := rel{ref: fmt.Sprintf("%s@1.%d.0", names[p], i/products), product: p, target: today.AddDays(7 + i*180/n)}
		rels[i] = r
		if st.refs == nil {
			st.refs = make([][]string, products)
		}
		st.refs[p] = append(st.refs[p], r.ref)
		text := fmt.Sprintf("add %s %s owner <@%s> channel <#%s>", strings.Replace(r.ref, "@", " ", 1), r.target, owners[p], channels[p])
		if err := exec(owners[p], channels[p], text); err != nil {
			return st, nil, nil, err
		}
		st.releases++
	}
	if n < 2 {
		st.took = time.Since(start)
		return st, owners, channels, nil
	}
	rng := rand.New(rand.NewPCG(1, 2))
	want := n * 6 / 5
	seen := map[[2]int]bool{}
	externals := map[int]bool{} // vendor items created so far
	for k, tries := 0, 0; st.deps < want && tries < 20*want; tries++ {
		c := 1 + rng.IntN(n-1)
		prov := rng.IntN(c) // providers come earlier: no cycles
		if products > 1 && rels[c].product == rels[prov].product {
			continue
		}
		cons := rels[c]
		key := [2]int{c, prov}
		var text string
		switch {
		case (k+1)%15 == 0:
			v := (k + 1) / 15 % 5
			key = [2]int{c, -1 - v}
			text = fmt.Sprintf("depend %s on external \"Vendor SDK %d\"", cons.ref, v)
			if !externals[v] {
				text += fmt.Sprintf(" due %s owner <@%s>", today.AddDays(30+10*v), owners[cons.product])
			}
		case (k+1)%12 == 0:
			text = fmt.Sprintf("depend %s on %s by %s", cons.ref, rels[prov].ref, rels[prov].target.AddDays(-3))
		default:
			text = fmt.Sprintf("depend %s on %s", cons.ref, rels[prov].ref)
		}
		if seen[key] {
			continue
		}
		if err := exec(owners[cons.product], channels[cons.product], text); err != nil {
			return st, nil, nil, err
		}
		k++
		seen[key] = true
		if key[1] < 0 {
			externals[-1-key[1]] = true
		}
		st.deps++
	}
	err := svc.Store.View(context.Background(), func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err == nil {
			st.atRisk = len(g.AtRisk(today))
		}
		return err
	})
	st.took = time.Since(start)
	return st, owners, channels, err
}

// bareHandler is the least any relman-like Slack endpoint must do: read
// the body (bounded like relman's), verify the signature, parse the slash
// command, and answer a fixed ephemeral message.
// With size > 0 the answer's text is padded so the body has size bytes:
// the cost of relman's bigger answer, without relman's work.
func bareHandler(secret string, size int) http.Handler {
	answer := `{"response_type":"ephemeral","text":"ok"}`
	if pad := size - len(answer); pad > 0 {
		answer = `{"response_type":"ephemeral","text":"ok` + strings.Repeat(".", pad) + `"}`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/commands", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, bot.MaxBody))
		if err != nil {
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err != nil {
			http.Error(w, "missing or stale Slack signature", http.StatusUnauthorized)
			return
		}
		if _, err := sv.Write(body); err != nil || sv.Ensure() != nil {
			http.Error(w, "bad Slack signature", http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sc, err := slack.SlashCommandParse(r)
		if err != nil || sc.Command == "" || sc.UserID == "" {
			http.Error(w, "not a slash command", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer)
	})
	return mux
}

// bareServer is the bare handler on a real http.Server.
type bareServer struct {
	url string
	srv *http.Server
}

func startBare(secret string, size int) (*bareServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &bareServer{
		url: "http://" + ln.Addr().String() + "/slack/commands",
		srv: &http.Server{Handler: bareHandler(secret, size), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second},
	}
	go b.srv.Serve(ln)
	return b, nil
}

func (b *bareServer) Close() { b.srv.Close() }

// serveBare serves only the bare handler on addr until ctx ends, for
// -bare-url comparisons against a relman running elsewhere.
func serveBare(ctx context.Context, addr, secret string, size int, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: bareHandler(secret, size), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	fmt.Fprintf(stderr, "bare handler on http://%s/slack/commands\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
