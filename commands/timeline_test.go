package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// The timeline rows of commandCases.
func init() {
	commandCases["timeline"] = append(commandCases["timeline"],
		commandCase{name: "PostsTheTimelineHere", line: "/release timeline", want: []string{":white_check_mark: Posted the timeline of every product (Mon 2026-12-21 to Mon 2027-03-01) in <#CREL>."}},
		commandCase{name: "PostsSomeProductsForSomeWeeks", line: "/release timeline Payments mobile weeks 12", want: []string{"Posted the timeline of mobile and payments (Mon 2026-12-21 to Mon 2027-03-29) in <#CREL>."}},
		commandCase{name: "SaysWhenThereIsNothingToDraw", line: "/release timeline mobile weeks 1", want: []string{":zzz: Nothing to draw: mobile has no release from Mon 2026-12-21 to Mon 2027-01-11."}},
		commandCase{name: "RejectsAnUnknownProduct", line: "/release timeline paymnts", code: store.EInvalid, want: []string{`there is no product "paymnts"`}},
		commandCase{name: "RejectsZeroWeeks", line: "/release timeline weeks 0", code: store.EInvalid, want: []string{`weeks must be a whole number from 1 to 52, not "0"`}},
		commandCase{name: "RejectsTooManyWeeks", line: "/release timeline payments weeks 53", code: store.EInvalid, want: []string{`weeks must be a whole number from 1 to 52, not "53"`}},
		commandCase{name: "RejectsWeeksWithoutANumber", line: "/release timeline weeks", code: store.EInvalid, want: []string{"missing the number of weeks ahead (1 to 52) after weeks"}},
		commandCase{name: "RejectsWeeksTwice", line: "/release timeline weeks 2 weeks 3", code: store.EInvalid, want: []string{"say `weeks N` once"}},
		commandCase{name: "RejectsAChannel", line: "/release timeline <#CPAY|payments-releases>", code: store.EInvalid, want: []string{"expected product names or `weeks N` after timeline", "the timeline is posted here"}},
	)
}

// mustTimeline composes the timeline of products as of the service's
// today, weeks ahead, from what the store holds, with freezes.
func mustTimeline(tb testing.TB, svc *commands.Service, freezes []store.Freeze, weeks int, products ...string) *store.Timeline {
	tb.Helper()
	var t *store.Timeline
	if err := svc.Store.View(context.Background(), func(tx *store.Tx) error {
		g, err := tx.Graph()
		t = render.NewTimeline(g, freezes, products, svc.Today(), weeks)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestNewTimeline(t *testing.T) {
	d := func(s string) store.Date { return MustDate(t, s) }
	t.Run("DrawsEveryProductWithItsSlips", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release move auth@1.4.0 2027-01-20 because HSM firmware")
		got := mustTimeline(t, svc, nil, render.TimelineWeeks)
		want := &store.Timeline{
			Title: "Release timeline · every product · Mon 2027-01-04",
			From:  d("2026-12-21"), To: d("2027-03-01"), Today: d("2027-01-04"),
			Lanes: []store.TimelineLane{
				{Name: "auth", Items: []store.TimelineItem{{Key: "auth@1.4.0", Label: "1.4.0", Date: d("2027-01-20"), Kind: store.ItemPlanned}}},
				{Name: "mobile", Items: []store.TimelineItem{{Key: "mobile@5.0", Label: "5.0", Date: d("2027-01-29"), Kind: store.ItemAtRisk}}},
				{Name: "payments", Items: []store.TimelineItem{{Key: "payments@2.3.0", Label: "2.3.0", Date: d("2027-01-15"), Kind: store.ItemAtRisk}}},
				{Name: "external items", Items: []store.TimelineItem{{Key: "ext:stripe sdk", Label: "Stripe SDK", Date: d("2027-01-20"), Kind: store.ItemExternal}}},
			},
			Edges: []store.TimelineEdge{
				{From: "ext:stripe sdk", To: "mobile@5.0", NeededBy: d("2027-01-29")},
				{From: "payments@2.3.0", To: "mobile@5.0", NeededBy: d("2027-01-29")},
				{From: "auth@1.4.0", To: "payments@2.3.0", NeededBy: d("2027-01-15"), Slipped: true, DaysLate: 5, Label: "5d late"},
			},
		}
		if diff := cmp.Diff(want, got, cmpDates); diff != "" {
			t.Errorf("NewTimeline (-want +got):\n%s", diff)
		}
	})
	t.Run("AddsWhatTheChosenProductsDependOnAndWhatDependsOnThem", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		got := mustTimeline(t, svc, nil, 4, "payments")
		var lanes []string
		for _, l := range got.Lanes {
			lanes = append(lanes, l.Name)
		}
		// auth@1.4.0 (a provider) and mobile@5.0 (a consumer) are one hop
		// away; the external item is two, through mobile.
		if diff := cmp.Diff([]string{"auth", "mobile", "payments"}, lanes); diff != "" {
			t.Errorf("lanes (-want +got):\n%s", diff)
		}
		if len(got.Edges) != 2 {
			t.Errorf("edges = %+v; want auth → payments and payments → mobile", got.Edges)
		}
	})
	t.Run("KeepsNeighboursDatedOutsideTheWindow", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		got := mustTimeline(t, svc, nil, 2, "payments") // to Mon 2027-01-18: mobile@5.0 (01-29) is after it
		if n := got.Items(); n != 3 {
			t.Fatalf("items = %d; want payments@2.3.0 with auth@1.4.0 and mobile@5.0: %+v", n, got.Lanes)
		}
	})
	t.Run("LeavesOutCancelledReleasesAndEdgesNoLongerWaitedFor", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release cancel mobile@5.0 because merged into 5.1")
		got := mustTimeline(t, svc, nil, render.TimelineWeeks)
		for _, l := range got.Lanes {
			if l.Name == "mobile" || l.Name == "external items" {
				t.Errorf("lane %s drawn for a cancelled release: %+v", l.Name, l.Items)
			}
		}
		if len(got.Edges) != 1 {
			t.Errorf("edges = %+v; want only payments → auth", got.Edges)
		}
	})
	t.Run("ShadesFreezesOnTheLanesTheyCover", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		fs := []store.Freeze{
			{ID: 1, From: d("2027-01-25"), To: d("2027-01-27"), Reason: "sale"},
			{ID: 2, Products: []string{"web"}, From: d("2027-02-01"), To: d("2027-02-02"), Reason: "no lane"},
			{ID: 3, Products: []string{"auth", "payments"}, From: d("2027-02-10"), To: d("2027-02-12"), Reason: "audit"},
			{ID: 4, From: d("2027-06-01"), To: d("2027-06-30"), Reason: "after the window"},
		}
		got := mustTimeline(t, svc, fs, render.TimelineWeeks).Freezes
		want := []store.TimelineFreeze{
			{Name: "FZ-1", From: d("2027-01-25"), To: d("2027-01-27")},
			{Name: "FZ-3", From: d("2027-02-10"), To: d("2027-02-12"), Lanes: []string{"auth", "payments"}},
		}
		if diff := cmp.Diff(want, got, cmpDates); diff != "" {
			t.Errorf("freezes (-want +got):\n%s", diff)
		}
	})
	t.Run("CapsItemsAndSaysSo", func(t *testing.T) {
		today := d("2027-01-04")
		var rels []store.Release
		for i := range render.TimelineMaxItems + 50 {
			rels = append(rels, store.Release{Ref: store.Ref{Product: fmt.Sprintf("p%02d", i%20), Version: fmt.Sprintf("1.%d", i)},
				Target: today.AddDays(i % 50), Status: store.Planned})
		}
		got := render.NewTimeline(store.NewGraph(rels, nil, nil), nil, nil, today, render.TimelineWeeks)
		if got.Items() != render.TimelineMaxItems || got.Note != "50 later releases left out" {
			t.Errorf("items = %d, note %q; want %d and the 50 left out", got.Items(), got.Note, render.TimelineMaxItems)
		}
	})
}

func TestTimelineDoc(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	MustDo(t, svc, alice, "/release move auth@1.4.0 2027-01-20 because HSM firmware")
	tl := mustTimeline(t, svc, []store.Freeze{{ID: 2, Products: []string{"payments"}, From: MustDate(t, "2027-02-01"), To: MustDate(t, "2027-02-03")}}, render.TimelineWeeks)
	got := render.TimelineDoc(tl).Text
	for _, want := range []string{
		"Release timeline · every product · Mon 2027-01-04",
		"Mon 2026-12-21 to Mon 2027-03-01 · today Mon 2027-01-04 · 4 items",
		"*:link: Slipped dependencies*\n• *payments@2.3.0* needs *auth@1.4.0* by Fri 2027-01-15: *5d late*",
		"*mobile* — 5.0 2027-01-29 :warning:",
		"*external items* — Stripe SDK 2027-01-20",
		"Freeze FZ-2: payments, Mon 2027-02-01 to Wed 2027-02-03",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("TimelineDoc lacks %q:\n%s", want, got)
		}
	}
}

func TestTimelineCommand(t *testing.T) {
	t.Run("QueuesThePictureWithItsText", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		before := MustSnapshot(t, svc.Store)
		r := MustDo(t, svc, alice, "/release timeline payments weeks 4")
		msgs := MustNewMessages(t, svc, before)
		if len(msgs) != 1 || r.Queued != 1 {
			t.Fatalf("queued %d messages (reply says %d); want 1", len(msgs), r.Queued)
		}
		m := msgs[0]
		want := mustTimeline(t, svc, nil, 4, "payments")
		if diff := cmp.Diff(want, m.Picture, cmpDates); diff != "" || m.Channel != defaultChannel || m.DM {
			t.Errorf("message to %s (DM %v); picture (-want +got):\n%s", m.Channel, m.DM, diff)
		}
		if diff := cmp.Diff(render.TimelineDoc(want), m.Doc); diff != "" {
			t.Errorf("text (-want +got):\n%s", diff)
		}
	})
}

func TestDigesterTimeline(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	picture := func() *store.Timeline {
		var tl *store.Timeline
		if err := svc.Store.View(context.Background(), func(tx *store.Tx) error {
			dg, err := commands.LoadDigester(tx, svc.Clock.Now(), svc.Clock.Now(), time.UTC)
			if err != nil {
				return err
			}
			tl = dg.Timeline(&store.Subscription{Products: []string{"mobile"}}, nil)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return tl
	}
	if tl := picture(); tl != nil {
		t.Errorf("a digest with nothing at risk carries a picture: %+v", tl)
	}
	MustDo(t, svc, alice, "/release move auth@1.4.0 2027-01-20 because HSM firmware")
	tl := picture()
	if tl == nil || tl.Lanes[0].Name != "mobile" {
		t.Fatalf("a digest listing mobile@5.0 at risk carries %+v; want mobile's timeline", tl)
	}
}
