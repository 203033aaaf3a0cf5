package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Connectors: the actors that tell relman what GitHub, Jira and CI already
// know. Each acts as itself (its name is the actor of its changes, in
// history and the audit log) with the rights of the product's release
// manager. Slack user IDs start with U or W, so no person is ever one.
const (
	ActorCI     = "CI"
	ActorGitHub = "GitHub"
	ActorJira   = "Jira"
)

// Transports of the connectors, recorded as Audit.Via.
const (
	ViaDeploy = "deploy"
	ViaGitHub = "github"
	ViaJira   = "jira"
)

// IsConnector reports whether actor is one of the connectors (ActorCI,
// ActorGitHub, ActorJira), not a person.
func IsConnector(actor string) bool {
	return actor == ActorCI || actor == ActorGitHub || actor == ActorJira
}

// LinkKind is where a product's versions are kept.
type LinkKind string

// Link kinds; stored as their strings.
const (
	LinkGitHub LinkKind = "github"
	LinkJira   LinkKind = "jira"
)

// Link maps a product to a GitHub repository ("owner/repo") or a Jira
// project key. It remembers who linked it and where, for the releases a
// connector adds and the failures it reports, and what the connector did
// last.
type Link struct {
	Product string    `json:"product"`
	Kind    LinkKind  `json:"kind"`
	Target  string    `json:"target"` // "owner/repo" as typed, or the upper-case Jira key
	By      string    `json:"by"`
	Channel string    `json:"channel,omitempty"` // where link was typed
	At      time.Time `json:"at"`
	// Last is when the connector last synced (Jira) or took a delivery
	// (GitHub); LastChanged says what that changed ("" for nothing).
	Last        time.Time `json:"last,omitzero"`
	LastChanged []string  `json:"last_changed,omitempty"`
	// Skipped counts the Jira versions whose names are not a version of
	// the product (Sprint 42), at the last sync.
	Skipped int `json:"skipped,omitempty"`
	// Failing is the last failure of the connector for this link, while
	// it lasts ("" once a sync succeeds); Told says whoever linked was
	// told of it, so a failure is said once until a success in between.
	Failing string `json:"failing,omitempty"`
	Told    bool   `json:"told,omitempty"`
}

var (
	// bucketLinks holds links by kind and lower-case target:
	// "github/owner/repo", "jira/KEY" (schema 8).
	bucketLinks = []byte("links")
	// bucketDeliveries remembers the webhook deliveries applied, by id
	// (schema 8): "i"+id → when, "t"+when+id → nothing, as bucketEvents.
	bucketDeliveries = []byte("deliveries")
	// bucketJiraVersions holds what the last sync saw of each Jira
	// version, by "KEY/id" (schema 8).
	bucketJiraVersions = []byte("jira_versions")
)

var (
	repoRE    = regexp.MustCompile(`^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$`)
	jiraKeyRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)
)

// NormalizeLinkTarget checks target for kind: a GitHub "owner/repo" (kept
// as typed; matched without regard to case), or a Jira project key
// (upper-cased). It returns an EInvalid *Error that says what is allowed.
func NormalizeLinkTarget(kind LinkKind, target string) (string, error) {
	switch kind {
	case LinkGitHub:
		if !repoRE.MatchString(target) {
			return "", Errorf(EInvalid, "%q is not a GitHub repository: write owner/repo, like acme/payments", clip(target, 60))
		}
		return target, nil
	case LinkJira:
		k := strings.ToUpper(target)
		if !jiraKeyRE.MatchString(k) {
			return "", Errorf(EInvalid, "%q is not a Jira project key: letters, digits and _, starting with a letter, like PAY", clip(target, 60))
		}
		return k, nil
	}
	return "", Errorf(EInvalid, "%q is not a kind of link: github or jira", clip(string(kind), 20))
}

func linkKey(kind LinkKind, target string) string {
	return string(kind) + "/" + strings.ToLower(target)
}

// Link returns the link of kind to target (any case), or an ENotFound
// *Error.
func (tx *Tx) Link(kind LinkKind, target string) (*Link, error) {
	l, err := get[Link](tx, bucketLinks, linkKey(kind, target))
	if err == nil && l == nil {
		err = Errorf(ENotFound, "nothing is linked to %s %s", kind, clip(target, 100))
	}
	return l, err
}

// Links returns every link, ordered by kind and target.
func (tx *Tx) Links() ([]Link, error) { return all[Link](tx, bucketLinks, "") }

// LinkOf returns product's link of kind, or an ENotFound *Error.
func (tx *Tx) LinkOf(product string, kind LinkKind) (*Link, error) {
	ls, err := all[Link](tx, bucketLinks, string(kind)+"/")
	if err != nil {
		return nil, err
	}
	for i := range ls {
		if ls[i].Product == product {
			return &ls[i], nil
		}
	}
	return nil, Errorf(ENotFound, "%s is not linked to %s", product, kind)
}

// PutLink stores l, auditing it under action.
func (tx *Tx) PutLink(action string, l *Link) error {
	return tx.put(bucketLinks, linkKey(l.Kind, l.Target), action, l)
}

// DeleteLink removes l, auditing it under action.
func (tx *Tx) DeleteLink(action string, l *Link) error {
	return tx.del(bucketLinks, linkKey(l.Kind, l.Target), action)
}

// RecordSync stores what a connector's run did for l: when, what it
// changed, how many names it skipped, and its failure ("" for none). It
// is not audited: the changes themselves are.
func (tx *Tx) RecordSync(l *Link) error {
	v, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode link %s: %w", l.Target, err)
	}
	return tx.kv.Bucket(bucketLinks).Put(tx.key(linkKey(l.Kind, l.Target)), v)
}

// FirstDelivery records that the webhook delivery id was applied in this
// transaction and reports whether it is its first within ttl: of any
// number of transactions with one id, by any processes sharing the
// database, the first one committed gets true. It also forgets a few
// records older than ttl.
func (tx *Tx) FirstDelivery(id string, ttl time.Duration) (bool, error) {
	b := tx.kv.Bucket(bucketDeliveries)
	idKey := append([]byte("i"), id...)
	if v := b.Get(idKey); len(v) == 8 {
		seen := time.Unix(0, int64(binary.BigEndian.Uint64(v)))
		if tx.at.Sub(seen) <= ttl {
			return false, nil
		}
		if err := b.Delete(eventTimeKey(seen, id)); err != nil {
			return false, err
		}
	}
	if err := pruneDeliveries(b, tx.at.Add(-ttl)); err != nil {
		return false, err
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(tx.at.UnixNano()))
	if err := b.Put(idKey, v[:]); err != nil {
		return false, err
	}
	return true, b.Put(eventTimeKey(tx.at, id), []byte{})
}

// JiraVersion is what relman last saw of a Jira version: tracked by its id,
// so a renamed version is the same release, and a date is a change only
// when it differs from the one seen before.
type JiraVersion struct {
	Project  string `json:"project"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Date     Date   `json:"date,omitzero"` // its releaseDate
	Released bool   `json:"released,omitempty"`
	Archived bool   `json:"archived,omitempty"`
	// Ref is the release it stands for ("" for a skipped name).
	Ref string `json:"ref,omitempty"`
}

// JiraVersions returns what the last sync saw of project's versions, by id.
func (tx *Tx) JiraVersions(project string) (map[string]JiraVersion, error) {
	vs, err := all[JiraVersion](tx, bucketJiraVersions, project+"/")
	if err != nil {
		return nil, err
	}
	m := make(map[string]JiraVersion, len(vs))
	for _, v := range vs {
		m[v.ID] = v
	}
	return m, nil
}

// PutJiraVersion stores what a sync saw of v. It is not audited: the
// changes it causes are.
func (tx *Tx) PutJiraVersion(v *JiraVersion) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode jira version %s/%s: %w", v.Project, v.ID, err)
	}
	return tx.kv.Bucket(bucketJiraVersions).Put([]byte(v.Project+"/"+v.ID), b)
}

// DeleteJiraVersions forgets what was seen of project's versions (unlink).
func (tx *Tx) DeleteJiraVersions(project string) error {
	b := tx.kv.Bucket(bucketJiraVersions)
	p := []byte(project + "/")
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
