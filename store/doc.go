// Package store holds relman's domain — products, releases, dependencies,
// external items, roles, the audit log and the outbox — and persists it in an
// embedded bbolt file.
//
// The domain types and their rules (validation, the dependency graph) live in
// files that import only the standard library; bbolt is confined to bolt.go
// and tx.go. Every change happens inside Update, one bbolt read-write
// transaction: a command either applies entirely or not at all, and each
// change writes an audit record in the same transaction.
package store
