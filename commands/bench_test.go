package commands_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"relman/commands"
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
	svc := &commands.Service{Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC}
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
	svc := &commands.Service{Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC}
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
