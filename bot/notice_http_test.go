package bot

import (
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"relman/bot/outbox"
	"relman/bot/slackfake"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
	"relman/store/storetest"
)

// TestHeldNoticeOverHTTP drives relman over HTTP with the fake Slack, on
// bbolt and on PostgreSQL: a slip told on Saturday to mobile's release
// manager, who reads Slack in New York, is held for her Monday morning;
// a further slip on Sunday collapses into it, so on Monday she reads one
// DM, worded then (the dates as they stand, the days counted from
// Monday). The replica that queued and held it is dead by then: another
// on the same database delivers it from the outbox record alone.
func TestHeldNoticeOverHTTP(t *testing.T) {
	for _, backend := range noticeBackends {
		t.Run(backend.name, func(t *testing.T) {
			kv := backend.kv(t)
			t.Cleanup(func() { kv.Close() })
			heldNoticeOverHTTP(t, kv)
		})
	}
}

// TestHeldNoticeFollowsRenameOverHTTP: a slip held on Saturday for a
// release manager in New York, about a provider renamed on Sunday, is
// delivered on Monday about its new name, on bbolt and PostgreSQL.
func TestHeldNoticeFollowsRenameOverHTTP(t *testing.T) {
	for _, backend := range noticeBackends {
		t.Run(backend.name, func(t *testing.T) {
			kv := backend.kv(t)
			t.Cleanup(func() { kv.Close() })
			renamedNoticeOverHTTP(t, kv)
		})
	}
}

// noticeBackends are the databases the held-notice tests run on.
var noticeBackends = []struct {
	name string
	kv   func(t *testing.T) store.KV
}{
	{"bbolt", func(t *testing.T) store.KV {
		kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return kv
	}},
	{"PostgreSQL", func(t *testing.T) store.KV {
		kv, err := postgres.OpenKV(t.Context(), pgtest.MustDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		return kv
	}},
}

func heldNoticeOverHTTP(t *testing.T, kv store.KV) {
	const rita = "U0RITA"
	ctx := t.Context()
	replica := func(down *atomic.Bool) *store.Store {
		st, err := store.New(ctx, storetest.AwayKV{KV: kv, Down: down}, "relman")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	firstDown := new(atomic.Bool)
	f := mustHTTPFixtureStore(t, replica(firstDown), mustHTTPSlash(t))
	f.Fake.SetUser(rita, "rita", "America/New_York")
	f.Outbox.Spacing = -1 // the fake clock stands still between commands
	f.Outbox.Zones = &Users{API: slack.New(f.Fake.BotToken, slack.OptionAPIURL(f.Fake.URL())), Clock: f.Clock}
	do := func(at time.Time, text string) {
		t.Helper()
		f.Clock.Set(at)
		MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody(text)))
		f.Slack.Wait() // the command's work after its answer
		_, err := f.Outbox.Flush(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, text := range []string{
		"add payments 2.3.0 2027-01-15",
		"add mobile 5.0 2027-01-29 channel <#C0MOB|mobile>",
		"role mobile release-manager <@" + rita + "|rita>",
		"depend mobile@5.0 on payments@2.3.0 by 2027-01-22",
	} {
		do(httpStart, text)
	}
	saturday := time.Date(2027, 1, 9, 15, 0, 0, 0, time.UTC)
	do(saturday, "move payments@2.3.0 2027-01-25 because the HSM firmware is late")
	do(saturday.Add(24*time.Hour), "move payments@2.3.0 2027-01-27 because the HSM vendor slipped again")

	slips := func(channel string) []string {
		var out []string
		for _, m := range f.Fake.Messages(channel) {
			if strings.Contains(m.Text, "*Slip*") {
				out = append(out, m.Text)
			}
		}
		return out
	}
	if got := slips("C0MOB"); len(got) != 2 {
		t.Errorf("mobile's channel got %d slip alerts over the weekend; want 2 (channels hear at once)", len(got))
	}
	if got := slips(slackfake.DMChannel(rita)); len(got) != 0 {
		t.Fatalf("rita got %q over the weekend; want her DMs held for Monday", got)
	}
	held := 0
	for _, m := range f.MustOutbox(t) {
		if m.DM && m.Channel == rita {
			held++
		}
	}
	if held != 1 {
		t.Errorf("the outbox holds %d DMs for rita; want the two slips collapsed into one", held)
	}

	// The first replica dies; another, on the same database, leads from
	// Monday and delivers what was held, worded then.
	firstDown.Store(true)
	second := replica(new(atomic.Bool))
	api := slack.New(f.Fake.BotToken, slack.OptionAPIURL(f.Fake.URL()))
	next := &outbox.Outbox{Store: second, Sender: &SlackSender{API: api}, Clock: f.Clock, Spacing: -1,
		Render: reminders.RenderNotice, Zones: &Users{API: api, Clock: f.Clock}}
	monday := time.Date(2027, 1, 11, 9, 0, 0, 0, mustZone(t, "America/New_York"))
	f.Clock.Set(monday.Add(-time.Minute))
	if _, err := next.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := slips(slackfake.DMChannel(rita)); len(got) != 0 {
		t.Fatalf("rita got %q before 09:00 on Monday in New York; want nothing yet", got)
	}
	f.Clock.Set(monday)
	if _, err := next.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := slips(slackfake.DMChannel(rita))
	if len(got) != 1 {
		t.Fatalf("rita got %d slip DMs on Monday; want one: %q", len(got), got)
	}
	for _, w := range []string{"by Fri 2027-01-22 (in 11 days)", "it is due Wed 2027-01-27", "late (5 days)"} {
		if !strings.Contains(got[0], w) {
			t.Errorf("rita's DM lacks %q (words as of Monday, the latest move):\n%s", w, got[0])
		}
	}
}

func renamedNoticeOverHTTP(t *testing.T, kv store.KV) {
	const rita = "U0RITA"
	ctx := t.Context()
	st, err := store.New(ctx, kv, "relman")
	if err != nil {
		t.Fatal(err)
	}
	f := mustHTTPFixtureStore(t, st, mustHTTPSlash(t))
	f.Fake.SetUser(rita, "rita", "America/New_York")
	f.Outbox.Spacing = -1
	f.Outbox.Zones = &Users{API: slack.New(f.Fake.BotToken, slack.OptionAPIURL(f.Fake.URL())), Clock: f.Clock}
	do := func(at time.Time, text string) {
		t.Helper()
		f.Clock.Set(at)
		MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody(text)))
		f.Slack.Wait()
		if _, err := f.Outbox.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, text := range []string{
		"add payments 2.3.0 2027-01-15",
		"add mobile 5.0 2027-01-29 channel <#C0MOB|mobile>",
		"role mobile release-manager <@" + rita + "|rita>",
		"depend mobile@5.0 on payments@2.3.0 by 2027-01-22",
	} {
		do(httpStart, text)
	}
	saturday := time.Date(2027, 1, 9, 15, 0, 0, 0, time.UTC)
	do(saturday, "move payments@2.3.0 2027-01-25 because the HSM firmware is late")
	do(saturday.Add(24*time.Hour), "set payments@2.3.0 version 2.4.0")

	f.Clock.Set(time.Date(2027, 1, 11, 9, 0, 0, 0, mustZone(t, "America/New_York")))
	if _, err := f.Outbox.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range f.Fake.Messages(slackfake.DMChannel(rita)) {
		if strings.Contains(m.Text, "*Slip*") {
			got = append(got, m.Text)
		}
	}
	if len(got) != 1 {
		t.Fatalf("rita got %d slip DMs on Monday; want the one held since Saturday: %q", len(got), got)
	}
	if !strings.Contains(got[0], "*payments@2.4.0*") || strings.Contains(got[0], "2.3.0") {
		t.Errorf("rita's DM is not about payments@2.4.0, its name since Sunday:\n%s", got[0])
	}
}
