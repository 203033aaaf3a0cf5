package store

import (
	"strconv"
	"strings"
	"time"
)

// Ledger kinds of the CCB's reminders and of release meetings.
const (
	KindVoteNag = "vote-nag" // a member reminded to vote before a CR's deadline
	// KindDecision is the notice that a CR was decided (its requester's
	// DM); the ledger keeps only who was told of it (Tx.MarkTold).
	KindDecision = "decision"
	// KindCRNews is the notice that tells a release manager downstream of
	// a CR's release that it was raised, or decided.
	KindCRNews = "cr-news"
	KindAgenda = "agenda" // a meeting agenda posted (/release agenda)
)

// VoteNagKey names the one reminder to vote on CR-id that member gets
// before its deadline.
func VoteNagKey(id int, member string) string {
	return ledgerKey(KindVoteNag, "CR-"+strconv.Itoa(id), member)
}

// DecisionKey names the decision of CR-id made at the instant at: the
// transition a requester's DM reports.
func DecisionKey(id int, at time.Time) string {
	return ledgerKey(KindDecision, "CR-"+strconv.Itoa(id), instant(at))
}

// CRNewsKey names the news of CR-id, in status (raised: open; decided),
// to the release managers downstream of its release.
func CRNewsKey(id int, status CRStatus) string {
	return ledgerKey(KindCRNews, "CR-"+strconv.Itoa(id), string(status))
}

// agendaSubject is whose agenda it is: the channel and the products it
// covers (sorted; "*" for every product), so an agenda of payments and one
// of every product in the same channel each have their own "since".
func agendaSubject(channel string, products []string) string {
	ps := "*"
	if len(products) > 0 {
		ps = strings.Join(sortedSet(products), ",")
	}
	return channel + "/" + ps
}

// AgendaKey names the meeting agenda of products posted in channel at at.
// Agendas are not alerts: every agenda is recorded, and LastAgenda finds
// the newest.
func AgendaKey(channel string, products []string, at time.Time) string {
	return ledgerKey(KindAgenda, agendaSubject(channel, products), instant(at))
}

// LastAgenda returns when the last agenda of products (any order) was
// posted in channel, or the zero time when none is in the ledger (never
// posted, or pruned with the ledger's old entries).
func (tx *Tx) LastAgenda(channel string, products []string) time.Time {
	var last time.Time
	prefix := ledgerKey(KindAgenda, agendaSubject(channel, products)) + " "
	tx.LedgerEntries(prefix, func(key string, at time.Time) bool {
		if !strings.Contains(key[len(prefix):], " ") && at.After(last) {
			last = at
		}
		return true
	})
	return last
}
