package slackfake_test

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"relman/bot/slackfake"
)

func newFake(t *testing.T) (*slackfake.Server, *slack.Client) {
	t.Helper()
	f := slackfake.New()
	t.Cleanup(f.Close)
	return f, slack.New(f.BotToken, slack.OptionAPIURL(f.URL()))
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func slackErr(t *testing.T, err error, want string) {
	t.Helper()
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != want {
		t.Fatalf("error = %v (%T), want SlackErrorResponse %q", err, err, want)
	}
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

var tsRE = regexp.MustCompile(`^\d{10}\.\d{6}$`)

func TestPostUpdateRoundTrip(t *testing.T) {
	f, api := newFake(t)
	ctx := ctxT(t)
	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("vote: 0/3", false),
		slack.MsgOptionBlocks(section("vote: 0/3")))
	if err != nil || ch != "C1" || !tsRE.MatchString(ts) {
		t.Fatalf("post = %q %q %v", ch, ts, err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("vote: 1/3", false),
		slack.MsgOptionBlocks(section("vote: 1/3"))); err != nil {
		t.Fatal(err)
	}
	msgs := f.Messages("C1")
	if len(msgs) != 1 || msgs[0].TS != ts || msgs[0].Text != "vote: 1/3" || msgs[0].Edits != 1 ||
		!strings.Contains(string(msgs[0].Blocks), "vote: 1/3") {
		t.Fatalf("messages after update = %+v", msgs)
	}
	// text without blocks removes the blocks, as on Slack.
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("closed", false)); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.Message("C1", ts); m.Text != "closed" || m.Blocks != nil || m.Edits != 2 {
		t.Fatalf("after text-only update: %+v", m)
	}
	calls := f.CallsTo("chat.update")
	if len(calls) != 2 || !strings.Contains(string(calls[0].Blocks), "vote: 1/3") || calls[0].Param("ts") != ts {
		t.Fatalf("recorded updates = %+v", calls)
	}

	_, _, _, err = api.UpdateMessageContext(ctx, "C1", "1700000000.000001", slack.MsgOptionText("x", false))
	slackErr(t, err, "message_not_found")

	// A thread reply is recorded with its parent.
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts)); err != nil {
		t.Fatal(err)
	}
	if msgs := f.Messages("C1"); len(msgs) != 2 || msgs[1].ThreadTS != ts {
		t.Fatalf("thread reply: %+v", msgs)
	}
	link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: "C1", Ts: ts})
	if err != nil || link != "https://fake-workspace.slack.com/archives/C1/p"+strings.ReplaceAll(ts, ".", "") {
		t.Fatalf("permalink = %q %v", link, err)
	}
	// chat.delete removes the message.
	if _, _, err := api.DeleteMessageContext(ctx, "C1", ts); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Message("C1", ts); ok {
		t.Fatal("deleted message still present")
	}
	_, _, err = api.PostMessageContext(ctx, "C1")
	slackErr(t, err, "no_text")
}

func TestTimestampsUniqueAndIncreasing(t *testing.T) {
	f, api := newFake(t)
	fixed := time.Unix(1700000000, 0)
	f.Now = func() time.Time { return fixed }
	prev := ""
	for i := range 5 {
		_, ts, err := api.PostMessageContext(ctxT(t), "C1", slack.MsgOptionText("x", false))
		if err != nil {
			t.Fatal(err)
		}
		if !tsRE.MatchString(ts) || ts <= prev {
			t.Fatalf("post %d: ts %q after %q", i, ts, prev)
		}
		prev = ts
	}
	if prev != "1700000000.000004" {
		t.Fatalf("last ts = %q", prev)
	}
}

func TestDMChannels(t *testing.T) {
	f, api := newFake(t)
	ctx := ctxT(t)
	ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U1"}})
	if err != nil || !strings.HasPrefix(ch.ID, "D") || ch.ID != slackfake.DMChannel("U1") {
		t.Fatalf("open = %+v %v", ch, err)
	}
	again, _, already, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U1"}})
	if err != nil || again.ID != ch.ID || !already {
		t.Fatalf("reopen = %+v already=%v %v", again, already, err)
	}
	posted, ts, err := api.PostMessageContext(ctx, "U1", slack.MsgOptionText("hi", false))
	if err != nil || posted != ch.ID {
		t.Fatalf("post to user gave channel %q (%v), want %q", posted, err, ch.ID)
	}
	// chat.update needs the D… ID, not the user ID.
	_, _, _, err = api.UpdateMessageContext(ctx, "U1", ts, slack.MsgOptionText("x", false))
	slackErr(t, err, "channel_not_found")
	if _, _, _, err := api.UpdateMessageContext(ctx, posted, ts, slack.MsgOptionText("edited", false)); err != nil {
		t.Fatal(err)
	}
	if msgs := f.Messages("U1"); len(msgs) != 1 || msgs[0].Text != "edited" {
		t.Fatalf("DM messages = %+v", msgs)
	}
	_, _, _, err = api.OpenConversationContext(ctx, &slack.OpenConversationParameters{})
	slackErr(t, err, "users_list_not_supplied")
}

func TestRateLimited(t *testing.T) {
	f, api := newFake(t)
	f.RateLimit("chat.postMessage", 2, 1)
	_, _, err := api.PostMessageContext(ctxT(t), "C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("error = %v (%T), want RateLimitedError 2s", err, err)
	}
	if c := f.CallsTo("chat.postMessage"); len(c) != 1 || c[0].Status != 429 || !strings.Contains(c[0].Response, "ratelimited") {
		t.Fatalf("recorded = %+v", c)
	}
	if _, _, err := api.PostMessageContext(ctxT(t), "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("second post: %v", err)
	}
	// Other methods are not limited.
	f.RateLimit("users.info", 0, 0)
	f.SetUser("U1", "Ada", "UTC")
	_, err = api.GetUserInfoContext(ctxT(t), "U1")
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 429 {
		t.Fatalf("429 without Retry-After: %v (%T)", err, err)
	}
	if _, err := api.AuthTestContext(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestServerErrorAndOkFalse(t *testing.T) {
	f, api := newFake(t)
	ctx := ctxT(t)
	f.ServerError("chat.update", 1)
	_, _, _, err := api.UpdateMessageContext(ctx, "C1", "1.2", slack.MsgOptionText("x", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 500 {
		t.Fatalf("error = %v (%T), want StatusCodeError 500", err, err)
	}
	f.Fail("chat.postMessage", slackfake.Fault{Error: "is_archived"}, 2)
	for range 2 {
		_, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
		slackErr(t, err, "is_archived")
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("after faults: %v", err)
	}
	f.Fail("auth.test", slackfake.Fault{Error: "fatal_error"}, 0)
	for range 3 {
		_, err = api.AuthTestContext(ctx)
		slackErr(t, err, "fatal_error")
	}
	f.ClearFaults()
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRejectChannel(t *testing.T) {
	f, api := newFake(t)
	ctx := ctxT(t)
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	if err != nil {
		t.Fatal(err)
	}
	f.RejectChannel("C1", "not_in_channel")
	_, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	slackErr(t, err, "not_in_channel")
	_, _, _, err = api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("y", false))
	slackErr(t, err, "not_in_channel")
	f.RejectChannel("U9", "cannot_dm_bot")
	_, _, err = api.PostMessageContext(ctx, "U9", slack.MsgOptionText("x", false))
	slackErr(t, err, "cannot_dm_bot")
	f.ClearFaults()
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatal(err)
	}
}

func TestTokens(t *testing.T) {
	f, _ := newFake(t)
	ctx := ctxT(t)
	_, err := slack.New("xoxb-wrong", slack.OptionAPIURL(f.URL())).AuthTestContext(ctx)
	slackErr(t, err, "invalid_auth")
	_, _, err = slack.New("", slack.OptionAPIURL(f.URL())).PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	slackErr(t, err, "invalid_auth")
	_, err = slack.New(f.AppToken, slack.OptionAPIURL(f.URL())).AuthTestContext(ctx)
	slackErr(t, err, "not_allowed_token_type")
	// apps.connections.open wants the app token, as a bearer header.
	_, _, err = slack.New(f.BotToken, slack.OptionAPIURL(f.URL()), slack.OptionAppLevelToken("xapp-bad")).StartSocketModeContext(ctx)
	slackErr(t, err, "invalid_auth")
	_, u, err := slack.New(f.BotToken, slack.OptionAPIURL(f.URL()), slack.OptionAppLevelToken(f.AppToken)).StartSocketModeContext(ctx)
	if err != nil || !strings.HasPrefix(u, "ws://127.0.0.1:") {
		t.Fatalf("connections.open = %q %v", u, err)
	}
	if c := f.CallsTo("apps.connections.open"); len(c) != 2 || c[1].Token != f.AppToken {
		t.Fatalf("recorded = %+v", c)
	}
	resp, err := slack.New(f.BotToken, slack.OptionAPIURL(f.URL())).AuthTestContext(ctx)
	if err != nil || resp.UserID != slackfake.BotUserID || resp.TeamID != slackfake.TeamID {
		t.Fatalf("auth.test = %+v %v", resp, err)
	}
}

func TestUsersInfoTimeZone(t *testing.T) {
	f, api := newFake(t)
	ctx := ctxT(t)
	summer := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	f.Now = func() time.Time { return summer }
	f.SetUser("U1", "Ada Lovelace", "Europe/Berlin")
	f.SetUser("U2", "Grace", "America/Los_Angeles")
	u, err := api.GetUserInfoContext(ctx, "U1")
	if err != nil || u.ID != "U1" || u.Name != "Ada Lovelace" || u.TZ != "Europe/Berlin" ||
		u.TZOffset != 7200 || u.TZLabel != "Central European Summer Time" {
		t.Fatalf("users.info = %+v %v", u, err)
	}
	f.Now = func() time.Time { return summer.AddDate(0, 6, 0) }
	u, err = api.GetUserInfoContext(ctx, "U2")
	if err != nil || u.TZOffset != -8*3600 || u.TZLabel != "Pacific Standard Time" {
		t.Fatalf("users.info winter = %+v %v", u, err)
	}
	_, err = api.GetUserInfoContext(ctx, "U404")
	slackErr(t, err, "user_not_found")
}

func TestUserGroups(t *testing.T) {
	f, api := newFake(t)
	ctx := ctxT(t)
	f.SetUserGroup("S1", "U1", "U2")
	m, err := api.GetUserGroupMembersContext(ctx, "S1")
	if err != nil || strings.Join(m, ",") != "U1,U2" {
		t.Fatalf("members = %v %v", m, err)
	}
	_, err = api.GetUserGroupMembersContext(ctx, "S404")
	slackErr(t, err, "no_such_subteam")
}

func modal(title string) slack.ModalViewRequest {
	return slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "ccb",
		Title:  slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{section("hello")}}}
}

func TestViewsTriggerOnce(t *testing.T) {
	f, api := newFake(t)
	ctx := ctxT(t)
	now := time.Unix(1700000000, 0)
	f.Now = func() time.Time { return now }

	trig := f.NewTrigger()
	v, err := api.OpenViewContext(ctx, trig, modal("Change request"))
	if err != nil || !strings.HasPrefix(v.ID, "V") || v.CallbackID != "ccb" || v.Hash == "" {
		t.Fatalf("views.open = %+v %v", v, err)
	}
	if c := f.CallsTo("views.open"); len(c) != 1 || !strings.Contains(string(c[0].Blocks), "hello") ||
		c[0].Param("trigger_id") != trig {
		t.Fatalf("recorded = %+v", c)
	}
	_, err = api.OpenViewContext(ctx, trig, modal("again"))
	slackErr(t, err, slackfake.ErrExchangedTrigger)

	late := f.NewTrigger()
	f.Now = func() time.Time { return now.Add(3*time.Second + time.Millisecond) }
	_, err = api.OpenViewContext(ctx, late, modal("late"))
	slackErr(t, err, slackfake.ErrExpiredTrigger)
	_, err = api.OpenViewContext(ctx, "13345224609.738474920.8088930838d88f008e0", modal("unknown"))
	slackErr(t, err, slackfake.ErrInvalidTrigger)
	_, err = api.OpenViewContext(ctx, f.NewTrigger(), modal("a title longer than 24 chars"))
	slackErr(t, err, "invalid_arguments")

	// views.update with a stale hash conflicts; with the current one it works.
	up, err := api.UpdateViewContext(ctx, modal("Step 2"), "", v.Hash, v.ID)
	if err != nil || up.Title.Text != "Step 2" {
		t.Fatalf("views.update = %+v %v", up, err)
	}
	_, err = api.UpdateViewContext(ctx, modal("Step 3"), "", v.Hash, v.ID)
	slackErr(t, err, "hash_conflict")
	_, err = api.UpdateViewContext(ctx, modal("x"), "", "", "V404")
	slackErr(t, err, "not_found")

	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{section("home")}}}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home}); err != nil {
		t.Fatal(err)
	}
	if hv, ok := f.HomeView("U1"); !ok || !strings.Contains(string(hv.Blocks), "home") {
		t.Fatalf("home view = %+v", hv)
	}
}

func TestWaitCalls(t *testing.T) {
	f, api := newFake(t)
	ctx := ctxT(t)
	errs := make(chan error, 1)
	go func() {
		for range 3 {
			if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	calls, err := f.WaitCalls(ctx, "chat.postMessage", 3)
	if err != nil || len(calls) != 3 || calls[2].Status != 200 {
		t.Fatalf("WaitCalls = %d calls, %v", len(calls), err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if calls, err := f.WaitCalls(short, "chat.postMessage", 4); !errors.Is(err, context.DeadlineExceeded) || len(calls) != 3 {
		t.Fatalf("WaitCalls past deadline = %d, %v", len(calls), err)
	}
	f.Reset()
	if len(f.Calls()) != 0 {
		t.Fatal("Reset kept calls")
	}
}

func TestDelayRespectsClientTimeout(t *testing.T) {
	f, api := newFake(t)
	f.Fail("chat.postMessage", slackfake.Fault{Delay: time.Hour}, 1)
	short, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, _, err := api.PostMessageContext(short, "C1", slack.MsgOptionText("x", false))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v", err)
	}
	calls, err := f.WaitCalls(ctxT(t), "chat.postMessage", 1)
	if err != nil || calls[0].Status != 0 || len(f.Messages("C1")) != 0 {
		t.Fatalf("recorded = %+v %v", calls, err)
	}
}

func TestResponseURL(t *testing.T) {
	f, api := newFake(t)
	ctx := ctxT(t)
	u := f.ResponseURL()
	for i := range slackfake.ResponseURLUses {
		if err := slack.PostWebhookContext(ctx, u, &slack.WebhookMessage{Text: "ok", ResponseType: slack.ResponseTypeEphemeral}); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
	}
	err := slack.PostWebhookContext(ctx, u, &slack.WebhookMessage{Text: "6th"})
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 404 {
		t.Fatalf("6th use: %v (%T)", err, err)
	}
	if c := f.CallsTo("response_url"); len(c) != 6 || c[0].JSON["text"] != "ok" || c[5].Status != 404 {
		t.Fatalf("recorded = %+v", c)
	}

	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("vote", false))
	if err != nil {
		t.Fatal(err)
	}
	bound := f.ResponseURLFor("C1", ts)
	blocks := slack.Blocks{BlockSet: []slack.Block{section("voted")}}
	if err := slack.PostWebhookContext(ctx, bound, &slack.WebhookMessage{Text: "voted", ReplaceOriginal: true, Blocks: &blocks}); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.Message("C1", ts); m.Text != "voted" || !strings.Contains(string(m.Blocks), "voted") {
		t.Fatalf("replaced = %+v", m)
	}
	// slack-go's MsgOptionResponseURL expects the "ok" text body.
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionResponseURL(bound, slack.ResponseTypeInChannel),
		slack.MsgOptionText("in thread", false), slack.MsgOptionTS(ts)); err != nil {
		t.Fatal(err)
	}
	if msgs := f.Messages("C1"); len(msgs) != 2 || msgs[1].ThreadTS != ts || msgs[1].Text != "in thread" {
		t.Fatalf("messages = %+v", msgs)
	}
}

func TestUnknownMethod(t *testing.T) {
	f, api := newFake(t)
	_, err := api.GetConversationInfoContext(ctxT(t), &slack.GetConversationInfoInput{ChannelID: "C1"})
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 404 {
		t.Fatalf("error = %v (%T)", err, err)
	}
	if c := f.CallsTo("conversations.info"); len(c) != 1 {
		t.Fatalf("recorded = %+v", c)
	}
}

// noFakeGoroutines fails if any goroutine still runs code of package
// slackfake (Close must wait for all of them).
//
// A goroutine that has told Close it is done (its deferred WaitGroup.Done
// ran) may not have returned yet: it is given a few scheduler turns first.
func noFakeGoroutines(t *testing.T) {
	t.Helper()
	var left []string
	for range 1000 {
		left = left[:0]
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for g := range strings.SplitSeq(string(buf), "\n\n") {
			if strings.Contains(g, "relman/bot/slackfake.") {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return
		}
		runtime.Gosched()
	}
	for _, g := range left {
		t.Errorf("goroutine left after Close:\n%s", g)
	}
}

func TestCloseUnblocksWaiters(t *testing.T) {
	f := slackfake.New()
	done := make(chan error, 3)
	go func() { _, err := f.WaitCalls(context.Background(), "x", 1); done <- err }()
	go func() { _, err := f.WaitAck(context.Background(), "nope"); done <- err }()
	go func() { _, err := f.SendEnvelope(context.Background(), "slash_commands", "{}"); done <- err }()
	f.Close()
	for range 3 {
		if err := <-done; !errors.Is(err, slackfake.ErrClosed) {
			t.Fatalf("waiter returned %v", err)
		}
	}
	f.Close() // idempotent
	noFakeGoroutines(t)
}
