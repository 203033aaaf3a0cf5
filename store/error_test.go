package store_test

import (
	"errors"
	"fmt"
	"testing"

	"relman/store"
)

func TestWithField(t *testing.T) {
	t.Run("SetsTheFieldOfACopy", func(t *testing.T) {
		e := store.Errorf(store.EInvalid, "bad date")
		err := store.WithField(e, "date")
		if got := store.ErrorField(err); got != "date" {
			t.Errorf("ErrorField = %q; want date", got)
		}
		if e.Field != "" {
			t.Errorf("the original's Field = %q; want it left empty (it may be shared)", e.Field)
		}
		if store.ErrorCode(err) != store.EInvalid || store.ErrorMessage(err) != "bad date" {
			t.Errorf("code, message = %q, %q; want invalid, bad date", store.ErrorCode(err), store.ErrorMessage(err))
		}
	})
	t.Run("KeepsTheChain", func(t *testing.T) {
		e := store.Errorf(store.EConflict, "exists")
		err := fmt.Errorf("add: %w", store.WithField(fmt.Errorf("tx: %w", e), "version"))
		if got := store.ErrorField(err); got != "version" {
			t.Errorf("ErrorField = %q; want version", got)
		}
		if !errors.Is(err, e) || err.Error() != "add: tx: exists" {
			t.Errorf("err = %q; want the chain add: tx: exists, wrapping the original", err)
		}
	})
	t.Run("AFieldNamedStays", func(t *testing.T) {
		err := store.WithField(store.WithField(store.Errorf(store.EInvalid, "x"), "owner"), "channel")
		if got := store.ErrorField(err); got != "owner" {
			t.Errorf("ErrorField = %q; want owner, the first named", got)
		}
	})
	t.Run("OtherErrorsAsTheyAre", func(t *testing.T) {
		plain := errors.New("disk on fire")
		if err := store.WithField(plain, "date"); err != plain || store.ErrorField(err) != "" {
			t.Errorf("WithField(plain) = %v, field %q; want it unchanged", err, store.ErrorField(err))
		}
		if err := store.WithField(nil, "date"); err != nil {
			t.Errorf("WithField(nil) = %v; want nil", err)
		}
	})
}
