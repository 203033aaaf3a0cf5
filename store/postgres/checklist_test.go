package postgres_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"testing"

	"relman/store"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
)

// TestUpgradeFromSchema7: a PostgreSQL database written before checklists
// opens with the checklists bucket added, keeps its releases, and stores
// templates and items.
func TestUpgradeFromSchema7(t *testing.T) {
	dsn := pgtest.MustDatabase(t)
	ctx := context.Background()
	kv, err := postgres.OpenKV(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := kv.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"meta", "products", "releases", "externals", "dependencies", "audit", "outbox", "posted", "ledger", "parked",
		"subscriptions", "boards", "crs", "delegations", "events", "freezes", "calendars", "asks", "changes"} {
		if err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	r := MustRelease(t, "payments@2.3.0", "2027-01-15")
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Bucket([]byte("releases")).Put([]byte(r.Key()), b); err != nil {
		t.Fatal(err)
	}
	if err := tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, 7)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	kv.Close()

	s := MustOpen(t, dsn)
	if err := s.Update(ctx, "UALICE", t0, func(tx *store.Tx) error {
		got, err := tx.Release(r.Ref)
		if err != nil {
			return err
		}
		got.AddChecklistItem(store.ChecklistItem{Text: "security review", Before: "production"})
		if err := tx.PutRelease("checklist.add", got); err != nil {
			return err
		}
		tpl, err := tx.ChecklistTemplate("payments")
		if err != nil {
			return err
		}
		tpl.Add(store.ChecklistItem{Text: "release notes"})
		return tx.PutChecklistTemplate("checklist.template.add", tpl)
	}); err != nil {
		t.Fatalf("Update after the upgrade = %v", err)
	}
	s.Close()

	s = MustOpen(t, dsn)
	if v, err := store.CheckSchema(ctx, mustKV(t, dsn)); v != store.SchemaVersion || err != nil {
		t.Errorf("CheckSchema after the upgrade = %d, %v; want %d, nil", v, err, store.SchemaVersion)
	}
	if err := s.View(ctx, func(tx *store.Tx) error {
		tpl, err := tx.ChecklistTemplate("payments")
		if err != nil {
			return err
		}
		if len(tpl.Items) != 1 || tpl.Items[0].Text != "release notes" {
			t.Errorf("template after reopening = %+v; want the release notes", tpl)
		}
		items, err := tx.OpenChecklistBefore(r.Ref, "production")
		if err != nil {
			return err
		}
		if len(items) != 1 || items[0].Text != "security review" {
			t.Errorf("OpenChecklistBefore(production) = %+v; want the security review", items)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func mustKV(tb testing.TB, dsn string) store.KV {
	tb.Helper()
	kv, err := postgres.OpenKV(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { kv.Close() })
	return kv
}
