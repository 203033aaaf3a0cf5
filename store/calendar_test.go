package store_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

func TestCalendarFeeds(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	newFeed := func(user string, products ...string) (token string, replaced bool) {
		t.Helper()
		MustUpdate(t, s, user, t0, func(tx *store.Tx) (err error) {
			token, replaced, err = tx.NewCalendarFeed("calendar.subscribe", "", products)
			return err
		})
		return token, replaced
	}
	lookup := func(token string) (*store.CalendarFeed, error) {
		var c *store.CalendarFeed
		err := s.View(t.Context(), func(tx *store.Tx) (err error) {
			c, err = tx.CalendarFeedByToken(token)
			return err
		})
		return c, err
	}

	all, _ := newFeed("UALICE")
	some, _ := newFeed("UALICE", "web", "payments", "web")
	bobs, _ := newFeed("UBOB", "payments")

	t.Run("TokensAreRandomAndURLSafe", func(t *testing.T) {
		for _, tok := range []string{all, some, bobs} {
			if len(tok) != store.CalendarTokenLen || len(tok) < 22 { // 22 base64 characters carry 128 bits
				t.Errorf("token %q has %d characters; want %d", tok, len(tok), store.CalendarTokenLen)
			}
			if strings.Trim(tok, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
				t.Errorf("token %q is not URL-safe", tok)
			}
		}
		if all == some || some == bobs || all == bobs {
			t.Errorf("tokens repeat: %q %q %q", all, some, bobs)
		}
	})
	t.Run("FoundByToken", func(t *testing.T) {
		got, err := lookup(some)
		if err != nil {
			t.Fatal(err)
		}
		want := &store.CalendarFeed{Key: store.CalendarKey(some), User: "UALICE", Products: []string{"payments", "web"}, CreatedAt: t0, CreatedBy: "UALICE"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CalendarFeedByToken (-want +got):\n%s", diff)
		}
		if !got.Covers("web") || got.Covers("auth") {
			t.Errorf("Covers: a feed of payments and web covers web and not auth")
		}
	})
	t.Run("UnknownTokenNotFound", func(t *testing.T) {
		for _, tok := range []string{"", "x", strings.Repeat("A", store.CalendarTokenLen), some + "x", "../" + some[3:], strings.ToUpper(some)} {
			if tok == some {
				continue
			}
			if c, err := lookup(tok); store.ErrorCode(err) != store.ENotFound || c != nil {
				t.Errorf("CalendarFeedByToken(%q) = %v, %v; want not found", tok, c, err)
			}
		}
	})
	t.Run("TokenNeverStoredNorAudited", func(t *testing.T) {
		MustView(t, s, func(tx *store.Tx) error {
			log, err := tx.AuditLog(0, 0)
			if err != nil {
				return err
			}
			if len(log) != 3 {
				t.Errorf("audit has %d entries; want 3", len(log))
			}
			for _, a := range log {
				b, _ := json.Marshal(a)
				for _, tok := range []string{all, some, bobs} {
					if strings.Contains(string(b), tok) {
						t.Errorf("audit entry %d holds a token in clear: %s", a.Seq, b)
					}
				}
				if !strings.HasPrefix(a.Subject, "calendar of U") {
					t.Errorf("audit subject = %q; want \"calendar of <user>\"", a.Subject)
				}
			}
			feeds, err := tx.CalendarFeeds()
			if err != nil {
				return err
			}
			b, _ := json.Marshal(feeds)
			for _, tok := range []string{all, some, bobs} {
				if strings.Contains(string(b), tok) {
					t.Errorf("a stored feed holds its token: %s", b)
				}
			}
			return nil
		})
	})
	t.Run("SameProductsReplaced", func(t *testing.T) {
		again, replaced := newFeed("UALICE", "payments", "web")
		if !replaced {
			t.Error("a second feed of the same products did not replace the first")
		}
		if _, err := lookup(some); store.ErrorCode(err) != store.ENotFound {
			t.Errorf("the replaced feed's token still works: %v", err)
		}
		if _, err := lookup(again); err != nil {
			t.Errorf("the new token: %v", err)
		}
		if _, err := lookup(all); err != nil {
			t.Errorf("the feed of every product went with it: %v", err)
		}
	})
	t.Run("RevokeEndsOnlyTheUsersFeeds", func(t *testing.T) {
		var n int
		MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) (err error) {
			n, err = tx.RevokeCalendarFeeds("calendar.revoke", "UALICE")
			return err
		})
		if n != 2 {
			t.Errorf("RevokeCalendarFeeds = %d; want 2", n)
		}
		if _, err := lookup(all); store.ErrorCode(err) != store.ENotFound {
			t.Errorf("a revoked token still works: %v", err)
		}
		if _, err := lookup(bobs); err != nil {
			t.Errorf("another user's feed went too: %v", err)
		}
	})
	t.Run("UnknownProductNameRefused", func(t *testing.T) {
		err := s.Update(t.Context(), "UALICE", t0, func(tx *store.Tx) error {
			_, _, err := tx.NewCalendarFeed("calendar.subscribe", "", []string{"Not A Product!"})
			return err
		})
		if store.ErrorCode(err) != store.EInvalid {
			t.Errorf("NewCalendarFeed(bad name) = %v; want invalid", err)
		}
	})
	t.Run("FeedsLeaveTheGenerationAlone", func(t *testing.T) {
		before, err := s.Generation(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		newFeed("UCAROL")
		if after, _ := s.Generation(t.Context()); after != before {
			t.Errorf("a new feed moved the generation from %d to %d", before, after)
		}
	})
}

func TestFeedStamp(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "relman.db"))
	stamp := func() store.FeedStamp {
		var st store.FeedStamp
		MustView(t, s, func(tx *store.Tx) error { st = tx.FeedStamp(); return nil })
		return st
	}
	start := stamp()
	r := MustRelease(t, "payments@2.3.0", "2027-03-01")
	MustUpdate(t, s, "U1", t0, func(tx *store.Tx) error { return tx.PutRelease("release.add", &r) })
	afterRelease := stamp()
	if afterRelease.Generation == start.Generation || afterRelease.CRs != start.CRs {
		t.Errorf("after a release: stamp %v → %v; want a new generation, CRs unchanged", start, afterRelease)
	}
	cr := store.ChangeRequest{Release: r.Ref, Title: "switch processor", Deadline: t0.Add(72 * time.Hour)}
	MustUpdate(t, s, "U1", t0, func(tx *store.Tx) error { return tx.NewChangeRequest("ccb.request", &cr) })
	afterCR := stamp()
	if afterCR.CRs == afterRelease.CRs || afterCR.Generation != afterRelease.Generation {
		t.Errorf("after a CR: stamp %v → %v; want new CRs, the generation unchanged", afterRelease, afterCR)
	}
	cr.Status = store.CRWithdrawn
	MustUpdate(t, s, "U1", t0, func(tx *store.Tx) error { return tx.PutChangeRequest("ccb.withdraw", &cr) })
	if got := stamp(); got.CRs == afterCR.CRs {
		t.Errorf("withdrawing a CR left the stamp at %v", got)
	}
}

func TestReleaseStableID(t *testing.T) {
	r := MustRelease(t, "payments@2.3.0", "2027-03-01")
	r.CreatedAt = t0
	id := r.StableID()
	renamed := r
	renamed.Ref = store.Ref{Product: "billing", Version: "2.3.1"}
	renamed.History = append(renamed.History,
		store.HistoryEntry{Kind: store.HistoryMoved},
		store.HistoryEntry{Kind: store.HistoryRenamed, FromName: "payments@2.3.0", ToName: "payments@2.3.1"},
		store.HistoryEntry{Kind: store.HistoryRenamed, FromName: "payments@2.3.1", ToName: "billing@2.3.1"})
	if got := renamed.StableID(); got != id {
		t.Errorf("renamed StableID() = %q; want %q as before the renames", got, id)
	}
	readded := r
	readded.CreatedAt = t0.Add(time.Hour)
	if readded.StableID() == id {
		t.Errorf("a release deleted and added again under the same name has the old one's StableID %q", id)
	}
}
