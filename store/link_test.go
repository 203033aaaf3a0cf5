package store_test

import (
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"relman/store"
)

// TestLinksAfterSchema7: a database written at schema 7 opens with the
// connectors' buckets, and keeps links, deliveries and Jira versions.
func TestLinksAfterSchema7(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relman.db")
	MustBoltFile(t, path, func(tx *bolt.Tx) error {
		for _, name := range schema7Buckets {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), schemaBytes(7))
	})
	s := MustOpen(t, path)
	MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error {
		if err := tx.PutLink("link.add", &store.Link{Product: "payments", Kind: store.LinkGitHub, Target: "Acme/Payments", By: "UALICE", At: t0}); err != nil {
			return err
		}
		if first, err := tx.FirstDelivery("github\x00d-1", time.Hour); err != nil || !first {
			t.Errorf("FirstDelivery of a new id = %v, %v; want true", first, err)
		}
		return tx.PutJiraVersion(&store.JiraVersion{Project: "PAY", ID: "10000", Name: "payments 1.0", Ref: "payments@1.0"})
	})
	MustUpdate(t, s, "UALICE", t0.Add(time.Minute), func(tx *store.Tx) error {
		if l, err := tx.Link(store.LinkGitHub, "acme/payments"); err != nil || l.Product != "payments" {
			t.Errorf("Link(github, acme/payments) = %+v, %v; want payments's, whatever the case", l, err)
		}
		if _, err := tx.LinkOf("payments", store.LinkJira); store.ErrorCode(err) != store.ENotFound {
			t.Errorf("LinkOf(payments, jira) = %v; want not found", err)
		}
		if first, err := tx.FirstDelivery("github\x00d-1", time.Hour); err != nil || first {
			t.Errorf("FirstDelivery of a seen id = %v, %v; want false", first, err)
		}
		vs, err := tx.JiraVersions("PAY")
		if err != nil || vs["10000"].Ref != "payments@1.0" {
			t.Errorf("JiraVersions(PAY) = %v, %v", vs, err)
		}
		return nil
	})
	MustClose(t, s)
}
