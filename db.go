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

// openKV opens the database where names, as openStore does, without
// looking at relman's data; it returns the database's name for messages
// (never a password).
func openKV(ctx context.Context, where string) (store.KV, string, error) {
	if !postgres.IsDSN(where) {
		kv, err := boltdb.OpenKV(where, boltdb.Options{})
		return kv, where, err
	}
	kv, err := postgres.OpenKV(ctx, where)
	if err != nil {
		return nil, "", err
	}
	return kv, kv.Name(), nil
}
