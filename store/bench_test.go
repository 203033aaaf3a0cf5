package store_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"relman/store"
	"relman/store/boltdb"
)

// The benchmark graph: 500 products × 20 versions. Release i is version
// i/500 of product i%500, so lower indices are older versions; its target
// date grows with the version (a release train every 30 days) with a few
// days of jitter. Each release depends on about three releases at lower
// indices, mostly of the previous two versions (edges only go from higher to
// lower index, so the graph is a DAG), and some on external items. As of
// "today" (during version 10) 98% of the releases whose date has passed have
// shipped; 1% of the rest are cancelled.
const (
	benchProducts  = 500
	benchVersions  = 20
	benchReleases  = benchProducts * benchVersions
	benchEdges     = 30_000 // release → release
	benchExternals = 200
	benchExtEdges  = 1_000 // release → external item
	benchReach     = 1_500 // how far below its index a release picks providers
)

type benchData struct {
	products  []store.Product
	releases  []store.Release
	externals []store.External
	deps      []store.Dependency
	today     store.Date
}

func newBenchData(tb testing.TB) *benchData {
	tb.Helper()
	rng := rand.New(rand.NewPCG(2027, 115))
	base := MustDate(tb, "2027-01-04")
	at := time.Date(2027, time.January, 4, 9, 0, 0, 0, time.UTC)
	d := &benchData{today: base.AddDays(10*30 + 15)}

	for p := range benchProducts {
		d.products = append(d.products, store.Product{Name: fmt.Sprintf("product-%03d", p), CreatedAt: at, CreatedBy: "UBENCH"})
	}
	d.releases = make([]store.Release, benchReleases)
	for i := range d.releases {
		v, p := i/benchProducts, i%benchProducts
		target := base.AddDays(v*30 + p*10/benchProducts + rng.IntN(3))
		r := store.Release{
			Ref:    store.Ref{Product: d.products[p].Name, Version: fmt.Sprintf("%d.%d.0", 1+v/10, v%10)},
			Target: target, Owner: fmt.Sprintf("U%04d", p), Channel: fmt.Sprintf("C%03d", p%50),
			Status: store.Planned, CreatedAt: at, CreatedBy: "UBENCH",
			History: []store.HistoryEntry{{Kind: "added", To: target, By: "UBENCH", At: at}},
		}
		switch {
		case target.Before(d.today) && rng.IntN(50) != 0: // 2% are overdue
			r.Status, r.ShippedOn = store.Shipped, target
		case rng.IntN(100) == 0:
			r.Status = store.Cancelled
		}
		d.releases[i] = r
	}
	for x := range benchExternals {
		d.externals = append(d.externals, store.External{
			Name: fmt.Sprintf("Vendor SDK %d", x), Due: base.AddDays(rng.IntN(benchVersions * 30)),
			Owner: "UVENDOR", LastConfirmed: at, CreatedAt: at, CreatedBy: "UBENCH",
		})
	}

	type edge struct{ c, p int }
	seen := make(map[edge]bool, benchEdges)
	for len(d.deps) < benchEdges {
		c := 1 + rng.IntN(benchReleases-1)
		p := c - 1 - rng.IntN(min(c, benchReach))
		if seen[edge{c, p}] {
			continue
		}
		seen[edge{c, p}] = true
		dep := store.Dependency{Consumer: d.releases[c].Ref, Provider: d.releases[p].Ref, CreatedAt: at, CreatedBy: "UBENCH"}
		if rng.IntN(10) == 0 {
			dep.NeededBy = d.releases[c].Target.AddDays(-rng.IntN(7))
		}
		d.deps = append(d.deps, dep)
	}
	for len(d.deps) < benchEdges+benchExtEdges {
		c, x := rng.IntN(benchReleases), rng.IntN(benchExternals)
		if seen[edge{c, -1 - x}] {
			continue
		}
		seen[edge{c, -1 - x}] = true
		d.deps = append(d.deps, store.Dependency{
			Consumer: d.releases[c].Ref, External: store.ExternalKey(d.externals[x].Name), CreatedAt: at, CreatedBy: "UBENCH",
		})
	}
	return d
}

// MustBenchStore writes d into a new store file under tb.TempDir() in one
// transaction and returns the store, open, and a second Store on the same
// database (as another process would have). It is opened without fsync,
// which only makes setup (and the commits LoadAndAtRisk uses to invalidate
// the shared Graph) faster; reads are the same.
func MustBenchStore(tb testing.TB, d *benchData) (*store.Store, *store.Store) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "bench.db")
	kv, err := boltdb.OpenKV(path, boltdb.Options{NoSync: true})
	if err != nil {
		tb.Fatalf("OpenKV(%q) = %v", path, err)
	}
	tb.Cleanup(func() { kv.Close() })
	var ss [2]*store.Store
	for i := range ss {
		if ss[i], err = store.New(context.Background(), kv, path); err != nil {
			tb.Fatalf("New() = %v", err)
		}
	}
	s := ss[0]
	MustUpdate(tb, s, "UBENCH", time.Date(2027, time.January, 4, 9, 0, 0, 0, time.UTC), func(tx *store.Tx) error {
		for i := range d.products {
			if err := tx.PutProduct("product.create", &d.products[i]); err != nil {
				return err
			}
		}
		for i := range d.releases {
			if err := tx.PutRelease("release.add", &d.releases[i]); err != nil {
				return err
			}
		}
		for i := range d.externals {
			if err := tx.PutExternal("external.add", &d.externals[i]); err != nil {
				return err
			}
		}
		for i := range d.deps {
			if err := tx.PutDependency("dependency.add", &d.deps[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return ss[0], ss[1]
}

// BenchmarkGraph10k measures the dependency graph at the scale of a large
// organisation. A Graph remembers AtRisk for the last date asked, and the
// store shares one Graph among readers until the next commit; the plain
// sub-benchmarks measure the work those caches save (alternating between two
// dates defeats the first, a commit by another process before each
// iteration the second), the Cached ones a hit.
func BenchmarkGraph10k(b *testing.B) {
	d := newBenchData(b)
	days := [2]store.Date{d.today, d.today.AddDays(1)}

	b.Run("NewGraph", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			store.NewGraph(d.releases, d.externals, d.deps)
		}
	})

	g := store.NewGraph(d.releases, d.externals, d.deps)
	b.Run("AtRisk", func(b *testing.B) {
		b.ReportAllocs()
		var i, n int
		for b.Loop() {
			n = len(g.AtRisk(days[i%2]))
			i++
		}
		b.ReportMetric(float64(n), "at-risk")
		b.ReportMetric(float64(len(g.Slips(d.today))), "slips")
	})

	b.Run("AtRiskCached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			g.AtRisk(d.today)
		}
	})

	b.Run("Impact", func(b *testing.B) {
		// The oldest release of the first product: nearly everything newer
		// depends on it, directly or through others.
		root := d.releases[0].Key()
		b.ReportAllocs()
		var i, n int
		for b.Loop() {
			n = len(g.Impact(root, days[i%2]))
			i++
		}
		b.ReportMetric(float64(n), "downstream")
	})

	s, other := MustBenchStore(b, d)
	atRisk := func(b *testing.B) int {
		var n int
		err := s.View(context.Background(), func(tx *store.Tx) error {
			g, err := tx.Graph()
			if err != nil {
				return err
			}
			n = len(g.AtRisk(d.today))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return n
	}

	b.Run("LoadAndAtRisk", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			b.StopTimer()
			// A change to the domain by another process, so the shared
			// graph must be decoded again.
			MustUpdate(b, other, "UBENCH", time.Date(2027, time.January, 4, 9, 0, 0, 0, time.UTC), func(tx *store.Tx) error {
				return tx.PutProduct("product.touch", &store.Product{Name: "bench-touch"})
			})
			b.StartTimer()
			n = atRisk(b)
		}
		b.ReportMetric(float64(n), "at-risk")
	})

	// A move as the move command makes it (the release put, the Graph
	// read in the same transaction), then the first Graph a reader gets.
	// move/op includes applying the change to the shared Graph at commit
	// (no fsync: MustBenchStore opens without it); graph/op is the reader's
	// Graph() alone, which used to decode everything (LoadAndAtRisk).
	b.Run("MoveThenGraph", func(b *testing.B) {
		r := d.releases[benchReleases/2]
		atRisk(b) // the shared Graph of the current generation
		var move, graph time.Duration
		var n int
		b.ReportAllocs()
		for b.Loop() {
			r.Target = r.Target.AddDays(1 - 2*(n%2))
			n++
			start := time.Now()
			MustUpdate(b, s, "UBENCH", time.Date(2027, time.January, 4, 9, 0, 0, 0, time.UTC), func(tx *store.Tx) error {
				if err := tx.PutRelease("release.move", &r); err != nil {
					return err
				}
				_, err := tx.Graph()
				return err
			})
			mid := time.Now()
			MustView(b, s, func(tx *store.Tx) error {
				g, err := tx.Graph()
				if err == nil && g.Release(r.Ref).Target != r.Target {
					b.Fatalf("Graph() after moving %s has target %s; want %s", r.Ref, g.Release(r.Ref).Target, r.Target)
				}
				return err
			})
			move, graph = move+mid.Sub(start), graph+time.Since(mid)
		}
		b.ReportMetric(float64(move.Microseconds())/float64(n), "move-µs/op")
		b.ReportMetric(float64(graph.Microseconds())/float64(n), "graph-µs/op")
	})

	b.Run("LoadAndAtRiskCached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			atRisk(b)
		}
	})
}

// BenchmarkBareCommit is the floor under every command: one bbolt
// read-write transaction putting one key, with bbolt's default fsync on
// commit, on a real file. Compare it with BenchmarkStoreAddRelease and the
// commands package's benchmarks.
func BenchmarkBareCommit(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bare.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		b.Fatalf("bolt.Open(%q) = %v", path, err)
	}
	defer db.Close()
	bucket := []byte("bench")
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket(bucket)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 256)
	var i uint64
	b.ReportAllocs()
	for b.Loop() {
		i++
		err := db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucket).Put(binary.BigEndian.AppendUint64(nil, i), value)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreAddRelease is what /release add writes, through the store,
// with default (fsync) settings: look the release and product up, create
// the product for every 20th release, put the release (and its audit
// entries) and enqueue the channel message, all in one Update.
func BenchmarkStoreAddRelease(b *testing.B) {
	s := MustOpen(b, filepath.Join(b.TempDir(), "relman.db"))
	at := time.Date(2027, time.January, 4, 9, 0, 0, 0, time.UTC)
	target := MustDate(b, "2027-03-01")
	var i int
	b.ReportAllocs()
	for b.Loop() {
		ref := store.Ref{Product: fmt.Sprintf("product-%d", i/20), Version: fmt.Sprintf("1.%d.0", i%20)}
		i++
		err := s.Update(context.Background(), "UBENCH", at, func(tx *store.Tx) error {
			if _, err := tx.Release(ref); store.ErrorCode(err) != store.ENotFound {
				return fmt.Errorf("Release(%s) = %v; want not found", ref, err)
			}
			if _, err := tx.Product(ref.Product); store.ErrorCode(err) == store.ENotFound {
				if err := tx.PutProduct("product.create", &store.Product{Name: ref.Product, CreatedAt: at, CreatedBy: "UBENCH"}); err != nil {
					return err
				}
			} else if err != nil {
				return err
			}
			r := &store.Release{
				Ref: ref, Target: target, Owner: "UBENCH", Channel: "CBENCH", Status: store.Planned, CreatedAt: at, CreatedBy: "UBENCH",
				History: []store.HistoryEntry{{Kind: "added", To: target, By: "UBENCH", At: at}},
			}
			if err := tx.PutRelease("release.add", r); err != nil {
				return err
			}
			return tx.Enqueue(&store.Message{Channel: r.Channel, Doc: store.Doc{Text: "added " + ref.String()}})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVoteBurst is a burst of 500 concurrent single-record writes
// (one ledger key each, as small as a vote), on a real bbolt file with
// fsync: "Update" commits each write on its own, "Batch" lets Store.Batch
// group the concurrent ones into shared commits. One op is one burst; every
// write is on disk when its call returns. writes/s is the throughput.
func BenchmarkVoteBurst(b *testing.B) {
	const burst = 500
	at := time.Date(2027, time.January, 4, 9, 0, 0, 0, time.UTC)
	for _, mode := range []string{"Update", "Batch"} {
		b.Run(mode, func(b *testing.B) {
			s := MustOpen(b, filepath.Join(b.TempDir(), "relman.db"))
			write := s.Update
			if mode == "Batch" {
				write = s.Batch
			}
			round := 0
			for b.Loop() {
				round++
				var wg sync.WaitGroup
				errs := make(chan error, burst)
				for i := range burst {
					key := fmt.Sprintf("vote:%d:%d", round, i)
					wg.Go(func() {
						errs <- write(context.Background(), "U1", at, func(tx *store.Tx) error {
							_, err := tx.MarkSent(key)
							return err
						})
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(burst*b.N)/b.Elapsed().Seconds(), "writes/s")
		})
	}
}

// BenchmarkEffectsOf10k measures EffectsOf on the benchmark graph for a
// move 20 days later, scoped to the moved release (what a command pays),
// and over the whole graphs (what scoping saves). Mid is a release in the
// middle of the train; Root the oldest release of the first product, which
// nearly everything newer depends on.
func BenchmarkEffectsOf10k(b *testing.B) {
	d := newBenchData(b)
	before := store.NewGraph(d.releases, d.externals, d.deps)
	for _, bc := range []struct {
		name string
		i    int
	}{{"Mid", benchReleases / 2}, {"Root", 0}} {
		rels := slices.Clone(d.releases)
		rels[bc.i].Status = store.Planned
		rels[bc.i].Target = d.today.AddDays(20)
		after := store.NewGraph(rels, d.externals, d.deps)
		key := rels[bc.i].Key()
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var fx store.Effects
			for b.Loop() {
				fx = store.EffectsOf(before, after, d.today, key)
			}
			b.ReportMetric(float64(len(fx.Changed)), "changed")
			b.ReportMetric(float64(len(fx.NewlyAtRisk)), "newly-at-risk")
		})
		b.Run(bc.name+"Whole", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// Fresh Graphs: AtRisk is remembered per Graph.
				b.StopTimer()
				g0, g1 := store.NewGraph(d.releases, d.externals, d.deps), store.NewGraph(rels, d.externals, d.deps)
				b.StartTimer()
				store.EffectsOf(g0, g1, d.today)
			}
		})
	}
}
