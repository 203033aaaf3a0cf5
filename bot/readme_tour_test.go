package bot

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadmeTour: the console session the README shows is the transcript
// testdata/transcripts/tour.txt, which TestTranscripts replays, so the tour
// is real output and can't drift from what relman says.
func TestReadmeTour(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	tour, err := os.ReadFile("testdata/transcripts/tour.txt")
	if err != nil {
		t.Fatal(err)
	}
	const head = "$ go run . < session.txt     # the lines after \"> \" below, one per line\n"
	_, block, ok := strings.Cut(string(readme), "```text\n"+head)
	if !ok {
		t.Fatalf("README.md has no console tour starting %q", head)
	}
	block, _, ok = strings.Cut(block, "```\n")
	if !ok {
		t.Fatal("README.md's console tour has no end")
	}
	if diff := cmp.Diff(string(tour), block); diff != "" {
		t.Errorf("README.md's console tour differs from testdata/transcripts/tour.txt (-transcript +README):\n%s", diff)
	}
}
