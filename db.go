package main

import (
	"context"
	"fmt"

	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
)

// openStore opens the database RELMAN_DB names: PostgreSQL for a DSN
// (postgres://…, postgresql://… or host=… dbname=…), otherwise the bbolt
// file at that path.
func openStore(ctx context.Context, cfg config) (*store.Store, error) {
	if !postgres.IsDSN(cfg.DB) {
		return boltdb.Open(cfg.DB, boltdb.Options{})
	}
	st, err := postgres.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("RELMAN_DB: %w", err)
	}
	return st, nil
}
