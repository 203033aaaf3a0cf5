package store

import (
	"encoding/json"
	"testing"
	"time"
)

// readAuditHead reads what json.Marshal wrote, escapes included, and
// refuses what it does not recognise.
func TestReadAuditHead(t *testing.T) {
	at := time.Date(2027, 1, 4, 10, 0, 0, 123456789, time.UTC)
	for _, a := range []Audit{
		{Seq: 1, At: at, Actor: "U1", Action: "release.move", Subject: "payments@2.3.0", Via: ViaSlack, After: json.RawMessage(`{"x":1}`)},
		{Seq: 1 << 40, At: at.Truncate(time.Second), Actor: "", Action: "dependency.put", Subject: `mobile@5.0 ext:stripe sdk 5 é`},
	} {
		v, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		h, ok := readAuditHead(v)
		if !ok || h.before(a.At) || !h.before(a.At.Add(time.Nanosecond)) || string(h.actor) != a.Actor || string(h.subject) != a.Subject {
			t.Errorf("readAuditHead(%s) = %+v, %v; want %v %q %q", v, h, ok, a.At, a.Actor, a.Subject)
		}
	}
	for _, v := range []string{`{"at":"2027-01-04T10:00:00Z"}`, `{"seq":1,"at":2027,"actor":"U1","action":"a","subject":"s"}`, `{"seq":1,"at":"2027-01-04T10:00:00Z","actor":"U1","action":"a","subject":"\"quoted\""}`, `{"seq":1,"at":"2027-01-04T10:00:00Z","actor":"U1","action":"a","subject":"s`} {
		if h, ok := readAuditHead([]byte(v)); ok {
			t.Errorf("readAuditHead(%s) = %+v, true; want false", v, h)
		}
	}
}
