package commands_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// MustStagedOrgStore is MustOrgStore's organisation with stages: every
// product goes build → test → staging → production, every release plans
// the three (6, 4 and 2 days before its target), and every third
// dependency on a release needs its provider in one of them (10,000
// releases, 31,000 edges, about 10,000 of them in a stage).
func MustStagedOrgStore(b *testing.B) string {
	b.Helper()
	path := MustOrgStore(b)
	st, err := boltdb.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	err = st.Update(context.Background(), alice, epoch, func(tx *store.Tx) error {
		ps, err := tx.Products()
		if err != nil {
			return err
		}
		for i := range ps {
			ps[i].Pipeline = benchPipeline
			if err := tx.PutProduct("product.pipeline", &ps[i]); err != nil {
				return err
			}
		}
		rs, err := tx.Releases()
		if err != nil {
			return err
		}
		for i := range rs {
			mustPlanStages(b, &rs[i])
			if err := tx.PutRelease("release.stage", &rs[i]); err != nil {
				return err
			}
		}
		ds, err := tx.Dependencies()
		if err != nil {
			return err
		}
		for i := range ds {
			if ds[i].IsExternal() || i%3 != 0 {
				continue
			}
			ds[i].Stage = benchPipeline[i%9/3]
			if err := tx.PutDependency("dependency.put", &ds[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("stage the organisation: %v", err)
	}
	return path
}

// BenchmarkPromoteThenShow10k is the first show after a promotion at the
// scale of BenchmarkMoveThenLookup10k, with stages (MustStagedOrgStore):
// each iteration promotes the next release to its build, test or staging
// stage (the earlier ones reached with it) through Service.Execute, then
// shows it. promote-ms/op and show-ms/op split the time; NoSync commits
// without fsync.
func BenchmarkPromoteThenShow10k(b *testing.B) {
	path := MustStagedOrgStore(b)
	for _, bc := range []struct {
		name   string
		noSync bool
	}{{"fsync", false}, {"NoSync", true}} {
		b.Run(bc.name, func(b *testing.B) {
			path := mustCopyFile(b, path) // each run promotes every release once
			kv, err := boltdb.OpenKV(path, boltdb.Options{NoSync: bc.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer kv.Close()
			st, err := store.New(context.Background(), kv, path)
			if err != nil {
				b.Fatal(err)
			}
			svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC}
			do := func(text string) time.Duration {
				start := time.Now()
				if r := svc.Execute(context.Background(), commands.Request{User: alice, Channel: defaultChannel, Command: "/release", Text: text}); !r.OK() {
					b.Fatalf("Execute(%q) failed: %s", text, r.Doc.Text)
				}
				return time.Since(start)
			}
			do("show payments-000@1.0.0") // the Graph of the seeded data is shared from here on
			var promote, show time.Duration
			var i int
			b.ReportAllocs()
			for b.Loop() {
				// Stage k of the releases in turn: 500 products × 20 versions,
				// a release promoted once per stage.
				ref := fmt.Sprintf("payments-%03d@%d.%d.0", i%500, 1+i/500%20/10, i/500%10)
				stage := benchPipeline[i/10_000%3]
				if i++; i > 30_000 {
					b.Fatal("every release reached staging: run fewer iterations")
				}
				promote += do("promote " + ref + " to " + stage)
				show += do("show " + ref)
			}
			b.ReportMetric(float64(promote.Microseconds())/1e3/float64(i), "promote-ms/op")
			b.ReportMetric(float64(show.Microseconds())/1e3/float64(i), "show-ms/op")
		})
	}
}

// mustCopyFile copies the file at path into a new temporary file and
// returns its path.
func mustCopyFile(b *testing.B, path string) string {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(b.TempDir(), filepath.Base(path))
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return dst
}
