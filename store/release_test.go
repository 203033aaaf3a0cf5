package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"relman/store"
)

// TestHistoryEntryJSON: a history entry is stored as it was when its kind
// was a plain string, so databases written before read back the same.
func TestHistoryEntryJSON(t *testing.T) {
	at := time.Date(2027, time.January, 4, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		entry store.HistoryEntry
		want  string
	}{
		{store.HistoryEntry{Kind: store.HistoryAdded, To: MustDate(t, "2027-01-15"), By: "UALICE", At: at},
			`{"kind":"added","to":"2027-01-15","by":"UALICE","at":"2027-01-04T09:00:00Z"}`},
		{store.HistoryEntry{Kind: store.HistoryMoved, From: MustDate(t, "2027-01-15"), To: MustDate(t, "2027-02-01"), By: "UALICE", At: at, Reason: "audit", Freeze: "FZ-2"},
			`{"kind":"moved","from":"2027-01-15","to":"2027-02-01","by":"UALICE","at":"2027-01-04T09:00:00Z","reason":"audit","freeze":"FZ-2"}`},
		{store.HistoryEntry{Kind: store.HistoryShipped, From: MustDate(t, "2027-01-15"), To: MustDate(t, "2027-01-14"), By: "UALICE", At: at},
			`{"kind":"shipped","from":"2027-01-15","to":"2027-01-14","by":"UALICE","at":"2027-01-04T09:00:00Z"}`},
		{store.HistoryEntry{Kind: store.HistoryCancelled, From: MustDate(t, "2027-01-15"), By: "UALICE", At: at, Reason: "dropped"},
			`{"kind":"cancelled","from":"2027-01-15","by":"UALICE","at":"2027-01-04T09:00:00Z","reason":"dropped"}`},
		{store.HistoryEntry{Kind: store.HistoryConfirmed, From: MustDate(t, "2027-01-15"), To: MustDate(t, "2027-01-20"), By: "USAM", At: at},
			`{"kind":"confirmed","from":"2027-01-15","to":"2027-01-20","by":"USAM","at":"2027-01-04T09:00:00Z"}`},
		{store.HistoryEntry{Kind: store.HistoryReopened, From: MustDate(t, "2027-01-14"), To: MustDate(t, "2027-01-15"), By: "UALICE", At: at},
			`{"kind":"reopened","from":"2027-01-14","to":"2027-01-15","by":"UALICE","at":"2027-01-04T09:00:00Z"}`},
		{store.HistoryEntry{Kind: store.HistoryRenamed, FromName: "payments@2.3.0", ToName: "billing@2.3.0", By: "UALICE", At: at},
			`{"kind":"renamed","by":"UALICE","at":"2027-01-04T09:00:00Z","from_name":"payments@2.3.0","to_name":"billing@2.3.0"}`},
		{store.HistoryEntry{Kind: store.HistoryOwnerChanged, FromName: "UALICE", ToName: "UBOB", By: "UALICE", At: at},
			`{"kind":"owner changed","by":"UALICE","at":"2027-01-04T09:00:00Z","from_name":"UALICE","to_name":"UBOB"}`},
		{store.HistoryEntry{Kind: store.HistoryChannelChanged, FromName: "C1", ToName: "C2", By: "UALICE", At: at},
			`{"kind":"channel changed","by":"UALICE","at":"2027-01-04T09:00:00Z","from_name":"C1","to_name":"C2"}`},
		{store.HistoryEntry{Kind: store.HistoryDependencyAdded, Provider: "Stripe SDK", External: true, To: MustDate(t, "2027-01-10"), By: "UALICE", At: at},
			`{"kind":"dependency added","to":"2027-01-10","by":"UALICE","at":"2027-01-04T09:00:00Z","provider":"Stripe SDK","external":true}`},
		{store.HistoryEntry{Kind: store.HistoryDependencyRemoved, Provider: "auth@1.4.0", By: "UALICE", At: at},
			`{"kind":"dependency removed","by":"UALICE","at":"2027-01-04T09:00:00Z","provider":"auth@1.4.0"}`},
		{store.HistoryEntry{Kind: store.HistoryRoleChanged, Role: store.ReleaseManager, Users: []string{"UBOB"}, By: "UALICE", At: at},
			`{"kind":"role changed","by":"UALICE","at":"2027-01-04T09:00:00Z","role":"release-manager","users":["UBOB"]}`},
		{store.HistoryEntry{Kind: store.HistoryDeleted, By: "UALICE", At: at, Reason: "typo"},
			`{"kind":"deleted","by":"UALICE","at":"2027-01-04T09:00:00Z","reason":"typo"}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.entry.Kind), func(t *testing.T) {
			b, err := json.Marshal(tt.entry)
			if err != nil {
				t.Fatalf("json.Marshal(%+v) = %v", tt.entry, err)
			}
			if string(b) != tt.want {
				t.Errorf("json.Marshal(%s entry) = %s; want %s", tt.entry.Kind, b, tt.want)
			}
			var back store.HistoryEntry
			if err := json.Unmarshal([]byte(tt.want), &back); err != nil {
				t.Fatalf("json.Unmarshal(%s) = %v", tt.want, err)
			}
			if back.Kind != tt.entry.Kind {
				t.Errorf("json.Unmarshal(%s).Kind = %q; want %q", tt.want, back.Kind, tt.entry.Kind)
			}
		})
	}
}
