package commands_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// MustDueCheckStore opens a store without fsync holding n planned
// releases with 3 dependencies each (fewer for the first few): 95% of
// them form a chain of products whose providers come earlier (on track,
// targets spread over 60 days, so about 12% are needed within a week);
// the last 5% are due in 5 days and need 3 of those (late). Every alert
// the due-check finds as of epoch is already in the ledger, as after the
// first sweep: the benchmark measures the steady state, the sweep's cost
// every 15 minutes.
func MustDueCheckStore(b *testing.B, n int) *store.Store {
	b.Helper()
	return mustDueCheckStore(b, n, 0, false)
}

// MustDueCheckStoreWithChecklists is MustDueCheckStore with items
// checklist items on every release: the first done, the others open, due
// 0, 3, 6, … days before the target (so some are overdue, some due within
// a week, some later), every other one before production. Their
// reminders due as of epoch are in the ledger too.
func MustDueCheckStoreWithChecklists(b *testing.B, n, items int) *store.Store {
	b.Helper()
	return mustDueCheckStore(b, n, items, false)
}

// MustDueCheckStoreWithStages is MustDueCheckStoreWithChecklists on
// releases that go build → test → staging → production, each stage
// planned (2, 4 and 6 days before the target), with every third
// dependency needing its provider in test.
func MustDueCheckStoreWithStages(b *testing.B, n, items int) *store.Store {
	b.Helper()
	return mustDueCheckStore(b, n, items, true)
}

// benchPipeline is the pipeline of the staged benchmark stores.
var benchPipeline = []string{"build", "test", "staging", store.Production}

func mustDueCheckStore(b *testing.B, n, items int, stages bool) *store.Store {
	st := MustStore(b, boltdb.Options{NoSync: true})
	today := store.DateOf(epoch, time.UTC)
	main := n * 95 / 100
	ref := func(i int) store.Ref {
		return store.Ref{Product: fmt.Sprintf("p%d", i%500), Version: fmt.Sprintf("1.%d", i)}
	}
	err := st.Update(context.Background(), alice, epoch, func(tx *store.Tx) error {
		for i := range 500 {
			if err := tx.PutProduct("product.create", &store.Product{Name: fmt.Sprintf("p%d", i), CreatedAt: epoch, CreatedBy: alice}); err != nil {
				return err
			}
		}
		for i := range n {
			target := today.AddDays(1 + i*60/main)
			if i >= main {
				target = today.AddDays(5)
			}
			r := &store.Release{Ref: ref(i), Target: target, Owner: alice, Channel: defaultChannel, Status: store.Planned, CreatedAt: epoch, CreatedBy: alice}
			if stages {
				mustPlanStages(b, r)
			}
			for k := range items {
				it := store.ChecklistItem{Text: fmt.Sprintf("task %d", k), Due: target.AddDays(-3 * k), Done: k == 0, AddedBy: alice, AddedAt: epoch}
				if k%2 == 1 {
					it.Before = "production"
				}
				r.AddChecklistItem(it)
			}
			if err := tx.PutRelease("release.add", r); err != nil {
				return err
			}
			for k := range 3 {
				p := i - 1 - 37*k
				if i >= main {
					p = (i*7 + k*main/3) % main
				}
				if p < 0 {
					continue
				}
				d := &store.Dependency{Consumer: ref(i), Provider: ref(p), CreatedAt: epoch, CreatedBy: alice}
				if stages && (i+k)%3 == 0 {
					d.Stage = "test"
				}
				if err := tx.PutDependency("dependency.put", d); err != nil {
					return err
				}
			}
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		alerts, err := reminders.EdgeAlerts(tx, g, epoch, time.UTC, reminders.Everything())
		if err != nil {
			return err
		}
		more, err := reminders.ChecklistAlerts(tx, g, epoch, time.UTC, reminders.Everything())
		if err != nil {
			return err
		}
		for _, a := range append(alerts, more...) {
			if _, err := tx.MarkSent(a.Key); err != nil { // the ledger only: the outbox is not what is measured
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("fill the store: %v", err)
	}
	return st
}

// BenchmarkDueCheck runs the due-check of every edge (reminders.EdgeAlerts
// over reminders.Everything) in a read transaction, as the sweep does,
// against 1,000 / 10,000 / 100,000 releases with 3 dependencies each.
// The graph is the store's cached one (the sweep's, after the first); the
// ledger already holds every alert, so nothing new is due.
func BenchmarkDueCheck(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("releases=%d", n), func(b *testing.B) {
			st := MustDueCheckStore(b, n)
			check := func() int {
				var due int
				if err := st.View(context.Background(), func(tx *store.Tx) error {
					g, err := tx.Graph()
					if err != nil {
						return err
					}
					alerts, err := reminders.EdgeAlerts(tx, g, epoch, time.UTC, reminders.Everything())
					due = len(alerts)
					return err
				}); err != nil {
					b.Fatal(err)
				}
				return due
			}
			if due := check(); due != 0 {
				b.Fatalf("%d alerts due after the first sweep; want 0", due)
			}
			b.ReportAllocs()
			for b.Loop() {
				check()
			}
		})
	}
}

// BenchmarkDueCheckChecklists is BenchmarkDueCheck with 5 checklist items
// on every release: the edge due-check and the checklist reminders
// (reminders.ChecklistAlerts), in one read transaction, as the sweep asks
// them.
func BenchmarkDueCheckChecklists(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("releases=%d", n), func(b *testing.B) {
			st := MustDueCheckStoreWithChecklists(b, n, 5)
			check := func() int {
				var due int
				if err := st.View(context.Background(), func(tx *store.Tx) error {
					g, err := tx.Graph()
					if err != nil {
						return err
					}
					for _, c := range []reminders.Check{reminders.EdgeAlerts, reminders.ChecklistAlerts} {
						alerts, err := c(tx, g, epoch, time.UTC, reminders.Everything())
						if err != nil {
							return err
						}
						due += len(alerts)
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				return due
			}
			if due := check(); due != 0 {
				b.Fatalf("%d alerts due after the first sweep; want 0", due)
			}
			b.ReportAllocs()
			for b.Loop() {
				check()
			}
		})
	}
}

// mustPlanStages gives r benchPipeline with staging, test and build
// planned 2, 4 and 6 days before its target.
func mustPlanStages(b *testing.B, r *store.Release) {
	b.Helper()
	r.SetPipeline(benchPipeline)
	for i, stage := range []string{"staging", "test", "build"} {
		if _, err := r.PlanStage(stage, r.Target.AddDays(-2*(i+1))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDueCheckStages is BenchmarkDueCheckChecklists on releases with
// three planned stages each and a third of the edges needed in test: the
// edge due-check and the checklist reminders, as the sweep asks them,
// without checklist items and with 5 on every release.
func BenchmarkDueCheckStages(b *testing.B) {
	for _, bc := range []struct{ n, items int }{{10_000, 0}, {10_000, 5}, {100_000, 0}, {100_000, 5}} {
		n := bc.n
		b.Run(fmt.Sprintf("releases=%d/items=%d", n, bc.items), func(b *testing.B) {
			st := MustDueCheckStoreWithStages(b, n, bc.items)
			check := func() int {
				var due int
				if err := st.View(context.Background(), func(tx *store.Tx) error {
					g, err := tx.Graph()
					if err != nil {
						return err
					}
					for _, c := range []reminders.Check{reminders.EdgeAlerts, reminders.ChecklistAlerts} {
						alerts, err := c(tx, g, epoch, time.UTC, reminders.Everything())
						if err != nil {
							return err
						}
						due += len(alerts)
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				return due
			}
			if due := check(); due != 0 {
				b.Fatalf("%d alerts due after the first sweep; want 0", due)
			}
			b.ReportAllocs()
			for b.Loop() {
				check()
			}
		})
	}
}
