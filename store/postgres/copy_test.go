package postgres_test

import (
	"bytes"
	"context"
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

	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
)

// seedCopy fills s with what a relman database holds: products, releases,
// audit entries, queued messages and change requests, whose numbers come
// from bucket sequences.
func seedCopy(tb testing.TB, s *store.Store) {
	tb.Helper()
	at := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	err := s.Update(context.Background(), "UALICE", at, func(tx *store.Tx) error {
		for i, product := range []string{"payments", "auth", "search"} {
			if err := tx.PutProduct("add", &store.Product{Name: product, CreatedAt: at, CreatedBy: "UALICE"}); err != nil {
				return err
			}
			ref, err := store.NewRef(product, fmt.Sprintf("%d.0.0", i+1))
			if err != nil {
				return err
			}
			target, _ := store.ParseDate(fmt.Sprintf("2027-02-%02d", 10+i))
			r := &store.Release{Ref: ref, Target: target, Owner: "UALICE", Status: store.Planned, CreatedAt: at, CreatedBy: "UALICE"}
			if err := tx.PutRelease("add", r); err != nil {
				return err
			}
			if err := tx.Enqueue(&store.Message{Channel: "CPAY", Doc: store.Doc{Text: "added " + ref.String()}}); err != nil {
				return err
			}
			if err := tx.NewChangeRequest("request", &store.ChangeRequest{Release: ref, Title: "ship it", Requester: "UALICE", Deadline: at.Add(48 * time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
}

// nextIDs reports the number the next queued message and the next change
// request of s get (in a transaction it rolls back).
func nextIDs(tb testing.TB, s *store.Store) (msg uint64, cr int) {
	tb.Helper()
	errRollback := fmt.Errorf("roll back")
	err := s.Update(context.Background(), "UBOB", time.Now(), func(tx *store.Tx) error {
		m := &store.Message{Channel: "CPAY"}
		if err := tx.Enqueue(m); err != nil {
			return err
		}
		ref, _ := store.NewRef("payments", "1.0.0")
		c := &store.ChangeRequest{Release: ref, Title: "again", Requester: "UBOB"}
		if err := tx.NewChangeRequest("request", c); err != nil {
			return err
		}
		msg, cr = m.ID, c.ID
		return errRollback
	})
	if err != errRollback {
		tb.Fatalf("next IDs: %v", err)
	}
	return msg, cr
}

// releases returns the releases of s as JSON, as they are stored.
func releases(tb testing.TB, s *store.Store) string {
	tb.Helper()
	var rs []store.Release
	if err := s.View(context.Background(), func(tx *store.Tx) (err error) {
		rs, err = tx.Releases()
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func summary(tb testing.TB, kv store.KV) []store.BucketCopy {
	tb.Helper()
	sum, err := store.Summarize(context.Background(), kv)
	if err != nil {
		tb.Fatalf("Summarize() = %v", err)
	}
	return sum
}

// TestCopyRoundTrip copies a bbolt file into PostgreSQL and back into a new
// bbolt file: every key, value and sequence survives, a Store opened on
// each copy shows the same releases, and numbers continue after the copied
// ones.
func TestCopyRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	orig, err := boltdb.Open(filepath.Join(dir, "orig.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seedCopy(t, orig)
	wantReleases := releases(t, orig)
	wantMsg, wantCR := nextIDs(t, orig)
	if wantMsg != 4 || wantCR != 4 {
		t.Fatalf("seeded store's next IDs = %d, %d; want 4, 4", wantMsg, wantCR)
	}
	orig.Close()

	src, err := boltdb.OpenKV(filepath.Join(dir, "orig.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want := summary(t, src)

	dsn := pgtest.MustDatabase(t)
	pg, err := postgres.OpenKV(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	copied, err := store.Copy(ctx, pg, src, pg.Name())
	if err != nil {
		t.Fatalf("Copy(bbolt → PostgreSQL) = %v", err)
	}
	if diff := cmp.Diff(want, copied); diff != "" {
		t.Errorf("Copy(bbolt → PostgreSQL) reports (-source +copied):\n%s", diff)
	}
	if diff := cmp.Diff(want, summary(t, pg)); diff != "" {
		t.Errorf("PostgreSQL after the copy (-source +target):\n%s", diff)
	}

	back, err := boltdb.OpenKV(filepath.Join(dir, "back.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Copy(ctx, back, pg, "back.db"); err != nil {
		t.Fatalf("Copy(PostgreSQL → bbolt) = %v", err)
	}
	if diff := cmp.Diff(want, summary(t, back)); diff != "" {
		t.Errorf("bbolt after the round trip (-source +target):\n%s", diff)
	}
	pg.Close()
	back.Close()

	for _, open := range []struct {
		name string
		fn   func() (*store.Store, error)
	}{
		{"PostgreSQL", func() (*store.Store, error) { return postgres.Open(ctx, dsn) }},
		{"BboltAfterRoundTrip", func() (*store.Store, error) {
			return boltdb.Open(filepath.Join(dir, "back.db"), boltdb.Options{})
		}},
	} {
		t.Run(open.name, func(t *testing.T) {
			s, err := open.fn()
			if err != nil {
				t.Fatalf("open the copy: %v", err)
			}
			defer s.Close()
			if diff := cmp.Diff(wantReleases, releases(t, s)); diff != "" {
				t.Errorf("releases of the copy (-source +copy):\n%s", diff)
			}
			if msg, cr := nextIDs(t, s); msg != wantMsg || cr != wantCR {
				t.Errorf("the copy's next message and CR are %d and CR-%d; want %d and CR-%d (continuing after the copied ones)", msg, cr, wantMsg, wantCR)
			}
		})
	}
}

func TestCopyRefusesANonEmptyTarget(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, err := boltdb.Open(filepath.Join(dir, "src.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seedCopy(t, src)
	src.Close()
	dsn := pgtest.MustDatabase(t)
	used, err := postgres.Open(ctx, dsn) // relman ran here once: the schema is written
	if err != nil {
		t.Fatal(err)
	}
	used.Close()

	srcKV, err := boltdb.OpenKV(filepath.Join(dir, "src.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srcKV.Close()
	pg, err := postgres.OpenKV(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	before := summary(t, pg)
	_, err = store.Copy(ctx, pg, srcKV, pg.Name())
	if err == nil || !strings.Contains(err.Error(), pg.Name()+" is not empty") || !strings.Contains(err.Error(), `"meta"`) {
		t.Errorf("Copy into a used database = %v; want an error naming it and its bucket \"meta\"", err)
	}
	if diff := cmp.Diff(before, summary(t, pg)); diff != "" {
		t.Errorf("the refused target changed (-before +after):\n%s", diff)
	}
}

// TestCopyManyKeys copies a bucket of more keys than one load takes, into
// PostgreSQL and back.
func TestCopyManyKeys(t *testing.T) {
	ctx := context.Background()
	src, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "src.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tx, err := src.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.CreateBucketIfNotExists([]byte("audit")); err != nil {
		t.Fatal(err)
	}
	b := tx.Bucket([]byte("audit"))
	for i := range 2500 {
		if err := b.Put(fmt.Appendf(nil, "%08d", i), fmt.Appendf(nil, "entry %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	pg, err := postgres.OpenKV(ctx, pgtest.MustDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, err := store.Copy(ctx, pg, src, pg.Name()); err != nil {
		t.Fatalf("Copy(bbolt → PostgreSQL) = %v", err)
	}
	back, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "back.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if _, err := store.Copy(ctx, back, pg, "back.db"); err != nil {
		t.Fatalf("Copy(PostgreSQL → bbolt) = %v", err)
	}
	want := summary(t, src)
	if want[0].Keys != 2500 {
		t.Fatalf("source has %d keys; want 2500", want[0].Keys)
	}
	if diff := cmp.Diff(want, summary(t, back)); diff != "" {
		t.Errorf("after the round trip (-source +copy):\n%s", diff)
	}
}

// TestBackupFile: a Store on PostgreSQL backs up into a bbolt file (and a
// writer) that opens as a relman store with the same data, numbers
// continuing after the copied ones; the database is left as it was.
func TestBackupFile(t *testing.T) {
	ctx := context.Background()
	pg, err := postgres.Open(ctx, pgtest.MustDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	seedCopy(t, pg)
	wantReleases := releases(t, pg)
	wantMsg, wantCR := nextIDs(t, pg)
	dir := t.TempDir()

	path := filepath.Join(dir, "backup.db")
	n, err := boltdb.BackupFile(ctx, pg, path)
	if err != nil {
		t.Fatalf("BackupFile(PostgreSQL, %q) = %v", path, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != n {
		t.Errorf("BackupFile(PostgreSQL, %q) = %d bytes; the file: %v, %v", path, n, fi, err)
	}
	var buf bytes.Buffer
	if _, err := boltdb.WriteBackup(ctx, pg, &buf); err != nil {
		t.Fatalf("WriteBackup(PostgreSQL) = %v", err)
	}
	written := filepath.Join(dir, "written.db")
	if err := os.WriteFile(written, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, written} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			s, err := boltdb.Open(p, boltdb.Options{})
			if err != nil {
				t.Fatalf("open the backup: %v", err)
			}
			defer s.Close()
			if diff := cmp.Diff(wantReleases, releases(t, s)); diff != "" {
				t.Errorf("releases of the backup (-PostgreSQL +backup):\n%s", diff)
			}
			if msg, cr := nextIDs(t, s); msg != wantMsg || cr != wantCR {
				t.Errorf("the backup's next message and CR are %d and CR-%d; want %d and CR-%d", msg, cr, wantMsg, wantCR)
			}
		})
	}
	if msg, cr := nextIDs(t, pg); msg != wantMsg || cr != wantCR {
		t.Errorf("after the backups PostgreSQL's next message and CR are %d and CR-%d; want %d and CR-%d", msg, cr, wantMsg, wantCR)
	}

	t.Run("RefusesToOverwrite", func(t *testing.T) {
		if _, err := boltdb.BackupFile(ctx, pg, path); !errors.Is(err, fs.ErrExist) {
			t.Errorf("BackupFile over an existing file = %v; want fs.ErrExist", err)
		}
	})
}

// TestBackupFileIsOneSnapshot: backups taken while another process keeps
// committing transactions that each add a product and queue a message hold
// as many products as messages: every bucket was read in one snapshot.
func TestBackupFileIsOneSnapshot(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.MustDatabase(t)
	pg, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	writer, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	at := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			err := writer.Update(ctx, "UALICE", at, func(tx *store.Tx) error {
				if err := tx.PutProduct("add", &store.Product{Name: fmt.Sprintf("p%04d", i), CreatedAt: at, CreatedBy: "UALICE"}); err != nil {
					return err
				}
				return tx.Enqueue(&store.Message{Channel: "CPAY", Doc: store.Doc{Text: fmt.Sprint(i)}})
			})
			if err != nil {
				done <- err
				return
			}
		}
	}()
	dir := t.TempDir()
	last := 0
	for i := range 5 {
		path := filepath.Join(dir, fmt.Sprintf("b%d.db", i))
		if _, err := boltdb.BackupFile(ctx, pg, path); err != nil {
			t.Fatalf("BackupFile while another process writes: %v", err)
		}
		s, err := boltdb.Open(path, boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var products, messages int
		err = s.View(ctx, func(tx *store.Tx) error {
			ps, err := tx.Products()
			products = len(ps)
			if err != nil {
				return err
			}
			ms, err := tx.Outbox()
			messages = len(ms)
			return err
		})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if products != messages {
			t.Errorf("backup %d holds %d products and %d messages; want as many of each (one snapshot)", i, products, messages)
		}
		last = products
	}
	if last == 0 {
		t.Error("the last backup holds no product: the writer did not run alongside the backups")
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer: %v", err)
	}
}
