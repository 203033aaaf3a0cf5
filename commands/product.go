package commands

import (
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
