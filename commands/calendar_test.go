package commands_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/emersion/go-ical"
	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/commands/calendar"
	"relman/store"
)

// The calendar rows of commandCases.
func init() {
	commandCases["calendar"] = append(commandCases["calendar"],
		commandCase{name: "GivesTheAddressOfEveryProduct", line: "/release calendar", want: []string{"Your calendar feed of every product", "https://relman.example.com/calendar/", ".ics`", "shown only now"}},
		commandCase{name: "GivesTheAddressOfSomeProducts", line: "/release calendar payments MOBILE payments", want: []string{"Your calendar feed of mobile and payments"}},
		commandCase{name: "ReplacesTheSameProducts", setup: []string{"/release calendar payments"}, line: "/release calendar payments", want: []string{"Your earlier address for payments no longer works"}},
		commandCase{name: "RevokesNothing", line: "/release calendar revoke", want: []string{"You have no calendar feed"}},
		commandCase{name: "Revokes", setup: []string{"/release calendar", "/release calendar auth"}, line: "/release calendar revoke", want: []string{"Revoked your 2 calendar feeds"}},
		commandCase{name: "RejectsAnUnknownProduct", line: "/release calendar paymnts", code: store.EInvalid, want: []string{`there is no product "paymnts"`, "the products are auth, mobile, payments"}},
		commandCase{name: "RejectsABadProductName", line: "/release calendar pay$ments", code: store.EInvalid},
		commandCase{name: "RejectsAChannel", line: "/release calendar <#CPAY|payments-releases>", code: store.EInvalid, want: []string{"expected product names after calendar"}},
		commandCase{name: "RejectsWordsAfterRevoke", line: "/release calendar revoke payments", code: store.EInvalid, want: []string{`unexpected "payments"`}},
	)
}

var feedPathRE = regexp.MustCompile(`/calendar/([A-Za-z0-9_-]+)\.ics`)

// MustCalendarToken runs /release calendar with args as user and returns
// the token of the address it replied with.
func MustCalendarToken(tb testing.TB, svc *commands.Service, user, args string) string {
	tb.Helper()
	r := MustDo(tb, svc, user, strings.TrimSpace("/release calendar "+args))
	m := feedPathRE.FindStringSubmatch(r.Doc.Text)
	if m == nil {
		tb.Fatalf("calendar %s replied without an address:\n%s", args, r.Doc.Text)
	}
	return m[1]
}

// feedEvent is what a test checks of a parsed VEVENT.
type feedEvent struct {
	Summary     string
	Description string
	Start, End  string // DTSTART and DTEND as dates (no DTEND: the day after DTSTART)
	Seq         int
}

// MustParseFeed parses body with a second iCalendar library (emersion's
// go-ical) and returns its events by UID, failing on a duplicate UID or
// an event that is not all-day. It parses body with golang-ical too, and
// fails unless both read the same UIDs, summaries, descriptions, dates
// and sequence numbers.
func MustParseFeed(tb testing.TB, body []byte) map[string]feedEvent {
	tb.Helper()
	if n, crlf := bytes.Count(body, []byte("\n")), bytes.Count(body, []byte("\r\n")); n == 0 || n != crlf {
		tb.Errorf("%d of %d lines end with CRLF; want all (RFC 5545 §3.1)", crlf, n)
	}
	dec := ical.NewDecoder(bytes.NewReader(body))
	cal, err := dec.Decode()
	if err != nil {
		tb.Fatalf("go-ical cannot parse the feed: %v\n%s", err, body)
	}
	if _, err := dec.Decode(); !errors.Is(err, io.EOF) {
		tb.Errorf("the feed holds more than one calendar: %v", err)
	}
	if v := cal.Props.Get(ical.PropVersion); v == nil || v.Value != "2.0" {
		tb.Errorf("VERSION = %v; want 2.0", v)
	}
	out := map[string]feedEvent{}
	for _, e := range cal.Events() {
		uid, err := e.Props.Text(ical.PropUID)
		if err != nil || uid == "" {
			tb.Fatalf("event without UID: %v", e.Props)
		}
		if _, dup := out[uid]; dup {
			tb.Errorf("UID %s appears twice", uid)
		}
		if vt := e.Props.Get(ical.PropDateTimeStart); vt == nil || vt.ValueType() != ical.ValueDate {
			tb.Errorf("DTSTART of %s is not a date: %v", uid, vt)
		}
		if vt := e.Props.Get(ical.PropDateTimeEnd); vt != nil && vt.ValueType() != ical.ValueDate {
			tb.Errorf("DTEND of %s is not a date: %v", uid, vt)
		}
		if e.Props.Get(ical.PropDateTimeStamp) == nil {
			tb.Errorf("%s has no DTSTAMP", uid)
		}
		start, err1 := e.DateTimeStart(time.UTC)
		end, err2 := e.DateTimeEnd(time.UTC)
		if err1 != nil || err2 != nil {
			tb.Fatalf("dates of %s: %v, %v", uid, err1, err2)
		}
		summary, _ := e.Props.Text(ical.PropSummary)
		desc, _ := e.Props.Text(ical.PropDescription)
		seq := 0
		if p := e.Props.Get(ical.PropSequence); p != nil {
			seq, _ = p.Int()
		}
		out[uid] = feedEvent{Summary: summary, Description: desc, Start: start.Format(time.DateOnly), End: end.Format(time.DateOnly), Seq: seq}
	}
	if diff := cmp.Diff(out, parseWithGolangICal(tb, body)); diff != "" {
		tb.Errorf("go-ical and golang-ical read the feed differently (-go-ical +golang-ical):\n%s", diff)
	}
	return out
}

// parseWithGolangICal reads the events of body as MustParseFeed does,
// with golang-ical's parser.
func parseWithGolangICal(tb testing.TB, body []byte) map[string]feedEvent {
	tb.Helper()
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("golang-ical cannot parse the feed: %v", err)
	}
	out := map[string]feedEvent{}
	for _, e := range cal.Events() {
		text := func(p ics.ComponentProperty) string {
			if v := e.GetProperty(p); v != nil {
				return v.Value
			}
			return ""
		}
		start, err := e.GetAllDayStartAt()
		if err != nil {
			tb.Fatalf("golang-ical: DTSTART of %s: %v", e.Id(), err)
		}
		end := start.AddDate(0, 0, 1)
		if e.GetProperty(ics.ComponentPropertyDtEnd) != nil {
			if end, err = e.GetAllDayEndAt(); err != nil {
				tb.Fatalf("golang-ical: DTEND of %s: %v", e.Id(), err)
			}
		}
		seq, _ := strconv.Atoi(text(ics.ComponentPropertySequence))
		out[e.Id()] = feedEvent{Summary: text(ics.ComponentPropertySummary), Description: text(ics.ComponentPropertyDescription),
			Start: start.Format(time.DateOnly), End: end.Format(time.DateOnly), Seq: seq}
	}
	return out
}

// uidOf returns the UID of the one event whose summary is summary.
func uidOf(tb testing.TB, events map[string]feedEvent, summary string) string {
	tb.Helper()
	var uids []string
	for uid, e := range events {
		if e.Summary == summary {
			uids = append(uids, uid)
		}
	}
	if len(uids) != 1 {
		tb.Fatalf("events titled %q: %v; want one", summary, uids)
	}
	return uids[0]
}

func summaries(events map[string]feedEvent) []string {
	var s []string
	for _, e := range events {
		s = append(s, e.Summary)
	}
	slices.Sort(s)
	return s
}

func MustFeed(tb testing.TB, f *calendar.Feeds, token, ifNoneMatch string) calendar.FeedReply {
	tb.Helper()
	r, err := f.Feed(context.Background(), token, ifNoneMatch)
	if err != nil {
		tb.Fatalf("Feed(%q) = %v", token, err)
	}
	return r
}

func TestCalendarFeed(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	feeds := &calendar.Feeds{Store: svc.Store, Loc: time.UTC}
	mustCalendarUpdate(t, svc.Store, func(tx *store.Tx) error {
		for _, f := range []store.Freeze{
			{From: store.NewDate(2027, 12, 20), To: store.NewDate(2028, 1, 3), Reason: "holidays"},
			{Products: []string{"auth"}, From: store.NewDate(2027, 3, 1), To: store.NewDate(2027, 3, 2), Reason: "auth audit"},
			{Products: []string{"payments"}, From: store.NewDate(2027, 4, 1), To: store.NewDate(2027, 4, 1), Reason: "PCI"},
		} {
			if err := tx.NewFreeze("freeze.add", &f); err != nil {
				return err
			}
		}
		return nil
	})
	MustDo(t, svc, root, "/ccb board default members add <@UBOB|bob>")
	MustDo(t, svc, alice, "/ccb request payments@2.3.0 switch the card processor, to Adyen; now deadline 2027-01-07")
	MustDo(t, svc, alice, "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-25")
	all := MustCalendarToken(t, svc, alice, "")
	some := MustCalendarToken(t, svc, bob, "payments mobile")

	first := MustFeed(t, feeds, all, "")
	events := MustParseFeed(t, first.Body)
	want := []string{
		"CR-1 vote closes: switch the card processor, to Adyen; now",
		"Freeze FZ-1 (all products): holidays",
		"Freeze FZ-2 (auth): auth audit",
		"Freeze FZ-3 (payments): PCI",
		"auth@1.4.0 target",
		"mobile@5.0 needs payments@2.3.0", // needed by a date of its own; the others by the consumer's target
		"mobile@5.0 target",
		"payments@2.3.0 target",
	}
	if diff := cmp.Diff(want, summaries(events)); diff != "" {
		t.Errorf("events of the feed of every product (-want +got):\n%s", diff)
	}
	payments := uidOf(t, events, "payments@2.3.0 target")
	need := uidOf(t, events, "mobile@5.0 needs payments@2.3.0")
	checks := []struct {
		summary    string
		start, end string
	}{
		{"payments@2.3.0 target", "2027-01-15", "2027-01-16"},
		{"mobile@5.0 needs payments@2.3.0", "2027-01-25", "2027-01-26"},
		{"mobile@5.0 target", "2027-01-29", "2027-01-30"}, // one day: no DTEND
		{"CR-1 vote closes: switch the card processor, to Adyen; now", "2027-01-07", "2027-01-08"},
		{"Freeze FZ-1 (all products): holidays", "2027-12-20", "2028-01-04"}, // DTEND is the day after the last
	}
	for _, c := range checks {
		e := events[uidOf(t, events, c.summary)]
		if e.Start != c.start || e.End != c.end {
			t.Errorf("%s: %s to %s; want %s to %s", c.summary, e.Start, e.End, c.start, c.end)
		}
	}

	t.Run("AReleaseNamesWhatItNeeds", func(t *testing.T) {
		for summary, want := range map[string]string{
			"mobile@5.0 target":               "mobile@5.0 is planned for Fri 2027-01-29.\nNeeds Stripe SDK (due Wed 2027-01-20), payments@2.3.0 by Mon 2027-01-25 (expected Fri 2027-01-15).",
			"payments@2.3.0 target":           "payments@2.3.0 is planned for Fri 2027-01-15.\nNeeds auth@1.4.0 (expected Fri 2027-01-08).",
			"auth@1.4.0 target":               "auth@1.4.0 is planned for Fri 2027-01-08.",
			"mobile@5.0 needs payments@2.3.0": "mobile@5.0 needs payments@2.3.0 by Mon 2027-01-25 (the provider: expected Fri 2027-01-15; mobile@5.0's target: Fri 2027-01-29).",
		} {
			if got := events[uidOf(t, events, summary)].Description; got != want {
				t.Errorf("description of %s:\n%s\nwant\n%s", summary, got, want)
			}
		}
	})
	t.Run("OnlyTheSubscribedProducts", func(t *testing.T) {
		got := summaries(MustParseFeed(t, MustFeed(t, feeds, some, "").Body))
		want := []string{
			"CR-1 vote closes: switch the card processor, to Adyen; now",
			"Freeze FZ-1 (all products): holidays",
			"Freeze FZ-3 (payments): PCI",
			"mobile@5.0 needs payments@2.3.0",
			"mobile@5.0 target",
			"payments@2.3.0 target", // it names auth@1.4.0, which it needs, but auth's own events are not here
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events of the feed of mobile and payments (-want +got):\n%s", diff)
		}
	})
	t.Run("NotModifiedWhileNothingChanged", func(t *testing.T) {
		r := MustFeed(t, feeds, all, first.ETag)
		if !r.NotModified || r.Body != nil || r.ETag != first.ETag {
			t.Errorf("Feed(If-None-Match: current) = %+v; want not modified with ETag %s", r, first.ETag)
		}
		if r := MustFeed(t, feeds, all, `"other", W/`+first.ETag); !r.NotModified {
			t.Errorf("a weak ETag in a list was not matched")
		}
		if r := MustFeed(t, feeds, all, `"other"`); r.NotModified || r.ETag != first.ETag || !bytes.Equal(r.Body, first.Body) {
			t.Errorf("Feed(If-None-Match: other) = not modified %v, ETag %s; want the same body again", r.NotModified, r.ETag)
		}
		// Another process (or a restart) has no remembered ETag: the body
		// is the same, so the ETag is too.
		fresh := &calendar.Feeds{Store: svc.Store, Loc: time.UTC}
		if r := MustFeed(t, fresh, all, first.ETag); !r.NotModified {
			t.Errorf("a fresh Feeds gave a new ETag for the same data: %s, was %s", r.ETag, first.ETag)
		}
	})

	MustDo(t, svc, alice, "/release move payments@2.3.0 2027-01-22 because the audit moved")
	moved := MustFeed(t, feeds, all, first.ETag)
	t.Run("AMovedReleaseKeepsItsUID", func(t *testing.T) {
		if moved.NotModified || moved.ETag == first.ETag {
			t.Fatalf("after a move: not modified %v, ETag %s (was %s); want a new body", moved.NotModified, moved.ETag, first.ETag)
		}
		events := MustParseFeed(t, moved.Body)
		e, ok := events[payments]
		if !ok {
			t.Fatalf("after the move, UID %s is gone: %v", payments, summaries(events))
		}
		if e.Start != "2027-01-22" || e.End != "2027-01-23" {
			t.Errorf("moved release: %s to %s; want 2027-01-22 to 2027-01-23", e.Start, e.End)
		}
		if before := MustParseFeed(t, first.Body)[payments]; e.Seq <= before.Seq {
			t.Errorf("SEQUENCE %d after the move; want more than %d", e.Seq, before.Seq)
		}
		if len(events) != len(MustParseFeed(t, first.Body)) {
			t.Errorf("the move changed the number of events")
		}
	})
	t.Run("ARenamedReleaseKeepsItsUID", func(t *testing.T) {
		MustDo(t, svc, alice, "/release set payments@2.3.0 version 2.3.1")
		events := MustParseFeed(t, MustFeed(t, feeds, all, "").Body)
		if e := events[payments]; e.Summary != "payments@2.3.1 target" {
			t.Errorf("after the rename, UID %s is %q; want payments@2.3.1 target", payments, e.Summary)
		}
		if e := events[need]; e.Summary != "mobile@5.0 needs payments@2.3.1" {
			t.Errorf("after the rename, UID %s is %q; want mobile@5.0 needs payments@2.3.1", need, e.Summary)
		}
	})
	t.Run("ADecidedCRLeaves", func(t *testing.T) {
		before := MustFeed(t, feeds, all, "")
		MustDo(t, svc, alice, "/ccb withdraw CR-1")
		r := MustFeed(t, feeds, all, before.ETag)
		if r.NotModified {
			t.Fatal("after a CR was withdrawn the feed was not modified")
		}
		for _, s := range summaries(MustParseFeed(t, r.Body)) {
			if strings.HasPrefix(s, "CR-1") {
				t.Errorf("withdrawn CR still in the feed: %s", s)
			}
		}
	})
	t.Run("RevokedTokenNotFound", func(t *testing.T) {
		MustDo(t, svc, bob, "/release calendar revoke")
		for _, tok := range []string{some, "nope", ""} {
			if _, err := feeds.Feed(context.Background(), tok, ""); store.ErrorCode(err) != store.ENotFound {
				t.Errorf("Feed(%q) = %v; want not found", tok, err)
			}
		}
		if _, err := feeds.Feed(context.Background(), all, ""); err != nil {
			t.Errorf("another user's revoke ended alice's feed: %v", err)
		}
	})
	t.Run("ANeedByTheConsumersTargetHasNoEventOfItsOwn", func(t *testing.T) {
		MustDo(t, svc, alice, "/release depend mobile@5.0 on payments@2.3.1 by 2027-01-29")
		events := MustParseFeed(t, MustFeed(t, feeds, all, "").Body)
		if e, ok := events[need]; ok {
			t.Errorf("a need on the consumer's target still has its event: %+v", e)
		}
		want := "mobile@5.0 is planned for Fri 2027-01-29.\nNeeds Stripe SDK (due Wed 2027-01-20), payments@2.3.1 (expected Fri 2027-01-22)."
		if got := events[uidOf(t, events, "mobile@5.0 target")].Description; got != want {
			t.Errorf("mobile@5.0's description:\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("UnusualTextReadsTheSameInBothParsers", func(t *testing.T) {
		// MustParseFeed fails if golang-ical and go-ical read any event
		// differently; here both must also read what was written.
		reason := "a, b; c\\d \"q\" : 'x'\nline two\r\nline three ü漢字🚀👩🏽‍💻 " + strings.Repeat("ĳ🚀,", 30) + "\tend\x01\u202e"
		mustCalendarUpdate(t, svc.Store, func(tx *store.Tx) error {
			return tx.NewFreeze("freeze.add", &store.Freeze{Products: []string{"auth"}, From: store.NewDate(2027, 6, 1), To: store.NewDate(2027, 6, 1), Reason: reason})
		})
		events := MustParseFeed(t, MustFeed(t, feeds, all, "").Body)
		shown := strings.NewReplacer("\r\n", "\n", "\t", " ", "\x01", " ", "\u202e", " ").Replace(reason)
		if e := events["freeze-4@relman"]; e.Summary != "Freeze FZ-4 (auth): "+shown || e.Start != "2027-06-01" || e.End != "2027-06-02" {
			t.Errorf("freeze with unusual text read back as %+v; want summary %q on 2027-06-01", e, "Freeze FZ-4 (auth): "+shown)
		}
	})
}

// mustCalendarUpdate runs fn in a transaction of st as alice at epoch.
func mustCalendarUpdate(tb testing.TB, st *store.Store, fn func(tx *store.Tx) error) {
	tb.Helper()
	if err := st.Update(context.Background(), alice, epoch, fn); err != nil {
		tb.Fatal(err)
	}
}

func TestCalendarWithoutPublicURL(t *testing.T) {
	svc := MustService(t, root)
	svc.PublicURL = ""
	MustFixture(t, svc)
	r := MustDo(t, svc, alice, "/release calendar payments")
	for _, w := range []string{"is at the path\n`/calendar/", "RELMAN_PUBLIC_URL"} {
		if !strings.Contains(r.Doc.Text, w) {
			t.Errorf("reply lacks %q:\n%s", w, r.Doc.Text)
		}
	}
	if strings.Contains(r.Doc.Text, "https://") {
		t.Errorf("reply gives an address without RELMAN_PUBLIC_URL:\n%s", r.Doc.Text)
	}
}
