package commands_test

import (
	"context"
	"testing"
	"time"

	"relman/commands"
	"relman/reminders"
	"relman/store"
)

// BenchmarkShowImpact10k runs show and impact against 10,000 releases once
// the graph is loaded: what they cost above the graph, which walks only the
// release's upstream (show) or downstream set (impact), never the whole graph.
func BenchmarkShowImpact10k(b *testing.B) {
	st := MustBenchStore(b, 10_000)
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC}
	for _, bc := range []struct{ name, text string }{
		{"show", "show payments-0@1.0"},
		{"impact", "impact payments-98@1.9998"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := commands.Request{User: alice, Channel: defaultChannel, Command: "/release", Text: bc.text}
			b.ReportAllocs()
			for b.Loop() {
				if r := svc.Execute(context.Background(), req); !r.OK() {
					b.Fatalf("Execute(%q) failed: %s", bc.text, r.Doc.Text)
				}
			}
		})
	}
}
