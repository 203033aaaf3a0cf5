package bot

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/google/go-cmp/cmp"
)

var calendarURLRE = regexp.MustCompile(`https?://[^\s` + "`" + `"]+/calendar/[A-Za-z0-9_-]+\.ics`)

// MustCalendarURL runs /release calendar text over HTTP and returns the
// feed address of the private reply.
func (f *httpFixture) MustCalendarURL(tb testing.TB, text string) string {
	tb.Helper()
	res := f.MustPost(tb, "/slack/commands", httpFormType, f.releaseBody(text))
	MustHTTPEphemeral(tb, res)
	u := calendarURLRE.FindString(res.Body)
	if !strings.HasPrefix(u, f.Server.URL+"/calendar/") {
		tb.Fatalf("/release %s gave no address on %s:\n%s", text, f.Server.URL, res.Body)
	}
	return u
}

// MustGetFeed fetches a feed, with If-None-Match when etag is set.
func (f *httpFixture) MustGetFeed(tb testing.TB, url, etag string) httpResult {
	tb.Helper()
	req := MustHTTPRequest(tb, http.MethodGet, url, "", "")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	return f.MustDo(tb, req)
}

// calendarDates parses a feed with go-ical (a library other than the one
// that wrote it) and returns each event's summary and first day by UID.
func calendarDates(tb testing.TB, body string) map[string][2]string {
	tb.Helper()
	cal, err := ical.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil {
		tb.Fatalf("go-ical cannot parse the feed: %v\n%s", err, body)
	}
	out := map[string][2]string{}
	for _, e := range cal.Events() {
		uid, _ := e.Props.Text(ical.PropUID)
		summary, _ := e.Props.Text(ical.PropSummary)
		start, err := e.DateTimeStart(time.UTC)
		if err != nil || uid == "" {
			tb.Fatalf("event %q: UID %q, DTSTART %v", summary, uid, err)
		}
		out[uid] = [2]string{summary, start.Format(time.DateOnly)}
	}
	return out
}

// TestCalendarFeedOverHTTP subscribes with a signed slash command, fetches
// the feed over HTTP unsigned (the token is the credential), and follows a
// move, a revalidation and a revoke.
func TestCalendarFeedOverHTTP(t *testing.T) {
	f := MustHTTPFixture(t)
	for _, text := range []string{
		"add payments 2.3.0 2027-01-15",
		"add mobile 5.0 2027-01-29",
		"add auth 1.4.0 2027-01-08",
		"depend mobile@5.0 on payments@2.3.0 by 2027-01-20",
		"depend auth@1.4.0 on payments@2.3.0",
	} {
		MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody(text)))
	}
	url := f.MustCalendarURL(t, "calendar payments mobile")

	first := f.MustGetFeed(t, url, "")
	if first.Status != http.StatusOK {
		t.Fatalf("GET feed = %d %q; want 200", first.Status, first.Body)
	}
	for h, want := range map[string]string{"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "private, no-cache"} {
		if got := first.Header.Get(h); got != want {
			t.Errorf("%s = %q; want %q", h, got, want)
		}
	}
	etag := first.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
		t.Fatalf("ETag = %q; want a strong entity tag", etag)
	}
	events := calendarDates(t, first.Body)
	byName := map[string]string{}
	var got []string
	for uid, e := range events {
		byName[e[0]] = uid
		got = append(got, e[0]+" "+e[1])
	}
	want := []string{
		"mobile@5.0 needs payments@2.3.0 2027-01-20",
		"mobile@5.0 target 2027-01-29",
		"payments@2.3.0 target 2027-01-15",
	}
	if diff := cmp.Diff(want, slices.Sorted(slices.Values(got))); diff != "" {
		t.Errorf("feed of payments and mobile (-want +got); auth's events must not be in it:\n%s", diff)
	}

	t.Run("NotModified", func(t *testing.T) {
		res := f.MustGetFeed(t, url, etag)
		if res.Status != http.StatusNotModified || res.Body != "" || res.Header.Get("ETag") != etag {
			t.Errorf("GET with If-None-Match = %d, ETag %q, body %q; want 304 with the same ETag and no body", res.Status, res.Header.Get("ETag"), res.Body)
		}
	})

	MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("move payments@2.3.0 2027-01-19 because the audit moved")))
	t.Run("AMoveChangesTheFeedNotTheUID", func(t *testing.T) {
		res := f.MustGetFeed(t, url, etag)
		if res.Status != http.StatusOK {
			t.Fatalf("GET with the old ETag after a move = %d; want 200", res.Status)
		}
		if res.Header.Get("ETag") == etag {
			t.Errorf("the ETag stayed %s after a move", etag)
		}
		uid := byName["payments@2.3.0 target"]
		if e := calendarDates(t, res.Body)[uid]; e != [2]string{"payments@2.3.0 target", "2027-01-19"} {
			t.Errorf("after the move, UID %s is %v; want payments@2.3.0 target on 2027-01-19", uid, e)
		}
	})

	unknown := f.MustGet(t, "/no/such/path")
	t.Run("UnknownTokenLooksLikeAnUnknownPath", func(t *testing.T) {
		tokenStart := strings.LastIndex(url, "/") + 1
		for _, u := range []string{
			f.Server.URL + "/calendar/" + strings.Repeat("A", len(url)-tokenStart-len(".ics")) + ".ics",
			f.Server.URL + "/calendar/nope.ics",
			strings.TrimSuffix(url, ".ics"),
			strings.TrimSuffix(url, ".ics") + ".ICS",
		} {
			res := f.MustGetFeed(t, u, "")
			if res.Status != http.StatusNotFound || res.Body != unknown.Body || res.Header.Get("Content-Type") != unknown.Header.Get("Content-Type") || res.Header.Get("ETag") != "" {
				t.Errorf("GET %s = %d %q (Content-Type %q, ETag %q); want the 404 of an unknown path: %q",
					u[len(f.Server.URL):], res.Status, res.Body, res.Header.Get("Content-Type"), res.Header.Get("ETag"), unknown.Body)
			}
		}
	})

	MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("calendar revoke")))
	t.Run("RevokedTokenLooksLikeAnUnknownPath", func(t *testing.T) {
		for _, etag := range []string{"", etag} {
			res := f.MustGetFeed(t, url, etag)
			if res.Status != http.StatusNotFound || res.Body != unknown.Body {
				t.Errorf("GET revoked feed (If-None-Match %q) = %d %q; want 404 %q", etag, res.Status, res.Body, unknown.Body)
			}
		}
	})
	if bytes.Contains([]byte(first.Body), []byte("auth@1.4.0")) {
		t.Errorf("the feed names auth@1.4.0, a release outside the subscription")
	}
}
