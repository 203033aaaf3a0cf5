package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
)

// openStore opens the database RELMAN_DB names: PostgreSQL for a DSN
// (postgres://…, postgresql://… or host=… dbname=…), otherwise the bbolt
// file at that path. A damaged bbolt file is refused, unwritten, with
// what to do (damageAdvice).
func openStore(ctx context.Context, cfg config) (*store.Store, error) {
	if !postgres.IsDSN(cfg.DB) {
		st, err := boltdb.Open(cfg.DB, boltdb.Options{})
		return st, damageAdvice(err)
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
		return kv, where, damageAdvice(err)
	}
	kv, err := postgres.OpenKV(ctx, where)
	if err != nil {
		return nil, "", err
	}
	return kv, kv.Name(), nil
}

// damageAdvice adds to a *boltdb.DamageError what the operator can do
// about it; it returns other errors (and nil) as they are.
func damageAdvice(err error) error {
	var de *boltdb.DamageError
	if !errors.As(err, &de) {
		return err
	}
	advice := "relman refused it without writing to it. Run relman check to list every fault; stop relman and restore the file from a backup (relman backup <file> writes a checked one)"
	if de.MetaOnly {
		advice += ", or, as only one meta page is damaged, run relman backup <new file> with relman stopped: it copies the data as of the transaction before the last, checks the copy, and the copy can replace the file"
	}
	return fmt.Errorf("%w\n%s", err, advice)
}

// urlScheme matches the scheme of a URL (RFC 3986: a letter, then
// letters, digits, +, - or .) followed by ://.
var urlScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// checkWhere refuses a database setting that is a URL of a scheme relman
// does not know (postgress://…), which would otherwise name a file. The
// error names the schemes relman knows and never the rest of the setting,
// which may hold a password.
func checkWhere(where string) error {
	if postgres.IsDSN(where) {
		return postgres.CheckDSN(where)
	}
	if m := urlScheme.FindStringSubmatch(where); m != nil {
		return fmt.Errorf("%s:// is not a scheme relman knows: give a postgres:// or postgresql:// URL, a key=value DSN (host=… dbname=…), or a bbolt file's path", strings.ToLower(m[1]))
	}
	return nil
}
