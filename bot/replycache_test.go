package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// TestReplyCache checks that lookups are answered from memory only while
// nothing they depend on changed: the store, the date, the user, the text.
func TestReplyCache(t *testing.T) {
	st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := store.NewFakeClock(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
	s := &Slack{Dispatcher: &Dispatcher{Service: svc}, Clock: clock}
	do := func(user, text string) string {
		t.Helper()
		ack := s.Command(context.Background(), slack.SlashCommand{Command: "/release", UserID: user, ChannelID: "C1", Text: text})
		b, err := json.Marshal(ack.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	entries := func() int {
		s.replies.mu.Lock()
		defer s.replies.mu.Unlock()
		return len(s.replies.entries)
	}

	do("U1", "add payments 2.3.0 2027-01-15")
	if n := entries(); n != 0 {
		t.Fatalf("after a change the cache holds %d replies; want 0 (changes are never cached)", n)
	}
	first := do("U1", "list")
	if n := entries(); n != 1 {
		t.Fatalf("after one list the cache holds %d replies; want 1", n)
	}
	if again := do("U1", "list"); again != first {
		t.Errorf("a repeated list differs:\n%s\n%s", first, again)
	}
	if n := entries(); n != 1 {
		t.Errorf("after a repeated list the cache holds %d replies; want still 1", n)
	}
	do("U2", "list")
	if n := entries(); n != 2 {
		t.Errorf("lists by two users cached as %d replies; want 2 (list mine differs by user)", n)
	}

	t.Run("ChangeInvalidates", func(t *testing.T) {
		do("U1", "add auth 1.4.0 2027-01-10")
		if got := do("U1", "list"); !strings.Contains(got, "auth@1.4.0") {
			t.Errorf("list after an add = %s; want it to show auth@1.4.0", got)
		}
	})
	t.Run("NewDayInvalidates", func(t *testing.T) {
		before := do("U1", "list")
		clock.Advance(24 * time.Hour)
		after := do("U1", "list")
		if before == after || !strings.Contains(after, "in 10 days") {
			t.Errorf("list a day later = %s; want the new day's countdown (in 10 days)", after)
		}
	})
	t.Run("ErrorsAreNotCached", func(t *testing.T) {
		n := entries()
		do("U1", "show nosuch@1.0")
		if entries() != n {
			t.Errorf("an error reply was cached")
		}
	})
}

// TestCachedReplyOutlivesItsBuffer: a reply written with writeAck hands its
// encoding buffer back for the next reply; the copy the cache keeps must
// not change when the next, different reply is encoded into that buffer.
func TestCachedReplyOutlivesItsBuffer(t *testing.T) {
	st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := store.NewFakeClock(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
	s := &Slack{Dispatcher: &Dispatcher{Service: svc}, Clock: clock}
	write := func(user, text string) string {
		t.Helper()
		rec := httptest.NewRecorder()
		if status := writeAck(rec, s.Command(context.Background(), slack.SlashCommand{Command: "/release", UserID: user, ChannelID: "C1", Text: text})); status != http.StatusOK {
			t.Fatalf("writeAck(/release %s) = %d; want 200", text, status)
		}
		if got, want := rec.Header().Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
			t.Errorf("Content-Length = %q; want %q", got, want)
		}
		return rec.Body.String()
	}
	write("U1", "add payments 2.3.0 2027-01-15")
	write("U2", "add auth 1.4.0 2027-01-10 owner <@U2>")
	first := write("U1", "list payments")
	other := write("U2", "list auth")
	if other == first || !strings.Contains(first, "payments@2.3.0") || !strings.Contains(other, "auth@1.4.0") {
		t.Fatalf("the two lists should differ:\n%s\n%s", first, other)
	}
	if again := write("U1", "list payments"); again != first {
		t.Errorf("cached reply changed after its buffer was reused:\n got %s\nwant %s", again, first)
	}
}
