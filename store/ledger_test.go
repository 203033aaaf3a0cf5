package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"relman/store"
)

func TestLedgerKeys(t *testing.T) {
	app := store.Ref{Product: "app", Version: "1"}
	lib := store.Ref{Product: "lib", Version: "1"}
	edge := store.Dependency{Consumer: app, Provider: lib}
	ext := store.Dependency{Consumer: app, External: "stripe sdk"}
	mar1, mar5, mar9 := store.NewDate(2027, 3, 1), store.NewDate(2027, 3, 5), store.NewDate(2027, 3, 9)
	confirmed := time.Date(2027, 2, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	slot := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)

	t.Run("NameKindSubjectAndDates", func(t *testing.T) {
		got := []string{
			store.SlipKey(edge, mar1, mar5),
			store.SlipKey(ext, mar1, mar5),
			store.RecoveryKey(edge, mar1, mar5),
			store.OverdueKey(edge, mar1),
			store.CancelledKey(edge, confirmed),
			store.UpcomingKey(edge, mar1, 7),
			store.ReconfirmKey("Stripe  SDK", confirmed),
			store.DigestKey("ch C123", slot),
		}
		want := []string{
			// The form the ledger already holds (TestMarkSent).
			"slip app@1 lib@1 2027-03-01 2027-03-05",
			"slip app@1 ext:stripe sdk 2027-03-01 2027-03-05",
			"recovery app@1 lib@1 2027-03-01 2027-03-05",
			"overdue app@1 lib@1 2027-03-01",
			"cancelled app@1 lib@1 2027-02-01T09:00:00Z",
			"upcoming app@1 lib@1 2027-03-01 7d",
			"reconfirm ext:stripe sdk 2027-02-01T09:00:00Z",
			"digest ch C123 2027-03-01T08:00:00Z",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
	})

	distinct := []struct {
		name string
		a, b string
	}{
		{"AFurtherSlipIsANewAlert", store.SlipKey(edge, mar1, mar5), store.SlipKey(edge, mar1, mar9)},
		{"ANewNeededByDateIsANewAlert", store.SlipKey(edge, mar1, mar9), store.SlipKey(edge, mar5, mar9)},
		{"ARecoveryIsNotASlip", store.SlipKey(edge, mar1, mar5), store.RecoveryKey(edge, mar1, mar5)},
		{"TheSevenAndOneDayNudgesDiffer", store.UpcomingKey(edge, mar1, 7), store.UpcomingKey(edge, mar1, 1)},
		{"AReleaseAndAnExternalProviderDiffer", store.SlipKey(edge, mar1, mar5), store.SlipKey(store.Dependency{Consumer: app, External: "lib@1"}, mar1, mar5)},
		{"ANewConfirmationIsANewRequest", store.ReconfirmKey("stripe sdk", confirmed), store.ReconfirmKey("stripe sdk", confirmed.Add(time.Hour))},
		{"EachDigestSlotDiffers", store.DigestKey("ch C123", slot), store.DigestKey("ch C123", slot.AddDate(0, 0, 1))},
	}
	for _, tc := range distinct {
		t.Run(tc.name, func(t *testing.T) {
			if tc.a == tc.b {
				t.Errorf("both keys are %q; want them to differ", tc.a)
			}
		})
	}
	t.Run("AnExternalItemIsOneItemHoweverSpelled", func(t *testing.T) {
		if a, b := store.ReconfirmKey("Stripe SDK", confirmed), store.ReconfirmKey(" stripe   sdk ", confirmed); a != b {
			t.Errorf("ReconfirmKey differs by spelling: %q, %q", a, b)
		}
	})
}

func TestPruneLedger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relman.db")
	s := MustOpen(t, path)
	keys := map[string]time.Time{
		"slip app@1 lib@1 2027-03-01 2027-03-05": t0,
		"overdue app@1 lib@1 2027-03-01":         t0.Add(10 * 24 * time.Hour),
		"digest ch C1 2027-03-01T08:00:00Z":      t0.Add(20 * 24 * time.Hour),
	}
	for k, at := range keys {
		MustUpdate(t, s, "sweep", at, func(tx *store.Tx) error {
			_, err := tx.MarkSent(k)
			return err
		})
	}
	MustClose(t, s)
	// An entry whose time cannot be read (written by hand, or damaged) is kept.
	MustBoltFile(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("ledger")).Put([]byte("odd"), []byte("yesterday"))
	})
	s = MustOpen(t, path)

	var n int
	MustUpdate(t, s, "sweep", t0.Add(30*24*time.Hour), func(tx *store.Tx) (err error) {
		n, err = tx.PruneLedger(t0.Add(10 * 24 * time.Hour))
		return err
	})
	if n != 1 {
		t.Errorf("PruneLedger = %d; want 1 (only the entry recorded before the cut-off)", n)
	}
	MustView(t, s, func(tx *store.Tx) error {
		if tx.Sent("slip app@1 lib@1 2027-03-01 2027-03-05") || !tx.Sent("overdue app@1 lib@1 2027-03-01") {
			t.Errorf("Sent after pruning = %v, %v; want false for the pruned entry, true for the kept one",
				tx.Sent("slip app@1 lib@1 2027-03-01 2027-03-05"), tx.Sent("overdue app@1 lib@1 2027-03-01"))
		}
		return nil
	})
	got := map[string]bool{}
	MustUpdate(t, s, "sweep", t0.Add(30*24*time.Hour), func(tx *store.Tx) error {
		for _, k := range []string{"slip app@1 lib@1 2027-03-01 2027-03-05", "overdue app@1 lib@1 2027-03-01", "digest ch C1 2027-03-01T08:00:00Z", "odd"} {
			first, err := tx.MarkSent(k)
			if err != nil {
				return err
			}
			got[k] = first
		}
		return nil
	})
	want := map[string]bool{
		"slip app@1 lib@1 2027-03-01 2027-03-05": true, // pruned: forgotten
		"overdue app@1 lib@1 2027-03-01":         false,
		"digest ch C1 2027-03-01T08:00:00Z":      false,
		"odd":                                    false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MarkSent after pruning, first time? (-want +got):\n%s", diff)
	}

	t.Run("AFailedUpdateKeepsEverything", func(t *testing.T) {
		err := s.Update(t.Context(), "sweep", t0.Add(40*24*time.Hour), func(tx *store.Tx) error {
			if _, err := tx.PruneLedger(t0.Add(40 * 24 * time.Hour)); err != nil {
				return err
			}
			return store.Errorf(store.EConflict, "changed my mind")
		})
		if err == nil {
			t.Fatal("Update = nil; want the error")
		}
		MustUpdate(t, s, "sweep", t0.Add(40*24*time.Hour), func(tx *store.Tx) error {
			if first, err := tx.MarkSent("overdue app@1 lib@1 2027-03-01"); err != nil || first {
				t.Errorf("MarkSent after a rolled-back prune = %v, %v; want false, nil", first, err)
			}
			return nil
		})
	})
}

func TestQueueOnce(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	msg := func() []*store.Message {
		return []*store.Message{{Channel: "C1", Doc: store.Doc{Text: "slip"}}, {Channel: "U1", DM: true, Doc: store.Doc{Text: "slip"}}}
	}
	var got []bool
	for range 2 {
		MustUpdate(t, s, "sweep", t0, func(tx *store.Tx) error {
			queued, err := tx.QueueOnce("slip app@1 lib@1 2027-03-01 2027-03-05", msg()...)
			got = append(got, queued)
			return err
		})
	}
	// A rolled-back transaction keeps neither the messages nor the record.
	err := s.Update(t.Context(), "sweep", t0, func(tx *store.Tx) error {
		if _, err := tx.QueueOnce("slip app@1 lib@1 2027-03-01 2027-03-09", msg()...); err != nil {
			return err
		}
		return store.Errorf(store.EConflict, "crash")
	})
	if err == nil {
		t.Fatal("Update = nil; want the error")
	}
	MustUpdate(t, s, "sweep", t0, func(tx *store.Tx) error {
		queued, err := tx.QueueOnce("slip app@1 lib@1 2027-03-01 2027-03-09", msg()...)
		got = append(got, queued)
		return err
	})
	if diff := cmp.Diff([]bool{true, false, true}, got); diff != "" {
		t.Errorf("QueueOnce queued? (-want +got):\n%s", diff)
	}
	MustView(t, s, func(tx *store.Tx) error {
		out, err := tx.Outbox()
		if len(out) != 4 {
			t.Errorf("outbox has %d messages; want 4 (two alerts of two messages)", len(out))
		}
		return err
	})
}

func TestDigestSentFrom(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	slot := func(d, h int) time.Time { return time.Date(2027, 3, d, h, 0, 0, 0, time.UTC) }
	// "dm U1" was sent Monday's and Wednesday's digests; "dm U10", whose key
	// "dm U1" begins, Thursday's.
	MustUpdate(t, s, "sweep", t0, func(tx *store.Tx) error {
		for _, k := range []string{store.DigestKey("dm U1", slot(1, 8)), store.DigestKey("dm U1", slot(3, 8)), store.DigestKey("dm U10", slot(4, 8)), store.SlipKey(store.Dependency{}, store.Date{}, store.Date{})} {
			if _, err := tx.MarkSent(k); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tc := range []struct {
		name string
		sub  string
		slot time.Time
		want bool
	}{
		{"TrueForASlotSent", "dm U1", slot(3, 8), true},
		{"TrueForAnEarlierSlotWhenALaterOneWasSent", "dm U1", slot(2, 8), true},
		{"TrueForASlotBeforeTheFirst", "dm U1", slot(1, 7), true},
		{"FalseForASlotAfterTheLatest", "dm U1", slot(3, 9), false},
		{"FalseAfterTheLatestWhenAnotherSubscriptionSharesThePrefix", "dm U1", slot(4, 9), false},
		{"FalseForASubscriptionNeverSent", "ch C1", slot(1, 8), false},
		{"TrueForTheOtherSubscription", "dm U10", slot(4, 8), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustView(t, s, func(tx *store.Tx) error {
				if got := tx.DigestSentFrom(tc.sub, tc.slot); got != tc.want {
					t.Errorf("DigestSentFrom(%q, %v) = %v; want %v", tc.sub, tc.slot, got, tc.want)
				}
				return nil
			})
		})
	}
}
