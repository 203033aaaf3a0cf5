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
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
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
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	clock := store.SystemClock{}
	metrics := bot.NewMetrics()
	api := bot.NewAPI(cfg.BotToken, cfg.AppToken, cfg.APIURL)
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: cfg.Loc, Admins: cfg.Admins, Log: log, PublicURL: cfg.PublicURL}
	ob := &outbox.Outbox{Store: st, Sender: &bot.SlackSender{API: api, Metrics: metrics}, Clock: clock, Log: log, Metrics: metrics}
	users := &bot.Users{API: api, Clock: clock, Log: log, Metrics: metrics}
	ob.Zones, ob.Loc = users, cfg.Loc // quiet DMs wait for their recipient's working hours
	// CCB boards whose members are a Slack user group; vote clicks reach
	// svc.Vote through the Dispatcher (its Voter is the Service).
	svc.Groups = &bot.Groups{API: api, Clock: clock, Log: log, Metrics: metrics}
	sl := &bot.Slack{
		Dispatcher: &bot.Dispatcher{Service: svc, Outbox: ob, Metrics: metrics, Log: log},
		API:        api, Users: users, Clock: clock, Log: log, Metrics: metrics,
	}
	web := &bot.HTTP{Slack: sl, SigningSecret: cfg.SigningSecret, Metrics: metrics, Calendar: &calendar.Feeds{Store: st, Loc: cfg.Loc}}
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
	leader := &outbox.Leader{Leaser: st.Leaser(), Holder: holder, Log: log, Metrics: metrics,
		Lead: func(ctx context.Context, epoch uint64) error {
			return lead(ctx, st.Fenced(holder, epoch), ob, cfg, clock, log)
		}}
	ob.LeaseUntil = leader.Until

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
func lead(ctx context.Context, fst *store.Store, ob *outbox.Outbox, cfg config, clock store.Clock, log *slog.Logger) error {
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
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := ob.Lead(ctx, fst); err != nil {
			fail(err)
		}
	})
	wg.Go(func() { sched.Run(ctx) }) // returns after a running sweep ends
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

// runBackup writes a consistent copy of the database RELMAN_DB names to
// path as a bbolt file, checking that the copy opens: it asks the running
// server for a bbolt file's copy (its admin listener), and copies a
// PostgreSQL database itself.
func runBackup(ctx context.Context, cfg config, path string, stdout io.Writer) error {
	if path == "" {
		return errors.New("usage: relman backup <file>")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s already exists", path)
	}
	if postgres.IsDSN(cfg.DB) {
		return backupPostgres(ctx, cfg.DB, path, stdout)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+cfg.AdminAddr+"/backup", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("backup: is relman serving? (RELMAN_ADMIN_ADDR=%s): %w", cfg.AdminAddr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("backup: server answered %s", resp.Status)
	}
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	n, err := io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		var st *store.Store
		if st, err = boltdb.Open(tmp, boltdb.Options{}); err == nil {
			err = st.Close()
		}
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", path, n)
	return nil
}

// backupPostgres copies the PostgreSQL database dsn names into a new bbolt
// file at path with store.Copy, from one REPEATABLE READ snapshot, so
// replicas may go on writing meanwhile; the copy opens as a relman store
// with the same data (relman serve or relman migrate can use it). It
// writes path.partial first and renames it once the copy is checked and
// opens.
func backupPostgres(ctx context.Context, dsn, path string, stdout io.Writer) error {
	src, err := postgres.OpenKV(ctx, dsn)
	if err != nil {
		return fmt.Errorf("backup: RELMAN_DB: %w", err)
	}
	defer src.Close()
	tmp := path + ".partial"
	if _, err := os.Stat(tmp); err == nil {
		return fmt.Errorf("backup: %s already exists (a backup that did not finish?): remove it first", tmp)
	}
	var copied []store.BucketCopy
	n, err := boltdb.CopyFile(ctx, tmp, func(dst store.KV) error {
		var err error
		copied, err = store.Copy(ctx, dst, src, path)
		return err
	})
	if err == nil {
		var st *store.Store
		if st, err = boltdb.Open(tmp, boltdb.Options{}); err == nil {
			err = st.Close()
		}
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup %s: %w", src.Name(), err)
	}
	keys := 0
	for _, b := range copied {
		keys += b.Keys
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes): %d buckets, %d keys from %s, checked\n", path, n, len(copied), keys, src.Name())
	return nil
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
