package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"relman/store"
	"relman/store/postgres"
)

// runMigrate copies every bucket of the database from names into the empty
// database to names (each a bbolt file's path or a PostgreSQL DSN), checks
// the copy bucket by bucket, and prints what it copied. A bbolt target is
// created; on failure a target file it created is removed, and a
// PostgreSQL target keeps nothing (the copy is one transaction).
func runMigrate(ctx context.Context, from, to string, stdout io.Writer) error {
	if from == to {
		return errors.New("migrate: the source and the target are the same")
	}
	if err := checkWhere(from); err != nil {
		return fmt.Errorf("migrate: the source: %w", err)
	}
	if err := checkWhere(to); err != nil {
		return fmt.Errorf("migrate: the target: %w", err)
	}
	if !postgres.IsDSN(from) {
		if _, err := os.Stat(from); err != nil {
			return fmt.Errorf("migrate: the source: %w", err)
		}
	}
	src, srcName, err := openKV(ctx, from)
	if err != nil {
		return fmt.Errorf("migrate: the source: %w", err)
	}
	defer src.Close()
	created := false
	if !postgres.IsDSN(to) {
		_, err := os.Stat(to)
		created = errors.Is(err, os.ErrNotExist)
	}
	dst, dstName, err := openKV(ctx, to)
	if err != nil {
		return fmt.Errorf("migrate: the target: %w", err)
	}
	copied, err := store.Copy(ctx, dst, src, dstName)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if created {
			os.Remove(to)
		}
		return fmt.Errorf("migrate %s to %s: %w", srcName, dstName, err)
	}
	fmt.Fprintf(stdout, "copied %s to %s\n", srcName, dstName)
	w := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "bucket\tkeys\tsequence\tsha256\t")
	keys := 0
	for _, b := range copied {
		fmt.Fprintf(w, "%s\t%d\t%d\t%x\t\n", b.Name, b.Keys, b.Sequence, b.Sum[:6])
		keys += b.Keys
	}
	w.Flush()
	fmt.Fprintf(stdout, "checked: the target's %d buckets hold the same %d keys, values and sequences as the source's\n", len(copied), keys)
	return nil
}
