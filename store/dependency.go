package store

import "time"

// Dependency is an edge from a consumer release to its provider: another
// release, or an external item (exactly one of Provider and External is set).
type Dependency struct {
	Consumer Ref    `json:"consumer"`
	Provider Ref    `json:"provider,omitzero"`
	External string `json:"external,omitempty"` // ExternalKey of the item
	NeededBy Date   `json:"needed_by,omitzero"` // zero: the consumer's target date
	// Stage is the provider's stage the consumer needs it in: the edge is
	// delivered when the provider reaches it, and its needed-by date is
	// compared with the provider's planned date for it. "" (and
	// production): the provider shipped.
	Stage     string    `json:"stage,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`

	// The handshake (handshake.go): a dependency recorded with a needed-by
	// date asks its provider to deliver by then. Zero for a dependency
	// without one, or recorded before handshakes existed.
	Handshake      Handshake `json:"handshake,omitempty"`
	RequestedAt    time.Time `json:"requested_at,omitzero"`
	RequestedBy    string    `json:"requested_by,omitempty"`
	Proposed       Date      `json:"proposed,omitzero"`         // a counter-proposal's date
	ProposedReason string    `json:"proposed_reason,omitempty"` // and why (user text)
	AnsweredBy     string    `json:"answered_by,omitempty"`     // who committed or counter-proposed
	AnsweredAt     time.Time `json:"answered_at,omitzero"`
}

// ProviderKey identifies the provider: "payments@2.3.0" for a release,
// "ext:stripe sdk" for an external item.
func (d *Dependency) ProviderKey() string {
	if d.External != "" {
		return "ext:" + d.External
	}
	return d.Provider.Key()
}

// Key is the store key of the edge.
func (d *Dependency) Key() string { return d.Consumer.Key() + " " + d.ProviderKey() }

// IsExternal reports whether the provider is an external item.
func (d *Dependency) IsExternal() bool { return d.External != "" }
