package postgres_test

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"relman/store"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
)

// The store package's own tests run on bbolt; these check the store-level
// behaviour that depends on the backend: migration at Open, refusal of
// newer data, persistence, a generation shared by every process on the
// database, all-or-nothing updates, and Backup's answer.

var t0 = time.Date(2027, time.January, 10, 9, 30, 0, 0, time.UTC)

// MustOpen opens the Store in the database dsn names and closes it when tb ends.
func MustOpen(tb testing.TB, dsn string) *store.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("Open() = %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// MustRelease returns a planned release.
func MustRelease(tb testing.TB, ref, target string) store.Release {
	tb.Helper()
	r, err := store.ParseRef(ref)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := store.ParseDate(target)
	if err != nil {
		tb.Fatal(err)
	}
	return store.Release{Ref: r, Target: d, Owner: "UOWNER", Status: store.Planned}
}

func put(tb testing.TB, s *store.Store, r store.Release) {
	tb.Helper()
	if err := s.Update(context.Background(), "UALICE", t0, func(tx *store.Tx) error { return tx.PutRelease("release.add", &r) }); err != nil {
		tb.Fatalf("Update(PutRelease %s) = %v", r.Ref, err)
	}
}

// has reports whether s's Graph holds ref.
func has(tb testing.TB, s *store.Store, ref string) bool {
	tb.Helper()
	r, err := store.ParseRef(ref)
	if err != nil {
		tb.Fatal(err)
	}
	var found bool
	if err := s.View(context.Background(), func(tx *store.Tx) error {
		g, err := tx.Graph()
		found = err == nil && g.Release(r) != nil
		return err
	}); err != nil {
		tb.Fatalf("View() = %v", err)
	}
	return found
}

func TestStore(t *testing.T) {
	t.Run("PersistsAcrossReopen", func(t *testing.T) {
		dsn := pgtest.MustDatabase(t)
		s := MustOpen(t, dsn)
		put(t, s, MustRelease(t, "payments@2.3.0", "2027-03-01"))
		s.Close()
		if s := MustOpen(t, dsn); !has(t, s, "payments@2.3.0") {
			t.Error("after reopening, the release written before is missing")
		}
	})
	t.Run("ProcessesSharingTheDatabaseNeverServeAStaleGraph", func(t *testing.T) {
		dsn := pgtest.MustDatabase(t)
		a, b := MustOpen(t, dsn), MustOpen(t, dsn)
		put(t, a, MustRelease(t, "payments@2.3.0", "2027-03-01"))
		if !has(t, b, "payments@2.3.0") { // b caches this generation's Graph
			t.Fatal("a second Store on the database does not see the first one's release")
		}
		put(t, a, MustRelease(t, "billing@1.0.0", "2027-04-01"))
		if !has(t, b, "billing@1.0.0") {
			t.Error("a second Store serves a stale Graph after the first one changed the data")
		}
	})
	t.Run("UpdateThatFailsKeepsNothing", func(t *testing.T) {
		s := MustOpen(t, pgtest.MustDatabase(t))
		boom := errors.New("boom")
		r := MustRelease(t, "payments@2.3.0", "2027-03-01")
		err := s.Update(context.Background(), "UALICE", t0, func(tx *store.Tx) error {
			if err := tx.PutRelease("release.add", &r); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update() = %v; want boom", err)
		}
		if has(t, s, "payments@2.3.0") {
			t.Error("the release of a failed Update was kept")
		}
		if gen, err := s.Generation(context.Background()); err != nil || gen != 0 {
			t.Errorf("Generation() after a failed Update = %d, %v; want 0", gen, err)
		}
	})
	t.Run("RefusesNewerSchema", func(t *testing.T) {
		dsn := pgtest.MustDatabase(t)
		MustOpen(t, dsn).Close()
		kv, err := postgres.OpenKV(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := kv.Begin(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		newer := binary.BigEndian.AppendUint32(nil, store.SchemaVersion+1)
		if err := tx.Bucket([]byte("meta")).Put([]byte("schema"), newer); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		kv.Close()
		s, err := postgres.Open(context.Background(), dsn)
		if err == nil {
			s.Close()
			t.Fatal("Open() of data from a newer relman = nil error; want a refusal")
		}
		if !strings.Contains(err.Error(), "newer relman") {
			t.Errorf("Open() = %q; want it to say a newer relman wrote the data", err)
		}
	})
	t.Run("BackupSaysPgDump", func(t *testing.T) {
		s := MustOpen(t, pgtest.MustDatabase(t))
		var buf strings.Builder
		_, err := s.Backup(context.Background(), &buf)
		if !errors.Is(err, store.ErrNoBackup) || !strings.Contains(err.Error(), "pg_dump") || buf.Len() != 0 {
			t.Errorf("Backup() = %v, wrote %d bytes; want store.ErrNoBackup naming pg_dump, nothing written", err, buf.Len())
		}
	})
}

// TestFirstDeliveryAcrossReplicas: two processes' Stores on one database
// (each its own connection pool) record an event's delivery once between
// them.
func TestFirstDeliveryAcrossReplicas(t *testing.T) {
	dsn := pgtest.MustDatabase(t)
	replicas := []*store.Store{MustOpen(t, dsn), MustOpen(t, dsn)}
	wins := make(chan bool, 8)
	for i := range 8 {
		go func() {
			ok, err := replicas[i%2].FirstDelivery(context.Background(), "EvSame", t0, time.Hour)
			if err != nil {
				t.Errorf("FirstDelivery(EvSame) = %v", err)
			}
			wins <- ok
		}()
	}
	n := 0
	for range 8 {
		if <-wins {
			n++
		}
	}
	if n != 1 {
		t.Errorf("8 concurrent FirstDelivery(EvSame) on two replicas: %d got true; want 1", n)
	}
	if ok, err := replicas[1].FirstDelivery(context.Background(), "EvSame", t0.Add(2*time.Hour), time.Hour); !ok || err != nil {
		t.Errorf("FirstDelivery(EvSame) two hours later = %t, %v; want true (forgotten)", ok, err)
	}
}
