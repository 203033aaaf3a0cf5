package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"relman/store"
)

// transient reports whether err means the server could not be reached or
// gave the statement up for a passing reason, so that the same work may
// succeed in a moment: a lost or refused connection, a timeout, or a
// server error of the classes connection exception (08), transaction
// rollback (40: serialization failure, deadlock), insufficient resources
// (53: too many connections) or operator intervention (57: shutting down,
// connection terminated, statement cancelled). Other server errors (a bad
// statement, a violated constraint) are bugs, not outages.
func transient(err error) bool {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch pe.Code[:min(2, len(pe.Code))] {
		case "08", "40", "53", "57":
			return true
		}
		return false
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// unavailable marks err as the database being away (store.ErrUnavailable),
// keeping its chain for the log.
func unavailable(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, store.ErrUnavailable)
}

// diskFull is PostgreSQL's SQLSTATE disk_full.
const diskFull = "53100"

// classify marks err as the storage being full (store.ErrFull) for the
// server's disk_full, else as unavailable when it is transient.
func classify(err error) error {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == diskFull {
		return fmt.Errorf("%w (%w)", err, store.ErrFull)
	}
	if err != nil && transient(err) {
		return unavailable(err)
	}
	return err
}
