package commands

import (
	"relman/store"
)

// recordDependency appends a "dependency added" or "dependency removed" entry for d to the
// consumer's history and stores it, in the transaction that changed d.
func (x *Exec) recordDependency(tx *store.Tx, consumer *store.Release, d *store.Dependency, kind string) error {
	h := store.HistoryEntry{Kind: store.HistoryKind(kind), By: x.req.User, At: x.now, Provider: d.Provider.String()}
	if d.IsExternal() {
		h.External, h.Provider = true, d.External
		if ext, err := tx.External(d.External); err == nil {
			h.Provider = ext.Name
		}
	}
	if kind == "dependency added" {
		h.To, h.Stage = d.NeededBy, d.Stage
	}
	consumer.History = append(consumer.History, h)
	return tx.PutRelease("release.history", consumer)
}

// recordRole appends a "role changed" entry to r's history; the caller stores r.
func (x *Exec) recordRole(r *store.Release, role store.Role, users []string) {
	r.History = append(r.History, store.HistoryEntry{Kind: store.HistoryRoleChanged, Role: role, Users: users, By: x.req.User, At: x.now})
}
