// Package store holds relman's domain — products, releases, dependencies,
// external items, roles, the audit log and the outbox — and keeps it in an
// ordered key-value database, a KV.
//
// The package imports only the standard library. The bbolt file behind
// relman's KV lives in store/boltdb, the only importer of bbolt, whose Open
// returns a Store. Every change happens inside Update, one read-write
// transaction: a command either applies entirely or not at all, and each
// change writes an audit record in the same transaction.
package store
