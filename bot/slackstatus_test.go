package bot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"relman/bot/slackfake"
	"relman/store"
)

// metricValue returns the counter name's value for the series whose
// labels include labels (pairs of name, value), summed.
func metricValue(tb testing.TB, m *Metrics, name string, labels ...string) float64 {
	tb.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		tb.Fatalf("gather metrics: %v", err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range s.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue series
				}
			}
			sum += s.GetCounter().GetValue()
		}
	}
	return sum
}

// newWatched returns a SlackStatus on a fake clock and its client of the
// fake Slack f, with token.
func newWatched(t *testing.T, f *slackfake.Server, token string) (*SlackStatus, *slack.Client, *store.FakeClock) {
	t.Helper()
	clock := store.NewFakeClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	s := &SlackStatus{Metrics: NewMetrics(), Clock: clock}
	return s, s.NewAPI(token, "", f.URL()), clock
}

func TestSlackStatus(t *testing.T) {
	ctx := context.Background()
	t.Run("RefusedTokenStopsStart", func(t *testing.T) {
		f := slackfake.New()
		t.Cleanup(f.Close)
		for _, code := range []string{"invalid_auth", "not_authed", "token_revoked", "account_inactive"} {
			s, _, _ := newWatched(t, f, f.BotToken)
			f.Fail("auth.test", slackfake.Fault{Error: code}, 1)
			err := s.Start(ctx)
			var r *Refused
			if !errors.As(err, &r) || r.Setting != "SLACK_BOT_TOKEN" || r.Code != code || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") {
				t.Errorf("Start with Slack answering %s = %v; want a *Refused naming SLACK_BOT_TOKEN and %s", code, err, code)
			}
			if got := metricValue(t, s.Metrics, "relman_slack_errors_total", "method", "auth.test", "error", code); got != 1 {
				t.Errorf(`relman_slack_errors_total{method="auth.test",error=%q} = %v; want 1`, code, got)
			}
		}
		// A token the fake does not know, refused for real.
		s, _, _ := newWatched(t, f, "xoxb-wrong")
		if err := s.Start(ctx); err == nil || !strings.Contains(err.Error(), "invalid_auth") {
			t.Errorf("Start with a wrong token = %v; want invalid_auth", err)
		}
	})
	t.Run("UnreachableStartsThenRecovers", func(t *testing.T) {
		f := slackfake.New()
		t.Cleanup(f.Close)
		s, _, _ := newWatched(t, f, f.BotToken)
		f.ServerError("auth.test", 2)
		if err := s.Start(ctx); err != nil {
			t.Fatalf("Start with Slack answering 500 = %v; want nil (it serves anyway)", err)
		}
		if err := s.Err(); err == nil || !strings.Contains(err.Error(), "500") {
			t.Errorf("Err after a 500 = %v; want why Slack is not usable", err)
		}
		if err := s.Check(ctx); err == nil {
			t.Error("Check while Slack still answers 500 = nil; want an error")
		}
		if err := s.Check(ctx); err != nil {
			t.Errorf("Check once Slack answers = %v; want nil", err)
		}
		if n := len(f.CallsTo("auth.test")); n != 3 {
			t.Errorf("auth.test called %d times; want 3 (Start, then each Check while Slack did not answer)", n)
		}
		if got := metricValue(t, s.Metrics, "relman_slack_errors_total", "method", "auth.test", "error", "http_500"); got != 2 {
			t.Errorf(`relman_slack_errors_total{method="auth.test",error="http_500"} = %v; want 2`, got)
		}
	})
	t.Run("NetworkErrorIsUnreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		url := dead.URL + "/api/"
		dead.Close()
		s := &SlackStatus{Metrics: NewMetrics(), Clock: store.SystemClock{}}
		s.NewAPI("xoxb-test", "", url)
		if err := s.Start(ctx); err != nil {
			t.Fatalf("Start with nothing listening = %v; want nil", err)
		}
		if err := s.Err(); err == nil || !strings.Contains(err.Error(), "does not answer") {
			t.Errorf("Err with nothing listening = %v; want Slack does not answer", err)
		}
		if got := metricValue(t, s.Metrics, "relman_slack_errors_total", "method", "auth.test", "error", "network"); got != 1 {
			t.Errorf(`relman_slack_errors_total{method="auth.test",error="network"} = %v; want 1`, got)
		}
	})
	t.Run("LaterRefusalUntilSlackTakesTheTokenAgain", func(t *testing.T) {
		f := slackfake.New()
		t.Cleanup(f.Close)
		s, api, clock := newWatched(t, f, f.BotToken)
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Check(ctx); err != nil {
			t.Fatalf("Check after a good start = %v", err)
		}
		f.Fail("chat.postMessage", slackfake.Fault{Error: "token_revoked"}, 1)
		f.Fail("auth.test", slackfake.Fault{Error: "token_revoked"}, 1)
		if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err == nil {
			t.Fatal("chat.postMessage with a revoked token succeeded")
		}
		var r *Refused
		if err := s.Check(ctx); !errors.As(err, &r) || r.Code != "token_revoked" {
			t.Errorf("Check after chat.postMessage got token_revoked = %v; want *Refused token_revoked", err)
		}
		if got := metricValue(t, s.Metrics, "relman_slack_errors_total", "method", "chat.postMessage", "error", "token_revoked"); got != 1 {
			t.Errorf(`relman_slack_errors_total{method="chat.postMessage",error="token_revoked"} = %v; want 1`, got)
		}
		// Another error is Slack answering with the token taken.
		f.RejectChannel("C404", "channel_not_found")
		api.PostMessageContext(ctx, "C404", slack.MsgOptionText("hi", false))
		calls := len(f.CallsTo("auth.test"))
		if err := s.Check(ctx); err != nil {
			t.Errorf("Check after channel_not_found = %v; want nil", err)
		}
		if n := len(f.CallsTo("auth.test")); n != calls {
			t.Errorf("Check right after an answer called auth.test; want it to trust the answer")
		}
		clock.Advance(2 * slackFresh)
		if err := s.Check(ctx); err != nil {
			t.Errorf("Check after a quiet while = %v; want nil", err)
		}
		if n := len(f.CallsTo("auth.test")); n != calls+1 {
			t.Errorf("auth.test called %d times after a quiet while; want one more (%d)", n, calls+1)
		}
	})
	t.Run("RateLimitIsAnAnswer", func(t *testing.T) {
		f := slackfake.New()
		t.Cleanup(f.Close)
		s, api, _ := newWatched(t, f, f.BotToken)
		f.RateLimit("users.info", 0, 1)
		api.GetUserInfoContext(ctx, "U1")
		if err := s.Err(); err != nil {
			t.Errorf("Err after a 429 = %v; want nil (Slack answers)", err)
		}
		if got := metricValue(t, s.Metrics, "relman_slack_errors_total", "method", "users.info", "error", "ratelimited"); got != 1 {
			t.Errorf(`relman_slack_errors_total{method="users.info",error="ratelimited"} = %v; want 1`, got)
		}
	})
}

func TestReadyz(t *testing.T) {
	var reason error
	h := (&HTTP{Ready: func(context.Context) error { return reason }}).Handler()
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	if code, body := get(); code != http.StatusOK || body != "ready\n" {
		t.Errorf("GET /readyz = %d %q; want 200 \"ready\\n\"", code, body)
	}
	reason = errors.Join(errors.New("the database does not answer"), errors.New("Slack does not answer"))
	code, body := get()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "the database does not answer\nSlack does not answer") {
		t.Errorf("GET /readyz = %d %q; want 503 with each reason on a line", code, body)
	}
}
