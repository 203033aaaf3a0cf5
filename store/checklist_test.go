package store_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"relman/store"
)

// schema7Buckets are the buckets a schema 7 database has.
var schema7Buckets = []string{"meta", "products", "releases", "externals", "dependencies", "audit", "outbox", "posted", "ledger", "parked",
	"subscriptions", "boards", "crs", "delegations", "events", "freezes", "calendars", "asks", "changes"}

// TestOpenMigratesSchema7: a database written before checklists opens
// with the checklists bucket added and its releases as they were, with
// empty checklists, and takes templates and items.
func TestOpenMigratesSchema7(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relman.db")
	old := MustRelease(t, "payments@2.3.0", "2027-01-15")
	MustBoltFile(t, path, func(tx *bolt.Tx) error {
		for _, name := range schema7Buckets {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("meta")).Put([]byte("schema"), schemaBytes(7)); err != nil {
			return err
		}
		b, err := json.Marshal(old)
		if err != nil {
			return err
		}
		return tx.Bucket([]byte("releases")).Put([]byte(old.Key()), b)
	})
	s := MustOpen(t, path)
	MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error {
		r, err := tx.Release(old.Ref)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(&old, r, dateEq); diff != "" {
			t.Errorf("release after the upgrade (-want +got):\n%s", diff)
		}
		r.AddChecklistItem(store.ChecklistItem{Text: "security review", Before: "production"})
		if err := tx.PutRelease("checklist.add", r); err != nil {
			return err
		}
		tpl, err := tx.ChecklistTemplate("payments")
		if err != nil {
			return err
		}
		tpl.Add(store.ChecklistItem{Text: "release notes", Follow: true, DaysBefore: 3})
		return tx.PutChecklistTemplate("checklist.template.add", tpl)
	})
	MustClose(t, s)
	MustBoltView(t, path, func(tx *bolt.Tx) error {
		if got := tx.Bucket([]byte("meta")).Get([]byte("schema")); string(got) != string(schemaBytes(store.SchemaVersion)) {
			t.Errorf("schema after the upgrade = %x; want %x", got, schemaBytes(store.SchemaVersion))
		}
		if b := tx.Bucket([]byte("checklists")); b == nil || b.Get([]byte("payments")) == nil {
			t.Errorf("after the upgrade the checklists bucket lacks payments's template")
		}
		return nil
	})
	s = MustOpen(t, path)
	defer MustClose(t, s)
	MustView(t, s, func(tx *store.Tx) error {
		tpl, err := tx.ChecklistTemplate("payments")
		if err != nil {
			return err
		}
		if len(tpl.Items) != 1 || tpl.Items[0].N != 1 || tpl.Next != 2 {
			t.Errorf("template after reopening = %+v; want item #1, next 2", tpl)
		}
		items, err := tx.OpenChecklistBefore(old.Ref, "production")
		if err != nil {
			return err
		}
		if len(items) != 1 || items[0].Text != "security review" {
			t.Errorf("OpenChecklistBefore(production) after reopening = %+v; want the security review", items)
		}
		return nil
	})
}

// TestOpenChecklistBefore: the items that gate a stage are the open ones
// before it or an earlier stage.
func TestOpenChecklistBefore(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	defer MustClose(t, s)
	r := MustRelease(t, "payments@2.3.0", "2027-01-15")
	for _, it := range []store.ChecklistItem{
		{Text: "load test", Before: "test"},
		{Text: "security review", Before: "production"},
		{Text: "release notes"},
		{Text: "pen test", Before: "production", Done: true},
		{Text: "sign-off", Before: "staging"}, // a stage the pipeline no longer has
	} {
		r.AddChecklistItem(it)
	}
	MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error { return tx.PutRelease("release.add", &r) })
	tests := []struct {
		name, stage string
		want        []int
		code        string
	}{
		{"TestHasItsOwn", "test", []int{1}, ""},
		{"ProductionHasEveryEarlierStage", "production", []int{1, 2, 5}, ""},
		{"RejectsAnUnknownStage", "staging", nil, store.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			MustView(t, s, func(tx *store.Tx) error {
				items, err := tx.OpenChecklistBefore(r.Ref, tt.stage)
				if got := store.ErrorCode(err); got != tt.code {
					t.Fatalf("OpenChecklistBefore(%q) error = %v; want code %q", tt.stage, err, tt.code)
				}
				var got []int
				for _, it := range items {
					got = append(got, it.N)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("OpenChecklistBefore(%q) items (-want +got):\n%s", tt.stage, diff)
				}
				return nil
			})
		})
	}
	MustView(t, s, func(tx *store.Tx) error {
		_, err := tx.OpenChecklistBefore(MustRef(t, "payments@9.9"), "production")
		if store.ErrorCode(err) != store.ENotFound {
			t.Errorf("OpenChecklistBefore of a missing release = %v; want not found", err)
		}
		return nil
	})
}

// TestChecklistSent: the ledger key the sweep looks up without a string
// is ChecklistKey's.
func TestChecklistSent(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	defer MustClose(t, s)
	ref := MustRef(t, "payments@2.3.0")
	due := MustDate(t, "2027-01-13")
	if got, want := store.ChecklistKey(ref, 3, due, 7), "checklist payments@2.3.0#3 2027-01-13 7d"; got != want {
		t.Errorf("ChecklistKey = %q; want %q", got, want)
	}
	MustUpdate(t, s, "relman", t0, func(tx *store.Tx) error {
		_, err := tx.MarkSent(store.ChecklistKey(ref, 3, due, 7))
		return err
	})
	MustView(t, s, func(tx *store.Tx) error {
		if !tx.ChecklistSent(ref, 3, due, 7) {
			t.Errorf("ChecklistSent(#3, 7d) = false after MarkSent; want true")
		}
		if tx.ChecklistSent(ref, 3, due, 1) || tx.ChecklistSent(ref, 4, due, 7) || tx.ChecklistSent(ref, 3, due.AddDays(1), 7) {
			t.Errorf("ChecklistSent of another reminder = true; want false")
		}
		return nil
	})
}
