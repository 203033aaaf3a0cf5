package commands_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
	"relman/store/storetest"
)

// TestDatabaseAwayAnswersTryAgain: while the database is away a command
// answers a short "try again" (not the usage, not an internal error's
// reference) and changes nothing; once it is back the same command works.
func TestDatabaseAwayAnswersTryAgain(t *testing.T) {
	kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	down := new(atomic.Bool)
	st, err := store.New(context.Background(), storetest.AwayKV{KV: kv, Down: down}, "relman.db")
	if err != nil {
		t.Fatal(err)
	}
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC}
	req := commands.Request{User: "UALICE", Channel: defaultChannel, Command: "/release", Text: "add payments 2.3.0 2027-01-15"}

	down.Store(true)
	const want = ":warning: relman can't reach its database right now; nothing was changed. Try again in a moment."
	for _, text := range []string{req.Text, "list"} {
		r := req
		r.Text = text
		reply := svc.Execute(context.Background(), r)
		if reply.Code != store.EUnavailable || reply.Doc.Text != want {
			t.Errorf("Execute(%q) while the database is away = %q (code %q); want %q (code %q)", text, reply.Doc.Text, reply.Code, want, store.EUnavailable)
		}
		if reply.Cacheable {
			t.Errorf("Execute(%q) while the database is away is cacheable", text)
		}
	}

	down.Store(false)
	if reply := svc.Execute(context.Background(), req); !reply.OK() || !strings.Contains(reply.Doc.Text, "Added") {
		t.Errorf("Execute(%q) once the database is back = %q (code %q); want it added", req.Text, reply.Doc.Text, reply.Code)
	}
	if code := store.ErrorCode(errors.New("disk full")); code != store.EInternal {
		t.Errorf("ErrorCode(an error without ErrUnavailable) = %q; want %q: only backends say a database is away", code, store.EInternal)
	}
}
