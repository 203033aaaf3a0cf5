package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"relman/bot"
	"relman/commands"
	"relman/reminders"
	"relman/store"
)

const usage = `usage: relman [console | serve | check [--db <db>] | backup <file> | migrate <from> <to> | audit [--since <date>] [--format jsonl|csv] [--out <file>] | healthcheck | version]

With no subcommand relman serves Slack when SLACK_* settings are present,
and otherwise starts the console. check checks the database (RELMAN_DB,
or --db) without writing to it and lists what is wrong. backup writes a
copy of the database to a new bbolt file and checks it. migrate copies a
database (a bbolt file's path or a PostgreSQL DSN) into an empty one, and
checks the copy. audit exports the audit log, reading the database without
writing to it.
healthcheck asks the relman serving on this host's RELMAN_ADDR for /healthz
(for a container's healthcheck). See README.md for the settings.`

// run is relman's real main: it reads configuration through getenv, wires
// the parts by hand, and returns when ctx ends or the work is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	if sub == "serve" || (sub == "" && cfg.slack()) {
		// Report what serving lacks together with the bad settings.
		err = errors.Join(err, cfg.serveErrors())
	}
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	switch sub {
	case "":
		if cfg.slack() {
			return runServe(ctx, cfg, stderr)
		}
		return runConsole(ctx, cfg, stdin, stdout, stderr)
	case "serve":
		return runServe(ctx, cfg, stderr)
	case "backup":
		if len(args) != 2 {
			return fmt.Errorf("usage: relman backup <file>")
		}
		return runBackup(ctx, cfg, args[1], stdout)
	case "check":
		db, err := parseCheck(args[1:], cfg.DB)
		if err != nil {
			return err
		}
		return runCheck(ctx, db, stdout)
	case "audit":
		a, err := parseAudit(args[1:], cfg.DB, cfg.Loc)
		if err != nil {
			return err
		}
		return runAudit(ctx, cfg, a, stdout, stderr)
	case "migrate":
		if len(args) != 3 {
			return fmt.Errorf("usage: relman migrate <from> <to> (each a bbolt file's path or a PostgreSQL DSN)")
		}
		return runMigrate(ctx, args[1], args[2], stdout)
	case "healthcheck":
		return runHealthcheck(ctx, cfg)
	case "console":
		return runConsole(ctx, cfg, stdin, stdout, stderr)
	case "version", "-v", "--version":
		bi, _ := debug.ReadBuildInfo()
		fmt.Fprintln(stdout, versionLine(bi))
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown subcommand %q\n%s", sub, usage)
}

// versionLine says which relman this is: its module version, and the VCS
// revision and time go build recorded (it does in a git checkout, unless
// -buildvcs=false), as runtime/debug.ReadBuildInfo gives them in bi (nil
// if the binary records none).
func versionLine(bi *debug.BuildInfo) string {
	if bi == nil {
		return "relman (no build information)"
	}
	line := "relman " + cmp.Or(bi.Main.Version, "(devel)")
	vcs := make(map[string]string)
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	rev := vcs["vcs.revision"]
	if rev == "" {
		return line + ", no VCS revision recorded (built outside a git checkout, or with -buildvcs=false)"
	}
	line += ", revision " + rev
	if t := vcs["vcs.time"]; t != "" {
		line += " of " + t
	}
	if vcs["vcs.modified"] == "true" {
		line += ", with uncommitted changes"
	}
	return line
}

// version is the short version relman logs: the VCS revision's first 12
// characters, else the module version, else "dev".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
		if bi.Main.Version != "" {
			return bi.Main.Version
		}
	}
	return "dev"
}

func runConsole(ctx context.Context, cfg config, stdin io.Reader, stdout, stderr io.Writer) error {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	// The console's clock starts where the last console on this database
	// left it (:advance), so dates read the same after a restart.
	wall := store.SystemClock{}
	ahead, err := st.ConsoleClock(ctx)
	if err != nil {
		return err
	}
	clock := store.NewFakeClock(wall.Now().Add(ahead))
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// Console users are names (alex); an admin may be written as the
	// console's :as takes it (@alex).
	admins := make([]string, len(cfg.Admins))
	for i, a := range cfg.Admins {
		admins[i] = strings.TrimPrefix(a, "@")
	}
	// The console serves no feed, but /release calendar gives the address
	// a relman serving the same database answers at.
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: cfg.Loc, Admins: admins, Log: log, PublicURL: cfg.PublicURL}
	user := "me"
	if len(admins) > 0 {
		user = admins[0]
	}
	// :advance runs the sweep at each time RELMAN_SWEEP schedules it.
	sweep := &reminders.Sweep{Store: st, Loc: cfg.Loc, Checks: reminders.Checks, Log: log, Horizon: reminders.LedgerHorizon}
	sched, err := reminders.NewScheduler(cfg.Sweep, cfg.Loc, clock, sweep.Job(), log)
	if err != nil {
		return fmt.Errorf("RELMAN_SWEEP: %w", err)
	}
	con := &bot.Console{
		Dispatcher: &bot.Dispatcher{Service: svc}, Outbox: bot.NewConsoleOutbox(st, clock, stdout), Clock: clock,
		In: stdin, Out: stdout, Interactive: isTerminal(stdin), User: user, Channel: "general",
		Sweep: sweep.Job(), SweepAt: sched.Next, Real: wall, SaveClock: st.SetConsoleClock,
	}
	return con.Run(ctx)
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
