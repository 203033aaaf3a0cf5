package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relman/store/boltdb"
	"relman/store/postgres/pgtest"
)

// mustConsoleDB runs the console on a new bbolt file with the given input
// and returns the file's path.
func mustConsoleDB(t *testing.T, input string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relman.db")
	env := getenv(map[string]string{"RELMAN_DB": path})
	if err := run(t.Context(), []string{"console"}, env, strings.NewReader(input), io.Discard, io.Discard); err != nil {
		t.Fatalf("run(console) = %v", err)
	}
	return path
}

func TestRunMigrate(t *testing.T) {
	env := getenv(nil)
	t.Run("BboltToBbolt", func(t *testing.T) {
		from := mustConsoleDB(t, addCommand+"\n")
		to := filepath.Join(t.TempDir(), "copy.db")
		var out bytes.Buffer
		if err := run(t.Context(), []string{"migrate", from, to}, env, nil, &out, io.Discard); err != nil {
			t.Fatalf("run(migrate) = %v", err)
		}
		for _, want := range []string{"copied " + from + " to " + to, "releases", "checked:"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("run(migrate) printed:\n%s\nwant it to mention %q", out.String(), want)
			}
		}
		var listed bytes.Buffer
		if err := run(t.Context(), []string{"console"}, getenv(map[string]string{"RELMAN_DB": to}), strings.NewReader("list\n"), &listed, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(listed.String(), "payments@2.3.0") {
			t.Errorf("the copy lists:\n%s\nwant payments@2.3.0", listed.String())
		}
	})
	t.Run("RefusesANonEmptyTarget", func(t *testing.T) {
		from := mustConsoleDB(t, addCommand+"\n")
		to := mustConsoleDB(t, "add search 1.0.0 2027-02-01\n")
		err := run(t.Context(), []string{"migrate", from, to}, env, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), to+" is not empty") {
			t.Errorf("run(migrate) into a used file = %v; want an error saying %s is not empty", err, to)
		}
	})
	t.Run("MissingSource", func(t *testing.T) {
		dir := t.TempDir()
		from, to := filepath.Join(dir, "nope.db"), filepath.Join(dir, "copy.db")
		err := run(t.Context(), []string{"migrate", from, to}, env, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "nope.db") {
			t.Errorf("run(migrate) from a missing file = %v; want an error naming it", err)
		}
		if _, err := os.Stat(from); err == nil {
			t.Errorf("run(migrate) created the missing source %s", from)
		}
		if _, err := os.Stat(to); err == nil {
			t.Errorf("run(migrate) left a target %s behind", to)
		}
	})
	t.Run("RefusesAnEmptySource", func(t *testing.T) {
		dir := t.TempDir()
		from, to := filepath.Join(dir, "empty.db"), filepath.Join(dir, "copy.db")
		kv, err := boltdb.OpenKV(from, boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		kv.Close()
		err = run(t.Context(), []string{"migrate", from, to}, env, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "the source holds no data") {
			t.Errorf("run(migrate) from an empty file = %v; want it refused", err)
		}
		if _, err := os.Stat(to); err == nil {
			t.Errorf("run(migrate) left a target %s behind", to)
		}
	})
	t.Run("BadDSN", func(t *testing.T) {
		from := mustConsoleDB(t, addCommand+"\n")
		for _, dsn := range []string{
			"postgres://relman:hunter2@db:notaport/relman",
			"host=127.0.0.1 port=1 dbname=relman user=relman password=hunter2 connect_timeout=1",
		} {
			err := run(t.Context(), []string{"migrate", from, dsn}, env, nil, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "the target") {
				t.Errorf("run(migrate) to %q = %v; want an error about the target", dsn, err)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("run(migrate) to %q = %q; the error shows the password", dsn, err)
			}
		}
	})
	t.Run("BboltToPostgresAndBack", func(t *testing.T) {
		from := mustConsoleDB(t, addCommand+"\nadd search 1.0.0 2027-02-01\n")
		dsn := pgtest.MustDatabase(t)
		var out bytes.Buffer
		if err := run(t.Context(), []string{"migrate", from, dsn}, env, nil, &out, io.Discard); err != nil {
			t.Fatalf("run(migrate) to PostgreSQL = %v", err)
		}
		if !strings.Contains(out.String(), "checked:") {
			t.Errorf("run(migrate) printed:\n%s\nwant the check's result", out.String())
		}
		var listed bytes.Buffer
		if err := run(t.Context(), []string{"console"}, getenv(map[string]string{"RELMAN_DB": dsn}), strings.NewReader("list\n"), &listed, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(listed.String(), "payments@2.3.0") || !strings.Contains(listed.String(), "search@1.0.0") {
			t.Errorf("PostgreSQL lists:\n%s\nwant payments@2.3.0 and search@1.0.0", listed.String())
		}
		err := run(t.Context(), []string{"migrate", from, dsn}, env, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "is not empty") {
			t.Errorf("a second run(migrate) to PostgreSQL = %v; want it refused as not empty", err)
		}
		back := filepath.Join(t.TempDir(), "back.db")
		if err := run(t.Context(), []string{"migrate", dsn, back}, env, nil, io.Discard, io.Discard); err != nil {
			t.Fatalf("run(migrate) back to bbolt = %v", err)
		}
	})
}

// TestRunMigrateCarriesChecklists: relman migrate copies the checklists
// bucket (schema 8) and the items in release records, to PostgreSQL and
// back, checked bucket by bucket.
func TestRunMigrateCarriesChecklists(t *testing.T) {
	env := getenv(nil)
	from := mustConsoleDB(t, addCommand+"\n"+
		`checklist payments add "release notes" days-before 3`+"\n"+
		"add payments 2.4.0 2027-02-01\n"+
		`check payments@2.4.0 add "security review" before production`+"\n")
	dsn := pgtest.MustDatabase(t)
	var out bytes.Buffer
	if err := run(t.Context(), []string{"migrate", from, dsn}, env, nil, &out, io.Discard); err != nil {
		t.Fatalf("run(migrate) to PostgreSQL = %v", err)
	}
	if !strings.Contains(out.String(), "checklists") {
		t.Errorf("run(migrate) printed:\n%s\nwant the checklists bucket", out.String())
	}
	back := filepath.Join(t.TempDir(), "back.db")
	if err := run(t.Context(), []string{"migrate", dsn, back}, env, nil, io.Discard, io.Discard); err != nil {
		t.Fatalf("run(migrate) back to bbolt = %v", err)
	}
	for _, db := range []string{dsn, back} {
		var shown bytes.Buffer
		if err := run(t.Context(), []string{"console"}, getenv(map[string]string{"RELMAN_DB": db}), strings.NewReader("checklist payments\ncheck payments@2.4.0\n"), &shown, io.Discard); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"#1 “release notes” · the release's owner · due 3 days before the target", "#2 “security review”", "0/2 done"} {
			if !strings.Contains(shown.String(), want) {
				t.Errorf("after the migration, %s shows:\n%s\nwant %q", db, shown.String(), want)
			}
		}
	}
}
