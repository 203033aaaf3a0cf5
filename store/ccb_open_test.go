package store_test

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

func TestOpenChangeRequestsSkipsDecidedOnes(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	ref := store.Ref{Product: "payments", Version: "2.3.0"}
	crs := []store.ChangeRequest{
		{Release: ref, Title: "first", Status: store.CROpen},
		{Release: ref, Title: `"status":"open"`, Status: store.CRApproved}, // decided, whatever its title says
		{Release: ref, Title: "withdrawn", Status: store.CRWithdrawn},
		{Release: ref, Title: "second"}, // NewChangeRequest opens it
	}
	MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error {
		for i := range crs {
			if err := tx.NewChangeRequest("ccb.request", &crs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	var got []string
	MustView(t, s, func(tx *store.Tx) error {
		open, err := tx.OpenChangeRequests()
		for _, cr := range open {
			got = append(got, cr.Name()+" "+cr.Title)
		}
		return err
	})
	if diff := cmp.Diff([]string{"CR-1 first", "CR-4 second"}, got); diff != "" {
		t.Errorf("OpenChangeRequests() mismatch (-want +got):\n%s", diff)
	}
}
