// Package pgtest gives tests a fresh PostgreSQL database of their own on the
// server RELMAN_TEST_PG names. .ci/postgres starts a throwaway server and
// prints the setting; without it the tests that need PostgreSQL are
// skipped, except under CI=true, where they fail so a missing server cannot
// hide them.
package pgtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the setting that names the test server, as a DSN.
const Env = "RELMAN_TEST_PG"

// how says how to get a server for the tests.
const how = `RELMAN_TEST_PG not set: to run the PostgreSQL tests, as root: env=$(.ci/postgres start) && eval "$env" && go test ./...; then .ci/postgres stop "$RELMAN_PG_DIR" (or set RELMAN_TEST_PG to the DSN of a server where you may create databases)`

// MustDatabase creates an empty database for tb on the server RELMAN_TEST_PG
// names, drops it when tb ends, and returns its DSN. It skips tb when
// RELMAN_TEST_PG is not set, and fails it when CI=true too.
func MustDatabase(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal(how + " — and CI=true, where the PostgreSQL tests must run")
		}
		tb.Skip(how)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("%s: connect: %v", Env, err)
	}
	defer conn.Close(ctx)
	name := "relman_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("%s: create database: %v", Env, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("%s: connect to drop %s: %v", Env, name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("%s: drop database %s: %v", Env, name, err)
		}
	})
	return WithDatabase(tb, dsn, name)
}

// WithDatabase returns dsn naming database name instead of its own.
func WithDatabase(tb testing.TB, dsn, name string) string {
	tb.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatalf("%s: %v", Env, err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return fmt.Sprintf("%s dbname=%s", dsn, name) // a later keyword wins
}
