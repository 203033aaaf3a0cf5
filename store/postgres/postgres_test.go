package postgres_test

import (
	"context"
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
