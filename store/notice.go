package store

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Notice is what a queued message reports, kept with it in the outbox
// (Message.Notice) so that its words are composed when it is delivered,
// from the state at that moment and in its reader's time zone, not when it
// was queued. A notice names its subject (an edge, a change request), its
// kind (a ledger kind: KindSlip, KindUpcoming, KindVoteNag…) and the
// transition it reports, by the ledger key it was recorded under; its
// audience is the message's Channel. At delivery a notice whose transition
// no longer holds is dropped, and notices about one subject held for one
// audience collapse into the newest.
type Notice struct {
	Kind string `json:"kind"`
	// Subject names what the notice is about, the same for every notice
	// about it that one audience should read at most one of at a time:
	// EdgeSubject, NudgeSubject, CRSubject.
	Subject string `json:"subject"`
	// Key is the ledger key of the transition it reports (SlipKey…).
	Key string `json:"key"`
	// Edge identifies the edge of an edge notice (its Consumer, and its
	// Provider or External); its dates are not read.
	Edge *Dependency `json:"edge,omitempty"`
	// NeededBy and ProviderDate are the dates of the transition: a slip's
	// (or, for a recovery, the slip it recovers from), the needed-by date
	// an overdue alert or an upcoming nudge is about.
	NeededBy     Date `json:"needed_by,omitzero"`
	ProviderDate Date `json:"provider_date,omitzero"`
	// Days is how many days ahead of NeededBy an upcoming nudge was due
	// (7 or 1).
	Days int `json:"days,omitempty"`
	// CR is the change request a vote reminder is about.
	CR int `json:"cr,omitempty"`
	// External names the external item a re-confirm request, or an
	// external item's new owner, is about.
	External string `json:"external,omitempty"`
	// Release is the release a KindOwner notice is about.
	Release Ref `json:"release,omitzero"`
	// By is who made the change it reports, when its words name them (the
	// consumer's manager who accepted a date, who gave a release a new
	// owner).
	By string `json:"by,omitempty"`
	// Was is the needed-by date an accepted counter-proposal replaced.
	Was Date `json:"was,omitzero"`
}

// EdgeSubject is the subject of the news about the edge with key edge
// (Dependency.Key): slips, recoveries, overdue and cancelled providers, of
// which a reader needs only the latest.
func EdgeSubject(edge string) string { return "edge " + edge }

// NudgeSubject is the subject of the upcoming needed-by nudges about the
// edge with key edge: a 1-day nudge supersedes a 7-day one still held.
func NudgeSubject(edge string) string { return "nudge " + edge }

// ExternalSubject is the subject of the re-confirm requests about the
// external item named name (any spelling).
func ExternalSubject(name string) string { return "ext:" + ExternalKey(name) }

// KindReached is the news to a consumer's release managers that its
// provider reached the stage the consumer needs it in (a promotion): the
// edge is delivered. Its subject is the edge's (EdgeSubject), so it and
// the edge's other news collapse into the latest.
const KindReached = "reached"

// ReachedKey is the key of the notice that the provider of d reached
// stage on day.
func ReachedKey(d Dependency, stage string, day Date) string {
	return "reached " + d.Key() + " " + stage + " " + day.String()
}

// KindHandshake is the notice that asks a provider to commit to a
// needed-by date (a handshake request).
const KindHandshake = "handshake"

// HandshakeSubject is the subject of the handshake requests about the edge
// with key edge.
func HandshakeSubject(edge string) string { return "handshake " + edge }

// HandshakeKey names the handshake request of dep for neededBy made at
// requestedAt: a new request (another date) is a new notice.
func HandshakeKey(dep Dependency, neededBy Date, requestedAt time.Time) string {
	return ledgerKey(KindHandshake, dep.Key(), neededBy.String(), instant(requestedAt))
}

// The answers to a handshake request, told to whoever did not make them:
// a commitment (KindCommitted) or another date proposed (KindCountered),
// told to the consumer's release managers, and a proposed date accepted
// (KindAccepted), told to who proposed it.
const (
	KindCommitted = "committed"
	KindCountered = "countered"
	KindAccepted  = "accepted"
)

// AnswerSubject is the subject of the answers to the handshake request of
// the edge with key edge: a reader needs only the latest.
func AnswerSubject(edge string) string { return "answer " + edge }

// AnswerKey names the answer of kind (KindCommitted, KindCountered,
// KindAccepted) that dep records: the date it settles on (the proposed
// date, for KindCountered; the needed-by date otherwise) and when the
// provider answered. Another answer, or another date, is a new notice.
func AnswerKey(kind string, dep Dependency) string {
	date := dep.NeededBy
	if kind == KindCountered {
		date = dep.Proposed
	}
	return ledgerKey(kind, dep.Key(), date.String(), instant(dep.AnsweredAt))
}

// KindOwner is the notice telling someone they were made the owner of a
// release (Notice.Release) or an external item (Notice.External).
const KindOwner = "owner"

// OwnerSubject is the subject of the news to a new owner of what (a
// release's Ref.Key, or ExternalSubject).
func OwnerSubject(what string) string { return "owner " + what }

// OwnerKey names the handover of what (as OwnerSubject) to owner at at.
func OwnerKey(what, owner string, at time.Time) string {
	return ledgerKey(KindOwner, what, owner, instant(at))
}

// CRSubject is the subject of the reminders about change request id.
func CRSubject(id int) string { return "CR-" + strconv.Itoa(id) }

// KindTold is the ledger kind of what a reader was last told of a subject
// (Tx.MarkTold): the first word of its keys.
const KindTold = "told"

// toldPrefix starts the ledger key of what audience (a channel, or a DM's
// user) was last told of subject; the notice's Key follows it.
func toldPrefix(audience, subject string) string {
	return ledgerKey(KindTold, audience, subject) + " "
}

// Told reports whether the last notice about n's subject delivered to
// audience reported n's transition (its Key): told again, it would say
// nothing new, as when a slip and its recovery both came and went while
// the reader was away and the recovery was told before.
func (tx *Tx) Told(audience string, n *Notice) bool {
	return tx.Sent(toldPrefix(audience, n.Subject) + n.Key)
}

// MarkTold records that n was delivered to audience: the last notice about
// its subject they were told, in place of the one before.
func (tx *Tx) MarkTold(audience string, n *Notice) error {
	prefix := toldPrefix(audience, n.Subject)
	var old []string
	tx.LedgerEntries(prefix, func(key string, _ time.Time) bool {
		old = append(old, key)
		return true
	})
	if err := tx.Forget(old...); err != nil {
		return err
	}
	_, err := tx.MarkSent(prefix + n.Key)
	return err
}

// RenameNotices makes the notices held in the outbox about release from,
// or about an edge of it, and the records of what each reader was told of
// them (Told), name it to: a release renamed while news of it is held
// still has that news delivered, worded then, and told once. It returns
// how many queued notices it changed.
func (tx *Tx) RenameNotices(from, to Ref) (int, error) {
	old, nu := from.Key(), to.Key()
	msgs, err := tx.Outbox()
	if err != nil {
		return 0, err
	}
	changed := 0
	for i := range msgs {
		n := msgs[i].Notice
		if n == nil || !n.rename(from, to) {
			continue
		}
		n.Subject, n.Key = swapToken(n.Subject, old, nu), swapToken(n.Key, old, nu)
		if err := tx.PutMessage(&msgs[i]); err != nil {
			return 0, fmt.Errorf("rename notice %d: %w", msgs[i].ID, err)
		}
		changed++
	}
	b := tx.kv.Bucket(bucketLedger)
	type move struct{ from, to, v []byte }
	var moves []move
	c := b.Cursor()
	p := []byte(KindTold + " ")
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if nk := swapToken(string(k), old, nu); nk != string(k) {
			moves = append(moves, move{append([]byte(nil), k...), []byte(nk), append([]byte(nil), v...)})
		}
	}
	for _, m := range moves {
		if err := b.Delete(m.from); err != nil {
			return 0, err
		}
		if err := b.Put(m.to, m.v); err != nil {
			return 0, err
		}
	}
	return changed, nil
}

// rename makes n name to wherever it names release from, and reports
// whether it did.
func (n *Notice) rename(from, to Ref) bool {
	did := false
	if n.Edge != nil {
		if n.Edge.Consumer == from {
			n.Edge.Consumer, did = to, true
		}
		if !n.Edge.IsExternal() && n.Edge.Provider == from {
			n.Edge.Provider, did = to, true
		}
	}
	if n.Release == from {
		n.Release, did = to, true
	}
	return did
}

// swapToken replaces in s each space-separated word that is old with to:
// the keys of notices and ledger entries are words (kinds, release keys,
// dates, audiences) joined by spaces.
func swapToken(s, old, to string) string {
	words := strings.Split(s, " ")
	for i, w := range words {
		if w == old {
			words[i] = to
		}
	}
	return strings.Join(words, " ")
}
