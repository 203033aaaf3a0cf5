package bot

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/store"
	"relman/store/boltdb"
)

// TestConsoleClockKept: :advance keeps how far ahead of the real time the
// console's clock stands in the database, and :now says where it stands.
func TestConsoleClockKept(t *testing.T) {
	st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	wall := store.NewFakeClock(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	clock := store.NewFakeClock(wall.Now())
	var out bytes.Buffer
	con := &Console{
		Dispatcher: &Dispatcher{Service: &commands.Service{Store: st, Clock: clock, Loc: time.UTC}}, Outbox: NewConsoleOutbox(st, clock, &out),
		Clock: clock, In: strings.NewReader(":now\n:advance 3w\n:advance 90m\n:now\n"), Out: &out, User: "alex", Channel: "releases",
		Real: wall, SaveClock: st.SetConsoleClock,
	}
	if err := con.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Mon 2027-01-04 09:00 UTC on the console's clock, the real time.",
		"Mon 2027-01-25 10:30 UTC on the console's clock, 21 days 1 hour 30 minutes ahead of the real time.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console output:\n%s\nwant %q", out.String(), want)
		}
	}
	ahead, err := st.ConsoleClock(context.Background())
	if want := 21*24*time.Hour + 90*time.Minute; err != nil || ahead != want {
		t.Errorf("ConsoleClock() = %v, %v; want %v", ahead, err, want)
	}
}
