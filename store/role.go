package store

import (
	"slices"
	"strings"
)

// Role names a responsibility: who answers for what.
type Role string

// The roles of SPEC §1.
const (
	// ReleaseManager owns schedules and dependencies and gets slip alerts.
	ReleaseManager Role = "release-manager"
	// ReleaseEngineer builds, packages and ships.
	ReleaseEngineer Role = "release-engineer"
	// ProductManager owns roadmap and priorities and gets digests.
	ProductManager Role = "product-manager"
)

// AllRoles lists the roles in display order.
var AllRoles = []Role{ReleaseManager, ReleaseEngineer, ProductManager}

// ParseRole accepts a role name and a few common spellings (rm, pm,
// release_manager). It returns an EInvalid *Error otherwise.
func ParseRole(s string) (Role, error) {
	switch strings.ReplaceAll(strings.ToLower(s), "_", "-") {
	case "release-manager", "rm", "manager":
		return ReleaseManager, nil
	case "release-engineer", "re", "engineer":
		return ReleaseEngineer, nil
	case "product-manager", "pm":
		return ProductManager, nil
	}
	return "", Errorf(EInvalid, "%q is not a role: use release-manager, release-engineer or product-manager", clip(s, 40))
}

// Description says who the role is for.
func (r Role) Description() string {
	switch r {
	case ReleaseManager:
		return "schedules and dependencies; gets slip alerts"
	case ReleaseEngineer:
		return "builds, packages and ships"
	case ProductManager:
		return "roadmap and priorities; gets digests"
	}
	return ""
}

// Roles maps each role to the Slack user IDs that hold it.
type Roles map[Role][]string

// Get returns the holders of r (nil when unset).
func (rs Roles) Get(r Role) []string { return rs[r] }

// With returns a copy of rs with r held by users (unset when users is empty).
func (rs Roles) With(r Role, users []string) Roles {
	out := make(Roles, len(rs)+1)
	for k, v := range rs {
		out[k] = slices.Clone(v)
	}
	if len(users) == 0 {
		delete(out, r)
	} else {
		// Drop repeats, keeping first-mention order; slices.Compact alone
		// would only drop adjacent ones (@a @b @a).
		var us []string
		for _, u := range users {
			if !slices.Contains(us, u) {
				us = append(us, u)
			}
		}
		out[r] = us
	}
	return out
}
