package bot

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// transcriptStart is the fake clock's start for every transcript: Monday
// 2027-01-04 09:00 UTC.
var transcriptStart = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)

// restartMarker in a transcript closes the store and starts a new console
// session on the same file, to show what persists.
const restartMarker = "-- restart --"

// zoneMarker, followed by a zone name, starts a transcript whose workspace
// zone (RELMAN_TZ) is that zone instead of UTC; it must come first.
const zoneMarker = "-- workspace zone "

// TestTranscripts replays every console session under testdata/transcripts:
// the lines starting with "> " are typed into the console, and the whole
// output must equal the file. Run with -update to rewrite the files after a
// deliberate change of wording.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/transcripts/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no transcripts found")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := replay(t, string(want))
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(want) {
				t.Errorf("transcript %s differs (-want +got):\n%s", file, cmp.Diff(string(want), got))
			}
		})
	}
}

// replay runs the inputs of a transcript and returns the session's output.
func replay(t *testing.T, transcript string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "relman.db")
	clock := store.NewFakeClock(transcriptStart)
	var out bytes.Buffer
	var session []string
	user, channel := "alex", "releases"
	var zones map[string]*time.Location
	loc := time.UTC
	if first, _, _ := strings.Cut(transcript, "\n"); strings.HasPrefix(first, zoneMarker) {
		var err error
		if loc, err = time.LoadLocation(strings.TrimSuffix(strings.TrimPrefix(first, zoneMarker), " --")); err != nil {
			t.Fatal(err)
		}
		out.WriteString(first + "\n")
	}
	pictures := t.TempDir() // printed as <pictures>
	flush := func() {
		if session == nil {
			return
		}
		st, err := boltdb.Open(db, boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: loc, Admins: []string{"root"}}
		// The sweep runs as relman runs it by default, every 15 minutes.
		sweep := &reminders.Sweep{Store: st, Loc: loc, Checks: reminders.Checks, Horizon: reminders.LedgerHorizon}
		sched, err := reminders.NewScheduler("*/15 * * * *", loc, clock, sweep.Job(), nil)
		if err != nil {
			t.Fatal(err)
		}
		con := &Console{
			Dispatcher: &Dispatcher{Service: svc}, Outbox: NewConsoleOutbox(st, clock, &out), Clock: clock,
			In: strings.NewReader(strings.Join(session, "\n")), Out: &out, User: user, Channel: channel, Zones: zones,
			Sweep: sweep.Job(), SweepAt: sched.Next, Pictures: pictures,
		}
		if err := con.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		user, channel, zones = con.User, con.Channel, con.Zones
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		session = session[:0]
	}
	for _, line := range strings.Split(transcript, "\n") {
		switch {
		case line == restartMarker:
			flush()
			out.WriteString(restartMarker + "\n")
		case strings.HasPrefix(line, "> "):
			session = append(session, strings.TrimPrefix(line, "> "))
		}
	}
	flush()
	// Calendar feed tokens are random and pictures go to a temporary
	// directory: a transcript shows where they go.
	return feedTokenRE.ReplaceAllString(strings.ReplaceAll(out.String(), pictures, "<pictures>"), "/calendar/‹token›.ics")
}

var feedTokenRE = regexp.MustCompile(`/calendar/[A-Za-z0-9_-]{32}\.ics`)
