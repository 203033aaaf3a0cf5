package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"relman/bot/slackfake"
	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// slackFixture is a Slack handler on a real store and a fake Slack Web API.
func slackFixture(t *testing.T) (*Slack, *slackfake.Server) {
	t.Helper()
	st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	clock := store.NewFakeClock(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	api := slack.New(fake.BotToken, slack.OptionAPIURL(fake.URL()))
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC, Admins: []string{"U1"}}
	s := &Slack{Dispatcher: &Dispatcher{Service: svc}, API: api, Clock: clock,
		Users: &Users{API: api, Clock: clock}}
	return s, fake
}

// slackText is an acknowledgement's body as JSON text.
func slackText(t *testing.T, ack Ack) string {
	t.Helper()
	b, err := json.Marshal(ack.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSlackShowsTimesInTheUsersZone: once the user's zone is known from
// users.info, instants in replies are shown in it; dates stay workspace dates.
func TestSlackShowsTimesInTheUsersZone(t *testing.T) {
	s, fake := slackFixture(t)
	fake.SetUser("U1", "ana", "America/Los_Angeles")
	ctx := context.Background()
	cmd := func(text string) Ack {
		return s.Command(ctx, slack.SlashCommand{Command: "/release", UserID: "U1", ChannelID: "C1", Text: text})
	}
	s.Dispatcher.Command(ctx, commands.Request{User: "U1", Channel: "C1", Command: "/release", Text: "add payments 2.3.0 2027-01-15"})
	if got := slackText(t, cmd("history payments@2.3.0")); !strings.Contains(got, "09:00 UTC") {
		t.Fatalf("history before the zone is known = %s; want 09:00 UTC", got)
	}
	s.Wait() // that command started the users.info lookup in the background
	if got := slackText(t, cmd("history payments@2.3.0")); !strings.Contains(got, "2027-01-04 01:00 PST") {
		t.Errorf("history once the zone is known = %s; want 2027-01-04 01:00 PST", got)
	}
}

// TestSlackLargeReplyGoesToResponseURL: a reply too big for an
// acknowledgement is acknowledged empty and sent to the response_url.
func TestSlackLargeReplyGoesToResponseURL(t *testing.T) {
	s, fake := slackFixture(t)
	ctx := context.Background()
	run := func(text string) commands.Reply {
		r := s.Dispatcher.Command(ctx, commands.Request{User: "U1", Channel: "C1", Command: "/release", Text: text})
		if !r.OK() {
			t.Fatalf("%s: %s", text, r.Doc.Text)
		}
		return r
	}
	run("add app 1.0 2027-06-01")
	for i := range 150 {
		run(fmt.Sprintf("add lib-with-a-long-name-%03d 1.0 2027-05-01", i))
		run(fmt.Sprintf("depend app@1.0 on lib-with-a-long-name-%03d@1.0", i))
	}
	ack := s.Command(ctx, slack.SlashCommand{Command: "/release", UserID: "U1", ChannelID: "C1",
		Text: "show app@1.0", ResponseURL: fake.ResponseURL()})
	if ack.Body != nil {
		t.Errorf("ack body = %.200v…; want none (the reply is over %d bytes)", ack.Body, maxAck)
	}
	s.Wait()
	calls := fake.CallsTo("response_url")
	if len(calls) != 1 || !strings.Contains(fmt.Sprint(calls[0].JSON), "lib-with-a-long-name-149") {
		t.Errorf("response_url calls = %d; want 1 carrying the whole reply", len(calls))
	}
	small := s.Command(ctx, slack.SlashCommand{Command: "/release", UserID: "U1", ChannelID: "C1",
		Text: "show lib-with-a-long-name-001@1.0", ResponseURL: fake.ResponseURL()})
	if small.Body == nil {
		t.Error("a small reply was not acknowledged with its body")
	}
}
