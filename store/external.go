package store

import (
	"strings"
	"time"
	"unicode/utf8"
)

// External is something a release depends on that relman does not track as a
// release: a vendor SDK, a partner API, another company's launch. Its owner
// answers for its expected date and re-confirms it.
type External struct {
	Name          string         `json:"name"`
	Due           Date           `json:"due"`
	Owner         string         `json:"owner"`
	LastConfirmed time.Time      `json:"last_confirmed"`
	History       []HistoryEntry `json:"history,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
	CreatedBy     string         `json:"created_by"`
}

// ExternalKey returns the store key of an external item's name: trimmed,
// case-folded, inner spaces collapsed, so "Stripe SDK" and "stripe  sdk"
// are one item.
func ExternalKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}

// ValidateExternalName checks an external item's display name.
func ValidateExternalName(name string) error {
	n := strings.TrimSpace(name)
	if n == "" {
		return Errorf(EInvalid, "the external item needs a name in quotes, like \"Stripe SDK 5\"")
	}
	if utf8.RuneCountInString(n) > 80 {
		return Errorf(EInvalid, "the external item's name is too long (%d characters; at most 80)", utf8.RuneCountInString(n))
	}
	return nil
}
