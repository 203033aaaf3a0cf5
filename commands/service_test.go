package commands_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// epoch is the fake clock's start: Monday 2027-01-04, 10:00 UTC.
var epoch = time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC)

// defaultChannel is where test commands are typed unless a test says otherwise.
const defaultChannel = "CREL"

// MustStore opens a real bbolt store in a fresh temporary directory and
// closes it when the test ends.
func MustStore(tb testing.TB, opts boltdb.Options) *store.Store {
	tb.Helper()
	st, err := boltdb.Open(filepath.Join(tb.TempDir(), "relman.db"), opts)
	if err != nil {
		tb.Fatalf("boltdb.Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("store.Close: %v", err)
		}
	})
	return st
}

// MustService returns a Service on a fresh real store, with a fake clock
// stopped at epoch, the given admins, and the due-check main wires in
// (reminders.DueAfterCommand), so commands queue their alerts.
func MustService(tb testing.TB, admins ...string) *commands.Service {
	tb.Helper()
	return &commands.Service{
		Alerts: reminders.DueAfterCommand,
		Store:  MustStore(tb, boltdb.Options{}),
		Clock:  store.NewFakeClock(epoch),
		Loc:    time.UTC,
		Admins: admins,
		// calendar feed addresses
		PublicURL: "https://relman.example.com",
	}
}

// request turns a command line as a user types it ("/release move …") into
// the Request a transport would hand to Execute.
func request(user, line string) commands.Request {
	cmd, text, _ := strings.Cut(line, " ")
	return commands.Request{User: user, Channel: defaultChannel, Command: cmd, Text: text}
}

// Do runs one command line as user and returns the reply, whatever it is.
func Do(tb testing.TB, svc *commands.Service, user, line string) commands.Reply {
	tb.Helper()
	return svc.Execute(context.Background(), request(user, line))
}

// MustDo runs one command line as user and fails tb unless it succeeds.
func MustDo(tb testing.TB, svc *commands.Service, user, line string) commands.Reply {
	tb.Helper()
	r := Do(tb, svc, user, line)
	if !r.OK() {
		tb.Fatalf("Execute(%q as %s) failed with %s:\n%s", line, user, r.Code, r.Doc.Text)
	}
	return r
}

// MustFail runs one command line as user and fails tb unless it is refused
// with the given code.
func MustFail(tb testing.TB, svc *commands.Service, user, line, code string) commands.Reply {
	tb.Helper()
	r := Do(tb, svc, user, line)
	if r.Code != code {
		tb.Fatalf("Execute(%q as %s).Code = %q; want %q\nreply:\n%s", line, user, r.Code, code, r.Doc.Text)
	}
	return r
}

// Snapshot is everything a command could change in the store.
type Snapshot struct {
	Releases     []store.Release
	Products     []store.Product
	Externals    []store.External
	Dependencies []store.Dependency
	Outbox       []store.Message
	AuditLen     int
}

// MustSnapshot reads a Snapshot of st.
func MustSnapshot(tb testing.TB, st *store.Store) Snapshot {
	tb.Helper()
	var s Snapshot
	err := st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		if s.Releases, err = tx.Releases(); err != nil {
			return err
		}
		if s.Products, err = tx.Products(); err != nil {
			return err
		}
		if s.Externals, err = tx.Externals(); err != nil {
			return err
		}
		if s.Dependencies, err = tx.Dependencies(); err != nil {
			return err
		}
		if s.Outbox, err = tx.Outbox(); err != nil {
			return err
		}
		audit, err := tx.AuditLog(0, 0)
		s.AuditLen = len(audit)
		return err
	})
	if err != nil {
		tb.Fatalf("snapshot: %v", err)
	}
	return s
}

// MustOutbox returns the queued outgoing messages.
func MustOutbox(tb testing.TB, st *store.Store) []store.Message {
	tb.Helper()
	return MustSnapshot(tb, st).Outbox
}

// MustRelease reads one release from the store.
func MustRelease(tb testing.TB, st *store.Store, ref string) *store.Release {
	tb.Helper()
	r, err := store.ParseRef(ref)
	if err != nil {
		tb.Fatalf("ParseRef(%q): %v", ref, err)
	}
	var rel *store.Release
	if err := st.View(context.Background(), func(tx *store.Tx) error {
		rel, err = tx.Release(r)
		return err
	}); err != nil {
		tb.Fatalf("Release(%s): %v", ref, err)
	}
	return rel
}

// cmpDates compares store.Date (whose field is unexported) by value.
var cmpDates = cmp.Comparer(func(a, b store.Date) bool { return a == b })

// MustDate parses an ISO date.
func MustDate(tb testing.TB, s string) store.Date {
	tb.Helper()
	d, err := store.ParseDate(s)
	if err != nil {
		tb.Fatalf("store.ParseDate(%q): %v", s, err)
	}
	return d
}

// assertUnchanged fails t if the store changed between two snapshots.
func assertUnchanged(tb testing.TB, before, after Snapshot) {
	tb.Helper()
	if diff := cmp.Diff(before, after, cmpDates); diff != "" {
		tb.Errorf("store changed (-before +after):\n%s", diff)
	}
}
