package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"relman/bot"
	"relman/bot/outbox"
	"relman/commands"
	"relman/commands/calendar"
	"relman/connect"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// shutdownGrace bounds how long SIGTERM waits for in-flight requests.
const shutdownGrace = 10 * time.Second

// runServe serves Slack until ctx ends (SIGTERM), then drains in-flight
// requests, stops the workers and closes the store, in reverse order of
// starting them.
func runServe(ctx context.Context, cfg config, stderr io.Writer) error {
	if err := cfg.checkServe(); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return serve(ctx, cfg, st, stderr)
}

// serve is runServe on the open store st, which it leaves open. Before
// listening it asks Slack whether it accepts the bot token: a refused
// token stops it, naming SLACK_BOT_TOKEN; a Slack that does not answer
// does not (/readyz says so until it answers).
func serve(ctx context.Context, cfg config, st *store.Store, stderr io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	clock := store.SystemClock{}
	metrics := bot.NewMetrics()
	metrics.WatchStore(st)
	slackStatus := &bot.SlackStatus{Metrics: metrics, Clock: clock}
	api := slackStatus.NewAPI(cfg.BotToken, cfg.AppToken, cfg.APIURL)
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: cfg.Loc, Admins: cfg.Admins, Log: log, PublicURL: cfg.PublicURL}
	ob := &outbox.Outbox{Store: st, Sender: &bot.SlackSender{API: api, Metrics: metrics}, Clock: clock, Log: log, Metrics: metrics}
	users := &bot.Users{API: api, Clock: clock, Log: log, Metrics: metrics}
	ob.Zones, ob.Loc = users, cfg.Loc  // quiet DMs wait for their recipient's working hours
	ob.Render = reminders.RenderNotice // notices are worded when delivered, in their reader's zone
	// CCB boards whose members are a Slack user group; vote clicks reach
	// svc.Vote through the Dispatcher (its Voter is the Service).
	svc.Groups = &bot.Groups{API: api, Clock: clock, Log: log, Metrics: metrics}
	sl := &bot.Slack{
		Dispatcher: &bot.Dispatcher{Service: svc, Outbox: ob, Metrics: metrics, Log: log},
		API:        api, Users: users, Clock: clock, Log: log, Metrics: metrics,
	}
	web := &bot.HTTP{Slack: sl, SigningSecret: cfg.SigningSecret, Metrics: metrics, Calendar: &calendar.Feeds{Store: st, Loc: cfg.Loc},
		Ready:  func(ctx context.Context) error { return ready(ctx, st, slackStatus, clock) },
		Deploy: &connect.Deploy{Secret: cfg.WebhookSecret, Run: sl.Dispatcher, Service: svc, Clock: clock, Loc: cfg.Loc, Wake: ob.Notify},
		GitHub: &connect.GitHub{Secret: cfg.GitHubSecret, Run: sl.Dispatcher, Service: svc, Loc: cfg.Loc, Wake: ob.Notify}}
	if _, err := reminders.NewScheduler(cfg.Sweep, cfg.Loc, clock, nil, log); err != nil {
		return fmt.Errorf("RELMAN_SWEEP: %w", err)
	}
	// One replica among those sharing a PostgreSQL database leads: it
	// alone runs the outbox worker and the sweep, its writes fenced by the
	// lease. On bbolt this process always leads.
	holder := leaseHolder()
	if st.Leaser() != nil {
		ob.Poll = outboxPoll // messages other replicas queue
	}
	// The Jira sync runs on the leader (RELMAN_JIRA_SYNC, and as its term
	// starts), and at once for a project linked on any replica.
	var jira *connect.Jira
	if cfg.JiraURL != "" {
		jira = &connect.Jira{URL: cfg.JiraURL, Token: cfg.JiraToken, User: cfg.JiraUser, Run: sl.Dispatcher, Service: svc, Log: log,
			Errors: metrics.ConnectorError, Wake: ob.Notify}
		svc.Linked = func(l store.Link) {
			if l.Kind == store.LinkJira {
				go jira.SyncProject(context.WithoutCancel(ctx), l.Target)
			}
		}
	}
	leader := &outbox.Leader{Leaser: st.Leaser(), Holder: holder, Log: log, Metrics: metrics,
		Lead: func(ctx context.Context, epoch uint64) error {
			return lead(ctx, st.Fenced(holder, epoch), ob, cfg, clock, log, jira)
		}}
	ob.LeaseUntil = leader.Until

	if err := slackStatus.Start(ctx); err != nil {
		return err
	} else if err := slackStatus.Err(); err != nil {
		log.Warn("Slack does not answer; serving anyway, /readyz says not ready until it does", "err", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("RELMAN_ADDR: %w", err)
	}
	adminLn, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("RELMAN_ADMIN_ADDR: %w", err)
	}
	srv := &http.Server{Handler: web.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	admin := &http.Server{Handler: bot.AdminHandler(func(ctx context.Context, w io.Writer) (int64, error) { return boltdb.WriteBackup(ctx, st, w) }, clock), ReadHeaderTimeout: 10 * time.Second}

	// Workers get their own context: they stop only after the HTTP server
	// has drained, so every acknowledged command's messages are queued first.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var workers sync.WaitGroup
	errc := make(chan error, 4)
	start := func(name string, f func() error) {
		workers.Add(1)
		go func() {
			defer workers.Done()
			if err := f(); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	start("leader", func() error { return leader.Run(workCtx) }) // returns after the leader's work ends
	if st.CanWake() {
		// A released lease is taken at once, not at the next try.
		start("lease watch", func() error { watch(workCtx, "lease", st.WatchLease, leader.Poke, log); return nil })
	}
	start("http", func() error { return srv.Serve(ln) })
	start("admin", func() error { return admin.Serve(adminLn) })
	mode := "http"
	var sockCancel context.CancelFunc = func() {}
	if cfg.AppToken != "" {
		mode = "socket"
		var sockCtx context.Context
		sockCtx, sockCancel = context.WithCancel(workCtx)
		sm := bot.NewSocketMode(sl, api)
		start("socket mode", func() error { return sm.Run(sockCtx) })
	}
	log.Info("relman serving", "mode", mode, "addr", ln.Addr().String(), "admin_addr", adminLn.Addr().String(), "db", st.Name(), "version", version())

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-errc:
		log.Error("stopping after failure", "err", runErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	sockCancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	admin.Shutdown(sctx)
	sl.Wait()
	stopWork()
	workers.Wait()
	log.Info("stopped")
	return runErr
}

// ready returns what keeps relman from doing its work, one reason a
// line, or nil (/readyz): the database's file was found damaged; the
// database does not answer; its storage was
// full at the last write (ready then tries a small write, so it is ready
// again as soon as there is room, even when no command comes); Slack does
// not answer, or refuses the token.
func ready(ctx context.Context, st *store.Store, sl *bot.SlackStatus, clock store.Clock) error {
	var errs []error
	if err := st.Damaged(); err != nil {
		errs = append(errs, fmt.Errorf("the database file was found damaged while serving; relman writes nothing more to it and refuses every command until an operator restores it (relman check): %w", err))
	} else if _, err := st.Generation(ctx); err != nil {
		errs = append(errs, fmt.Errorf("the database does not answer: %w", err))
	} else if st.Full() != nil {
		if err := st.CheckWrite(ctx, clock.Now()); store.ErrorCode(err) == store.EFull {
			errs = append(errs, fmt.Errorf("the database's storage is full; commands that change anything are refused until a write succeeds: %w", err))
		} else if err != nil {
			errs = append(errs, fmt.Errorf("the database takes no writes: %w", err))
		}
	}
	if err := sl.Check(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// outboxPoll is how often the leader reads the outbox for messages other
// replicas queued, when no notification reached it.
const outboxPoll = 5 * time.Second

// leaseHolder names this process in the leader lease: host, PID and a
// random part, unique even across restarts with the same PID.
func leaseHolder() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])
}

// lead does the leader's work until ctx ends or a fenced write finds that
// this replica no longer leads: the outbox worker delivers, and the sweep
// runs on RELMAN_SWEEP and once as the term starts, catching up on what fell due
// while no replica led. Every write goes through fst, the store fenced by
// the lease. It returns nil when ctx ends, else the error that ended it
// (wrapping store.ErrNotLeader).
func lead(ctx context.Context, fst *store.Store, ob *outbox.Outbox, cfg config, clock store.Clock, log *slog.Logger, jira *connect.Jira) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var failed atomic.Pointer[error]
	fail := func(err error) {
		failed.CompareAndSwap(nil, &err)
		stop(err)
	}
	sweep := &reminders.Sweep{Store: fst, Loc: cfg.Loc, Checks: reminders.Checks, Notify: ob.Notify, Log: log, Horizon: reminders.LedgerHorizon}
	job := func(ctx context.Context, now time.Time) error {
		_, err := sweep.Run(ctx, now)
		if errors.Is(err, store.ErrNotLeader) {
			fail(err)
		}
		return err
	}
	sched, err := reminders.NewScheduler(cfg.Sweep, cfg.Loc, clock, job, log)
	if err != nil {
		return fmt.Errorf("RELMAN_SWEEP: %w", err)
	}
	var jsched *reminders.Scheduler
	if jira != nil {
		if jsched, err = reminders.NewScheduler(cfg.JiraSync, cfg.Loc, clock, jira.Sync, log); err != nil {
			return fmt.Errorf("RELMAN_JIRA_SYNC: %w", err)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := ob.Lead(ctx, fst); err != nil {
			fail(err)
		}
	})
	wg.Go(func() { sched.Run(ctx) }) // returns after a running sweep ends
	if jsched != nil {
		wg.Go(func() { jsched.Run(ctx) }) // syncs as the term starts, then on the schedule
	}
	if fst.CanWake() {
		wg.Go(func() { watch(ctx, "outbox", fst.WatchOutbox, ob.Notify, log) })
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		return *err
	}
	return nil
}

// watch calls watchFn (Store.WatchOutbox, Store.WatchLease) with notify
// until ctx ends, retrying a lost connection every second and calling
// notify after each loss, since wake-ups meanwhile are lost.
func watch(ctx context.Context, what string, watchFn func(context.Context, func()) error, notify func(), log *slog.Logger) {
	for {
		err := watchFn(ctx, notify)
		if ctx.Err() != nil {
			return
		}
		log.Warn("wake-ups lost; polling until they are back", "watch", what, "err", err)
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		notify()
	}
}

// checkServe validates the settings serving needs.
func (c config) checkServe() error {
	if err := c.serveErrors(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	return nil
}

// serveErrors reports each missing setting serving needs, or nil.
func (c config) serveErrors() error {
	var errs []error
	if c.BotToken == "" {
		errs = append(errs, errors.New("SLACK_BOT_TOKEN: required to serve Slack (the xoxb- bot token from OAuth & Permissions)"))
	}
	if c.AppToken == "" && c.SigningSecret == "" {
		errs = append(errs, errors.New("SLACK_SIGNING_SECRET: required in HTTP mode (Basic Information → Signing Secret); or set SLACK_APP_TOKEN for Socket Mode"))
	}
	errs = append(errs, c.adminErrors())
	return errors.Join(errs...)
}

// healthcheckTimeout bounds relman healthcheck's request.
const healthcheckTimeout = 3 * time.Second

// runHealthcheck asks the relman serving on this host's RELMAN_ADDR port for
// GET /healthz and returns an error unless it answers 200: a container's
// healthcheck, where the image has no shell or curl.
func runHealthcheck(ctx context.Context, cfg config) error {
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("healthcheck: RELMAN_ADDR: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
