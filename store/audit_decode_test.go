package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// TestDecodeAuditIsUnmarshal: DecodeAudit reads every entry json.Marshal
// writes as json.Unmarshal does, including escapes, missing and nested
// records, and falls back for any other layout.
func TestDecodeAuditIsUnmarshal(t *testing.T) {
	at := time.Date(2027, 1, 4, 9, 0, 0, 123, time.UTC)
	for _, a := range []store.Audit{
		{Seq: 1, At: at, Actor: "U1", Action: "release.add", Subject: "payments@2.3.0", After: json.RawMessage(`{"ref":{"product":"payments"},"history":[{"kind":"added","reason":"a \"quoted\" } ] reason"}]}`)},
		{Seq: 22, At: at, Actor: "U\"2", Action: "release.move", Subject: "x@1", Via: "slack", Before: json.RawMessage(`{"a":[1,{"b":"}"}]}`), After: json.RawMessage(`{"a":2}`)},
		{Seq: 3, At: at, Actor: "U3", Action: "release.delete", Subject: "y@1", Via: "console", Before: json.RawMessage(`{"x":"\\"}`)},
		{Seq: 4, At: at, Actor: "relman", Action: "ccb.deadline", Subject: "CR-1"},
	} {
		v, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var want store.Audit
		if err := json.Unmarshal(v, &want); err != nil {
			t.Fatal(err)
		}
		got, err := store.DecodeAudit(v)
		if err != nil {
			t.Fatalf("DecodeAudit(%s): %v", v, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("DecodeAudit(%s) (-Unmarshal +DecodeAudit):\n%s", v, diff)
		}
	}
	if _, err := store.DecodeAudit([]byte(`{"seq":1,"at":`)); err == nil {
		t.Error("DecodeAudit of a cut entry = nil error")
	}
}
