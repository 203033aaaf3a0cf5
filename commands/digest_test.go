package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/store"
)

// The digest rows of commandCases live here, beside the command's own tests.
func init() {
	commandCases["digest"] = []commandCase{
		{name: "SubscribesHereDaily", line: "/release digest daily 09:00", want: []string{":white_check_mark: <#CREL> gets a daily digest at 09:00 (UTC) for every product."}},
		{name: "SubscribesAChannelWeekly", line: "/release digest weekly mon 17:30 <#CPAY|payments-releases> payments auth", want: []string{"<#CPAY> gets a weekly digest on Mondays at 17:30 (UTC) for auth and payments."}},
		{name: "SubscribesMe", line: "/release digest daily 7:05 me", want: []string{"You get a daily digest at 07:05 (UTC) on weekdays for every product."}},
		{name: "SubscribesMeWeekends", line: "/release digest daily 7:05 me weekends", want: []string{"You get a daily digest at 07:05 (UTC) for every product."}},
		{name: "StopsNothingQuietly", line: "/release digest off", want: []string{"<#CREL> had no digest, so nothing changed."}},
		{name: "ListsNone", line: "/release digest list", want: []string{"No digests yet."}},
		{name: "RejectsHour25", line: "/release digest daily 25:00", code: store.EInvalid, want: []string{`"25:00" is not a time of day: use HH:MM on a 24-hour clock, like 09:00`}},
		{name: "RejectsMinute60", line: "/release digest daily 09:60", code: store.EInvalid, want: []string{`"09:60" is not a time of day`}},
		{name: "RejectsAMWithoutColon", line: "/release digest daily 9am", code: store.EInvalid, want: []string{`"9am" is not a time of day`}},
		{name: "RejectsUnknownWeekday", line: "/release digest weekly someday 09:00", code: store.EInvalid, want: []string{`"someday" is not a day of the week: use mon, tue, wed, thu, fri, sat or sun`}},
		{name: "RejectsTimeBeforeWeekday", line: "/release digest weekly 09:00 mon", code: store.EInvalid, want: []string{`"09:00" is not a day of the week`}},
		{name: "RejectsMissingTime", line: "/release digest daily", code: store.EInvalid, want: []string{"missing the time of day (like 09:00)"}},
		{name: "RejectsUnknownProduct", line: "/release digest daily 09:00 here paymnts", code: store.EInvalid, want: []string{`there is no product "paymnts"; the products are auth, mobile, payments`}},
		{name: "RejectsAUserAsTarget", line: "/release digest daily 09:00 <@UBOB|bob>", code: store.EInvalid, want: []string{`a digest goes to here, me or a #channel, not "bob"`}},
		{name: "RejectsAGroupAsTarget", line: "/release digest daily 09:00 <!subteam^S1|@ccb>", code: store.EInvalid, want: []string{`not "ccb"`}},
		{name: "RejectsABadChannel", line: "/release digest daily 09:00 #rel!eases", code: store.EInvalid, want: []string{`"rel!eases" is not a channel`}},
		{name: "RejectsAnUnknownMode", line: "/release digest hourly 09:00", code: store.EInvalid, want: []string{`expected daily, weekly, now, off or list after digest, not "hourly"`}},
		{name: "RejectsProductsOnOff", line: "/release digest off here payments", code: store.EInvalid, want: []string{`unexpected "payments"`}},
	}
}

// digestRequest is line typed by user in channel, from zone.
func digestRequest(user, channel, zone, line string) commands.Request {
	r := request(user, line)
	r.Channel = channel
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			panic(err)
		}
		r.Zone = loc
	}
	return r
}

func mustSubscriptions(tb testing.TB, st *store.Store) []store.Subscription {
	tb.Helper()
	var subs []store.Subscription
	if err := st.View(context.Background(), func(tx *store.Tx) (err error) {
		subs, err = tx.Subscriptions()
		return err
	}); err != nil {
		tb.Fatalf("Subscriptions: %v", err)
	}
	return subs
}

func TestDigest(t *testing.T) {
	t.Run("StoresTheScheduleInTheSubscribersZone", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		ctx := context.Background()
		for _, req := range []commands.Request{
			digestRequest(alice, "CREL", "Europe/Berlin", "/release digest weekly Fri 16:00 <#CPAY|payments-releases> payments mobile payments"),
			digestRequest(bob, "CREL", "Asia/Tokyo", "/release digest daily 08:30 me"),
			digestRequest(sam, "CAUTH", "", "/release digest daily 09:00 here auth"),
		} {
			if r := svc.Execute(ctx, req); !r.OK() {
				t.Fatalf("Execute(%q) = %s:\n%s", req.Text, r.Code, r.Doc.Text)
			}
		}
		want := []store.Subscription{
			{Channel: "CAUTH", Cadence: store.Daily, Hour: 9, Products: []string{"auth"}, Zone: "UTC", CreatedAt: epoch, CreatedBy: sam},
			{Channel: "CPAY", Cadence: store.Weekly, Weekday: time.Friday, Hour: 16, Products: []string{"mobile", "payments"}, Zone: "Europe/Berlin", CreatedAt: epoch, CreatedBy: alice},
			{Channel: bob, DM: true, Cadence: store.Daily, Hour: 8, Minute: 30, Zone: "Asia/Tokyo", CreatedAt: epoch, CreatedBy: bob},
		}
		if diff := cmp.Diff(want, mustSubscriptions(t, svc.Store)); diff != "" {
			t.Errorf("subscriptions (-want +got):\n%s", diff)
		}
	})

	t.Run("TellsTheChannelButNotTheDM", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		before := MustSnapshot(t, svc.Store)
		r := MustDo(t, svc, alice, "/release digest daily 09:00 <#CPAY|payments-releases>")
		MustDo(t, svc, alice, "/release digest daily 09:00 me")
		msgs := MustNewMessages(t, svc, before)
		if r.Queued != 1 || len(msgs) != 1 {
			t.Fatalf("queued %d (reply says %d); want 1 post to the channel", len(msgs), r.Queued)
		}
		if got, want := msgs[0].Channel, "CPAY"; got != want || msgs[0].DM {
			t.Errorf("posted to %s (DM %v); want %s", got, msgs[0].DM, want)
		}
		if want := "<@UALICE> set this channel to get a daily digest at 09:00 (UTC) for every product. `/release digest off here` stops it."; !strings.Contains(msgs[0].Doc.Text, want) {
			t.Errorf("channel post = %q; want it to contain %q", msgs[0].Doc.Text, want)
		}
	})

	t.Run("ReplacesTheTargetsDigest", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release digest weekly mon 09:00")
		r := MustDo(t, svc, bob, "/release digest daily 10:00 here payments")
		if want := "This replaces a weekly digest on Mondays at 09:00 (UTC)."; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("reply = %q; want it to contain %q", r.Doc.Text, want)
		}
		subs := mustSubscriptions(t, svc.Store)
		if len(subs) != 1 || subs[0].Cadence != store.Daily || subs[0].CreatedBy != bob {
			t.Errorf("subscriptions = %+v; want bob's daily one only", subs)
		}
	})

	t.Run("OffStopsIt", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release digest daily 09:00 <#CPAY|payments-releases>")
		MustDo(t, svc, bob, "/release digest daily 09:00 me")
		before := MustSnapshot(t, svc.Store)
		r := MustDo(t, svc, bob, "/release digest off <#CPAY|payments-releases>")
		if want := ":white_check_mark: <#CPAY> no longer gets a digest."; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("reply = %q; want it to contain %q", r.Doc.Text, want)
		}
		if msgs := MustNewMessages(t, svc, before); len(msgs) != 1 || !strings.Contains(msgs[0].Doc.Text, "<@UBOB> stopped this channel's digest.") {
			t.Errorf("messages = %+v; want one post in CPAY saying bob stopped it", msgs)
		}
		r = MustDo(t, svc, bob, "/release digest off me")
		if want := ":white_check_mark: You no longer get a digest."; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("reply = %q; want it to contain %q", r.Doc.Text, want)
		}
		if subs := mustSubscriptions(t, svc.Store); len(subs) != 0 {
			t.Errorf("subscriptions after off = %+v; want none", subs)
		}
	})

	t.Run("ListShowsChannelsAndYoursButCountsOthersDMs", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release digest weekly tue 09:00 <#CPAY|payments-releases> payments")
		MustDo(t, svc, alice, "/release digest daily 08:00 me")
		MustDo(t, svc, sam, "/release digest daily 08:00 me")
		r := MustDo(t, svc, bob, "/release digest daily 18:00 me auth")
		if r.Cacheable {
			t.Errorf("digest daily reply is Cacheable; want not")
		}
		r = MustDo(t, svc, bob, "/release digest list")
		for _, w := range []string{
			"• <#CPAY>: a weekly digest on Tuesdays at 09:00 (UTC) for payments · set by <@UALICE>",
			"• You, by DM: a daily digest at 18:00 (UTC) on weekdays for auth",
			"Plus 2 by DM to other people.",
		} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("list lacks %q:\n%s", w, r.Doc.Text)
			}
		}
		if strings.Contains(r.Doc.Text, "UALICE> , by DM") || strings.Contains(r.Doc.Text, "USAM") {
			t.Errorf("list shows other people's DM digests:\n%s", r.Doc.Text)
		}
		// Subscriptions do not change the store's generation, so a cached
		// list would go stale: it must not be cacheable.
		if r.Cacheable {
			t.Errorf("digest list is Cacheable; want not")
		}
	})

	t.Run("RefusesHereInADirectMessage", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		r := svc.Execute(context.Background(), digestRequest(alice, "D0123ABCD", "", "/release digest daily 09:00"))
		if r.Code != store.EInvalid || !strings.Contains(r.Doc.Text, "here is a direct message, not a channel: say me") {
			t.Errorf("digest here in a DM = %s:\n%s\nwant invalid, suggesting me", r.Code, r.Doc.Text)
		}
	})

	t.Run("SavesNothingOnBadInput", func(t *testing.T) {
		for _, line := range []string{
			"/release digest daily 25:00 here",
			"/release digest weekly funday 09:00",
			"/release digest daily 09:00 here payments nosuchproduct",
			"/release digest daily 09:00 <@UBOB|bob>",
		} {
			svc := MustService(t)
			MustFixture(t, svc)
			MustDo(t, svc, alice, "/release digest daily 07:00 me")
			before := MustSnapshot(t, svc.Store)
			subs := mustSubscriptions(t, svc.Store)
			MustFail(t, svc, alice, line, store.EInvalid)
			assertUnchanged(t, before, MustSnapshot(t, svc.Store))
			if diff := cmp.Diff(subs, mustSubscriptions(t, svc.Store)); diff != "" {
				t.Errorf("%q changed subscriptions (-before +after):\n%s", line, diff)
			}
		}
	})
}
