package store

import (
	"strconv"
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
	// External names the external item a re-confirm request is about.
	External string `json:"external,omitempty"`
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
