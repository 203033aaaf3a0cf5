package bot

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// TestReplyCacheSeesOtherProcessesChanges has two relman servers share one
// database, as two processes would: a lookup cached by one is answered
// again after the other changes the data, never from the cache.
func TestReplyCacheSeesOtherProcessesChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relman.db")
	kv, err := boltdb.OpenKV(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	clock := store.NewFakeClock(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	var servers [2]*Slack
	for i := range servers {
		st, err := store.New(context.Background(), kv, path)
		if err != nil {
			t.Fatal(err)
		}
		svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
		servers[i] = &Slack{Dispatcher: &Dispatcher{Service: svc}, Clock: clock}
	}
	do := func(s *Slack, text string) string {
		t.Helper()
		ack := s.Command(context.Background(), slack.SlashCommand{Command: "/release", UserID: "U1", ChannelID: "C1", Text: text})
		b, err := json.Marshal(ack.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	do(servers[0], "add payments 2.3.0 2027-01-15")
	if got := do(servers[1], "list"); !strings.Contains(got, "payments@2.3.0") {
		t.Fatalf("list = %s; want payments@2.3.0", got)
	}
	do(servers[1], "list") // cached
	do(servers[0], "add auth 1.4.0 2027-01-10")
	if got := do(servers[1], "list"); !strings.Contains(got, "auth@1.4.0") {
		t.Errorf("list on one server after another added auth@1.4.0 = %s; want it listed (a stale cached reply was served)", got)
	}
}
