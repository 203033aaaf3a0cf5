package store

import (
	"regexp"
	"strings"
	"time"
)

var productRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Product is a named deliverable such as payments or auth-sdk. It is created
// the first time a release of it is added.
type Product struct {
	Name  string `json:"name"`
	Roles Roles  `json:"roles"`
	// Pipeline is its stages, production last (stage.go); nil: the
	// default, test then production.
	Pipeline  []string  `json:"pipeline,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// NormalizeProduct case-folds s and checks it is a product slug. It returns
// an EInvalid *Error that says what is allowed.
func NormalizeProduct(s string) (string, error) {
	p := strings.ToLower(s)
	if !productRE.MatchString(p) {
		return "", Errorf(EInvalid, "%q is not a product name: use 1–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", clip(s, 40))
	}
	return p, nil
}

// clip shortens s to n runes for echoing in error messages.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
