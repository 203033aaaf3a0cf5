package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// bucketFreezes holds freeze windows by number (schema 7).
var bucketFreezes = []byte("freezes")

// Freeze is a window of dates in which no release of its products may be
// targeted (SPEC §2 `/release freeze`): From and To inclusive, for Products
// (sorted; none means every product).
type Freeze struct {
	ID        int       `json:"id"`
	Products  []string  `json:"products,omitempty"`
	From      Date      `json:"from"`
	To        Date      `json:"to"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Name is how users write the freeze: "FZ-3".
func (f *Freeze) Name() string { return "FZ-" + strconv.Itoa(f.ID) }

// ParseFreezeID reads "FZ-3", "fz-3" or "3".
func ParseFreezeID(s string) (int, error) {
	t := s
	if len(t) > 3 && strings.EqualFold(t[:3], "FZ-") {
		t = t[3:]
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 {
		return 0, Errorf(EInvalid, "%q is not a freeze: use its number, like FZ-3 (see /release freeze list)", clip(s, 20))
	}
	return n, nil
}

// All reports whether the freeze covers every product.
func (f *Freeze) All() bool { return len(f.Products) == 0 }

// Covers reports whether the freeze applies to product.
func (f *Freeze) Covers(product string) bool {
	return len(f.Products) == 0 || slices.Contains(f.Products, product)
}

// Contains reports whether d falls inside the window.
func (f *Freeze) Contains(d Date) bool { return !d.Before(f.From) && !d.After(f.To) }

// Freezes reports whether the freeze stops product from being released on d.
func (f *Freeze) Freezes(product string, d Date) bool { return f.Covers(product) && f.Contains(d) }

// Overlaps reports whether f and g share a day and a product.
func (f *Freeze) Overlaps(g *Freeze) bool {
	if f.To.Before(g.From) || g.To.Before(f.From) {
		return false
	}
	if f.All() || g.All() {
		return true
	}
	for _, p := range f.Products {
		if slices.Contains(g.Products, p) {
			return true
		}
	}
	return false
}

// Validate checks f and returns an EInvalid *Error saying what is wrong.
func (f *Freeze) Validate() error {
	switch {
	case f.From.IsZero() || f.To.IsZero():
		return Errorf(EInvalid, "a freeze needs a first and a last day, like 2027-12-20 2028-01-03")
	case f.To.Before(f.From):
		return Errorf(EInvalid, "the freeze ends (%s) before it starts (%s)", f.To, f.From)
	case strings.TrimSpace(f.Reason) == "":
		return Errorf(EInvalid, "a freeze needs a reason: … because <reason>")
	}
	for _, p := range f.Products {
		if _, err := NormalizeProduct(p); err != nil {
			return err
		}
	}
	return nil
}

// Freeze returns FZ-id, or an ENotFound *Error.
func (tx *Tx) Freeze(id int) (*Freeze, error) {
	var f *Freeze
	if id > 0 {
		if b := tx.kv.Bucket(bucketFreezes).Get(seqKey(uint64(id))); b != nil {
			f = new(Freeze)
			if err := json.Unmarshal(b, f); err != nil {
				return nil, fmt.Errorf("decode FZ-%d: %w", id, err)
			}
		}
	}
	if f == nil {
		return nil, Errorf(ENotFound, "there is no freeze FZ-%d (see /release freeze list)", id)
	}
	return f, nil
}

// Freezes returns every freeze, in the order they were made.
func (tx *Tx) Freezes() ([]Freeze, error) { return all[Freeze](tx, bucketFreezes, "") }

// FreezeOn returns the first freeze that stops product from being
// released on d, or nil.
func (tx *Tx) FreezeOn(product string, d Date) (*Freeze, error) {
	fs, err := tx.Freezes()
	if err != nil {
		return nil, err
	}
	for i := range fs {
		if fs[i].Freezes(product, d) {
			return &fs[i], nil
		}
	}
	return nil, nil
}

// NewFreeze validates f, refuses it when it overlaps a freeze there is
// (EConflict, naming it), numbers it (the next FZ-N), sets CreatedAt and
// CreatedBy when unset, and stores it audited under action. Freezes change
// what may be released when, so they make a new generation.
func (tx *Tx) NewFreeze(action string, f *Freeze) error {
	f.Products = sortedSet(f.Products)
	if err := f.Validate(); err != nil {
		return err
	}
	fs, err := tx.Freezes()
	if err != nil {
		return err
	}
	for i := range fs {
		if f.Overlaps(&fs[i]) {
			g := &fs[i]
			return Errorf(EConflict, "it overlaps %s (%s, %s to %s): remove that one first or choose other dates",
				g.Name(), g.ProductsText(), g.From, g.To)
		}
	}
	seq, err := tx.kv.Bucket(bucketFreezes).NextSequence()
	if err != nil {
		return err
	}
	f.ID = int(seq)
	if f.CreatedAt.IsZero() {
		f.CreatedAt = tx.at
	}
	if f.CreatedBy == "" {
		f.CreatedBy = tx.actor
	}
	return tx.putFreeze(action, f)
}

func (tx *Tx) putFreeze(action string, f *Freeze) error {
	after, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode %s: %w", f.Name(), err)
	}
	b := tx.kv.Bucket(bucketFreezes)
	k := seqKey(uint64(f.ID))
	if err := tx.audit(action, "freeze "+f.Name(), b.Get(k), after); err != nil {
		return err
	}
	tx.dirty = true
	return b.Put(k, after)
}

// DeleteFreeze removes FZ-id, audited under action, or returns an
// ENotFound *Error.
func (tx *Tx) DeleteFreeze(action string, id int) error {
	f, err := tx.Freeze(id)
	if err != nil {
		return err
	}
	b := tx.kv.Bucket(bucketFreezes)
	k := seqKey(uint64(id))
	if err := tx.audit(action, "freeze "+f.Name(), b.Get(k), nil); err != nil {
		return err
	}
	tx.dirty = true
	return b.Delete(k)
}

// ProductsText says which products the freeze covers: "all products",
// "payments", "auth and payments".
func (f *Freeze) ProductsText() string {
	switch len(f.Products) {
	case 0:
		return "all products"
	case 1:
		return f.Products[0]
	}
	return strings.Join(f.Products[:len(f.Products)-1], ", ") + " and " + f.Products[len(f.Products)-1]
}
