package pgtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// admin runs q with args on the server RELMAN_TEST_PG names, as its
// superuser, and returns how many rows q returned.
func admin(tb testing.TB, q string, args ...any) int {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, os.Getenv(Env))
	if err != nil {
		tb.Fatalf("%s: connect: %v", Env, err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		tb.Fatalf("%s: %s: %v", Env, q, err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("%s: %s: %v", Env, q, err)
	}
	return n
}

// database is the name of the database dsn names.
func database(tb testing.TB, dsn string) string {
	tb.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", Env, err)
	}
	return cfg.Database
}

// Terminate ends, with pg_terminate_backend, every connection to the
// database dsn names (made by MustDatabase), as a server restart or an
// operator would, and returns how many it ended. The database stays
// reachable: new connections succeed.
func Terminate(tb testing.TB, dsn string) int {
	tb.Helper()
	return admin(tb, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, database(tb, dsn))
}

// Cut makes the database dsn names unreachable, as if its server went
// away: it refuses new connections and every existing one is terminated.
// The returned function makes it reachable again; Cut also does that when
// tb ends.
func Cut(tb testing.TB, dsn string) (restore func()) {
	tb.Helper()
	name := database(tb, dsn)
	ident := pgx.Identifier{name}.Sanitize()
	admin(tb, `ALTER DATABASE `+ident+` ALLOW_CONNECTIONS false`)
	Terminate(tb, dsn)
	restored := false
	restore = func() {
		if !restored {
			restored = true
			admin(tb, `ALTER DATABASE `+ident+` ALLOW_CONNECTIONS true`)
		}
	}
	tb.Cleanup(restore)
	return restore
}

// TerminateApp ends, with pg_terminate_backend, the connections to the
// database dsn names whose application_name is app (one process's, when
// each process sets its own in its DSN), and returns how many it ended.
func TerminateApp(tb testing.TB, dsn, app string) int {
	tb.Helper()
	return admin(tb, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND pid <> pg_backend_pid()`, database(tb, dsn), app)
}
