package store

import (
	"errors"
	"fmt"
)

// Error codes a user can act on. Anything else is internal.
const (
	ENotFound  = "not_found"
	EInvalid   = "invalid"
	EConflict  = "conflict"
	EForbidden = "forbidden"
	EInternal  = "internal"
	// EUnavailable: the database could not be reached, or gave the
	// transaction up for a passing reason; nothing was changed, and the
	// same request may succeed in a moment.
	EUnavailable = "unavailable"
	// EFull: the database's storage is full (no space left on the disk,
	// a quota reached, PostgreSQL's disk_full); nothing was changed, and
	// the same request succeeds once an operator has made room.
	EFull = "full"
	// EDamaged: the database's file was found damaged while relman was
	// serving (a bbolt file truncated or overwritten under it); nothing
	// was changed, nothing more is written to it, and an operator must
	// restore it.
	EDamaged = "damaged"
)

// ErrUnavailable is what a backend's error wraps when the database could
// not be reached or gave the transaction up for a passing reason (a lost
// connection, a server restarting, too many connections): nothing of the
// transaction was kept, and trying again later may succeed. ErrorCode of
// such an error is EUnavailable. bbolt, a local file, never returns it.
var ErrUnavailable error = &Error{Code: EUnavailable, Message: "relman can't reach its database right now; nothing was changed. Try again in a moment."}

// ErrFull is what an error wraps when a write failed because the
// database's storage is full: the operating system's ENOSPC or EDQUOT from
// a bbolt file (Store finds them in the chain), or PostgreSQL's disk_full
// (53100, classified by store/postgres). Nothing of the transaction was
// kept. ErrorCode of such an error is EFull.
var ErrFull error = &Error{Code: EFull, Message: "relman could not save this because its storage is full; nothing was changed. Try again later."}

// ErrDamaged is what an error wraps when the database's file turned out
// damaged while relman was serving: a read faulted or the backend (bbolt)
// panicked on a page, or the file became shorter than the pages in use.
// Nothing of the transaction was kept, and the Store refuses every later
// transaction (Damaged) so that nothing more is written to the file.
// ErrorCode of such an error is EDamaged.
var ErrDamaged error = &Error{Code: EDamaged, Message: "relman can't use its database: the file is damaged. Nothing was changed; relman has stopped writing to it and an operator has to restore it (`relman check`, `relman backup`)."}

// Error is an error meant for the user: Code classifies it, Message says what
// was wrong in words the user understands, and Field, when known, names what
// the user gave that it is about ("product", "version", "date", "owner",
// "channel"…), so a form shows it under that field. Wrap it with
// fmt.Errorf("...: %w") to add context for the operator; ErrorCode,
// ErrorMessage and ErrorField find it again.
type Error struct {
	Code    string
	Message string
	Field   string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain, or a generic message for internal errors.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "Something went wrong on our side."
}

// ErrorField returns the Field of the first *Error in err's chain, or "".
func ErrorField(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Field
	}
	return ""
}

// WithField returns err saying that it is about field: its first *Error,
// copied with Field set (the original, which may be shared, is left as
// it is), behind the same chain. An err with no *Error, or whose *Error
// already names a field, is returned as it is.
func WithField(err error, field string) error {
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Field != "" {
		return err
	}
	c := *e
	c.Field = field
	if err == error(e) {
		return &c
	}
	return &fieldError{err: err, e: &c}
}

// fieldError is a chain whose first *Error is e (WithField).
type fieldError struct {
	err error
	e   *Error
}

func (f *fieldError) Error() string { return f.err.Error() }
func (f *fieldError) Unwrap() error { return f.err }

// As finds the *Error with its Field before the one in the chain.
func (f *fieldError) As(target any) bool {
	if p, ok := target.(**Error); ok {
		*p = f.e
		return true
	}
	return false
}
