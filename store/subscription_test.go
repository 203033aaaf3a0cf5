package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"relman/store"
)

func TestSubscriptions(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	channel := store.Subscription{Channel: "C1", Cadence: store.Weekly, Weekday: time.Monday, Hour: 9, Products: []string{"payments", "auth", "payments"},
		Zone: "Europe/Berlin", CreatedBy: "U1", CreatedAt: t0}
	dm := store.Subscription{Channel: "U2", DM: true, Cadence: store.Daily, Hour: 17, Minute: 30, Zone: "Asia/Tokyo", CreatedBy: "U2", CreatedAt: t0}
	MustUpdate(t, s, "U1", t0, func(tx *store.Tx) error {
		for _, sub := range []store.Subscription{channel, dm} {
			if err := tx.PutSubscription("digest.subscribe", &sub); err != nil {
				return err
			}
		}
		return nil
	})
	channel.Products = []string{"auth", "payments"} // stored sorted, once each

	t.Run("ListsByKey", func(t *testing.T) {
		MustView(t, s, func(tx *store.Tx) error {
			got, err := tx.Subscriptions()
			if err != nil {
				return err
			}
			if diff := cmp.Diff([]store.Subscription{channel, dm}, got); diff != "" {
				t.Errorf("Subscriptions() (-want +got):\n%s", diff)
			}
			return nil
		})
	})

	t.Run("AChannelAndAUserWithTheSameIDDiffer", func(t *testing.T) {
		if a, b := store.SubscriptionKey("X1", false), store.SubscriptionKey("X1", true); a == b {
			t.Errorf("SubscriptionKey(X1, false) = SubscriptionKey(X1, true) = %q", a)
		}
	})

	t.Run("ReplacesTheTargetsSubscription", func(t *testing.T) {
		daily := channel
		daily.Cadence, daily.Weekday, daily.Products = store.Daily, 0, nil
		MustUpdate(t, s, "U3", t0.Add(time.Hour), func(tx *store.Tx) error {
			return tx.PutSubscription("digest.subscribe", &daily)
		})
		MustView(t, s, func(tx *store.Tx) error {
			got, err := tx.Subscription(channel.Key())
			if err != nil {
				return err
			}
			if diff := cmp.Diff(&daily, got); diff != "" {
				t.Errorf("Subscription(%q) (-want +got):\n%s", channel.Key(), diff)
			}
			audit, err := tx.AuditLog(0, 0)
			if err != nil {
				return err
			}
			last := audit[len(audit)-1]
			if last.Action != "digest.subscribe" || last.Actor != "U3" || last.Subject != "digest ch C1" || last.Before == nil {
				t.Errorf("last audit entry = %+v; want U3's digest.subscribe of ch C1 with the old value", last)
			}
			return nil
		})
	})

	t.Run("DeletesAndReportsWhetherThereWasOne", func(t *testing.T) {
		var first, second bool
		MustUpdate(t, s, "U2", t0, func(tx *store.Tx) (err error) {
			if first, err = tx.DeleteSubscription("digest.off", dm.Key()); err != nil {
				return err
			}
			second, err = tx.DeleteSubscription("digest.off", dm.Key())
			return err
		})
		if !first || second {
			t.Errorf("DeleteSubscription twice = %v, %v; want true, false", first, second)
		}
		MustView(t, s, func(tx *store.Tx) error {
			_, err := tx.Subscription(dm.Key())
			if store.ErrorCode(err) != store.ENotFound {
				t.Errorf("Subscription(deleted) = %v; want not found", err)
			}
			return nil
		})
	})

	t.Run("LeavesTheGenerationAlone", func(t *testing.T) {
		gen, err := s.Generation(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		MustUpdate(t, s, "U2", t0, func(tx *store.Tx) error { return tx.PutSubscription("digest.subscribe", &dm) })
		if got, _ := s.Generation(context.Background()); got != gen {
			t.Errorf("Generation after PutSubscription = %d; want %d (no release data changed)", got, gen)
		}
	})
}

func TestSubscriptionValidate(t *testing.T) {
	ok := store.Subscription{Channel: "C1", Cadence: store.Daily, Hour: 9, Zone: "UTC"}
	for _, tc := range []struct {
		name string
		edit func(s *store.Subscription)
		want string
	}{
		{"RejectsNoTarget", func(s *store.Subscription) { s.Channel = "" }, "channel or a person"},
		{"RejectsAnUnknownCadence", func(s *store.Subscription) { s.Cadence = "hourly" }, `"hourly" is not a digest schedule`},
		{"RejectsHour24", func(s *store.Subscription) { s.Hour = 24 }, "24:00 is not a time of day"},
		{"RejectsMinute60", func(s *store.Subscription) { s.Minute = 60 }, "09:60 is not a time of day"},
		{"RejectsAnUnknownZone", func(s *store.Subscription) { s.Zone = "Mars/Olympus" }, `"Mars/Olympus" is not a time zone`},
		{"RejectsABadProduct", func(s *store.Subscription) { s.Products = []string{"Pay ments"} }, "not a product name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.edit(&s)
			err := s.Validate()
			if store.ErrorCode(err) != store.EInvalid || !strings.Contains(store.ErrorMessage(err), tc.want) {
				t.Errorf("Validate() = %v; want an invalid error containing %q", err, tc.want)
			}
		})
	}
	t.Run("RefusesToStoreAnInvalidOne", func(t *testing.T) {
		st := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
		bad := ok
		bad.Hour = 25
		err := st.Update(t.Context(), "U1", t0, func(tx *store.Tx) error { return tx.PutSubscription("digest.subscribe", &bad) })
		if store.ErrorCode(err) != store.EInvalid {
			t.Errorf("PutSubscription(25:00) = %v; want invalid", err)
		}
	})
}

func TestOpenMigratesSchema3AddsSubscriptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relman.db")
	MustClose(t, MustOpen(t, path))
	MustBoltFile(t, path, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("subscriptions")); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), schemaBytes(3))
	})
	s := MustOpen(t, path)
	sub := store.Subscription{Channel: "C1", Cadence: store.Daily, Hour: 9, Zone: "UTC"}
	if err := s.Update(t.Context(), "U1", t0, func(tx *store.Tx) error { return tx.PutSubscription("digest.subscribe", &sub) }); err != nil {
		t.Fatalf("PutSubscription after migrating schema 3 = %v", err)
	}
}
