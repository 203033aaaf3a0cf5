package commands_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// MustBenchStore opens a store without fsync (setup speed only) holding n
// planned releases spread over 100 products payments-0 … payments-99, and
// a dependency from every other release on a later release of its product.
func MustBenchStore(b *testing.B, n int) *store.Store {
	b.Helper()
	st := MustStore(b, boltdb.Options{NoSync: true})
	product := func(i int) string { return fmt.Sprintf("payments-%d", i%100) }
	MustPutReleases(b, st, n, product)
	err := st.Update(context.Background(), alice, epoch, func(tx *store.Tx) error {
		for i := 0; i+100 < n; i += 2 {
			d := &store.Dependency{
				Consumer:  store.Ref{Product: product(i), Version: fmt.Sprintf("1.%d", i)},
				Provider:  store.Ref{Product: product(i + 100), Version: fmt.Sprintf("1.%d", i+100)},
				CreatedAt: epoch, CreatedBy: alice,
			}
			if err := tx.PutDependency("dependency.put", d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("put dependencies: %v", err)
	}
	return st
}

// BenchmarkList10k parses and executes /release list against 10,000
// releases (about 5,000 dependencies), all of them and one product's.
func BenchmarkList10k(b *testing.B) {
	st := MustBenchStore(b, 10_000)
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC}
	for _, bc := range []struct{ name, text string }{
		{"all", "list"},
		{"product", "list payments-7"},
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

// BenchmarkAdd parses and executes /release add for a new release each
// iteration, against a real bbolt file with default settings (fsync on
// every commit). Compare it with store's BenchmarkBareCommit: the
// difference is relman's cost above one durable bbolt commit.
func BenchmarkAdd(b *testing.B) {
	benchmarkAdd(b, boltdb.Options{})
}

// BenchmarkAddNoSync is BenchmarkAdd without fsync: the CPU cost of a
// command alone.
func BenchmarkAddNoSync(b *testing.B) {
	benchmarkAdd(b, boltdb.Options{NoSync: true})
}

func benchmarkAdd(b *testing.B, opts boltdb.Options) {
	st, err := boltdb.Open(filepath.Join(b.TempDir(), "relman.db"), opts)
	if err != nil {
		b.Fatalf("boltdb.Open: %v", err)
	}
	defer st.Close()
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC}
	var i int
	b.ReportAllocs()
	for b.Loop() {
		text := fmt.Sprintf("add p%d %d.%d.0 2027-03-01", i%100, i/100, i%100)
		i++
		if r := svc.Execute(context.Background(), commands.Request{User: alice, Channel: defaultChannel, Command: "/release", Text: text}); !r.OK() {
			b.Fatalf("Execute(%q) failed: %s", text, r.Doc.Text)
		}
	}
}

// MustOrgStore writes, in one transaction without fsync, the graph of a
// large organisation into a new file and returns its path: 500 products
// payments-000 … × 20 versions 1.0.0 … 2.9.0 (10,000 releases, a release
// train every 30 days from a month after epoch, owned by alice), 30,000
// dependencies of a release on releases at most 1,500 below it (mostly of
// the previous two versions; one in ten with a needed-by date a few days
// before the consumer's target, so some edges slip), and 1,000 on 200
// external items.
func MustOrgStore(b *testing.B) string {
	b.Helper()
	const products, versions, edges, externals, extEdges, reach = 500, 20, 30_000, 200, 1_000, 1_500
	path := filepath.Join(b.TempDir(), "org.db")
	st, err := boltdb.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatalf("boltdb.Open: %v", err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(2027, 6))
	base := store.DateOf(epoch, time.UTC).AddDays(30)
	rs := make([]store.Release, products*versions)
	err = st.Update(context.Background(), alice, epoch, func(tx *store.Tx) error {
		for p := range products {
			if err := tx.PutProduct("product.create", &store.Product{Name: fmt.Sprintf("payments-%03d", p), CreatedAt: epoch, CreatedBy: alice}); err != nil {
				return err
			}
		}
		for i := range rs {
			v, p := i/products, i%products
			rs[i] = store.Release{
				Ref:    store.Ref{Product: fmt.Sprintf("payments-%03d", p), Version: fmt.Sprintf("%d.%d.0", 1+v/10, v%10)},
				Target: base.AddDays(v*30 + p*10/products + rng.IntN(3)), Owner: alice, Channel: defaultChannel,
				Status: store.Planned, CreatedAt: epoch, CreatedBy: alice,
			}
			if err := tx.PutRelease("release.add", &rs[i]); err != nil {
				return err
			}
		}
		for x := range externals {
			ext := &store.External{Name: fmt.Sprintf("Vendor SDK %d", x), Due: base.AddDays(rng.IntN(versions * 30)), Owner: bob, LastConfirmed: epoch, CreatedAt: epoch, CreatedBy: bob}
			if err := tx.PutExternal("external.add", ext); err != nil {
				return err
			}
		}
		seen := make(map[[2]int]bool)
		for len(seen) < edges+extEdges {
			c := 1 + rng.IntN(len(rs)-1)
			d := &store.Dependency{Consumer: rs[c].Ref, CreatedAt: epoch, CreatedBy: alice}
			k := [2]int{c, -1 - rng.IntN(externals)}
			if len(seen) < edges {
				k[1] = c - 1 - rng.IntN(min(c, reach))
				d.Provider = rs[k[1]].Ref
				if rng.IntN(10) == 0 {
					d.NeededBy = rs[c].Target.AddDays(-rng.IntN(7))
				}
			} else {
				d.External = store.ExternalKey(fmt.Sprintf("Vendor SDK %d", -1-k[1]))
			}
			if seen[k] {
				continue
			}
			seen[k] = true
			if err := tx.PutDependency("dependency.add", d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("seed: %v", err)
	}
	return path
}

// BenchmarkMoveThenLookup10k is the first lookup after a change at the
// scale of a large organisation (10,000 releases, 31,000 dependencies):
// each iteration moves payments-000@2.0.0 (alternately a day later and
// back) and then shows it or its impact, through Service.Execute against
// the file MustOrgStore wrote. move/op and lookup/op split the time. The
// store applies the move to the Graph it shares, so the lookup does not
// decode the data again; OtherProcess has the move made through a second
// Store on the same database, as another process would, so the lookup has
// to decode everything (what every lookup after a change cost before). The
// plain variants commit with fsync, NoSync without. NoMove repeats the
// lookup with no change in between: the floor, where the Graph's at-risk
// answer of the day is computed once.
func BenchmarkMoveThenLookup10k(b *testing.B) {
	path := MustOrgStore(b)
	const ref = "payments-000@2.0.0"
	for _, bc := range []struct {
		name, lookup          string
		noSync, other, noMove bool
	}{
		{"show", "show " + ref, false, false, false},
		{"impact", "impact " + ref, false, false, false},
		{"show/NoSync", "show " + ref, true, false, false},
		{"impact/NoSync", "impact " + ref, true, false, false},
		{"show/OtherProcess", "show " + ref, true, true, false},
		{"list/NoSync", "list", true, false, false},
		{"show/NoMove", "show " + ref, true, false, true},
		{"list/NoMove", "list", true, false, true},
		{"impact/NoMove", "impact " + ref, true, false, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			kv, err := boltdb.OpenKV(path, boltdb.Options{NoSync: bc.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer kv.Close()
			newService := func() *commands.Service {
				st, err := store.New(context.Background(), kv, path)
				if err != nil {
					b.Fatal(err)
				}
				return &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC}
			}
			svc := newService()
			mover := svc
			if bc.other {
				mover = newService()
			}
			var target store.Date
			if err := svc.Store.View(context.Background(), func(tx *store.Tx) error {
				r, err := tx.Release(store.Ref{Product: "payments-000", Version: "2.0.0"})
				if err == nil {
					target = r.Target
				}
				return err
			}); err != nil {
				b.Fatal(err)
			}
			do := func(s *commands.Service, text string) time.Duration {
				start := time.Now()
				if r := s.Execute(context.Background(), commands.Request{User: alice, Channel: defaultChannel, Command: "/release", Text: text}); !r.OK() {
					b.Fatalf("Execute(%q) failed: %s", text, r.Doc.Text)
				}
				return time.Since(start)
			}
			do(svc, bc.lookup) // the Graph of the seeded data is shared from here on
			var move, lookup time.Duration
			var i int
			b.ReportAllocs()
			for b.Loop() {
				text := fmt.Sprintf("move %s %s because bench", ref, target.AddDays(1))
				if i%2 == 1 {
					text = fmt.Sprintf("move %s %s", ref, target)
				}
				i++
				if !bc.noMove {
					move += do(mover, text)
				}
				lookup += do(svc, bc.lookup)
			}
			b.ReportMetric(float64(move.Microseconds())/1e3/float64(i), "move-ms/op")
			b.ReportMetric(float64(lookup.Microseconds())/1e3/float64(i), "lookup-ms/op")
		})
	}
}
