package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// CCB buckets (schema 5). Boards are keyed by BoardKey, change requests by
// their big-endian ID, delegations by Delegation.Key.
var (
	bucketBoards      = []byte("boards")
	bucketCRs         = []byte("crs")
	bucketDelegations = []byte("delegations")
)

// putAside stores v under key in bucket and audits the change under action
// and subject, like put, but leaves the generation as it is: boards,
// change requests and delegations are not part of the release graph, so a
// vote invalidates neither the shared Graph nor cached replies of lookups.
func (tx *Tx) putAside(bucket []byte, key, subject, action string, v any) error {
	after, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", bucket, key, err)
	}
	b := tx.kv.Bucket(bucket)
	if err := tx.audit(action, subject, b.Get(tx.key(key)), after); err != nil {
		return err
	}
	return b.Put(tx.key(key), after)
}

// Board returns the board of product ("" for the default board), or an
// ENotFound *Error when it was never set up.
func (tx *Tx) Board(product string) (*Board, error) {
	b, err := get[Board](tx, bucketBoards, BoardKey(product))
	if err == nil && b == nil {
		name := product
		if name == "" {
			name = "default"
		}
		err = Errorf(ENotFound, "the %s board has not been set up", name)
	}
	return b, err
}

// Boards returns every board that was set up, the default board first,
// then by product.
func (tx *Tx) Boards() ([]Board, error) { return all[Board](tx, bucketBoards, "") }

// PutBoard stores b (its members, groups and veto sorted, each once),
// audited under action. It does not validate: callers check Validate with
// the board's resolved size.
func (tx *Tx) PutBoard(action string, b *Board) error {
	b.Members = sortedSet(b.Members)
	b.Groups = sortedSet(b.Groups)
	b.Veto = sortedSet(b.Veto)
	return tx.putAside(bucketBoards, b.Key(), "board "+b.Name(), action, b)
}

func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Compact(slices.Sorted(slices.Values(s)))
}

// NewChangeRequest numbers cr (the next CR-N), sets its Thread and, when
// unset, its CreatedAt and Status, and stores it audited under action.
func (tx *Tx) NewChangeRequest(action string, cr *ChangeRequest) error {
	seq, err := tx.kv.Bucket(bucketCRs).NextSequence()
	if err != nil {
		return err
	}
	cr.ID = int(seq)
	cr.Thread = CRThread(cr.ID)
	if cr.CreatedAt.IsZero() {
		cr.CreatedAt = tx.at
	}
	if cr.Status == "" {
		cr.Status = CROpen
	}
	return tx.PutChangeRequest(action, cr)
}

// ChangeRequest returns CR-id, or an ENotFound *Error.
func (tx *Tx) ChangeRequest(id int) (*ChangeRequest, error) {
	var cr *ChangeRequest
	if id > 0 {
		b := tx.kv.Bucket(bucketCRs).Get(seqKey(uint64(id)))
		if b != nil {
			cr = new(ChangeRequest)
			if err := json.Unmarshal(b, cr); err != nil {
				return nil, fmt.Errorf("decode CR-%d: %w", id, err)
			}
		}
	}
	if cr == nil {
		return nil, Errorf(ENotFound, "there is no CR-%d", id)
	}
	return cr, nil
}

// ChangeRequests returns every change request, oldest (lowest ID) first.
func (tx *Tx) ChangeRequests() ([]ChangeRequest, error) { return all[ChangeRequest](tx, bucketCRs, "") }

// openStatus is how PutChangeRequest's encoding/json writes an open CR's
// status: compact, so the bytes of every open CR contain it.
var openStatus = []byte(`"status":"` + string(CROpen) + `"`)

// OpenChangeRequests returns the change requests still open, oldest
// first. Decided ones, which accumulate, are skipped without being
// decoded.
func (tx *Tx) OpenChangeRequests() ([]ChangeRequest, error) {
	var out []ChangeRequest
	c := tx.kv.Bucket(bucketCRs).Cursor()
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		if !bytes.Contains(v, openStatus) {
			continue
		}
		var cr ChangeRequest
		if err := json.Unmarshal(v, &cr); err != nil {
			return nil, fmt.Errorf("decode CR %x: %w", k, err)
		}
		if cr.Open() { // not just a title that reads like it
			out = append(out, cr)
		}
	}
	return out, nil
}

// PutChangeRequest stores cr, audited under action with its whole ballot:
// every current vote and every change of vote.
func (tx *Tx) PutChangeRequest(action string, cr *ChangeRequest) error {
	if cr.ID <= 0 {
		return fmt.Errorf("put change request: no ID (use NewChangeRequest)")
	}
	v, err := json.Marshal(cr)
	if err != nil {
		return fmt.Errorf("encode %s: %w", cr.Name(), err)
	}
	b := tx.kv.Bucket(bucketCRs)
	k := seqKey(uint64(cr.ID))
	if err := tx.audit(action, cr.Name(), b.Get(k), v); err != nil {
		return err
	}
	if err := tx.bumpCRGeneration(); err != nil { // calendar feeds show CR deadlines
		return err
	}
	return b.Put(k, v)
}

// PutDelegation stores d, replacing the delegation of its delegator for
// the same product, audited under action.
func (tx *Tx) PutDelegation(action string, d *Delegation) error {
	return tx.putAside(bucketDelegations, d.Key(), "delegation "+d.Key(), action, d)
}

// Delegations returns every delegation, by delegator then product,
// including those that have ended.
func (tx *Tx) Delegations() ([]Delegation, error) { return all[Delegation](tx, bucketDelegations, "") }
