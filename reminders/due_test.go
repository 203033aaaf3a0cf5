package reminders

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
	"relman/store/boltdb"
)

func MustStore(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := boltdb.Open(filepath.Join(tb.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func MustSubscribe(tb testing.TB, st *store.Store, subs ...store.Subscription) {
	tb.Helper()
	for _, s := range subs {
		if err := st.Update(context.Background(), s.CreatedBy, s.CreatedAt, func(tx *store.Tx) error {
			return tx.PutSubscription("digest.subscribe", &s)
		}); err != nil {
			tb.Fatal(err)
		}
	}
}

// dueAt returns the keys of the digests due at now.
func dueAt(tb testing.TB, st *store.Store, now time.Time) []string {
	tb.Helper()
	var keys []string
	if err := st.View(context.Background(), func(tx *store.Tx) error {
		due, err := DueDigests(tx, now)
		for _, d := range due {
			keys = append(keys, d.Key())
		}
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return keys
}

// markSent records keys as sent at now, as the transaction that queues the
// digests does.
func markSent(tb testing.TB, st *store.Store, now time.Time, keys []string) {
	tb.Helper()
	if err := st.Update(context.Background(), "sweep", now, func(tx *store.Tx) error {
		for _, k := range keys {
			if _, err := tx.MarkSent(k); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
}

func TestDueDigests(t *testing.T) {
	made := time.Date(2027, 1, 4, 7, 0, 0, 0, time.UTC) // Monday
	berlin := store.Subscription{Channel: "CPAY", Cadence: store.Daily, Hour: 9, Zone: "Europe/Berlin", CreatedAt: made, CreatedBy: "U1"}
	utc := store.Subscription{Channel: "U2", DM: true, Cadence: store.Daily, Hour: 9, Zone: "UTC", Weekends: true, CreatedAt: made, CreatedBy: "U2"}
	late := store.Subscription{Channel: "CMOB", Cadence: store.Weekly, Weekday: time.Monday, Hour: 9, Zone: "UTC", CreatedAt: made.Add(3 * time.Hour), CreatedBy: "U3"}
	st := MustStore(t)
	MustSubscribe(t, st, berlin, utc, late)

	t.Run("DueOnceItsSlotHasCome", func(t *testing.T) {
		now := time.Date(2027, 1, 4, 8, 30, 0, 0, time.UTC) // 09:30 in Berlin, 08:30 UTC
		want := []string{"digest ch CPAY 2027-01-04T08:00:00Z"}
		if diff := cmp.Diff(want, dueAt(t, st, now)); diff != "" {
			t.Errorf("due at %v (-want +got):\n%s", now, diff)
		}
	})

	t.Run("NothingTwiceOnARepeatedSweep", func(t *testing.T) {
		now := time.Date(2027, 1, 4, 8, 30, 0, 0, time.UTC)
		markSent(t, st, now, dueAt(t, st, now))
		for _, at := range []time.Time{now, now.Add(15 * time.Minute)} {
			if got := dueAt(t, st, at); len(got) != 0 {
				t.Errorf("due at %v after sending = %v; want none", at, got)
			}
		}
	})

	t.Run("AfterDowntimeEachOnceForItsLatestSlot", func(t *testing.T) {
		now := time.Date(2027, 1, 7, 12, 0, 0, 0, time.UTC) // Thursday, three days on
		want := []string{"digest ch CPAY 2027-01-07T08:00:00Z", "digest dm U2 2027-01-07T09:00:00Z"}
		got := dueAt(t, st, now)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("due at %v (-want +got):\n%s", now, diff)
		}
		markSent(t, st, now, got)
		if got := dueAt(t, st, now.Add(time.Hour)); len(got) != 0 {
			t.Errorf("due an hour later = %v; want none", got)
		}
	})

	t.Run("ASubscriptionMadeAfterTheSlotWaitsForTheNext", func(t *testing.T) {
		// late was made Monday 10:00, after Monday's 09:00 slot.
		sunday := time.Date(2027, 1, 10, 23, 0, 0, 0, time.UTC)
		got := dueAt(t, st, sunday)
		want := []string{"digest ch CPAY 2027-01-10T08:00:00Z", "digest dm U2 2027-01-10T09:00:00Z"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("due on Sunday (-want +got):\n%s", diff)
		}
		markSent(t, st, sunday, got)
		// In slot order; equal slots in key order.
		want = []string{"digest ch CPAY 2027-01-11T08:00:00Z", "digest ch CMOB 2027-01-11T09:00:00Z", "digest dm U2 2027-01-11T09:00:00Z"}
		if diff := cmp.Diff(want, dueAt(t, st, time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC))); diff != "" {
			t.Errorf("due Monday 09:00 UTC (-want +got):\n%s", diff)
		}
	})

	t.Run("FollowsTheSubscribersClockAcrossDST", func(t *testing.T) {
		st := MustStore(t)
		MustSubscribe(t, st, berlin)
		// Berlin springs forward on Sunday 2027-03-28: 09:00 is 08:00 UTC on
		// Saturday, 07:00 UTC on Sunday.
		for _, tc := range []struct {
			now  time.Time
			want []string
		}{
			{time.Date(2027, 3, 27, 7, 59, 0, 0, time.UTC), []string{"digest ch CPAY 2027-03-26T08:00:00Z"}},
			{time.Date(2027, 3, 27, 8, 0, 0, 0, time.UTC), []string{"digest ch CPAY 2027-03-27T08:00:00Z"}},
			{time.Date(2027, 3, 28, 6, 59, 0, 0, time.UTC), nil},
			{time.Date(2027, 3, 28, 7, 0, 0, 0, time.UTC), []string{"digest ch CPAY 2027-03-28T07:00:00Z"}},
		} {
			got := dueAt(t, st, tc.now)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("due at %v (-want +got):\n%s", tc.now, diff)
			}
			markSent(t, st, tc.now, got)
		}
	})
}
