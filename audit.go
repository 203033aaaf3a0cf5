package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"relman/commands/render"
	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
)

// auditUsage is relman audit's usage line.
const auditUsage = "usage: relman audit [--db <bbolt file or PostgreSQL DSN>] [--since <YYYY-MM-DD or RFC 3339 instant>] [--format jsonl|csv] [--out <file>]"

// auditArgs are relman audit's arguments.
type auditArgs struct {
	db     string
	since  time.Time
	format string // "jsonl" or "csv"
	out    string // "" for stdout
}

// parseAudit reads relman audit's arguments: --db overrides RELMAN_DB, and
// a --since date is midnight in loc (the workspace's zone).
func parseAudit(args []string, db string, loc *time.Location) (auditArgs, error) {
	a := auditArgs{db: db}
	var since string
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.db, "db", db, "")
	fs.StringVar(&since, "since", "", "")
	fs.StringVar(&a.format, "format", "jsonl", "")
	fs.StringVar(&a.out, "out", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return a, errors.New(auditUsage)
	}
	if a.format != "jsonl" && a.format != "csv" {
		return a, fmt.Errorf("audit: --format %q: want jsonl or csv\n%s", a.format, auditUsage)
	}
	if since != "" {
		t, err := time.ParseInLocation(time.DateOnly, since, loc)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, since); err != nil {
				return a, fmt.Errorf("audit: --since %q is neither a date (2027-01-31) nor an instant (2027-01-31T09:00:00Z)", since)
			}
		}
		a.since = t
	}
	if err := checkWhere(a.db); err != nil {
		return a, fmt.Errorf("audit: --db: %w", err)
	}
	return a, nil
}

// runAudit writes the audit log of the database a.db names, oldest first,
// as JSON lines or CSV, to a.out (written as a.out.partial and renamed
// once complete) or to stdout. It reads without writing: a bbolt file is
// opened read-only, and one a relman is serving is read from a copy the
// relman answering on RELMAN_ADMIN_ADDR makes (as relman backup does); a
// PostgreSQL database is read in one read-only snapshot, while replicas go
// on writing.
func runAudit(ctx context.Context, cfg config, a auditArgs, stdout, stderr io.Writer) error {
	kv, cleanup, err := openAuditKV(ctx, cfg, a.db)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer cleanup()
	w, tmp := stdout, ""
	var f *os.File
	if a.out != "" {
		tmp = a.out + ".partial"
		if f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		defer os.Remove(tmp) // a no-op once renamed
		w = f
	}
	n, err := exportAudit(ctx, kv, a, w)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, a.out)
		}
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if a.out != "" {
		fmt.Fprintf(stdout, "wrote %s: %s of the audit log (%s)\n", a.out, render.Plural(n, "entry"), a.format)
	} else {
		fmt.Fprintf(stderr, "%s of the audit log\n", render.Plural(n, "entry"))
	}
	return nil
}

// openAuditKV opens the database where names for reading only; cleanup
// closes it (and removes the copy of a served bbolt file).
func openAuditKV(ctx context.Context, cfg config, where string) (store.KV, func(), error) {
	if postgres.IsDSN(where) {
		kv, err := postgres.OpenExisting(ctx, where)
		if err != nil {
			return nil, nil, fmt.Errorf("RELMAN_DB: %w", err)
		}
		return kv, func() { kv.Close() }, nil
	}
	kv, err := boltdb.OpenReadOnly(where, boltdb.Options{})
	if err == nil {
		return kv, func() { kv.Close() }, nil
	}
	if !errors.Is(err, boltdb.ErrInUse) {
		return nil, nil, damageAdvice(err)
	}
	// A relman serving the file holds its lock: read a copy it makes.
	dir, derr := os.MkdirTemp("", "relman-audit-")
	if derr != nil {
		return nil, nil, derr
	}
	copyPath := filepath.Join(dir, "copy.db")
	c, cerr := os.OpenFile(copyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if cerr == nil {
		_, cerr = fetchBackup(ctx, cfg.AdminAddr, c)
		if err := c.Close(); cerr == nil {
			cerr = err
		}
	}
	if cerr == nil {
		kv, cerr = boltdb.OpenReadOnly(copyPath, boltdb.Options{})
	}
	if cerr != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("%w, and no relman serving it answers on RELMAN_ADMIN_ADDR=%s (%v): stop the process that holds the file, or set RELMAN_ADMIN_ADDR to the admin address of the relman serving it", err, cfg.AdminAddr, cerr)
	}
	return kv, func() { kv.Close(); os.RemoveAll(dir) }, nil
}

// auditCSVHeader names the columns of relman audit --format csv.
var auditCSVHeader = []string{"seq", "at", "actor", "via", "action", "subject", "reason", "before", "after"}

// exportAudit writes the entries of kv's audit log at or after a.since to
// w in a.format and returns how many it wrote. A JSON line is the entry as
// stored.
func exportAudit(ctx context.Context, kv store.KV, a auditArgs, w io.Writer) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	n := 0
	var write func([]byte) error
	var cw *csv.Writer
	switch a.format {
	case "csv":
		cw = csv.NewWriter(bw)
		if err := cw.Write(auditCSVHeader); err != nil {
			return 0, err
		}
		row := make([]string, len(auditCSVHeader))
		write = func(raw []byte) error {
			e, err := store.DecodeAudit(raw)
			if err != nil {
				return fmt.Errorf("decode audit entry %d: %w", n, err)
			}
			row[0] = strconv.FormatUint(e.Seq, 10)
			row[1] = e.At.UTC().Format(time.RFC3339Nano)
			row[2], row[3], row[4], row[5] = e.Actor, e.Via, e.Action, e.Subject
			row[6] = render.AuditReason(e)
			row[7], row[8] = string(e.Before), string(e.After)
			return cw.Write(row)
		}
	default:
		write = func(raw []byte) error {
			bw.Write(raw)
			return bw.WriteByte('\n')
		}
	}
	err := store.ExportAudit(ctx, kv, a.since, func(raw []byte) error {
		n++
		return write(raw)
	})
	if err != nil {
		return n, err
	}
	if cw != nil {
		if cw.Flush(); cw.Error() != nil {
			return n, cw.Error()
		}
	}
	return n, bw.Flush()
}
