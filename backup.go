package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
)

// runBackup writes a consistent copy of the database RELMAN_DB names to
// path as a bbolt file, and checks the copy as relman check does before
// saying it is done. A bbolt file no process holds is copied directly,
// opened read-only; one a relman is serving (or one not on this file
// system) is copied by the relman answering on RELMAN_ADMIN_ADDR; a
// PostgreSQL database is copied from one snapshot. It writes path.partial first and renames it once the
// copy is checked, removing it on failure.
func runBackup(ctx context.Context, cfg config, path string, stdout io.Writer) error {
	if path == "" {
		return errors.New("usage: relman backup <file>")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s already exists", path)
	}
	tmp := path + ".partial"
	if _, err := os.Stat(tmp); err == nil {
		return fmt.Errorf("backup: %s already exists (a backup that did not finish?): remove it first", tmp)
	}
	if postgres.IsDSN(cfg.DB) {
		return backupPostgres(ctx, cfg.DB, path, stdout)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	how := "copied directly, read-only"
	n, skipped, err := boltdb.WriteCopy(ctx, cfg.DB, f)
	if inUse, missing := errors.Is(err, boltdb.ErrInUse), errors.Is(err, os.ErrNotExist); inUse || missing {
		// A relman serving the file holds it, or serves a file
		// elsewhere (another container): it makes the copy.
		how = "copied by the relman serving it"
		if err = rewind(f); err == nil {
			n, err = fetchBackup(ctx, cfg.AdminAddr, f)
		}
		switch {
		case err != nil && inUse:
			err = fmt.Errorf("%s is in use by another process, and no relman serving it answers on RELMAN_ADMIN_ADDR=%s (%w): stop the process that holds the file, or set RELMAN_ADMIN_ADDR to the admin address of the relman serving it", cfg.DB, cfg.AdminAddr, err)
		case err != nil:
			err = fmt.Errorf("%s does not exist (RELMAN_DB), and no relman answers on RELMAN_ADMIN_ADDR=%s (%w): set RELMAN_DB to the database's file", cfg.DB, cfg.AdminAddr, err)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var r boltdb.Report
	if err == nil {
		r, err = checkBackup(ctx, tmp)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", damageAdvice(err))
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes; %s): checked: %d buckets with %d keys, bbolt's consistency check found no fault\n", path, n, how, len(r.Buckets), r.Keys())
	if len(skipped) > 0 {
		fmt.Fprintf(stdout, "note: %s: %s; the copy holds the data as of transaction %d, the last one that meta page did not lose\n", cfg.DB, strings.Join(skipped, "; "), r.Txid)
	}
	return nil
}

// rewind empties f for a second attempt at writing it.
func rewind(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// fetchBackup asks the relman serving on addr (RELMAN_ADMIN_ADDR) for a
// copy of its database and writes it to w.
func fetchBackup(ctx context.Context, addr string, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/backup", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("server answered %s", resp.Status)
	}
	return io.Copy(w, resp.Body)
}

// checkBackup checks the copy at path as relman check does (boltdb.Check),
// and returns what it found, or an error listing its faults if it has any.
func checkBackup(ctx context.Context, path string) (boltdb.Report, error) {
	r, err := boltdb.Check(ctx, path, boltdb.Options{})
	if err != nil {
		return r, fmt.Errorf("check the copy: %w", err)
	}
	if len(r.Faults) > 0 {
		return r, fmt.Errorf("the copy has %s, so it was not kept: %s", faults(len(r.Faults)), strings.Join(r.Faults, "; "))
	}
	return r, nil
}

// backupPostgres copies the PostgreSQL database dsn names into a new bbolt
// file at path with store.Copy, from one REPEATABLE READ snapshot, so
// replicas may go on writing meanwhile; the copy is checked as relman
// check checks a file, and opens as a relman store with the same data
// (relman serve or relman migrate can use it). It writes path.partial
// first and renames it once the copy is checked.
func backupPostgres(ctx context.Context, dsn, path string, stdout io.Writer) error {
	src, err := postgres.OpenKV(ctx, dsn)
	if err != nil {
		return fmt.Errorf("backup: RELMAN_DB: %w", err)
	}
	defer src.Close()
	tmp := path + ".partial"
	var copied []store.BucketCopy
	n, err := boltdb.CopyFile(ctx, tmp, func(dst store.KV) error {
		var err error
		copied, err = store.Copy(ctx, dst, src, path)
		return err
	})
	if err == nil {
		_, err = checkBackup(ctx, tmp)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup %s: %w", src.Name(), err)
	}
	keys := 0
	for _, b := range copied {
		keys += b.Keys
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes): %d buckets, %d keys from %s, checked\n", path, n, len(copied), keys, src.Name())
	return nil
}
