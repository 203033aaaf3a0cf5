package store_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

func TestFreezes(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	d := func(s string) store.Date {
		v, err := store.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	holidays := store.Freeze{Products: []string{"web", "payments", "web"}, From: d("2027-12-20"), To: d("2028-01-03"), Reason: "holidays"}
	MustUpdate(t, s, "U1", t0, func(tx *store.Tx) error { return tx.NewFreeze("freeze.add", &holidays) })
	want := store.Freeze{ID: 1, Products: []string{"payments", "web"}, From: d("2027-12-20"), To: d("2028-01-03"), Reason: "holidays", CreatedBy: "U1", CreatedAt: t0}
	if diff := cmp.Diff(want, holidays, dateEq); diff != "" {
		t.Errorf("stored freeze (-want +got):\n%s", diff)
	}

	t.Run("RefusedWhenOverlapping", func(t *testing.T) {
		err := s.Update(t.Context(), "U1", t0, func(tx *store.Tx) error {
			return tx.NewFreeze("freeze.add", &store.Freeze{From: d("2028-01-03"), To: d("2028-01-05"), Reason: "audit"})
		})
		var e *store.Error
		if !errors.As(err, &e) || e.Code != store.EConflict || !strings.Contains(e.Error(), "FZ-1") {
			t.Errorf("overlapping freeze: got %v, want a conflict naming FZ-1", err)
		}
	})
	t.Run("OtherProductsMayOverlap", func(t *testing.T) {
		MustUpdate(t, s, "U1", t0, func(tx *store.Tx) error {
			return tx.NewFreeze("freeze.add", &store.Freeze{Products: []string{"auth"}, From: d("2027-12-24"), To: d("2027-12-24"), Reason: "audit"})
		})
	})
	t.Run("RefusedWhenEndingBeforeStart", func(t *testing.T) {
		err := s.Update(t.Context(), "U1", t0, func(tx *store.Tx) error {
			return tx.NewFreeze("freeze.add", &store.Freeze{From: d("2028-03-02"), To: d("2028-03-01"), Reason: "x"})
		})
		var e *store.Error
		if !errors.As(err, &e) || e.Code != store.EInvalid {
			t.Errorf("backwards freeze: got %v, want invalid", err)
		}
	})
	t.Run("FreezeOn", func(t *testing.T) {
		MustView(t, s, func(tx *store.Tx) error {
			for _, c := range []struct {
				product, date string
				want          int
			}{{"web", "2027-12-20", 1}, {"web", "2028-01-03", 1}, {"web", "2028-01-04", 0}, {"web", "2027-12-19", 0}, {"auth", "2027-12-24", 2}, {"auth", "2027-12-23", 0}} {
				f, err := tx.FreezeOn(c.product, d(c.date))
				if err != nil {
					return err
				}
				got := 0
				if f != nil {
					got = f.ID
				}
				if got != c.want {
					t.Errorf("FreezeOn(%s, %s) = FZ-%d, want FZ-%d", c.product, c.date, got, c.want)
				}
			}
			return nil
		})
	})
	t.Run("RemovedAndGenerationMoves", func(t *testing.T) {
		before, err := s.Generation(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		MustUpdate(t, s, "U1", t0, func(tx *store.Tx) error { return tx.DeleteFreeze("freeze.remove", 1) })
		after, _ := s.Generation(t.Context())
		if after <= before {
			t.Errorf("generation %d after removing a freeze, was %d: calendar ETags would not change", after, before)
		}
		MustView(t, s, func(tx *store.Tx) error {
			if _, err := tx.Freeze(1); store.ErrorCode(err) != store.ENotFound {
				t.Errorf("FZ-1 after removal: %v", err)
			}
			return nil
		})
	})
}

func TestParseFreezeID(t *testing.T) {
	for in, want := range map[string]int{"FZ-3": 3, "fz-12": 12, "7": 7, "FZ-": 0, "x": 0, "-1": 0} {
		got, err := store.ParseFreezeID(in)
		if got != want || (want == 0) != (err != nil) {
			t.Errorf("ParseFreezeID(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
