package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// Tx is one transaction. Its methods return *Error values with ENotFound
// for missing records; other errors are internal.
type Tx struct {
	s     *Store
	kv    KVTx
	gen   uint64 // the generation the transaction began at, read from the database
	dirty bool   // a read-write transaction changed the domain (what Graph reads)
	// enqueued says the transaction queued outbox messages: its commit
	// wakes the other processes' outbox workers (Waker).
	enqueued bool
	// queued are the messages the transaction queued, in order (Queued).
	queued []Message
	// A read-write transaction's Graph is the shared Graph of gen (or one
	// decoded in the transaction) with pending applied when asked for.
	g       *Graph
	pending delta
	touched delta // every key the transaction wrote, values left out: the commit's change record (recordChanges)
	actor   string
	via     string // the transport the change came through (WithVia)
	at      time.Time
	// kbuf backs key. A key converted with []byte(s) would escape through
	// the KVBucket interface and cost an allocation per lookup; 64 bytes
	// hold a release key and most dependency keys.
	kbuf [64]byte
}

// Actor is who the transaction acts for.
func (tx *Tx) Actor() string { return tx.actor }

// At is the instant of the transaction (UTC).
func (tx *Tx) At() time.Time { return tx.at }

// key returns s as a byte slice that is valid until the next call of key.
// KVBucket methods do not retain keys, so they may be given it.
func (tx *Tx) key(s string) []byte { return append(tx.kbuf[:0], s...) }

func get[T any](tx *Tx, bucket []byte, key string) (*T, error) {
	b := tx.kv.Bucket(bucket).Get(tx.key(key))
	if b == nil {
		return nil, nil
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("decode %s/%s: %w", bucket, key, err)
	}
	return v, nil
}

func all[T any](tx *Tx, bucket []byte, prefix string) ([]T, error) {
	var out []T
	p := tx.key(prefix)
	c := tx.kv.Bucket(bucket).Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		var t T
		if err := json.Unmarshal(v, &t); err != nil {
			return nil, fmt.Errorf("decode %s/%s: %w", bucket, k, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// put stores v under key and writes an audit entry for the change.
func (tx *Tx) put(bucket []byte, key, action string, v any) error {
	b := tx.kv.Bucket(bucket)
	k := tx.key(key)
	before := b.Get(k)
	after, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", bucket, key, err)
	}
	if err := tx.audit(action, key, before, after); err != nil {
		return err
	}
	tx.dirty = true
	tx.pending.record(bucket, key, after)
	tx.touched.record(bucket, key, nil)
	return b.Put(k, after)
}

// del removes key and writes an audit entry.
func (tx *Tx) del(bucket []byte, key, action string) error {
	b := tx.kv.Bucket(bucket)
	k := tx.key(key)
	before := b.Get(k)
	if before == nil {
		return nil
	}
	if err := tx.audit(action, key, before, nil); err != nil {
		return err
	}
	tx.dirty = true
	tx.pending.record(bucket, key, nil)
	tx.touched.record(bucket, key, nil)
	return b.Delete(k)
}

func (tx *Tx) audit(action, subject string, before, after []byte) error {
	b := tx.kv.Bucket(bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	a := Audit{Seq: seq, At: tx.at, Actor: tx.actor, Via: tx.via, Action: action, Subject: subject}
	if before != nil {
		a.Before = json.RawMessage(bytes.Clone(before))
	}
	if after != nil {
		a.After = json.RawMessage(after)
	}
	v, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return b.Put(seqKey(seq), v)
}

func seqKey(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

// Product returns the named product, or an ENotFound *Error.
func (tx *Tx) Product(name string) (*Product, error) {
	p, err := get[Product](tx, bucketProducts, name)
	if err == nil && p == nil {
		err = Errorf(ENotFound, "there is no product %q", clip(name, 64))
	}
	return p, err
}

// Products returns every product, ordered by name.
func (tx *Tx) Products() ([]Product, error) { return all[Product](tx, bucketProducts, "") }

// PutProduct stores p, auditing it under action.
func (tx *Tx) PutProduct(action string, p *Product) error {
	return tx.put(bucketProducts, p.Name, action, p)
}

// Release returns the release ref, or an ENotFound *Error.
func (tx *Tx) Release(ref Ref) (*Release, error) {
	r, err := get[Release](tx, bucketReleases, ref.Key())
	if err == nil && r == nil {
		err = Errorf(ENotFound, "there is no release %s", ref)
	}
	return r, err
}

// Releases returns every release, ordered by key.
func (tx *Tx) Releases() ([]Release, error) { return all[Release](tx, bucketReleases, "") }

// ReleasesOf returns the releases of one product, ordered by version key.
func (tx *Tx) ReleasesOf(product string) ([]Release, error) {
	return all[Release](tx, bucketReleases, product+"@")
}

// PutRelease stores r, auditing it under action.
// Checklist items whose due date follows a stage's date are brought up to
// date first.
func (tx *Tx) PutRelease(action string, r *Release) error {
	r.followChecklist()
	return tx.put(bucketReleases, r.Key(), action, r)
}

// DeleteRelease removes the release ref, auditing it under action. A missing
// release is not an error. Callers remove its dependencies first.
func (tx *Tx) DeleteRelease(action string, ref Ref) error {
	return tx.del(bucketReleases, ref.Key(), action)
}

// External returns the external item with the given name (any spelling
// that ExternalKey folds to the same key), or an ENotFound *Error.
func (tx *Tx) External(name string) (*External, error) {
	x, err := get[External](tx, bucketExternals, ExternalKey(name))
	if err == nil && x == nil {
		err = Errorf(ENotFound, "there is no external item %q", clip(name, 80))
	}
	return x, err
}

// Externals returns every external item.
func (tx *Tx) Externals() ([]External, error) { return all[External](tx, bucketExternals, "") }

// PutExternal stores x, auditing it under action.
func (tx *Tx) PutExternal(action string, x *External) error {
	return tx.put(bucketExternals, ExternalKey(x.Name), action, x)
}

// DeleteExternal removes the external item with the given name, auditing it
// under action. A missing item is not an error.
func (tx *Tx) DeleteExternal(action, name string) error {
	return tx.del(bucketExternals, ExternalKey(name), action)
}

// Dependency returns the edge from consumer to the provider key, or an
// ENotFound *Error.
func (tx *Tx) Dependency(consumer Ref, providerKey string) (*Dependency, error) {
	d, err := get[Dependency](tx, bucketDeps, consumer.Key()+" "+providerKey)
	if err == nil && d == nil {
		err = Errorf(ENotFound, "%s does not depend on %s", consumer, providerKey)
	}
	return d, err
}

// Dependencies returns every edge, ordered by consumer.
func (tx *Tx) Dependencies() ([]Dependency, error) { return all[Dependency](tx, bucketDeps, "") }

// DependenciesOf returns the edges where ref is the consumer.
func (tx *Tx) DependenciesOf(ref Ref) ([]Dependency, error) {
	return all[Dependency](tx, bucketDeps, ref.Key()+" ")
}

// PutDependency stores d, auditing it under action.
func (tx *Tx) PutDependency(action string, d *Dependency) error {
	return tx.put(bucketDeps, d.Key(), action, d)
}

// DeleteDependency removes d, auditing it under action.
func (tx *Tx) DeleteDependency(action string, d *Dependency) error {
	return tx.del(bucketDeps, d.Key(), action)
}

// Graph returns every release, external item and dependency as a Graph.
// The Graph may be shared with other transactions: callers must treat it,
// and everything it returns, as read-only. In a read-write transaction it
// includes the transaction's changes so far, and stays as it is when the
// transaction changes more (call Graph again to see those).
//
// The store keeps the Graph of the latest generation it knows. A read-only
// transaction of that generation gets it as is; a read-write one gets it
// with the transaction's changes applied, which becomes the Graph of the
// next generation when the transaction commits. Only a store that has no
// Graph of the transaction's generation (another process changed the
// data, or nothing has asked yet) decodes everything.
func (tx *Tx) Graph() (*Graph, error) {
	if tx.s == nil {
		return tx.loadGraph()
	}
	if !tx.kv.Writable() {
		if g := tx.s.cachedGraph(tx.gen); g != nil {
			return g, nil
		}
		g, err := tx.caughtUp()
		if err != nil {
			return nil, err
		}
		if g != nil {
			tx.s.cacheGraph(tx.gen, g)
			return g, nil
		}
		g, err = tx.loadGraph()
		if err == nil {
			tx.s.cacheGraph(tx.gen, g)
		}
		return g, err
	}
	if tx.g == nil {
		tx.g = tx.s.cachedGraph(tx.gen)
		if tx.g == nil && !tx.dirty {
			// Nothing written yet: what the transaction reads is the
			// generation it began at.
			g, err := tx.caughtUp()
			if err != nil {
				return nil, err
			}
			if g != nil {
				tx.s.cacheGraph(tx.gen, g)
				tx.g = g
			}
		}
		if tx.g == nil {
			g, err := tx.loadGraph() // includes pending
			if err != nil {
				return nil, err
			}
			tx.g, tx.pending = g, delta{}
			return g, nil
		}
	}
	if !tx.pending.empty() {
		g, err := tx.g.apply(&tx.pending)
		if err != nil {
			return nil, err
		}
		tx.g, tx.pending = g, delta{}
	}
	return tx.g, nil
}

// committed returns the Graph of the data tx committed, if it can be had
// without decoding everything.
func (tx *Tx) committed() *Graph {
	base := tx.g
	if base == nil {
		base = tx.s.cachedGraph(tx.gen)
	}
	if base == nil {
		return nil
	}
	g, err := base.apply(&tx.pending)
	if err != nil {
		return nil
	}
	return g
}

func (tx *Tx) loadGraph() (*Graph, error) {
	if tx.s != nil {
		tx.s.decodes.Add(1)
	}
	rs, err := tx.Releases()
	if err != nil {
		return nil, err
	}
	xs, err := tx.Externals()
	if err != nil {
		return nil, err
	}
	ds, err := tx.Dependencies()
	if err != nil {
		return nil, err
	}
	if err := kvErr(tx.kv); err != nil {
		return nil, fmt.Errorf("load graph: %w", err) // never cache a graph read through a failure
	}
	return newGraph(rs, xs, ds, true), nil
}

// AuditLog returns the audit entries with Seq > after, oldest first, at most
// limit of them (all when limit <= 0).
func (tx *Tx) AuditLog(after uint64, limit int) ([]Audit, error) {
	var out []Audit
	c := tx.kv.Bucket(bucketAudit).Cursor()
	for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
		var a Audit
		if err := json.Unmarshal(v, &a); err != nil {
			return nil, fmt.Errorf("decode audit %x: %w", k, err)
		}
		out = append(out, a)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// Enqueue adds m to the outbox and sets its ID. A DM to the actor of tx
// (the person whose command this is) is not queued: nobody is told of
// their own action by DM.
func (tx *Tx) Enqueue(m *Message) error {
	if m.DM && !m.Remind && m.Channel != "" && m.Channel == tx.actor {
		// Nobody is told by DM of their own action: they just did it, and
		// the reply says what happened (a channel still hears of it).
		return nil
	}
	b := tx.kv.Bucket(bucketOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	m.ID = seq
	tx.enqueued = true
	if m.CreatedAt.IsZero() {
		m.CreatedAt = tx.at
	}
	v, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	tx.queued = append(tx.queued, *m)
	return b.Put(seqKey(seq), v)
}

// Queued returns the messages tx has queued so far (Enqueue, QueueOnce),
// in order: who a change tells, for a Rehearse to report before it rolls
// back. The caller must not modify them.
func (tx *Tx) Queued() []Message { return tx.queued }

// Outbox returns the queued messages, oldest first. Parked messages are
// not among them (see ParkedMessages).
func (tx *Tx) Outbox() ([]Message, error) { return all[Message](tx, bucketOutbox, "") }

// ParkMessage moves m out of the outbox into the parked messages, marked
// Parked: delivery gave up on it, and an operator can see why.
func (tx *Tx) ParkMessage(m *Message) error {
	m.Parked = true
	v, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	if err := tx.kv.Bucket(bucketParked).Put(seqKey(m.ID), v); err != nil {
		return err
	}
	return tx.kv.Bucket(bucketOutbox).Delete(seqKey(m.ID))
}

// ParkedMessages returns the messages delivery gave up on, oldest first.
func (tx *Tx) ParkedMessages() ([]Message, error) { return all[Message](tx, bucketParked, "") }

// PutMessage rewrites a queued message (attempts, errors, parking).
func (tx *Tx) PutMessage(m *Message) error {
	v, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	return tx.kv.Bucket(bucketOutbox).Put(seqKey(m.ID), v)
}

// DeleteMessage removes a delivered message from the outbox.
func (tx *Tx) DeleteMessage(id uint64) error {
	return tx.kv.Bucket(bucketOutbox).Delete(seqKey(id))
}

// Posted returns where the message named ref landed, or nil.
func (tx *Tx) Posted(ref string) (*Posted, error) { return get[Posted](tx, bucketPosted, ref) }

// PutPosted records where the message named ref landed.
func (tx *Tx) PutPosted(ref string, p Posted) error {
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return tx.kv.Bucket(bucketPosted).Put(tx.key(ref), v)
}

// MarkSent records in the alert ledger that the alert with the given key was
// sent, and reports whether this is the first time. Keys name the edge or
// CR, the kind of alert and the dates involved, so a repeated check sends
// nothing twice while a further slip (new dates, new key) is a new alert.
func (tx *Tx) MarkSent(key string) (bool, error) {
	b := tx.kv.Bucket(bucketLedger)
	k := tx.key(key)
	if b.Get(k) != nil {
		return false, nil
	}
	v, err := tx.at.MarshalText()
	if err != nil {
		return false, err
	}
	return true, b.Put(k, v)
}
