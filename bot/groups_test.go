package bot

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"relman/bot/slackfake"
	"relman/store"
)

// groupsFixture is a Groups on a fake Slack and a fake clock.
func groupsFixture(tb testing.TB) (*Groups, *slackfake.Server, *store.FakeClock) {
	tb.Helper()
	fake := slackfake.New()
	tb.Cleanup(fake.Close)
	clock := store.NewFakeClock(outboxStart)
	fake.Now = clock.Now
	api := slack.New(fake.BotToken, slack.OptionAPIURL(fake.URL()), slack.OptionHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	return &Groups{API: api, Clock: clock, Metrics: NewMetrics()}, fake, clock
}

func mustMembers(tb testing.TB, g *Groups, id string) []string {
	tb.Helper()
	m, err := g.GroupMembers(context.Background(), id)
	if err != nil {
		tb.Fatalf("GroupMembers(%s) = %v", id, err)
	}
	return m
}

func mustIsMember(tb testing.TB, g *Groups, id, user string) bool {
	tb.Helper()
	ok, err := g.IsMember(context.Background(), id, user)
	if err != nil {
		tb.Fatalf("IsMember(%s, %s) = %v", id, user, err)
	}
	return ok
}

func TestGroups(t *testing.T) {
	t.Run("MembersAreCachedForTheTTL", func(t *testing.T) {
		t.Parallel()
		g, fake, clock := groupsFixture(t)
		fake.SetUserGroup("S1", "U2", "U1")
		if diff := cmp.Diff([]string{"U1", "U2"}, mustMembers(t, g, "S1")); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
		fake.SetUserGroup("S1", "U1", "U2", "U3")
		clock.Advance(9 * time.Minute)
		if diff := cmp.Diff([]string{"U1", "U2"}, mustMembers(t, g, "S1")); diff != "" {
			t.Errorf("members within the TTL (-want +got):\n%s", diff)
		}
		if n := len(fake.CallsTo("usergroups.users.list")); n != 1 {
			t.Errorf("usergroups.users.list calls = %d; want 1", n)
		}
		clock.Advance(time.Minute)
		if diff := cmp.Diff([]string{"U1", "U2", "U3"}, mustMembers(t, g, "S1")); diff != "" {
			t.Errorf("members after the TTL (-want +got):\n%s", diff)
		}
	})

	t.Run("UnknownGroupFails", func(t *testing.T) {
		t.Parallel()
		g, _, _ := groupsFixture(t)
		if _, err := g.GroupMembers(context.Background(), "S404"); err == nil || !strings.Contains(err.Error(), "no_such_subteam") {
			t.Errorf("GroupMembers(unknown) = %v; want no_such_subteam", err)
		}
		if ok, err := g.IsMember(context.Background(), "S404", "U1"); ok || err == nil {
			t.Errorf("IsMember(unknown) = %t, %v; want false and an error", ok, err)
		}
	})

	t.Run("AMissRefreshesOnceSoANewMemberCanVote", func(t *testing.T) {
		t.Parallel()
		g, fake, clock := groupsFixture(t)
		fake.SetUserGroup("S1", "U1")
		if !mustIsMember(t, g, "S1", "U1") {
			t.Fatal("IsMember(U1) = false; want true")
		}
		fake.SetUserGroup("S1", "U1", "U3") // U3 joins the board's group
		clock.Advance(time.Minute)
		if !mustIsMember(t, g, "S1", "U3") {
			t.Errorf("IsMember(U3) after U3 joined = false; want true (a miss asks Slack again)")
		}
		if n := len(fake.CallsTo("usergroups.users.list")); n != 2 {
			t.Errorf("usergroups.users.list calls = %d; want 2", n)
		}
		for range 5 {
			if mustIsMember(t, g, "S1", "U9") {
				t.Errorf("IsMember(U9) = true; want false")
			}
		}
		if n := len(fake.CallsTo("usergroups.users.list")); n != 2 {
			t.Errorf("usergroups.users.list calls after a non-member clicked 5 times right after a refresh = %d; want 2", n)
		}
		clock.Advance(defaultGroupMissRefresh)
		mustIsMember(t, g, "S1", "U9")
		if n := len(fake.CallsTo("usergroups.users.list")); n != 3 {
			t.Errorf("usergroups.users.list calls after another miss %s later = %d; want 3", defaultGroupMissRefresh, n)
		}
	})

	t.Run("StaleMembersServeWhileSlackFails", func(t *testing.T) {
		t.Parallel()
		g, fake, clock := groupsFixture(t)
		fake.SetUserGroup("S1", "U1", "U2")
		mustMembers(t, g, "S1")
		clock.Advance(time.Hour)
		fake.ServerError("usergroups.users.list", 1)
		if diff := cmp.Diff([]string{"U1", "U2"}, mustMembers(t, g, "S1")); diff != "" {
			t.Errorf("members while Slack fails (-want +got):\n%s", diff)
		}
		if got := outboxMetric(t, g.Metrics, "relman_slack_api_errors_total", "method", "usergroups.users.list"); got != 1 {
			t.Errorf("relman_slack_api_errors_total{method=usergroups.users.list} = %v; want 1", got)
		}
	})

	t.Run("ConcurrentLookupsShareOneCall", func(t *testing.T) {
		t.Parallel()
		g, fake, _ := groupsFixture(t)
		fake.SetUserGroup("S1", "U1", "U2")
		fake.Fail("usergroups.users.list", slackfake.Fault{Delay: 200 * time.Millisecond}, 1)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if m, err := g.GroupMembers(context.Background(), "S1"); err != nil || len(m) != 2 {
					t.Errorf("GroupMembers = %v, %v; want 2 members", m, err)
				}
			})
		}
		wg.Wait()
		if n := len(fake.CallsTo("usergroups.users.list")); n != 1 {
			t.Errorf("usergroups.users.list calls for 20 concurrent lookups = %d; want 1", n)
		}
	})
}
