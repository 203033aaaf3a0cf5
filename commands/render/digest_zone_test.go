package render

import (
	"strings"
	"testing"
	"time"

	"relman/store"
)

// TestDigestSaysDeadlinesInTheSubscribersZone: a DM digest says when a
// change request's vote closes in the zone its subscriber keeps its
// schedule in; a channel's digest in the workspace zone, named.
func TestDigestSaysDeadlinesInTheSubscribersZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC)
	target, _ := store.ParseDate("2027-01-29")
	rel := store.Release{Ref: store.Ref{Product: "mobile", Version: "5.0"}, Target: target, Status: store.Planned, Owner: "UALICE"}
	g := store.NewGraph([]store.Release{rel}, nil, nil)
	cr := store.ChangeRequest{ID: 1, Release: rel.Ref, Title: "new onboarding", Status: store.CROpen, CreatedAt: now,
		Deadline: time.Date(2027, 1, 7, 16, 0, 0, 0, time.UTC), PolicySnapshot: store.Board{Members: []string{"UNINA"}}}
	dg := NewDigester(g, nil, []store.ChangeRequest{cr}, nil, nil, now, berlin)
	for _, tc := range []struct {
		name string
		sub  store.Subscription
		want string
	}{
		{"DMInTheSubscribersZone", store.Subscription{Channel: "UNINA", DM: true, Zone: "America/New_York"}, "closes Thu 11:00 EST"},
		{"ChannelInTheWorkspaceZone", store.Subscription{Channel: "CMOB", Zone: "America/New_York"}, "closes Thu 17:00 CET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if text := dg.Digest(&tc.sub, now.AddDate(0, 0, -1)).Text; !strings.Contains(text, tc.want) {
				t.Errorf("digest lacks %q:\n%s", tc.want, text)
			}
		})
	}
}
