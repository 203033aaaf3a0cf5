package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"relman/store"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
	"relman/store/storetest"
)

func TestKV(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.KV {
		kv, err := postgres.OpenKV(context.Background(), pgtest.MustDatabase(t))
		if err != nil {
			t.Fatalf("OpenKV() = %v", err)
		}
		return kv
	})
}

func TestIsDSN(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"postgres://relman:secret@db:5432/relman", true},
		{"postgresql://db/relman?sslmode=disable", true},
		{"host=db dbname=relman user=relman", true},
		{"dbname=relman", true},
		{"relman.db", false},
		{"/var/lib/relman/relman.db", false},
		{"./data/host.db", false},
		{"", false},
	} {
		if got := postgres.IsDSN(tt.in); got != tt.want {
			t.Errorf("IsDSN(%q) = %t; want %t", tt.in, got, tt.want)
		}
	}
}

func TestOpenFailsFast(t *testing.T) {
	for _, tt := range []struct {
		name, dsn, want string
	}{
		{"DSNThatDoesNotParse", "postgres://relman:hunter2@db:notaport/relman", "not a PostgreSQL connection string"},
		{"ServerNotThere", "host=127.0.0.1 port=1 dbname=relman user=relman password=hunter2 connect_timeout=1", "connect to postgres 127.0.0.1/relman"},
		{"SocketDirNotThere", "host=/nonexistent/relman dbname=relman", "connect to"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			s, err := postgres.Open(context.Background(), tt.dsn)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) = nil error; want one", tt.dsn)
			}
			if d := time.Since(start); d > 12*time.Second {
				t.Errorf("Open(%q) took %s; want a few seconds at most", tt.dsn, d)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q) = %q; want it to mention %q", tt.dsn, err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Open(%q) = %q; the error shows the password", tt.dsn, err)
			}
		})
	}
}

// TestSnapshotFixedAtBegin checks what storetest cannot see on bbolt: a
// reader that has not read anything yet still sees the data as of Begin,
// not as of its first read.
func TestSnapshotFixedAtBegin(t *testing.T) {
	kv, err := postgres.OpenKV(context.Background(), pgtest.MustDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	write := func(v string) {
		t.Helper()
		tx, err := kv.Begin(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if err := tx.CreateBucketIfNotExists([]byte("b")); err != nil {
			t.Fatal(err)
		}
		if err := tx.Bucket([]byte("b")).Put([]byte("k"), []byte(v)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	write("before")
	reader, err := kv.Begin(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback()
	write("after")
	if got := string(reader.Bucket([]byte("b")).Get([]byte("k"))); got != "before" {
		t.Errorf("Get(k) in a reader begun before a commit, first read after it = %q; want %q", got, "before")
	}
}

// TestOneWriterAcrossProcesses checks that the write lock is in the
// database, not in one KV: a second KV on the same database (as another
// replica would open) waits for the first one's writer.
func TestOneWriterAcrossProcesses(t *testing.T) {
	dsn := pgtest.MustDatabase(t)
	var kvs [2]*postgres.DB
	for i := range kvs {
		kv, err := postgres.OpenKV(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer kv.Close()
		kvs[i] = kv
	}
	first, err := kvs[0].Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if tx, err := kvs[1].Begin(ctx, true); !errors.Is(err, context.DeadlineExceeded) {
		if err == nil {
			tx.Rollback()
		}
		t.Fatalf("Begin(true) on a second KV while the first has a writer = %v; want it to wait until its context ends", err)
	}
	if tx, err := kvs[1].Begin(context.Background(), false); err != nil {
		t.Errorf("Begin(false) on a second KV while the first has a writer = %v; want readers not to wait", err)
	} else {
		tx.Rollback()
	}
	first.Rollback()
	tx, err := kvs[1].Begin(context.Background(), true)
	if err != nil {
		t.Fatalf("Begin(true) on a second KV after the first writer ended = %v", err)
	}
	tx.Rollback()
}
