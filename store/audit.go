package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Audit is one entry of the audit log: who changed what, when, with the
// value before and after (JSON, null when there was none), and the
// transport the change came through (Via; "" in entries written before it
// was recorded).
type Audit struct {
	Seq     uint64          `json:"seq"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Via     string          `json:"via,omitempty"`
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
}

// Transports a change comes through, recorded as Audit.Via.
const (
	ViaSlack     = "slack"
	ViaConsole   = "console"
	ViaScheduler = "scheduler"
)

type viaKey struct{}

// WithVia returns ctx carrying via, the transport a change comes through
// ("slack", "console", a connector's name): the audit entries of the
// transactions Update, Batch and Rehearse run with it record it.
func WithVia(ctx context.Context, via string) context.Context {
	if via == "" {
		return ctx
	}
	return context.WithValue(ctx, viaKey{}, via)
}

// viaOf is the transport ctx carries, "" if none.
func viaOf(ctx context.Context) string {
	v, _ := ctx.Value(viaKey{}).(string)
	return v
}

// AuditFilter selects audit entries. Its zero value selects every one.
type AuditFilter struct {
	// Release, a release key (product@version), selects the entries about
	// the release, its dependencies either way and its change requests.
	Release string
	// Product selects the entries about the product, its releases, their
	// dependencies, its board, change requests and freezes.
	Product string
	// Actor selects the entries of one user's changes.
	Actor string
	// Since, when set, leaves out entries before it.
	Since time.Time
	// Before, when not 0, selects only entries with Seq < Before: the
	// page after one that ended at Before.
	Before uint64
}

// needles are byte strings one of which every entry f selects contains,
// so that entries without any are skipped without being decoded; nil when
// there are none.
func (f AuditFilter) needles() [][]byte {
	quoted := func(s string) []byte {
		b, _ := json.Marshal(s) // a string always encodes
		return b
	}
	switch {
	case f.Actor != "":
		return [][]byte{append([]byte(`"actor":`), quoted(f.Actor)...)}
	case f.Release != "":
		// A change request names its release as {"product":…,"version":…}.
		_, version, _ := strings.Cut(f.Release, "@")
		key := quoted(f.Release)
		return [][]byte{key[1 : len(key)-1], append([]byte(`"version":`), quoted(version)...)}
	case f.Product != "":
		p := quoted(f.Product)
		return [][]byte{p[1 : len(p)-1]}
	}
	return nil
}

// containsAny reports whether v contains one of needles.
func containsAny(v []byte, needles [][]byte) bool {
	for _, n := range needles {
		if bytes.Contains(v, n) {
			return true
		}
	}
	return false
}

// Selects reports whether f selects a (Before and Since aside).
func (f AuditFilter) Selects(a *Audit) bool {
	if f.Actor != "" && a.Actor != f.Actor {
		return false
	}
	if f.Release != "" && !a.about(func(key string) bool { return key == f.Release }, "") {
		return false
	}
	if f.Product != "" && !a.about(func(key string) bool { return strings.HasPrefix(key, f.Product+"@") }, f.Product) {
		return false
	}
	return true
}

// about reports whether a is about a release whose key is selects (the
// release itself, a dependency either way, a change request), or, when
// product is set, about the product itself, its board or a freeze of it.
func (a *Audit) about(is func(key string) bool, product string) bool {
	s := a.Subject
	if is(s) || (product != "" && (s == product || s == "board "+product)) {
		return true
	}
	if consumer, provider, ok := strings.Cut(s, " "); ok && !strings.HasPrefix(s, "board ") && !strings.HasPrefix(s, "freeze ") &&
		!strings.HasPrefix(s, "digest ") && !strings.HasPrefix(s, "delegation ") && (is(consumer) || is(provider)) {
		return true // a dependency: "consumer provider"
	}
	if !strings.HasPrefix(s, "CR-") && !strings.HasPrefix(s, "freeze ") {
		return false
	}
	// A change request names its release, a freeze its products, in the
	// record itself.
	var v struct {
		Release  Ref      `json:"release"`
		Products []string `json:"products"`
	}
	for _, raw := range []json.RawMessage{a.After, a.Before} {
		if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
			continue
		}
		if (v.Release.Product != "" && is(v.Release.Key())) || (product != "" && slices.Contains(v.Products, product)) {
			return true
		}
	}
	return false
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries []Audit
	// More says the filter selects entries older than the page's last:
	// AuditFilter{Before: Entries[len-1].Seq} shows them.
	More bool
	// Older counts them when that costs nothing (a page of the whole log,
	// whose entries are numbered without gaps); 0 otherwise. Counting the
	// entries a filter selects would read the whole log.
	Older int
}

// AuditPage returns the newest limit entries f selects, newest first, and
// whether it selects older ones (how many, for the whole log). It walks the log backwards from the
// newest entry (or from f.Before), decoding only the entries that may
// match, and stops at the first entry before f.Since: entries are in the
// order they were written, which is the order of their instants unless the
// clock was stepped back. Without a filter but Before, the older entries
// are counted from the sequence numbers, which the log hands out without
// gaps, so the first page decodes limit entries whatever the log's length;
// with a filter, a page reads entries until it finds one more than it
// shows, so its cost is how far back its entries go.
func (tx *Tx) AuditPage(f AuditFilter, limit int) (AuditPage, error) {
	var page AuditPage
	c := tx.kv.Bucket(bucketAudit).Cursor()
	var k, v []byte
	if f.Before > 0 {
		if k, _ = c.Seek(seqKey(f.Before)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	} else {
		k, v = c.Last()
	}
	needles := f.needles()
	for ; k != nil; k, v = c.Prev() {
		if len(page.Entries) == limit && needles == nil && f.Since.IsZero() && len(k) == 8 {
			// Every older entry is selected: count them by number.
			page.More, page.Older = true, int(seqOf(k))
			break
		}
		// Most entries are settled by their head, read without the
		// records they hold; the others (a change request, a freeze)
		// are decoded if they may match.
		if h, ok := readAuditHead(v); ok {
			if !f.Since.IsZero() && h.before(f.Since) {
				break
			}
			if yes, sure := f.selectsHead(&h); sure && !yes {
				continue
			} else if sure && len(page.Entries) == limit {
				page.More = true
				break
			}
		}
		if needles != nil && !containsAny(v, needles) {
			continue
		}
		var a Audit
		if err := json.Unmarshal(v, &a); err != nil {
			return AuditPage{}, fmt.Errorf("decode audit %x: %w", k, err)
		}
		if !f.Since.IsZero() && a.At.Before(f.Since) {
			break
		}
		if !f.Selects(&a) {
			continue
		}
		if len(page.Entries) == limit {
			page.More = true
			break
		}
		page.Entries = append(page.Entries, a)
	}
	return page, nil
}

// seqOf reads a key seqKey made.
func seqOf(k []byte) uint64 {
	var n uint64
	for _, b := range k {
		n = n<<8 | uint64(b)
	}
	return n
}

// DeletedRelease finds the newest deletion of the release key at or after
// since in the audit log: the release as it was when deleted (its history
// ends with the deletion) and the dependencies the deletion removed with
// it. It returns nil when there is none.
func (tx *Tx) DeletedRelease(key string, since time.Time) (*Release, []Dependency, *Audit, error) {
	c := tx.kv.Bucket(bucketAudit).Cursor()
	needle, _ := json.Marshal(key)
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		if !bytes.Contains(v, needle) {
			// Still read the instant, to stop at since.
			var h struct {
				At time.Time `json:"at"`
			}
			if json.Unmarshal(v, &h) == nil && h.At.Before(since) {
				return nil, nil, nil, nil
			}
			continue
		}
		var a Audit
		if err := json.Unmarshal(v, &a); err != nil {
			return nil, nil, nil, fmt.Errorf("decode audit %x: %w", k, err)
		}
		if a.At.Before(since) {
			return nil, nil, nil, nil
		}
		if a.Subject != key || a.Action != "release.delete" || a.After != nil || a.Before == nil {
			continue
		}
		r := new(Release)
		if err := json.Unmarshal(a.Before, r); err != nil {
			return nil, nil, nil, fmt.Errorf("decode deleted release %s: %w", key, err)
		}
		// Its dependencies went in the same transaction, just before the
		// release was stored with its last history entry: the entries
		// before that, as far as they are deletes of its dependencies by
		// the same actor at the same instant.
		var deps []Dependency
		for k, v := c.Prev(); k != nil; k, v = c.Prev() {
			var d Audit
			if err := json.Unmarshal(v, &d); err != nil {
				return nil, nil, nil, fmt.Errorf("decode audit %x: %w", k, err)
			}
			if !d.At.Equal(a.At) || d.Actor != a.Actor {
				break
			}
			if d.Action == "release.delete" && d.Subject == key && d.After != nil {
				continue // the release stored with its last history entry
			}
			if d.Action != "dependency.delete" || !strings.HasPrefix(d.Subject, key+" ") || d.Before == nil {
				break
			}
			var dep Dependency
			if err := json.Unmarshal(d.Before, &dep); err != nil {
				return nil, nil, nil, fmt.Errorf("decode deleted dependency %s: %w", d.Subject, err)
			}
			deps = append(deps, dep)
		}
		slices.Reverse(deps)
		return r, deps, &a, nil
	}
	return nil, nil, nil, nil
}

// ExportAudit calls fn with every audit entry at or after since (all when
// since is zero), oldest first, as it is stored: the JSON of an Audit, on
// one line. It reads kv in one read-only transaction: a Store need not be
// opened, so the data is neither migrated nor changed. raw is valid only
// during the call. It stops at fn's first error and returns it.
func ExportAudit(ctx context.Context, kv KV, since time.Time, fn func(raw []byte) error) error {
	t, err := kv.Begin(ctx, false)
	if err != nil {
		return err
	}
	defer t.Rollback()
	b := t.Bucket(bucketAudit)
	if b == nil {
		if err := kvErr(t); err != nil {
			return fmt.Errorf("the database failed: %w", err)
		}
		return nil // a database relman never wrote to has no audit log
	}
	c := b.Cursor()
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		if !since.IsZero() {
			h, ok := readAuditHead(v)
			if !ok {
				var a Audit
				if err := json.Unmarshal(v, &a); err != nil {
					return fmt.Errorf("decode audit %x: %w", k, err)
				}
				h.at, _ = a.At.MarshalText()
			}
			if h.before(since) {
				continue
			}
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := kvErr(t); err != nil {
		return fmt.Errorf("the database failed: %w", err)
	}
	return nil
}
