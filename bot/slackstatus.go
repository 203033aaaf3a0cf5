package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"relman/store"
)

// SlackStatus watches every Slack Web API call a client it made
// (SlackStatus.NewAPI) sends, below slack-go, so every method is seen
// whoever calls it: it counts each error in relman_slack_errors_total by
// method and error, and remembers whether Slack answers and accepts the
// bot token, which /readyz reports (Check). The zero value is not usable:
// set Clock.
type SlackStatus struct {
	Metrics *Metrics
	Clock   store.Clock

	mu    sync.Mutex
	err   error     // why Slack is not usable, or nil
	seen  time.Time // when Slack last answered, or zero
	probe sync.Mutex
	api   *slack.Client
}

// Refused is the error of a Slack call whose token Slack refuses: the
// setting holding it (SLACK_BOT_TOKEN, or SLACK_APP_TOKEN for Socket
// Mode's apps.connections.open) and Slack's error code.
type Refused struct {
	Setting string
	Code    string
}

func (e *Refused) Error() string {
	return fmt.Sprintf("%s: Slack refuses the token (%s); set a valid token and restart relman", e.Setting, e.Code)
}

// refusals are the error codes with which Slack refuses a token.
var refusals = map[string]bool{"invalid_auth": true, "not_authed": true, "token_revoked": true, "account_inactive": true, "token_expired": true}

// slackFresh is how long an answer from Slack counts as Slack answering;
// after it Check asks again.
const slackFresh = time.Minute

// NewAPI is bot.NewAPI with every Web API call watched by s. Check uses
// the last client made to ask Slack (auth.test).
func (s *SlackStatus) NewAPI(token, appToken, apiURL string) *slack.Client {
	api := newAPI(token, appToken, apiURL, &watchedTransport{status: s, next: http.DefaultTransport, apiURL: apiURL})
	s.mu.Lock()
	s.api = api
	s.mu.Unlock()
	return api
}

// Start asks Slack whether it accepts the bot token (auth.test), as
// relman serve does before serving. It returns a *Refused when Slack
// refuses the token; when Slack cannot be reached it returns nil, and
// Err says why until Slack answers.
func (s *SlackStatus) Start(ctx context.Context) error {
	s.authTest(ctx)
	var r *Refused
	if err := s.Err(); errors.As(err, &r) {
		return err
	}
	return nil
}

// Err returns why Slack is not usable as last seen, or nil: a *Refused
// while Slack refuses the token, or the failure of the last call when
// Slack did not answer (unreachable, a timeout, a 5xx).
func (s *SlackStatus) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Check returns nil when Slack answered in the last minute and accepts
// the token. Otherwise it asks Slack (auth.test; concurrent checks share
// one call) and returns Err.
func (s *SlackStatus) Check(ctx context.Context) error {
	s.mu.Lock()
	ok := s.err == nil && !s.seen.IsZero() && s.Clock.Now().Sub(s.seen) < slackFresh
	asked := s.seen
	s.mu.Unlock()
	if ok {
		return nil
	}
	s.probe.Lock()
	defer s.probe.Unlock()
	s.mu.Lock()
	answered := s.seen != asked // a call ended while this one waited for the probe
	s.mu.Unlock()
	if !answered {
		s.authTest(ctx)
	}
	return s.Err()
}

// authTest calls auth.test; the transport records the outcome.
func (s *SlackStatus) authTest(ctx context.Context) {
	s.mu.Lock()
	api := s.api
	s.mu.Unlock()
	if api == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	api.AuthTestContext(ctx)
}

// answered records the outcome of one call to method: err is nil when
// Slack answered and took the token, a *Refused, or why Slack did not
// answer.
func (s *SlackStatus) answered(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
	s.seen = s.Clock.Now()
}

// watchedTransport is the http.RoundTripper under slack-go's client: it
// reads each Web API answer's status and its JSON's ok and error, and
// hands the body on untouched.
type watchedTransport struct {
	status *SlackStatus
	next   http.RoundTripper
	apiURL string
}

// maxWatched bounds how much of an answer is read to find its error; a
// bigger one (a long history) is ok:true in practice and passed on whole.
const maxWatched = 1 << 20

func (t *watchedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method, isAPI := strings.CutPrefix(req.URL.String(), t.apiURL)
	if !isAPI {
		return t.next.RoundTrip(req) // an upload URL, not a Web API method
	}
	method, _, _ = strings.Cut(method, "?")
	s := t.status
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		code := "network"
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			code = "timeout"
		}
		if !errors.Is(err, context.Canceled) {
			s.Metrics.slackAPIError(method, code)
			s.answered(fmt.Errorf("Slack does not answer (%s): %w", method, err))
		}
		return resp, err
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		s.Metrics.slackAPIError(method, "ratelimited")
		s.answered(nil)
		return resp, nil
	case resp.StatusCode >= 500:
		s.Metrics.slackAPIError(method, "http_"+strconv.Itoa(resp.StatusCode))
		s.answered(fmt.Errorf("Slack answers %s to %s", resp.Status, method))
		return resp, nil
	case resp.StatusCode != http.StatusOK:
		s.Metrics.slackAPIError(method, "http_"+strconv.Itoa(resp.StatusCode))
		s.answered(nil)
		return resp, nil
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		s.answered(nil)
		return resp, nil
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxWatched))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), rest), rest}
	if rerr != nil {
		return resp, nil // slack-go reads the same failure
	}
	var answer struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &answer) != nil || answer.OK == nil || *answer.OK {
		s.answered(nil)
		return resp, nil
	}
	code := answer.Error
	if code == "" {
		code = "unknown"
	}
	s.Metrics.slackAPIError(method, code)
	if refusals[code] {
		setting := "SLACK_BOT_TOKEN"
		if method == "apps.connections.open" {
			setting = "SLACK_APP_TOKEN"
		}
		s.answered(&Refused{Setting: setting, Code: code})
	} else {
		s.answered(nil) // Slack checks the token first: any other error took it
	}
	return resp, nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
