package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

// NewDatabase creates an empty database named prefix plus a random
// suffix on the server dsn connects to (its role must be allowed to
// CREATE DATABASE), and returns its DSN and a function that drops it.
// Tools that need a throwaway database (cmd/relman-load) use it; the
// error never contains the password.
func NewDatabase(ctx context.Context, dsn, prefix string) (string, func(context.Context) error, error) {
	cfg, err := parseDSN(dsn)
	if err != nil {
		return "", nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", cfg.ConnConfig.Host, err)
	}
	defer conn.Close(ctx)
	name := prefix + strings.ToLower(rand.Text()[:12])
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop := func(ctx context.Context) error {
		conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
		if err != nil {
			return fmt.Errorf("connect to drop %s: %w", name, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+ident+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			drop(ctx)
			return "", nil, fmt.Errorf("not a PostgreSQL URL: %w", err)
		}
		u.Path = "/" + name
		return u.String(), drop, nil
	}
	return dsn + " dbname=" + name, drop, nil // a later keyword wins
}
