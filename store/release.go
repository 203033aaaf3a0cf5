package store

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

var versionRE = regexp.MustCompile(`^[0-9A-Za-z._+-]{1,64}$`)

// Status is where a release stands.
type Status string

// Release statuses.
const (
	Planned   Status = "planned"
	Shipped   Status = "shipped"
	Cancelled Status = "cancelled"
)

// Ref names a release: product@version.
type Ref struct {
	Product string `json:"product"`
	Version string `json:"version"`
}

// String formats r as product@version.
func (r Ref) String() string { return r.Product + "@" + r.Version }

// Key is the store key of r.
func (r Ref) Key() string { return r.Product + "@" + r.Version }

// NewRef validates product and version and returns the reference, with the
// product case-folded. It returns an EInvalid *Error naming the bad part.
func NewRef(product, version string) (Ref, error) {
	p, err := NormalizeProduct(product)
	if err != nil {
		return Ref{}, err
	}
	if !versionRE.MatchString(version) {
		return Ref{}, Errorf(EInvalid, "%q is not a version: use 1–64 letters, digits, '.', '_', '+' or '-'", clip(version, 40))
	}
	return Ref{Product: p, Version: version}, nil
}

// ParseRef parses product@version.
func ParseRef(s string) (Ref, error) {
	p, v, ok := strings.Cut(s, "@")
	if !ok {
		return Ref{}, Errorf(EInvalid, "%q is not a release: write product@version, like payments@2.3.0", clip(s, 40))
	}
	return NewRef(p, v)
}

// Release is one version of a product with a target date.
type Release struct {
	Ref
	Target    Date   `json:"target"`
	Owner     string `json:"owner"`
	Channel   string `json:"channel,omitempty"`
	Status    Status `json:"status"`
	ShippedOn Date   `json:"shipped_on,omitzero"`
	Roles     Roles  `json:"roles,omitempty"`
	// Stages are its stages before production, in pipeline order (stage.go);
	// nil: the default pipeline's, nothing planned or reached.
	Stages    []Stage        `json:"stages,omitempty"`
	History   []HistoryEntry `json:"history,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	CreatedBy string         `json:"created_by"`
	// Checklist is the release's readiness items, numbered from 1.
	Checklist []ChecklistItem `json:"checklist,omitempty"`
}

// HistoryEntry is one entry of a release's (or external item's) history.
// Its Kind says which fields it uses (see HistoryKind's constants).
type HistoryEntry struct {
	Kind     HistoryKind `json:"kind"`
	From     Date        `json:"from,omitzero"`
	To       Date        `json:"to,omitzero"`
	By       string      `json:"by"`
	At       time.Time   `json:"at"`
	Reason   string      `json:"reason,omitempty"`
	FromName string      `json:"from_name,omitempty"`
	ToName   string      `json:"to_name,omitempty"`
	Provider string      `json:"provider,omitempty"`
	External bool        `json:"external,omitempty"` // Provider is an external item's name
	Role     Role        `json:"role,omitempty"`
	Users    []string    `json:"users,omitempty"`
	// Freeze names the freeze window ("FZ-2") an admin overrode to set
	// this entry's target date inside it.
	Freeze string `json:"freeze,omitempty"`
	// Open names the checklist items ("#2 security review") that were
	// open when this entry's ship went ahead anyway.
	Open []string `json:"open,omitempty"`
	// Stage is the stage an entry is about: HistoryStageMoved and
	// HistoryPromoted, and a dependency needed in a stage. Stages are the
	// earlier stages a promotion (or a ship) reached with it.
	Stage  string   `json:"stage,omitempty"`
	Stages []string `json:"stages,omitempty"`
}

// HistoryKind is what a history entry records. It is stored as its
// string, so the values below are part of the database's format.
type HistoryKind string

// History kinds.
const (
	// Date changes: From and To are dates (From is zero for HistoryAdded,
	// To for HistoryCancelled).
	HistoryAdded     HistoryKind = "added"
	HistoryMoved     HistoryKind = "moved"
	HistoryShipped   HistoryKind = "shipped"
	HistoryCancelled HistoryKind = "cancelled"
	HistoryConfirmed HistoryKind = "confirmed" // an external item's owner re-confirmed or moved its due date
	// HistoryReopened: a shipped or cancelled release planned again (From:
	// the date it had, To: its target again).
	HistoryReopened HistoryKind = "reopened"
	// Renames and changes of owner or channel: FromName and ToName are the
	// old and new product@version, user ID or channel ID.
	HistoryRenamed        HistoryKind = "renamed"
	HistoryOwnerChanged   HistoryKind = "owner changed"
	HistoryChannelChanged HistoryKind = "channel changed"
	// Dependencies: Provider is the provider's product@version or external
	// item name (External says which); To is the needed-by date of an added
	// one, zero for the consumer's target.
	HistoryDependencyAdded   HistoryKind = "dependency added"
	HistoryDependencyRemoved HistoryKind = "dependency removed"
	// HistoryRoleChanged: Role and Users (no users: the role was cleared).
	HistoryRoleChanged HistoryKind = "role changed"
	// HistoryDeleted: the release was deleted; kept only in the audit log,
	// with the Reason.
	HistoryDeleted HistoryKind = "deleted"
	// HistoryRestored: a deleted release brought back as the audit log kept
	// it, with the Reason given for bringing it back, if any.
	HistoryRestored HistoryKind = "restored"
	// HistoryStageMoved: the planned date of Stage changed (From: the day
	// it counted as planned on before, To: its new date), with a Reason
	// when it is later.
	HistoryStageMoved HistoryKind = "stage moved"
	// HistoryPromoted: the release reached Stage on To, and the earlier
	// Stages with it.
	HistoryPromoted HistoryKind = "promoted"
)

// Date is the date the release is (or was) delivered: the ship date once
// shipped, the target date otherwise.
func (r *Release) Date() Date {
	if r.Status == Shipped && !r.ShippedOn.IsZero() {
		return r.ShippedOn
	}
	return r.Target
}

// Holders returns who holds role on r: the release's own setting, else the
// product's, and for an unset release manager, the owner.
func (r *Release) Holders(role Role, product *Product) []string {
	if us := r.Roles.Get(role); len(us) > 0 {
		return us
	}
	if product != nil {
		if us := product.Roles.Get(role); len(us) > 0 {
			return us
		}
	}
	if role == ReleaseManager && r.Owner != "" {
		return []string{r.Owner}
	}
	return nil
}

// CanManage reports whether user may move, ship, cancel or change the
// dependencies or roles of r: its owner, a release manager, or an admin.
func (r *Release) CanManage(user string, product *Product, admin bool) bool {
	return admin || user == r.Owner || slices.Contains(r.Holders(ReleaseManager, product), user)
}
