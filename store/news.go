package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// NewsKind says what a piece of News reports.
type NewsKind string

// The kinds of News.
const (
	NewsFreezeAdded   NewsKind = "freeze added"
	NewsFreezeRemoved NewsKind = "freeze removed"
	NewsRoleChanged   NewsKind = "role changed"
)

// News is a change that digests report and the graph does not keep: a
// freeze made or removed, a role set on a product or on a release. It is
// read back from the audit log (Tx.News), where the change was recorded in
// its own transaction, so nothing else has to be written to tell it later.
type News struct {
	Kind NewsKind
	At   time.Time
	By   string // who made the change
	// Freeze is the freeze made or removed (NewsFreezeAdded,
	// NewsFreezeRemoved).
	Freeze *Freeze
	// Product is the product whose role changed, or Release the release
	// (NewsRoleChanged); Role the role and Users its holders after the
	// change (none: the role was unset).
	Product string
	Release Ref
	Role    Role
	Users   []string
}

// Covers reports whether n is about product: a freeze that covers it, a
// role of it or of one of its releases.
func (n *News) Covers(product string) bool {
	switch {
	case n.Freeze != nil:
		return n.Freeze.Covers(product)
	case n.Product != "":
		return n.Product == product
	}
	return n.Release.Product == product
}

// newsActions are the audit actions Tx.News reads, and what they are.
var newsActions = map[string]NewsKind{
	"freeze.add":    NewsFreezeAdded,
	"freeze.remove": NewsFreezeRemoved,
	"product.role":  NewsRoleChanged,
	"release.role":  NewsRoleChanged,
}

// News returns the news recorded at or after since and not after until,
// oldest first: the freezes made and removed (audit actions freeze.add and
// freeze.remove) and the roles changed on products and releases
// (product.role and release.role; one piece of news per role whose holders
// changed). It walks the audit log backwards from its newest entry and stops
// at the first entry before since, reading only the head of the others, so
// its cost is the number of entries since then.
func (tx *Tx) News(since, until time.Time) ([]News, error) {
	var out []News
	c := tx.kv.Bucket(bucketAudit).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		h, ok := readAuditHead(v)
		if ok {
			if h.before(since) {
				break
			}
			if _, want := newsActions[string(h.action)]; !want {
				continue
			}
		}
		a, err := DecodeAudit(v)
		if err != nil {
			return nil, fmt.Errorf("decode audit %x: %w", k, err)
		}
		if a.At.Before(since) {
			break
		}
		kind, want := newsActions[a.Action]
		if !want || a.At.After(until) {
			continue
		}
		ns, err := newsOf(&a, kind)
		if err != nil {
			return nil, fmt.Errorf("news of audit %d: %w", a.Seq, err)
		}
		// Backwards: the pieces of one entry are reversed with the rest.
		slices.Reverse(ns)
		out = append(out, ns...)
	}
	if err := kvErr(tx.kv); err != nil {
		return nil, fmt.Errorf("read the news: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// newsOf is the news of audit entry a, of kind.
func newsOf(a *Audit, kind NewsKind) ([]News, error) {
	n := News{Kind: kind, At: a.At, By: a.Actor}
	switch {
	case kind == NewsFreezeAdded || kind == NewsFreezeRemoved:
		raw := a.After
		if kind == NewsFreezeRemoved {
			raw = a.Before
		}
		if isNull(raw) {
			return nil, nil
		}
		n.Freeze = new(Freeze)
		return []News{n}, json.Unmarshal(raw, n.Freeze)
	case a.Action == "product.role":
		var before, after Product
		if err := decodeBoth(a, &before, &after); err != nil {
			return nil, err
		}
		n.Product = after.Name
		return roleNews(n, before.Roles, after.Roles), nil
	}
	var before, after Release
	if err := decodeBoth(a, &before, &after); err != nil {
		return nil, err
	}
	n.Release = after.Ref
	return roleNews(n, before.Roles, after.Roles), nil
}

// roleNews is n for every role whose holders differ between before and
// after, in AllRoles order.
func roleNews(n News, before, after Roles) []News {
	var out []News
	for _, r := range AllRoles {
		if slices.Equal(before.Get(r), after.Get(r)) {
			continue
		}
		m := n
		m.Role, m.Users = r, slices.Clone(after.Get(r))
		out = append(out, m)
	}
	return out
}

// decodeBoth decodes a's records before and after into before and after;
// a missing one stays zero.
func decodeBoth(a *Audit, before, after any) error {
	if !isNull(a.Before) {
		if err := json.Unmarshal(a.Before, before); err != nil {
			return err
		}
	}
	if !isNull(a.After) {
		return json.Unmarshal(a.After, after)
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}
