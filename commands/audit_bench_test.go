package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
	"relman/store/storetest"
)

// BenchmarkAudit100k runs /release audit as an admin against 100,000
// audit entries (storetest.FillAudit): the first page of everything, of
// one product (1% of the entries), one release (0.1%), one user (10%),
// everything since a date, and a user with no entry, which reads the
// whole log to find that out (the worst case).
func BenchmarkAudit100k(b *testing.B) {
	st := MustStore(b, boltdb.Options{NoSync: true})
	storetest.FillAudit(b, st, 100_000, epoch)
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(epoch.Add(200 * time.Minute)), Loc: time.UTC, Admins: []string{root}}
	for _, bc := range []struct{ name, text string }{
		{"all", "audit"},
		{"product", "audit payments-7"},
		{"release", "audit payments-7@1.7"},
		{"user", "audit @U3"},
		{"since", "audit since 2027-01-04"},
		{"nothing", "audit @U99"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := commands.Request{User: root, Channel: defaultChannel, Command: "/release", Text: bc.text}
			b.ReportAllocs()
			for b.Loop() {
				if r := svc.Execute(context.Background(), req); !r.OK() || strings.Contains(r.Doc.Text, "before #") != (bc.name != "nothing") {
					b.Fatalf("Execute(%q) = %s, without a next page: %s", bc.text, r.Code, r.Doc.Text)
				}
			}
		})
	}
}
