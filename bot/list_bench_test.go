//go:build unix

package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// discardWriter is an http.ResponseWriter that counts what it is sent.
type discardWriter struct {
	h http.Header
	n int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// mustListSlack is relman's Slack handling as serve.go wires it (metrics,
// dispatcher, no reply cache) over a store without fsync holding 50
// planned releases of 10 products, a dependency of every third release on
// an earlier one (some slip, so some releases are at risk), as the load
// tool seeds it.
func mustListSlack(tb testing.TB) *Slack {
	tb.Helper()
	st, err := boltdb.Open(filepath.Join(tb.TempDir(), "relman.db"), boltdb.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	clock := store.NewFakeClock(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
	metrics := NewMetrics()
	s := &Slack{Dispatcher: &Dispatcher{Service: svc, Metrics: metrics}, Clock: clock, Metrics: metrics, NoReplyCache: true}
	today := svc.Today()
	exec := func(user, text string) {
		tb.Helper()
		if r := svc.Execute(context.Background(), commands.Request{User: user, Channel: "C0REL", Command: "/release", Text: text}); !r.OK() {
			tb.Fatalf("/release %s: %s", text, r.Doc.Text)
		}
	}
	ref := func(i int) string { return fmt.Sprintf("product-%d@1.%d.0", i%10, i/10) }
	for i := range 50 {
		exec(fmt.Sprintf("U0OWNER%d", i%10), fmt.Sprintf("add product-%d 1.%d.0 %s owner <@U0OWNER%d>", i%10, i/10, today.AddDays(7+i*180/50), i%10))
	}
	for i := 3; i < 50; i += 3 {
		text := fmt.Sprintf("depend %s on %s", ref(i), ref(i-2))
		if i%2 == 1 {
			text += " by " + today.AddDays(7+(i-2)*180/50-3).String()
		}
		exec(fmt.Sprintf("U0OWNER%d", i%10), text)
	}
	return s
}

// BenchmarkListUncached answers `/release list` (50 planned releases, a
// 50-row reply) as the HTTP handler does after verifying the request:
// Slack.Command with the reply cache off (parse, execute, render, encode
// the ephemeral acknowledgement) and writeAck. It is the CPU per request of
// relman-load -nocache, above the bare handler's work.
func BenchmarkListUncached(b *testing.B) {
	s := mustListSlack(b)
	sc := slack.SlashCommand{Command: "/release", UserID: "U0OWNER1", ChannelID: "C0REL", Text: "list"}
	ack := s.Command(context.Background(), sc)
	raw, ok := ack.Body.(json.RawMessage)
	if !ok || !json.Valid(raw) {
		b.Fatalf("list acknowledgement = %T; want valid encoded JSON", ack.Body)
	}
	b.ReportMetric(float64(len(raw)), "bytes/reply")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	cpu := processCPU(b)
	for b.Loop() {
		if status := writeAck(w, s.Command(context.Background(), sc)); status != http.StatusOK {
			b.Fatalf("writeAck = %d; want 200", status)
		}
	}
	b.ReportMetric(float64((processCPU(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time the process used so far (user and system, all
// threads, the garbage collector's included). On a loaded machine ns/op
// counts the time the benchmark waited for a core; cpu-ns/op does not.
func processCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
