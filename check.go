package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
)

// checkUsage is relman check's usage line.
const checkUsage = "usage: relman check [--db <bbolt file or PostgreSQL DSN>]"

// parseCheck reads relman check's arguments: --db overrides RELMAN_DB.
func parseCheck(args []string, db string) (string, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&db, "db", db, "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return "", errors.New(checkUsage)
	}
	if err := checkWhere(db); err != nil {
		return "", fmt.Errorf("check: --db: %w", err)
	}
	return db, nil
}

// runCheck checks the database where names without writing to it, prints
// what it holds and either "ok" or every fault it found, and returns an
// error if it found any or could not check.
func runCheck(ctx context.Context, where string, stdout io.Writer) error {
	if postgres.IsDSN(where) {
		return checkPostgres(ctx, where, stdout)
	}
	r, err := boltdb.Check(ctx, where, boltdb.Options{})
	if errors.Is(err, boltdb.ErrInUse) {
		return fmt.Errorf("check: %w: stop the relman using it, or check a copy (relman backup <file> copies a serving relman's database and checks the copy)", err)
	}
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	fmt.Fprintf(stdout, "%s: bbolt file of %d bytes", where, r.Size)
	if r.PageSize > 0 {
		fmt.Fprintf(stdout, ", %d pages of %d bytes in use, transaction %d", r.Pages, r.PageSize, r.Txid)
	}
	if r.Schema > 0 {
		fmt.Fprintf(stdout, ", schema %d", r.Schema)
	}
	fmt.Fprintln(stdout)
	printBuckets(stdout, r.Buckets)
	if len(r.Faults) == 0 {
		fmt.Fprintf(stdout, "ok: both meta pages, the file's size, %d buckets with %d keys read one by one, and bbolt's consistency check: no fault\n", len(r.Buckets), r.Keys())
		return nil
	}
	printFaults(stdout, r.Faults)
	return fmt.Errorf("check: %s has %s: stop relman and restore it from a backup (relman backup <file> writes a checked one); relman will not open it", where, faults(len(r.Faults)))
}

// checkPostgres checks relman's tables in the PostgreSQL database dsn
// names: their layout, the data's schema version and buckets, and, for
// each bucket, that the keys a cursor reads are as many as the rows the
// server counts. Other replicas may write meanwhile: the counts are taken
// before and after the keys are read, and a bucket is compared only if
// they agree.
func checkPostgres(ctx context.Context, dsn string, stdout io.Writer) error {
	kv, err := postgres.OpenExisting(ctx, dsn)
	if err != nil {
		return fmt.Errorf("check: RELMAN_DB: %w", err)
	}
	defer kv.Close()
	var found []string
	v, err := store.CheckSchema(ctx, kv)
	if err != nil {
		found = append(found, "schema: "+err.Error())
	}
	before, err := kv.BucketRows(ctx)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	sum, err := store.Summarize(ctx, kv)
	if err != nil {
		return fmt.Errorf("check: read every key of %s: %w", kv.Name(), err)
	}
	after, err := kv.BucketRows(ctx)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	changed := 0
	for _, b := range sum {
		n, ok := before[b.Name]
		switch {
		case !ok || n != after[b.Name]:
			changed++ // written to while checking
		case n != int64(b.Keys):
			found = append(found, fmt.Sprintf("bucket %q: the server counts %d rows but a cursor reads %d keys", b.Name, n, b.Keys))
		}
	}
	for name := range before {
		if !slices.ContainsFunc(sum, func(b store.BucketCopy) bool { return b.Name == name }) {
			found = append(found, fmt.Sprintf("bucket %q is in relman_buckets but relman does not list it", name))
		}
	}
	fmt.Fprintf(stdout, "%s: relman's tables, schema %d\n", kv.Name(), v)
	printBuckets(stdout, sum)
	if changed > 0 {
		fmt.Fprintf(stdout, "%d buckets were written to while checking; their row counts were not compared\n", changed)
	}
	if len(found) == 0 {
		keys := 0
		for _, b := range sum {
			keys += b.Keys
		}
		fmt.Fprintf(stdout, "ok: the schema's buckets, and %d buckets with %d keys whose row counts match\n", len(sum), keys)
		return nil
	}
	printFaults(stdout, found)
	return fmt.Errorf("check: %s has %s", kv.Name(), faults(len(found)))
}

// printBuckets prints what each bucket holds, as relman migrate does.
func printBuckets(w io.Writer, buckets []store.BucketCopy) {
	if len(buckets) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "bucket\tkeys\tsequence\tsha256\t")
	for _, b := range buckets {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%x\t\n", b.Name, b.Keys, b.Sequence, b.Sum[:6])
	}
	tw.Flush()
}

func printFaults(w io.Writer, found []string) {
	fmt.Fprintf(w, "%s:\n", faults(len(found)))
	for _, f := range found {
		fmt.Fprintf(w, "  - %s\n", f)
	}
}

func faults(n int) string {
	if n == 1 {
		return "1 fault"
	}
	return fmt.Sprintf("%d faults", n)
}
