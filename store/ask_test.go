package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"relman/store"
)

func TestPendingAsks(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	put := func(id string, at time.Time) {
		t.Helper()
		MustUpdate(t, s, "U1", at, func(tx *store.Tx) error {
			return tx.PutAsk(&store.PendingAsk{ID: id, ResponseURL: "https://hooks/" + id, Blocks: []byte(`[]`), At: at}, 30*time.Minute, 3)
		})
	}
	take := func(id string, at time.Time) *store.PendingAsk {
		t.Helper()
		var p *store.PendingAsk
		MustUpdate(t, s, "U1", at, func(tx *store.Tx) error {
			var err error
			p, err = tx.TakeAsk(id, 30*time.Minute)
			return err
		})
		return p
	}
	put("a", t0)
	if p := take("a", t0.Add(time.Minute)); p == nil || p.ResponseURL != "https://hooks/a" {
		t.Errorf("TakeAsk(a) = %+v; want the ask put", p)
	}
	if p := take("a", t0.Add(time.Minute)); p != nil {
		t.Errorf("TakeAsk(a) a second time = %+v; want nil (taken once)", p)
	}
	put("old", t0)
	if p := take("old", t0.Add(31*time.Minute)); p != nil {
		t.Errorf("TakeAsk(old) after 31 minutes = %+v; want nil (stale)", p)
	}
	for i, id := range []string{"b", "c", "d", "e"} {
		put(id, t0.Add(time.Duration(i)*time.Second))
	}
	if p := take("b", t0.Add(time.Minute)); p != nil {
		t.Errorf("TakeAsk(b), the oldest of four with room for three = %+v; want nil (forgotten)", p)
	}
	for _, id := range []string{"c", "d", "e"} {
		if p := take(id, t0.Add(time.Minute)); p == nil {
			t.Errorf("TakeAsk(%s) = nil; want it kept", id)
		}
	}
}
