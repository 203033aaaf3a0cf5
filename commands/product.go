package commands

import (
	"strings"

	"relman/store"
)

// product returns the release's product (nil if it is somehow missing).
func product(tx *store.Tx, name string) *store.Product {
	p, err := tx.Product(name)
	if err != nil {
		return nil
	}
	return p
}

// productMap reads every product by name.
func productMap(tx *store.Tx) (map[string]*store.Product, error) {
	ps, err := tx.Products()
	if err != nil {
		return nil, err
	}
	m := make(map[string]*store.Product, len(ps))
	for i := range ps {
		m[ps[i].Name] = &ps[i]
	}
	return m, nil
}

// nearProducts is how close (edit distance) a new product's name may come
// to an existing one before it is taken for a typo of it.
const nearProducts = 2

// ensureProduct returns the product named, creating it on first use, as
// every command that names a product does (SPEC §1). A new name within two
// letters of an existing product ("paymnts") is refused with "did you mean
// payments?" unless isNew: the command ended with the word "new".
func (x *Exec) ensureProduct(tx *store.Tx, name string, isNew bool) (*store.Product, error) {
	p, err := tx.Product(name)
	if err == nil {
		return p, nil
	}
	if store.ErrorCode(err) != store.ENotFound {
		return nil, err
	}
	if !isNew {
		near, err := nearProduct(tx, name)
		if err != nil {
			return nil, err
		}
		if near != "" {
			return nil, store.WithField(invalid("there is no product %q — did you mean %s? To create %s beside %s, end the command with \"new\"", name, near, name, near), "product")
		}
	}
	p = &store.Product{Name: name, CreatedAt: x.now, CreatedBy: x.req.User}
	return p, tx.PutProduct("product.create", p)
}

// nearProduct returns the existing product closest to name within
// nearProducts letters, or "".
func nearProduct(tx *store.Tx, name string) (string, error) {
	ps, err := tx.Products()
	if err != nil {
		return "", err
	}
	best, bestD := "", nearProducts+1
	for _, p := range ps {
		if d := EditDistance(name, p.Name); d < bestD && typo(name, p.Name, d) {
			best, bestD = p.Name, d
		}
	}
	return best, nil
}

// typo reports whether a, d letters from b, reads as a slip of the keyboard
// rather than a name of its own: the change is under half of the shorter
// name (web and lib are two products; paymnts is payments), and not only
// in digits (app01 and app02 are numbered products).
func typo(a, b string, d int) bool {
	if 2*d >= min(len(a), len(b)) {
		return false
	}
	return stripDigits(a) != stripDigits(b)
}

func stripDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, s)
}

// trailingNew removes a last word "new" that follows something else: a
// command ends with it to create a product whose name is close to an
// existing one's.
func (p *parser) trailingNew() bool {
	return len(p.toks)-p.pos >= 2 && p.trailing("new")
}
