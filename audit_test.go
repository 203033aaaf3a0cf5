package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
)

// auditSession adds, moves and deletes a release at the console.
const auditSession = "add payments 2.3.0 2027-01-15\nmove payments@2.3.0 2027-01-22 because the vendor is late\ndelete payments@2.3.0 because typo\n"

// mustAuditedDB runs auditSession at the console against the database
// where names.
func mustAuditedDB(t *testing.T, where string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := getenv(map[string]string{"RELMAN_DB": where})
	if err := run(t.Context(), []string{"console"}, env, strings.NewReader(auditSession), &out, &errb); err != nil {
		t.Fatalf("run(console) = %v; stderr:\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "Deleted *payments@2.3.0*") {
		t.Fatalf("console session did not delete payments@2.3.0:\n%s", out.String())
	}
}

// mustExport runs relman audit with args against env and returns its
// standard output.
func mustExport(t *testing.T, env func(string) string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(t.Context(), append([]string{"audit"}, args...), env, nil, &out, &errb); err != nil {
		t.Fatalf("relman audit %s = %v; stderr:\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// checkExport checks the JSON lines and CSV exports of auditSession's
// database.
func checkExport(t *testing.T, env func(string) string) {
	t.Helper()
	var entries []store.Audit
	for line := range strings.Lines(mustExport(t, env)) {
		var a store.Audit
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("line %q is not an audit entry: %v", line, err)
		}
		entries = append(entries, a)
	}
	var actions []string
	for i, a := range entries {
		if i > 0 && a.Seq <= entries[i-1].Seq {
			t.Errorf("entry %d has seq %d after %d; want oldest first", i, a.Seq, entries[i-1].Seq)
		}
		if a.Subject == "payments@2.3.0" {
			actions = append(actions, a.Action)
			if a.Via != store.ViaConsole || a.Actor == "" {
				t.Errorf("entry %+v: want its actor, via console", a)
			}
		}
	}
	want := "release.add release.move release.delete release.delete"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("payments@2.3.0's actions = %q; want %q", got, want)
	}
	if n := len(entries); n == 0 || entries[n-1].Action != "release.delete" || entries[n-1].After != nil || entries[n-1].Before == nil {
		t.Errorf("the last entry should be the delete, keeping the release as it was: %+v", entries[len(entries)-1])
	}

	rows, err := csv.NewReader(strings.NewReader(mustExport(t, env, "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatalf("the CSV export does not parse: %v", err)
	}
	if len(rows) != len(entries)+1 || strings.Join(rows[0], ",") != "seq,at,actor,via,action,subject,reason,before,after" {
		t.Fatalf("CSV has %d rows, header %q; want %d and the column names", len(rows), rows[0], len(entries)+1)
	}
	var reasons []string
	for _, r := range rows[1:] {
		if r[6] != "" {
			reasons = append(reasons, r[6])
		}
	}
	if got := strings.Join(reasons, "|"); got != "the vendor is late|typo|typo" {
		t.Errorf("CSV reasons = %q; want the move's and the delete's", got)
	}

	if got := mustExport(t, env, "--since", "2999-01-01"); got != "" {
		t.Errorf("--since 2999-01-01 exported %q; want nothing", got)
	}
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	if got := mustExport(t, env, "--out", out); !strings.Contains(got, "wrote "+out) {
		t.Errorf("relman audit --out printed %q; want it to name %s", got, out)
	}
	if b, err := os.ReadFile(out); err != nil || strings.Count(string(b), "\n") != len(entries) {
		t.Errorf("%s holds %d lines (read: %v); want %d", out, strings.Count(string(b), "\n"), err, len(entries))
	}
	if _, err := os.Stat(out + ".partial"); err == nil {
		t.Errorf("%s.partial left behind", out)
	}
}

func mustHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestRunAuditOnBolt(t *testing.T) {
	db := filepath.Join(t.TempDir(), "relman.db")
	mustAuditedDB(t, db)
	t.Run("RelmanStopped", func(t *testing.T) {
		before := mustHash(t, db)
		checkExport(t, getenv(map[string]string{"RELMAN_DB": db}))
		if mustHash(t, db) != before {
			t.Errorf("relman audit changed %s", db)
		}
	})
	t.Run("RelmanRunning", func(t *testing.T) {
		good, err := os.ReadFile(db)
		if err != nil {
			t.Fatal(err)
		}
		// A relman serving the file holds its lock and answers for a copy.
		st, err := boltdb.Open(db, boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(good) }))
		defer srv.Close()
		checkExport(t, getenv(map[string]string{"RELMAN_DB": db, "RELMAN_ADMIN_ADDR": strings.TrimPrefix(srv.URL, "http://")}))
	})
	t.Run("RelmanRunningWithoutAdmin", func(t *testing.T) {
		st, err := boltdb.Open(db, boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		env := getenv(map[string]string{"RELMAN_DB": db, "RELMAN_ADMIN_ADDR": "127.0.0.1:1"})
		err = run(t.Context(), []string{"audit"}, env, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "RELMAN_ADMIN_ADDR=127.0.0.1:1") {
			t.Errorf("relman audit on a held file without an admin listener = %v; want it to say so", err)
		}
	})
	t.Run("RejectsBadArguments", func(t *testing.T) {
		env := getenv(map[string]string{"RELMAN_DB": db})
		for _, args := range [][]string{{"--format", "xml"}, {"--since", "yesterday"}, {"extra"}} {
			if err := run(t.Context(), append([]string{"audit"}, args...), env, nil, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "audit") {
				t.Errorf("relman audit %q = %v; want a usage error", args, err)
			}
		}
	})
}

func TestRunAuditOnPostgres(t *testing.T) {
	dsn := pgtest.MustDatabase(t)
	mustAuditedDB(t, dsn)
	// Another relman has the database open meanwhile.
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkExport(t, getenv(map[string]string{"RELMAN_DB": dsn}))
}
