package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/store"
	"relman/store/boltdb"
)

// BenchmarkMovePreview previews a move (`move … preview`) at the scale of
// a large organisation (MustOrgStore: 10,000 releases, 31,000
// dependencies), through Service.Execute: the move's own code in a write
// transaction that is rolled back, then the report. The store's Graph is
// shared, as after any lookup or change in this process. "small" moves a
// mid-train release a day later; "wide" moves a first-train release two
// months later, so that thousands of releases downstream are walked and
// many become at risk.
func BenchmarkMovePreview(b *testing.B) {
	path := MustOrgStore(b)
	for _, bc := range []struct{ name, ref string }{
		{"small", "payments-000@2.0.0"},
		{"wide", "payments-000@1.0.0"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			kv, err := boltdb.OpenKV(path, boltdb.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer kv.Close()
			st, err := store.New(context.Background(), kv, path)
			if err != nil {
				b.Fatal(err)
			}
			svc := &commands.Service{Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC}
			ref, _ := store.ParseRef(bc.ref)
			var target store.Date
			if err := st.View(context.Background(), func(tx *store.Tx) error {
				r, err := tx.Release(ref)
				if err == nil {
					target = r.Target
				}
				return err
			}); err != nil {
				b.Fatal(err)
			}
			days := 1
			if bc.name == "wide" {
				days = 60
			}
			text := fmt.Sprintf("move %s %s because bench preview", bc.ref, target.AddDays(days))
			req := commands.Request{User: alice, Channel: defaultChannel, Command: "/release", Text: text}
			// A lookup shares the Graph, as the sweep or any lookup does.
			svc.Execute(context.Background(), commands.Request{User: alice, Channel: defaultChannel, Command: "/release", Text: "show " + bc.ref})
			r := svc.Execute(context.Background(), req)
			if !r.OK() || !strings.Contains(r.Doc.Text, "Preview, nothing saved") {
				b.Fatalf("Execute(%q) = %s", text, r.Doc.Text)
			}
			b.Logf("%s: %s", bc.name, strings.SplitN(r.Doc.Text, "\n", 4)[2])
			b.ReportAllocs()
			for b.Loop() {
				if r := svc.Execute(context.Background(), req); !r.OK() {
					b.Fatalf("Execute(%q) failed: %s", text, r.Doc.Text)
				}
			}
		})
	}
}
