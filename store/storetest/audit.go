package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"relman/store"
)

// FillAudit writes n audit entries into st, for benchmarks of reading the
// audit log: 1,000 releases in 100 products (payments-0 … payments-99),
// added, then moved again and again with a reason, 1,000 changes to a
// transaction, each by one of ten users (U0 … U9) in turn, a minute
// apart from at on. Each entry holds the release before and after, as a
// real move's does (about 1 KB).
func FillAudit(tb testing.TB, st *store.Store, n int, at time.Time) {
	tb.Helper()
	const releases, perTx = 1000, 1000
	day := store.DateOf(at, time.UTC)
	for start := 0; start < n; start += perTx {
		when := at.Add(time.Duration(start/perTx) * time.Minute)
		actor := fmt.Sprintf("U%d", start/perTx%10)
		err := st.Update(context.Background(), actor, when, func(tx *store.Tx) error {
			for i := start; i < min(start+perTx, n); i++ {
				j := i % releases
				r := &store.Release{
					Ref:    store.Ref{Product: fmt.Sprintf("payments-%d", j%100), Version: fmt.Sprintf("1.%d", j)},
					Target: day.AddDays(10 + i%50), Owner: actor, Channel: "CREL", Status: store.Planned, CreatedAt: at, CreatedBy: actor,
					History: []store.HistoryEntry{{Kind: store.HistoryMoved, From: day.AddDays(9 + i%50), To: day.AddDays(10 + i%50), By: actor, At: when, Reason: fmt.Sprintf("change %d: the vendor's build slipped", i)}},
				}
				action := "release.move"
				if i < releases {
					action = "release.add"
				}
				if err := tx.PutRelease(action, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("fill the audit log: %v", err)
		}
	}
}
