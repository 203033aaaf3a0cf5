// Package store holds relman's domain — products, releases, dependencies,
// external items, roles, the audit log and the outbox — and keeps it in an
// ordered key-value database, a KV.
//
// The package imports only the standard library and assumes no backend:
// store/boltdb provides the KV from a bbolt file (its Open returns a Store,
// its Options and BackupFile are bbolt's), and store/storetest is what any
// other backend must pass. Every change happens inside Update, one
// read-write transaction: a command either applies entirely or not at all,
// and each change writes an audit record in the same transaction. The
// generation of the data is kept in the database, and the dependency Graph
// is maintained from commit to commit (Tx.Graph).
package store
