package store_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"relman/store"
	"relman/store/boltdb"
)

// t0 is the instant of the tests' transactions.
var t0 = time.Date(2027, time.January, 10, 9, 30, 0, 0, time.UTC)

// dateEq lets cmp compare Dates, whose field is unexported.
var dateEq = cmp.Comparer(func(a, b store.Date) bool { return a == b })

// MustOpen opens (creating) the store at path and closes it when the test
// ends. Closing it earlier is fine.
func MustOpen(tb testing.TB, path string) *store.Store {
	tb.Helper()
	s, err := boltdb.Open(path, boltdb.Options{})
	if err != nil {
		tb.Fatalf("Open(%q) = %v", path, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// MustClose closes s.
func MustClose(tb testing.TB, s *store.Store) {
	tb.Helper()
	if err := s.Close(); err != nil {
		tb.Fatalf("Close() = %v", err)
	}
}

// MustUpdate runs fn in s.Update as actor at at.
func MustUpdate(tb testing.TB, s *store.Store, actor string, at time.Time, fn func(tx *store.Tx) error) {
	tb.Helper()
	if err := s.Update(context.Background(), actor, at, fn); err != nil {
		tb.Fatalf("Update(%s, %v) = %v", actor, at, err)
	}
}

// MustView runs fn in s.View.
func MustView(tb testing.TB, s *store.Store, fn func(tx *store.Tx) error) {
	tb.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		tb.Fatalf("View() = %v", err)
	}
}

// MustBoltFile writes a bbolt file at path directly, bypassing boltdb.Open,
// as an older or newer relman would have left it.
func MustBoltFile(tb testing.TB, path string, fn func(tx *bolt.Tx) error) {
	tb.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		tb.Fatalf("bolt.Open(%q) = %v", path, err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		tb.Fatalf("bolt Update(%q) = %v", path, err)
	}
}

// MustBoltView reads a bbolt file directly.
func MustBoltView(tb testing.TB, path string, fn func(tx *bolt.Tx) error) {
	tb.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		tb.Fatalf("bolt.Open(%q) = %v", path, err)
	}
	defer db.Close()
	if err := db.View(fn); err != nil {
		tb.Fatalf("bolt View(%q) = %v", path, err)
	}
}

func schemaBytes(v uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, v)
}

var allBuckets = []string{"meta", "products", "releases", "externals", "dependencies", "audit", "outbox", "posted", "ledger", "parked", "checklists"}

// fixture is a small but complete data set: every field of every record is
// set, so that a lossy encoding shows.
type fixture struct {
	Products  []store.Product
	Releases  []store.Release
	Externals []store.External
	Deps      []store.Dependency
	Messages  []store.Message
	Posted    map[string]*store.Posted
	Sent      []string
}

func newFixture(tb testing.TB) fixture {
	tb.Helper()
	payments := MustRef(tb, "payments@2.3.0")
	auth := MustRef(tb, "auth@1.4.0")
	return fixture{
		Products: []store.Product{
			{Name: "auth", CreatedAt: t0, CreatedBy: "UALICE"},
			{Name: "payments", Roles: store.Roles{store.ReleaseManager: {"URM"}, store.ProductManager: {"UPM1", "UPM2"}}, CreatedAt: t0, CreatedBy: "UALICE"},
		},
		Releases: []store.Release{
			{
				Ref: auth, Target: MustDate(tb, "2027-02-01"), Owner: "UBOB", Channel: "CAUTH", Status: store.Shipped,
				ShippedOn: MustDate(tb, "2027-01-30"), CreatedAt: t0, CreatedBy: "UBOB",
				History: []store.HistoryEntry{
					{Kind: "added", To: MustDate(tb, "2027-02-01"), By: "UBOB", At: t0},
					{Kind: "shipped", From: MustDate(tb, "2027-02-01"), To: MustDate(tb, "2027-01-30"), By: "UBOB", At: t0.Add(time.Hour)},
				},
			},
			{
				Ref: payments, Target: MustDate(tb, "2027-03-15"), Owner: "UALICE", Channel: "CPAY", Status: store.Planned,
				Roles: store.Roles{store.ReleaseEngineer: {"URE"}}, CreatedAt: t0, CreatedBy: "UALICE",
				History: []store.HistoryEntry{
					{Kind: "added", To: MustDate(tb, "2027-03-01"), By: "UALICE", At: t0},
					{Kind: "moved", From: MustDate(tb, "2027-03-01"), To: MustDate(tb, "2027-03-15"), By: "UALICE", At: t0.Add(2 * time.Hour), Reason: "PCI review <@U1> & more"},
				},
			},
		},
		Externals: []store.External{{
			Name: "Stripe SDK 5", Due: MustDate(tb, "2027-03-01"), Owner: "UVENDOR", LastConfirmed: t0,
			History:   []store.HistoryEntry{{Kind: "confirmed", To: MustDate(tb, "2027-03-01"), By: "UVENDOR", At: t0}},
			CreatedAt: t0, CreatedBy: "UALICE",
		}},
		Deps: []store.Dependency{
			{Consumer: payments, Provider: auth, CreatedAt: t0, CreatedBy: "UALICE"},
			{Consumer: payments, External: store.ExternalKey("Stripe SDK 5"), NeededBy: MustDate(tb, "2027-03-05"), CreatedAt: t0, CreatedBy: "UALICE"},
		},
		Messages: []store.Message{{
			Channel: "CPAY", Ref: "CR-1", ThreadOf: "CR-0", NotBefore: t0.Add(24 * time.Hour),
			Doc: store.Doc{
				Text: "payments@2.3.0 moved", Header: "Moved",
				Sections: []store.Section{{Text: "*payments*", Fields: []string{"a", "b"}, Context: "ctx"}},
				Buttons:  []store.Button{{ActionID: "approve", Text: "Approve", Value: "CR-1", Style: "primary"}},
				More:     2,
			},
			CreatedAt: t0.Add(-time.Minute),
		}},
		Posted: map[string]*store.Posted{"CR-1": {Channel: "CPAY", TS: "1700000000.000100"}, "CR-2": nil},
		Sent:   []string{"slip payments@2.3.0 auth@1.4.0 2027-03-15 2027-03-20"},
	}
}

// MustSeed writes f into s in one transaction and sets the IDs of its
// messages.
func MustSeed(tb testing.TB, s *store.Store, f fixture) {
	tb.Helper()
	MustUpdate(tb, s, "UALICE", t0, func(tx *store.Tx) error {
		for i := range f.Products {
			if err := tx.PutProduct("product.create", &f.Products[i]); err != nil {
				return err
			}
		}
		for i := range f.Releases {
			if err := tx.PutRelease("release.add", &f.Releases[i]); err != nil {
				return err
			}
		}
		for i := range f.Externals {
			if err := tx.PutExternal("external.add", &f.Externals[i]); err != nil {
				return err
			}
		}
		for i := range f.Deps {
			if err := tx.PutDependency("dependency.add", &f.Deps[i]); err != nil {
				return err
			}
		}
		for i := range f.Messages {
			if err := tx.Enqueue(&f.Messages[i]); err != nil {
				return err
			}
		}
		for ref, p := range f.Posted {
			if p != nil {
				if err := tx.PutPosted(ref, *p); err != nil {
					return err
				}
			}
		}
		for _, k := range f.Sent {
			if _, err := tx.MarkSent(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// snapshot is everything a store holds that a test can read back.
type snapshot struct {
	Products  []store.Product
	Releases  []store.Release
	Externals []store.External
	Deps      []store.Dependency
	Messages  []store.Message
	Posted    map[string]*store.Posted
	Audit     []store.Audit
}

// MustSnapshot reads everything back, with the Posted records of refs.
func MustSnapshot(tb testing.TB, s *store.Store, refs ...string) snapshot {
	tb.Helper()
	var snap snapshot
	MustView(tb, s, func(tx *store.Tx) error {
		var err error
		if snap.Products, err = tx.Products(); err != nil {
			return err
		}
		if snap.Releases, err = tx.Releases(); err != nil {
			return err
		}
		if snap.Externals, err = tx.Externals(); err != nil {
			return err
		}
		if snap.Deps, err = tx.Dependencies(); err != nil {
			return err
		}
		if snap.Messages, err = tx.Outbox(); err != nil {
			return err
		}
		if snap.Audit, err = tx.AuditLog(0, 0); err != nil {
			return err
		}
		snap.Posted = make(map[string]*store.Posted)
		for _, ref := range refs {
			if snap.Posted[ref], err = tx.Posted(ref); err != nil {
				return err
			}
		}
		return nil
	})
	return snap
}

func TestOpenCreatesFreshFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relman.db")
	s := MustOpen(t, path)
	if got := s.Name(); got != path {
		t.Errorf("Name() = %q; want %q", got, path)
	}
	MustClose(t, s)

	MustBoltView(t, path, func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("fresh file has no bucket %q", name)
			}
		}
		got := tx.Bucket([]byte("meta")).Get([]byte("schema"))
		if want := schemaBytes(store.SchemaVersion); !bytes.Equal(got, want) {
			t.Errorf("fresh file meta/schema = %x; want %x", got, want)
		}
		return nil
	})
}

func TestStorePersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relman.db")
	f := newFixture(t)
	s := MustOpen(t, path)
	MustSeed(t, s, f)
	before := MustSnapshot(t, s, "CR-1", "CR-2")
	MustClose(t, s)

	s = MustOpen(t, path)
	got := MustSnapshot(t, s, "CR-1", "CR-2")
	if diff := cmp.Diff(before, got, dateEq); diff != "" {
		t.Errorf("after reopen (-want +got):\n%s", diff)
	}
	// What was read back is what was written, field for field.
	want := snapshot{Products: f.Products, Releases: f.Releases, Externals: f.Externals, Deps: f.Deps, Messages: f.Messages, Posted: f.Posted}
	got.Audit = nil
	if diff := cmp.Diff(want, got, dateEq); diff != "" {
		t.Errorf("after reopen, records differ from those written (-want +got):\n%s", diff)
	}

	MustUpdate(t, s, "UBOB", t0, func(tx *store.Tx) error {
		for _, k := range f.Sent {
			if first, err := tx.MarkSent(k); err != nil || first {
				t.Errorf("after reopen MarkSent(%q) = %v, %v; want false, nil", k, first, err)
			}
		}
		m := store.Message{Channel: "CPAY"}
		if err := tx.Enqueue(&m); err != nil {
			return err
		}
		if want := f.Messages[len(f.Messages)-1].ID + 1; m.ID != want {
			t.Errorf("after reopen Enqueue set ID %d; want %d (the sequence continues)", m.ID, want)
		}
		return nil
	})
}

func TestUpdateErrorRollsBackEverything(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	f := newFixture(t)
	MustSeed(t, s, f)
	refs := []string{"CR-1", "CR-2", "CR-9"}
	before := MustSnapshot(t, s, refs...)

	errBoom := errors.New("boom")
	newKey := "slip mobile@1 payments@2.3.0 2027-04-01 2027-04-02"
	err := s.Update(context.Background(), "UMALLORY", t0.Add(time.Hour), func(tx *store.Tx) error {
		if err := tx.PutProduct("product.create", &store.Product{Name: "mobile"}); err != nil {
			return err
		}
		if err := tx.PutRelease("release.add", &store.Release{Ref: MustRef(t, "mobile@1"), Target: MustDate(t, "2027-04-01"), Status: store.Planned}); err != nil {
			return err
		}
		moved := f.Releases[1]
		moved.Target = MustDate(t, "2027-12-31")
		if err := tx.PutRelease("release.move", &moved); err != nil {
			return err
		}
		if err := tx.PutExternal("external.add", &store.External{Name: "Partner API", Due: MustDate(t, "2027-05-01")}); err != nil {
			return err
		}
		if err := tx.PutDependency("dependency.add", &store.Dependency{Consumer: MustRef(t, "mobile@1"), Provider: f.Releases[1].Ref}); err != nil {
			return err
		}
		if err := tx.DeleteDependency("dependency.remove", &f.Deps[0]); err != nil {
			return err
		}
		if err := tx.Enqueue(&store.Message{Channel: "CMOB"}); err != nil {
			return err
		}
		if err := tx.DeleteMessage(f.Messages[0].ID); err != nil {
			return err
		}
		if err := tx.PutPosted("CR-9", store.Posted{Channel: "CMOB", TS: "1.2"}); err != nil {
			return err
		}
		if first, err := tx.MarkSent(newKey); err != nil || !first {
			t.Errorf("MarkSent(%q) = %v, %v; want true, nil", newKey, first, err)
		}
		return fmt.Errorf("add mobile@1: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update(fn failing with %v) = %v; want that error", errBoom, err)
	}

	if diff := cmp.Diff(before, MustSnapshot(t, s, refs...), dateEq); diff != "" {
		t.Errorf("after a failed Update (-want +got):\n%s", diff)
	}
	MustUpdate(t, s, "UBOB", t0, func(tx *store.Tx) error {
		if first, err := tx.MarkSent(newKey); err != nil || !first {
			t.Errorf("after a failed Update MarkSent(%q) = %v, %v; want true, nil (the ledger write was rolled back)", newKey, first, err)
		}
		m := store.Message{Channel: "CPAY"}
		if err := tx.Enqueue(&m); err != nil {
			return err
		}
		if want := f.Messages[len(f.Messages)-1].ID + 1; m.ID != want {
			t.Errorf("after a failed Update Enqueue set ID %d; want %d (the outbox sequence was rolled back)", m.ID, want)
		}
		return nil
	})
}

func TestOpenLockedFile(t *testing.T) {
	tests := []struct {
		name string
		opts boltdb.Options
		wait time.Duration // the lock timeout in effect
	}{
		{"FailsAfterLockTimeout", boltdb.Options{LockTimeout: 200 * time.Millisecond}, 200 * time.Millisecond},
		{"FailsAfterDefaultTimeout", boltdb.Options{}, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "relman.db")
			holder := MustOpen(t, path)

			start := time.Now()
			s, err := boltdb.Open(path, tt.opts)
			elapsed := time.Since(start)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) of a file another Store holds = nil error; want a lock error", path)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("Open(%q) = %v; want an error naming the file", path, err)
			}
			// bbolt polls the lock every 50ms and gives up one poll early;
			// allow scheduling slack above, not so much that an ignored
			// LockTimeout (a one-second wait) would pass for 200ms.
			if low, high := tt.wait-100*time.Millisecond, tt.wait+500*time.Millisecond; elapsed < low || elapsed > high {
				t.Errorf("Open(%q) failed after %v; want between %v and %v", path, elapsed, low, high)
			}

			MustClose(t, holder)
			s, err = boltdb.Open(path, tt.opts)
			if err != nil {
				t.Fatalf("Open(%q) after the holder closed = %v; want success", path, err)
			}
			s.Close()
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relman.db")
	newer := uint32(store.SchemaVersion + 1)
	MustBoltFile(t, path, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return meta.Put([]byte("schema"), schemaBytes(newer))
	})

	s, err := boltdb.Open(path, boltdb.Options{LockTimeout: 200 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatalf("Open(%q) of a schema %d file = nil error; want a refusal", path, newer)
	}
	for _, want := range []string{path, fmt.Sprint(newer), fmt.Sprint(store.SchemaVersion), "newer relman"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %q; want it to mention %q", path, err, want)
		}
	}
	// The refused file is left as it was, and unlocked.
	MustBoltView(t, path, func(tx *bolt.Tx) error {
		if got := tx.Bucket([]byte("meta")).Get([]byte("schema")); !bytes.Equal(got, schemaBytes(newer)) {
			t.Errorf("after refusal meta/schema = %x; want %x", got, schemaBytes(newer))
		}
		if tx.Bucket([]byte("outbox")) != nil {
			t.Errorf("after refusal the file has an outbox bucket; want it untouched")
		}
		return nil
	})
}

func TestOpenMigratesSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relman.db")
	f := newFixture(t)
	oldAudit := store.Audit{Seq: 1, At: t0, Actor: "UALICE", Action: "release.add", Subject: f.Releases[1].Key(), After: json.RawMessage(`{"product":"payments"}`)}

	// Schema 1 had no outbox, posted or ledger buckets.
	MustBoltFile(t, path, func(tx *bolt.Tx) error {
		put := func(bucket, key string, v any) error {
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			return tx.Bucket([]byte(bucket)).Put([]byte(key), b)
		}
		for _, name := range []string{"meta", "products", "releases", "externals", "dependencies", "audit"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("meta")).Put([]byte("schema"), schemaBytes(1)); err != nil {
			return err
		}
		for _, p := range f.Products {
			if err := put("products", p.Name, p); err != nil {
				return err
			}
		}
		for _, r := range f.Releases {
			if err := put("releases", r.Key(), r); err != nil {
				return err
			}
		}
		for _, x := range f.Externals {
			if err := put("externals", store.ExternalKey(x.Name), x); err != nil {
				return err
			}
		}
		for _, d := range f.Deps {
			if err := put("dependencies", d.Key(), d); err != nil {
				return err
			}
		}
		audit := tx.Bucket([]byte("audit"))
		seq, err := audit.NextSequence()
		if err != nil {
			return err
		}
		return put("audit", string(binary.BigEndian.AppendUint64(nil, seq)), oldAudit)
	})

	s := MustOpen(t, path)
	got := MustSnapshot(t, s)
	want := snapshot{Products: f.Products, Releases: f.Releases, Externals: f.Externals, Deps: f.Deps, Audit: []store.Audit{oldAudit}, Posted: map[string]*store.Posted{}}
	if diff := cmp.Diff(want, got, dateEq); diff != "" {
		t.Errorf("after migration from schema 1 (-want +got):\n%s", diff)
	}

	// The buckets schema 2 added work, and the audit sequence continues.
	MustUpdate(t, s, "UBOB", t0, func(tx *store.Tx) error {
		if err := tx.Enqueue(&store.Message{Channel: "CPAY"}); err != nil {
			return fmt.Errorf("Enqueue: %w", err)
		}
		if err := tx.PutPosted("CR-1", store.Posted{Channel: "CPAY", TS: "1.1"}); err != nil {
			return fmt.Errorf("PutPosted: %w", err)
		}
		if first, err := tx.MarkSent("k"); err != nil || !first {
			t.Errorf("MarkSent(k) after migration = %v, %v; want true, nil", first, err)
		}
		return tx.PutProduct("product.create", &store.Product{Name: "mobile"})
	})
	MustView(t, s, func(tx *store.Tx) error {
		log, err := tx.AuditLog(1, 0)
		if err != nil {
			return err
		}
		if len(log) != 1 || log[0].Seq != 2 || log[0].Subject != "mobile" {
			t.Errorf("AuditLog(1, 0) after migration = %+v; want one entry, Seq 2, subject mobile", log)
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		if deps := g.Dependencies(f.Releases[1].Ref); len(deps) != len(f.Deps) {
			t.Errorf("Graph().Dependencies(%s) after migration = %d edges; want %d", f.Releases[1].Ref, len(deps), len(f.Deps))
		}
		return nil
	})
	MustClose(t, s)

	MustBoltView(t, path, func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("migrated file has no bucket %q", name)
			}
		}
		if got, want := tx.Bucket([]byte("meta")).Get([]byte("schema")), schemaBytes(store.SchemaVersion); !bytes.Equal(got, want) {
			t.Errorf("migrated file meta/schema = %x; want %x", got, want)
		}
		return nil
	})

	// Opening the migrated file again changes nothing.
	s = MustOpen(t, path)
	again := MustSnapshot(t, s)
	if len(again.Products) != len(f.Products)+1 || len(again.Messages) != 1 || len(again.Audit) != 2 {
		t.Errorf("second Open after migration: %d products, %d messages, %d audit entries; want %d, 1, 2",
			len(again.Products), len(again.Messages), len(again.Audit), len(f.Products)+1)
	}
}

// auditView is an Audit entry with its JSON decoded, so that tests compare
// values rather than bytes.
type auditView struct {
	Seq                    uint64
	At                     time.Time
	Actor, Action, Subject string
	Before, After          any
}

func decodeJSON(tb testing.TB, raw []byte) any {
	tb.Helper()
	if raw == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatalf("json.Unmarshal(%s) = %v", raw, err)
	}
	return v
}

// jsonOf is v as its JSON decodes generically.
func jsonOf(tb testing.TB, v any) any {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return decodeJSON(tb, b)
}

func TestPutWritesAudit(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	// A transaction's instant in any zone is recorded in UTC.
	at := time.Date(2027, time.January, 10, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	f := newFixture(t)
	product, release, external, dep := f.Products[1], f.Releases[1], f.Externals[0], f.Deps[1]
	moved := release
	moved.Target = MustDate(t, "2027-04-01")

	MustUpdate(t, s, "UALICE", at, func(tx *store.Tx) error {
		if got := tx.Actor(); got != "UALICE" {
			t.Errorf("Tx.Actor() = %q; want %q", got, "UALICE")
		}
		if got := tx.At(); !got.Equal(at) || got.Location() != time.UTC {
			t.Errorf("Tx.At() = %v; want %v in UTC", got, at)
		}
		for _, step := range []func() error{
			func() error { return tx.PutProduct("product.create", &product) },
			func() error { return tx.PutRelease("release.add", &release) },
			func() error { return tx.PutRelease("release.move", &moved) },
			func() error { return tx.PutExternal("external.add", &external) },
			func() error { return tx.PutDependency("dependency.add", &dep) },
			func() error { return tx.DeleteDependency("dependency.remove", &dep) },
			func() error { return tx.DeleteDependency("dependency.remove", &dep) }, // nothing left: no entry
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	MustUpdate(t, s, "UBOB", at.Add(time.Minute), func(tx *store.Tx) error {
		return tx.PutProduct("product.roles", &store.Product{Name: "auth", Roles: store.Roles{store.ReleaseManager: {"UBOB"}}})
	})

	utc := at.UTC()
	want := []auditView{
		{1, utc, "UALICE", "product.create", "payments", nil, jsonOf(t, product)},
		{2, utc, "UALICE", "release.add", "payments@2.3.0", nil, jsonOf(t, release)},
		{3, utc, "UALICE", "release.move", "payments@2.3.0", jsonOf(t, release), jsonOf(t, moved)},
		{4, utc, "UALICE", "external.add", "stripe sdk 5", nil, jsonOf(t, external)},
		{5, utc, "UALICE", "dependency.add", "payments@2.3.0 ext:stripe sdk 5", nil, jsonOf(t, dep)},
		{6, utc, "UALICE", "dependency.remove", "payments@2.3.0 ext:stripe sdk 5", jsonOf(t, dep), nil},
		{7, utc.Add(time.Minute), "UBOB", "product.roles", "auth", nil, jsonOf(t, store.Product{Name: "auth", Roles: store.Roles{store.ReleaseManager: {"UBOB"}}})},
	}
	var log []store.Audit
	MustView(t, s, func(tx *store.Tx) (err error) {
		log, err = tx.AuditLog(0, 0)
		return err
	})
	var got []auditView
	for _, a := range log {
		if a.At.Location() != time.UTC {
			t.Errorf("audit %d At = %v; want UTC", a.Seq, a.At)
		}
		got = append(got, auditView{a.Seq, a.At, a.Actor, a.Action, a.Subject, decodeJSON(t, a.Before), decodeJSON(t, a.After)})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AuditLog(0, 0) mismatch (-want +got):\n%s", diff)
	}

	pages := []struct {
		name         string
		after        uint64
		limit        int
		wantFirst    uint64
		wantEntryNum int
	}{
		{"AllWithoutLimit", 0, 0, 1, 7},
		{"PageFromTheMiddle", 2, 3, 3, 3},
		{"LimitBeyondTheEnd", 5, 10, 6, 2},
		{"NothingAfterTheLast", 7, 0, 0, 0},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			var page []store.Audit
			MustView(t, s, func(tx *store.Tx) (err error) {
				page, err = tx.AuditLog(p.after, p.limit)
				return err
			})
			if len(page) != p.wantEntryNum {
				t.Fatalf("AuditLog(%d, %d) = %d entries; want %d", p.after, p.limit, len(page), p.wantEntryNum)
			}
			for i, a := range page {
				if want := p.wantFirst + uint64(i); a.Seq != want {
					t.Errorf("AuditLog(%d, %d)[%d].Seq = %d; want %d", p.after, p.limit, i, a.Seq, want)
				}
			}
		})
	}
}

func TestOutbox(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	stamped := t0.Add(-time.Hour)
	var first, second store.Message
	MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error {
		first = store.Message{Channel: "C1", Doc: store.Doc{Text: "one"}}
		second = store.Message{Channel: "U2", Doc: store.Doc{Text: "two"}, CreatedAt: stamped}
		if err := tx.Enqueue(&first); err != nil {
			return err
		}
		return tx.Enqueue(&second)
	})
	if first.ID == 0 || second.ID <= first.ID {
		t.Errorf("Enqueue IDs = %d, %d; want increasing, non-zero", first.ID, second.ID)
	}
	if !first.CreatedAt.Equal(t0) {
		t.Errorf("Enqueue without CreatedAt set it to %v; want the transaction's %v", first.CreatedAt, t0)
	}
	if !second.CreatedAt.Equal(stamped) {
		t.Errorf("Enqueue with CreatedAt %v changed it to %v", stamped, second.CreatedAt)
	}

	outbox := func(tb testing.TB) []store.Message {
		tb.Helper()
		var ms []store.Message
		MustView(tb, s, func(tx *store.Tx) (err error) {
			ms, err = tx.Outbox()
			return err
		})
		return ms
	}
	if diff := cmp.Diff([]store.Message{first, second}, outbox(t)); diff != "" {
		t.Errorf("Outbox() mismatch (-want +got):\n%s", diff)
	}

	t.Run("PutMessageRewrites", func(t *testing.T) {
		retry := first
		retry.Attempts, retry.LastError, retry.NextAttempt, retry.Parked = 3, "ratelimited", t0.Add(time.Minute), true
		MustUpdate(t, s, "worker", t0, func(tx *store.Tx) error { return tx.PutMessage(&retry) })
		if diff := cmp.Diff([]store.Message{retry, second}, outbox(t)); diff != "" {
			t.Errorf("Outbox() after PutMessage mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("DeleteMessageRemoves", func(t *testing.T) {
		MustUpdate(t, s, "worker", t0, func(tx *store.Tx) error {
			if err := tx.DeleteMessage(first.ID); err != nil {
				return err
			}
			return tx.DeleteMessage(first.ID) // already gone: no error
		})
		if diff := cmp.Diff([]store.Message{second}, outbox(t)); diff != "" {
			t.Errorf("Outbox() after DeleteMessage mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("IDsAreNeverReused", func(t *testing.T) {
		var m store.Message
		MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error { return tx.Enqueue(&m) })
		if m.ID <= second.ID {
			t.Errorf("Enqueue after a delete set ID %d; want more than %d", m.ID, second.ID)
		}
	})

	t.Run("OrderIsOldestFirstPast255", func(t *testing.T) {
		// Keys are big-endian, so byte order is numeric order even when the
		// low byte wraps.
		MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error {
			for range 300 {
				if err := tx.Enqueue(&store.Message{Channel: "C1"}); err != nil {
					return err
				}
			}
			return nil
		})
		ms := outbox(t)
		for i := 1; i < len(ms); i++ {
			if ms[i].ID <= ms[i-1].ID {
				t.Fatalf("Outbox()[%d].ID = %d after %d; want oldest first", i, ms[i].ID, ms[i-1].ID)
			}
		}
	})
}

func TestPosted(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	posted := func(tb testing.TB, ref string) *store.Posted {
		tb.Helper()
		var p *store.Posted
		MustView(tb, s, func(tx *store.Tx) (err error) {
			p, err = tx.Posted(ref)
			return err
		})
		return p
	}
	if got := posted(t, "CR-1"); got != nil {
		t.Errorf("Posted(CR-1) before any PutPosted = %+v; want nil", got)
	}
	for _, want := range []store.Posted{{Channel: "C1", TS: "1.000100"}, {Channel: "C2", TS: "2.000200"}} {
		MustUpdate(t, s, "worker", t0, func(tx *store.Tx) error { return tx.PutPosted("CR-1", want) })
		if diff := cmp.Diff(&want, posted(t, "CR-1")); diff != "" {
			t.Errorf("Posted(CR-1) after PutPosted mismatch (-want +got):\n%s", diff)
		}
	}
	if got := posted(t, "CR-2"); got != nil {
		t.Errorf("Posted(CR-2) = %+v; want nil", got)
	}
}

func TestMarkSent(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	mark := func(tb testing.TB, tx *store.Tx, key string, want bool) {
		tb.Helper()
		got, err := tx.MarkSent(key)
		if err != nil || got != want {
			tb.Errorf("MarkSent(%q) = %v, %v; want %v, nil", key, got, err, want)
		}
	}
	slip := "slip app@1 lib@1 2027-03-01 2027-03-05"
	further := "slip app@1 lib@1 2027-03-01 2027-03-09"
	MustUpdate(t, s, "sweep", t0, func(tx *store.Tx) error {
		mark(t, tx, slip, true)
		mark(t, tx, slip, false)
		mark(t, tx, further, true)
		return nil
	})
	MustUpdate(t, s, "sweep", t0.Add(15*time.Minute), func(tx *store.Tx) error {
		mark(t, tx, slip, false)
		mark(t, tx, further, false)
		return nil
	})
}

func TestBackup(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, filepath.Join(dir, "relman.db"))
	MustSeed(t, s, newFixture(t))
	want := MustSnapshot(t, s, "CR-1")

	t.Run("BackupOpensWithSameData", func(t *testing.T) {
		var buf bytes.Buffer
		n, err := s.Backup(context.Background(), &buf)
		if err != nil {
			t.Fatalf("Backup() = %v", err)
		}
		if n != int64(buf.Len()) {
			t.Errorf("Backup() = %d bytes; wrote %d", n, buf.Len())
		}
		path := filepath.Join(dir, "from-writer.db")
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, MustSnapshot(t, MustOpen(t, path), "CR-1"), dateEq); diff != "" {
			t.Errorf("store opened from Backup() (-want +got):\n%s", diff)
		}
	})

	t.Run("BackupFileOpensWithSameData", func(t *testing.T) {
		path := filepath.Join(dir, "backup.db")
		n, err := boltdb.BackupFile(context.Background(), s, path)
		if err != nil {
			t.Fatalf("BackupFile(%q) = %v", path, err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if n != fi.Size() {
			t.Errorf("BackupFile(%q) = %d bytes; the file has %d", path, n, fi.Size())
		}
		if diff := cmp.Diff(want, MustSnapshot(t, MustOpen(t, path), "CR-1"), dateEq); diff != "" {
			t.Errorf("store opened from BackupFile() (-want +got):\n%s", diff)
		}
	})

	t.Run("BackupFileRefusesToOverwrite", func(t *testing.T) {
		path := filepath.Join(dir, "precious.txt")
		if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := boltdb.BackupFile(context.Background(), s, path); !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("BackupFile(%q) over an existing file = %v; want an fs.ErrExist naming the file", path, err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "keep me" {
			t.Errorf("after a refused BackupFile the file holds %q, %v; want it untouched", b, err)
		}
	})
}

func TestExternalKey(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"FoldsCase", "Stripe SDK", "stripe sdk"},
		{"TrimsAndCollapsesSpaces", "  Stripe   SDK  ", "stripe sdk"},
		{"CollapsesTabsAndNewlines", "STRIPE\tSDK\n5", "stripe sdk 5"},
		{"KeepsPunctuation", "Partner-API v2.1", "partner-api v2.1"},
		{"FoldsNonASCII", "ÜBER Straße", "über straße"},
		{"EmptyStaysEmpty", "   ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.ExternalKey(tt.in); got != tt.want {
				t.Errorf("ExternalKey(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}

	t.Run("StoreFindsAnySpelling", func(t *testing.T) {
		s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
		MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error {
			if err := tx.PutExternal("external.add", &store.External{Name: "Stripe SDK", Due: MustDate(t, "2027-03-01")}); err != nil {
				return err
			}
			// Another spelling is the same item: it replaces the first.
			return tx.PutExternal("external.confirm", &store.External{Name: "stripe  sdk", Due: MustDate(t, "2027-03-08")})
		})
		MustView(t, s, func(tx *store.Tx) error {
			for _, name := range []string{"Stripe SDK", "  STRIPE sdk ", "stripe\tsdk"} {
				x, err := tx.External(name)
				if err != nil {
					t.Errorf("External(%q) = %v", name, err)
					continue
				}
				if x.Due.String() != "2027-03-08" {
					t.Errorf("External(%q).Due = %v; want 2027-03-08", name, x.Due)
				}
			}
			xs, err := tx.Externals()
			if err != nil {
				return err
			}
			if len(xs) != 1 {
				t.Errorf("Externals() = %d items; want 1 for two spellings of one name", len(xs))
			}
			return nil
		})
	})
}

func TestTxNotFound(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	MustView(t, s, func(tx *store.Tx) error {
		ref := MustRef(t, "payments@9.9")
		lookups := []struct {
			name string
			call func() (any, error)
		}{
			{"Product", func() (any, error) { return tx.Product("payments") }},
			{"Release", func() (any, error) { return tx.Release(ref) }},
			{"External", func() (any, error) { return tx.External("Stripe SDK") }},
			{"Dependency", func() (any, error) { return tx.Dependency(ref, "auth@1") }},
		}
		for _, l := range lookups {
			v, err := l.call()
			if got := store.ErrorCode(err); got != store.ENotFound {
				t.Errorf("%s of a missing record = %v, %v; want code %q", l.name, v, err, store.ENotFound)
			}
		}
		return nil
	})
}

func TestTxPrefixLookups(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	keys := []string{"pay@1", "pay-x@1", "payments@1", "payments@2", "a@1", "a@1.0", "b@1"}
	MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error {
		for _, k := range keys {
			if err := tx.PutRelease("release.add", &store.Release{Ref: MustRef(t, k), Target: MustDate(t, "2027-03-01"), Status: store.Planned}); err != nil {
				return err
			}
		}
		for _, d := range []store.Dependency{
			MustDep(t, "a@1", "b@1", ""),
			MustDep(t, "a@1", "ext:Vendor X", ""),
			MustDep(t, "a@1.0", "b@1", ""),
		} {
			if err := tx.PutDependency("dependency.add", &d); err != nil {
				return err
			}
		}
		return nil
	})

	MustView(t, s, func(tx *store.Tx) error {
		releasesOf := []struct{ product, want string }{
			{"pay", "pay@1"},
			{"payments", "payments@1 payments@2"},
			{"a", "a@1 a@1.0"},
			{"nothing", ""},
		}
		for _, tt := range releasesOf {
			rs, err := tx.ReleasesOf(tt.product)
			if err != nil {
				return err
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.Key())
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("ReleasesOf(%q) = %v; want [%s]", tt.product, got, tt.want)
			}
		}

		ds, err := tx.DependenciesOf(MustRef(t, "a@1"))
		if err != nil {
			return err
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.Key())
		}
		if diff := cmp.Diff([]string{"a@1 b@1", "a@1 ext:vendor x"}, got); diff != "" {
			t.Errorf("DependenciesOf(a@1) mismatch (-want +got):\n%s", diff)
		}

		d, err := tx.Dependency(MustRef(t, "a@1"), "ext:"+store.ExternalKey("VENDOR  x"))
		if err != nil || d.External != "vendor x" {
			t.Errorf("Dependency(a@1, ext:vendor x) = %v, %v; want the edge", d, err)
		}
		return nil
	})
}

func TestTxGraph(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	f := newFixture(t)
	MustSeed(t, s, f)
	MustView(t, s, func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		payments := f.Releases[1].Ref
		if r := g.Release(payments); r == nil || r.Target != f.Releases[1].Target {
			t.Errorf("Graph().Release(%s) = %v; want the stored release", payments, r)
		}
		if x := g.External("stripe sdk 5"); x == nil || x.Name != "Stripe SDK 5" {
			t.Errorf("Graph().External(stripe sdk 5) = %v; want Stripe SDK 5", x)
		}
		// As of 2027-03-02 the external (due 03-01, needed by 03-05) is on
		// time and auth shipped: nothing slipped. The stored edges are live.
		if slips := g.Slips(MustDate(t, "2027-03-02")); len(slips) != 0 {
			t.Errorf("Graph().Slips(2027-03-02) = %v; want none", slips)
		}
		for _, d := range g.Dependencies(payments) {
			if _, ok := g.EdgeState(d, MustDate(t, "2027-03-02")); !ok {
				t.Errorf("Graph().EdgeState(%s) ok = false; want both ends loaded", d.Key())
			}
		}
		return nil
	})
}

// TestGraphCacheNeverOutlivesAnUpdate checks the Graph that read-only
// transactions share: a reader whose snapshot predates a commit must not
// leave its older Graph behind for readers that come after the commit.
func TestGraphCacheNeverOutlivesAnUpdate(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	at := t0
	old := MustRelease(t, "app@1", "2027-03-01")
	// Grow the file and then free pages, so that the concurrent commit
	// below reuses them instead of remapping the file, which would wait for
	// the open reader.
	big := old
	big.History = make([]store.HistoryEntry, 3000)
	MustUpdate(t, s, "UALICE", at, func(tx *store.Tx) error { return tx.PutRelease("release.add", &big) })
	MustUpdate(t, s, "UALICE", at, func(tx *store.Tx) error { return tx.PutRelease("release.trim", &old) })
	MustUpdate(t, s, "UALICE", at, func(tx *store.Tx) error { return tx.PutRelease("release.trim", &old) })

	added := MustRelease(t, "app@2", "2027-04-01")
	committed := make(chan error, 1)
	MustView(t, s, func(tx *store.Tx) error {
		// This reader's snapshot is taken. Another request commits now,
		// and only then does the reader ask for the Graph.
		go func() {
			committed <- s.Update(context.Background(), "UBOB", at, func(tx *store.Tx) error { return tx.PutRelease("release.add", &added) })
		}()
		select {
		case err := <-committed:
			if err != nil {
				t.Fatalf("concurrent Update = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("concurrent Update did not commit while a reader was open")
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		if g.Release(added.Ref) != nil {
			t.Errorf("a reader that began before the commit sees %s; want its own snapshot", added.Ref)
		}
		return nil
	})

	MustView(t, s, func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		if g.Release(added.Ref) == nil {
			t.Errorf("Graph() after Update added %s does not have it: a stale Graph was served", added.Ref)
		}
		return nil
	})
}

func TestGraphCacheFollowsUpdates(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	graph := func(tb testing.TB) *store.Graph {
		tb.Helper()
		var g *store.Graph
		MustView(tb, s, func(tx *store.Tx) (err error) {
			g, err = tx.Graph()
			return err
		})
		return g
	}
	first := graph(t)
	if again := graph(t); again != first {
		t.Errorf("Graph() without an Update in between built a new Graph; want the shared one")
	}
	for i, ref := range []string{"app@1", "app@2"} {
		r := MustRelease(t, ref, "2027-03-01")
		MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error { return tx.PutRelease("release.add", &r) })
		if got := graph(t).Releases(); len(got) != i+1 {
			t.Errorf("Graph().Releases() after adding %s = %d releases; want %d", ref, len(got), i+1)
		}
	}
	// A failed Update changes nothing, and the shared Graph stays right.
	before := graph(t)
	err := s.Update(context.Background(), "UALICE", t0, func(tx *store.Tx) error {
		r := MustRelease(t, "app@3", "2027-03-01")
		if err := tx.PutRelease("release.add", &r); err != nil {
			return err
		}
		return errors.New("refused")
	})
	if err == nil {
		t.Fatal("Update returning an error = nil")
	}
	if got := graph(t); got.Release(MustRef(t, "app@3")) != nil || len(got.Releases()) != len(before.Releases()) {
		t.Errorf("Graph() after a failed Update has %d releases; want %d", len(got.Releases()), len(before.Releases()))
	}
	// Inside an Update, Graph sees the transaction's own writes.
	MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error {
		r := MustRelease(t, "app@4", "2027-03-01")
		if err := tx.PutRelease("release.add", &r); err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		if g.Release(r.Ref) == nil {
			t.Errorf("Graph() inside the Update that added %s does not have it", r.Ref)
		}
		return nil
	})
}

// TestGraphCacheSurvivesOutboxWrites checks that delivering messages (outbox,
// posted and ledger writes) does not make readers rebuild the shared Graph,
// while any change to the domain does.
func TestGraphCacheSurvivesOutboxWrites(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	graph := func(tb testing.TB) *store.Graph {
		tb.Helper()
		var g *store.Graph
		MustView(tb, s, func(tx *store.Tx) (err error) {
			g, err = tx.Graph()
			return err
		})
		return g
	}
	first := graph(t)
	MustUpdate(t, s, "relman", t0, func(tx *store.Tx) error {
		m := &store.Message{Channel: "C1"}
		if err := tx.Enqueue(m); err != nil {
			return err
		}
		if err := tx.PutPosted("r", store.Posted{Channel: "C1", TS: "1.1"}); err != nil {
			return err
		}
		if _, err := tx.MarkSent("k"); err != nil {
			return err
		}
		if err := tx.ParkMessage(m); err != nil {
			return err
		}
		return tx.DeleteMessage(m.ID)
	})
	if graph(t) != first {
		t.Error("outbox bookkeeping made readers rebuild the Graph; want the shared one kept")
	}
	r := MustRelease(t, "app@1", "2027-03-01")
	MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error { return tx.PutRelease("release.add", &r) })
	if g := graph(t); g == first || len(g.Releases()) != 1 {
		t.Errorf("after adding a release Graph() = %d releases (shared: %v); want a new Graph with 1", len(g.Releases()), g == first)
	}
}
