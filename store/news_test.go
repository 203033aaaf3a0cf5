package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
)

func TestNews(t *testing.T) {
	t.Run("BBolt", func(t *testing.T) { testNews(t, MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))) })
	t.Run("PostgreSQL", func(t *testing.T) {
		s, err := postgres.Open(t.Context(), pgtest.MustDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		testNews(t, s)
	})
}

// testNews checks Tx.News on the store s, empty.
func testNews(t *testing.T, s *store.Store) {
	d := func(v string) store.Date {
		x, err := store.ParseDate(v)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	ref := store.Ref{Product: "web", Version: "2.0"}
	MustUpdate(t, s, "U1", at(0), func(tx *store.Tx) error {
		if err := tx.PutProduct("product.create", &store.Product{Name: "payments"}); err != nil {
			return err
		}
		return tx.PutRelease("release.add", &store.Release{Ref: ref, Target: d("2027-02-01"), Owner: "U1", Status: store.Planned})
	})
	MustUpdate(t, s, "U1", at(1), func(tx *store.Tx) error {
		return tx.NewFreeze("freeze.add", &store.Freeze{Products: []string{"payments"}, From: d("2027-02-01"), To: d("2027-02-05"), Reason: "audit"})
	})
	MustUpdate(t, s, "U2", at(2), func(tx *store.Tx) error {
		p, err := tx.Product("payments")
		if err != nil {
			return err
		}
		p.Roles = p.Roles.With(store.ReleaseManager, []string{"U2"}).With(store.ProductManager, []string{"U3"})
		return tx.PutProduct("product.role", p)
	})
	MustUpdate(t, s, "U2", at(3), func(tx *store.Tx) error {
		p, err := tx.Product("payments")
		if err != nil {
			return err
		}
		p.Roles = p.Roles.With(store.ReleaseManager, []string{"U2"}) // the same holders: no news
		return tx.PutProduct("product.role", p)
	})
	MustUpdate(t, s, "U1", at(4), func(tx *store.Tx) error {
		r, err := tx.Release(ref)
		if err != nil {
			return err
		}
		r.Roles = r.Roles.With(store.ReleaseEngineer, []string{"U4"})
		if err := tx.PutRelease("release.role", r); err != nil {
			return err
		}
		return tx.DeleteFreeze("freeze.remove", 1)
	})
	fz := &store.Freeze{ID: 1, Products: []string{"payments"}, From: d("2027-02-01"), To: d("2027-02-05"), Reason: "audit", CreatedBy: "U1", CreatedAt: at(1)}
	all := []store.News{
		{Kind: store.NewsFreezeAdded, At: at(1), By: "U1", Freeze: fz},
		{Kind: store.NewsRoleChanged, At: at(2), By: "U2", Product: "payments", Role: store.ReleaseManager, Users: []string{"U2"}},
		{Kind: store.NewsRoleChanged, At: at(2), By: "U2", Product: "payments", Role: store.ProductManager, Users: []string{"U3"}},
		{Kind: store.NewsRoleChanged, At: at(4), By: "U1", Release: ref, Role: store.ReleaseEngineer, Users: []string{"U4"}},
		{Kind: store.NewsFreezeRemoved, At: at(4), By: "U1", Freeze: fz},
	}
	for _, tc := range []struct {
		name         string
		since, until time.Time
		want         []store.News
	}{
		{"EverythingOldestFirst", at(0), at(9), all},
		{"SinceIsInclusive", at(2), at(9), all[1:]},
		{"UntilIsInclusive", at(0), at(2), all[:3]},
		{"NothingAfterTheLast", at(5), at(9), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustView(t, s, func(tx *store.Tx) error {
				got, err := tx.News(tc.since, tc.until)
				if err != nil {
					return err
				}
				if diff := cmp.Diff(tc.want, got, dateEq); diff != "" {
					t.Errorf("News(%v, %v) (-want +got):\n%s", tc.since, tc.until, diff)
				}
				return nil
			})
		})
	}
	t.Run("Covers", func(t *testing.T) {
		for i, c := range []struct {
			product string
			want    bool
		}{{"payments", true}, {"web", false}} {
			if got := all[0].Covers(c.product); got != c.want {
				t.Errorf("%d: freeze news Covers(%q) = %v; want %v", i, c.product, got, c.want)
			}
		}
		if !all[3].Covers("web") || all[3].Covers("payments") {
			t.Errorf("release role news covers the wrong product")
		}
	})
}
