package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// bucketAsks holds the messages whose ask button opened a form, by the
// form's ID (schema 7): the form's submission, which any replica may
// receive, edits the message once the command ran.
var bucketAsks = []byte("asks")

// PendingAsk is a message whose ask button opened a form: what the form's
// submission needs to edit it. Slack's view_submission does not carry the
// message, and a modal's private_metadata is too small for its blocks.
type PendingAsk struct {
	ID          string          `json:"id"`
	ResponseURL string          `json:"response_url"`
	Text        string          `json:"text"`
	Label       string          `json:"label"`  // the button's
	Blocks      json.RawMessage `json:"blocks"` // the message's, as Slack sent them
	At          time.Time       `json:"at"`
}

// PutAsk stores a, and forgets the asks older than ttl (as of the
// transaction's time) and, beyond max, the oldest. Pending asks are
// bookkeeping: not audited, and no new generation.
func (tx *Tx) PutAsk(a *PendingAsk, ttl time.Duration, max int) error {
	asks, err := all[PendingAsk](tx, bucketAsks, "")
	if err != nil {
		return err
	}
	b := tx.kv.Bucket(bucketAsks)
	live := asks[:0]
	for _, p := range asks {
		if tx.at.Sub(p.At) > ttl {
			if err := b.Delete([]byte(p.ID)); err != nil {
				return err
			}
			continue
		}
		live = append(live, p)
	}
	for len(live) >= max && len(live) > 0 {
		oldest := 0
		for i, p := range live {
			if p.At.Before(live[oldest].At) {
				oldest = i
			}
		}
		if err := b.Delete([]byte(live[oldest].ID)); err != nil {
			return err
		}
		live = append(live[:oldest], live[oldest+1:]...)
	}
	v, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode ask %s: %w", a.ID, err)
	}
	return b.Put([]byte(a.ID), v)
}

// TakeAsk removes and returns the pending ask id if it is there and no
// older than ttl; nil otherwise.
func (tx *Tx) TakeAsk(id string, ttl time.Duration) (*PendingAsk, error) {
	p, err := get[PendingAsk](tx, bucketAsks, id)
	if err != nil || p == nil {
		return nil, err
	}
	if err := tx.kv.Bucket(bucketAsks).Delete([]byte(id)); err != nil {
		return nil, err
	}
	if tx.at.Sub(p.At) > ttl {
		return nil, nil
	}
	return p, nil
}
