package store

import (
	"encoding/json"
	"time"
)

// Audit is one entry of the audit log: who changed what, when, with the
// value before and after (JSON, null when there was none).
type Audit struct {
	Seq     uint64          `json:"seq"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
}
