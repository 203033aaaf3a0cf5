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
)

// ErrUnavailable is what a backend's error wraps when the database could
// not be reached or gave the transaction up for a passing reason (a lost
// connection, a server restarting, too many connections): nothing of the
// transaction was kept, and trying again later may succeed. ErrorCode of
// such an error is EUnavailable. bbolt, a local file, never returns it.
var ErrUnavailable error = &Error{Code: EUnavailable, Message: "relman can't reach its database right now; nothing was changed. Try again in a moment."}

// Error is an error meant for the user: Code classifies it, Message says what
// was wrong in words the user understands. Wrap it with fmt.Errorf("...: %w")
// to add context for the operator; ErrorCode and ErrorMessage find it again.
type Error struct {
	Code    string
	Message string
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
