package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRunConsoleClockSurvivesRestart: the console's clock, moved with
// :advance, starts where it stood when the console is started again on
// the same database, and :now says where it stands.
func TestRunConsoleClockSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "relman.db")
	console := func(input string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if err := run(t.Context(), []string{"console"}, getenv(map[string]string{"RELMAN_DB": db}), strings.NewReader(input), &out, &errb); err != nil {
			t.Fatalf("run(console) = %v; stderr:\n%s", err, errb.String())
		}
		return out.String()
	}
	first := console("add payments 2.3.0 +2w\n:now\n:advance 3w\n:now\n")
	if !strings.Contains(first, "(in 14 days)") {
		t.Fatalf("adding a release 2 weeks out:\n%s\nwant it in 14 days", first)
	}
	if !strings.Contains(first, "on the console's clock, the real time.") || !strings.Contains(first, "on the console's clock, 21 days ahead of the real time") {
		t.Errorf(":now before and after :advance 3w:\n%s\nwant the real time, then 21 days ahead", first)
	}

	second := console(":now\nshow payments@2.3.0\nlist\n")
	if !strings.Contains(second, "21 days ahead of the real time") {
		t.Errorf("after a restart :now says:\n%s\nwant the clock still 21 days ahead", second)
	}
	if strings.Contains(second, "in 14 days") || !strings.Contains(second, "7 days ago") {
		t.Errorf("after a restart the release 2 weeks out reads:\n%s\nwant 7 days ago (the clock kept), not in 14 days", second)
	}
	// Both :now lines show the same day: the kept clock, not the real one.
	day := regexp.MustCompile(`\w{3} \d{4}-\d{2}-\d{2}`)
	if a, b := day.FindAllString(first, -1), day.FindString(second); len(a) == 0 || a[len(a)-1] != b {
		t.Errorf("the clock after :advance stood at %q; after a restart at %q", a, b)
	}
}
