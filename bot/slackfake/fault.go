package slackfake

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// Fault describes how the fake misbehaves for one call.
type Fault struct {
	// Status is the HTTP status to answer (0 means 200).
	Status int
	// RetryAfter, when > 0, is sent as the Retry-After header (seconds).
	RetryAfter int
	// Error, when set, makes the body {"ok":false,"error":Error}. With
	// Status 0 that is a 200, which slack-go reports as
	// slack.SlackErrorResponse.
	Error string
	// Delay is waited before answering, to force client timeouts. The wait
	// ends early when the client cancels its request or the server closes;
	// then nothing is answered and the call is recorded with Status 0. A
	// Fault with only a Delay answers normally after the delay.
	Delay time.Duration
	// Accepted makes the call take effect before the fault answers it: a
	// chat.postMessage is posted, and then the client sees the error or
	// the timeout (Delay), as when Slack accepted a request whose answer
	// was lost.
	Accepted bool
}

type queuedFault struct {
	f    Fault
	left int // calls left; <= 0 means until ClearFaults
}

// Fail queues f for the next times calls to method ("response_url" for
// response URLs). times <= 0 means every call until ClearFaults. Faults
// queued for the same method apply one after the other.
func (s *Server) Fail(method string, f Fault, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], &queuedFault{f: f, left: times})
}

// RateLimit makes the next times calls to method answer 429 with
// Retry-After: retryAfterSeconds and {"ok":false,"error":"ratelimited"}.
// slack-go reports it as *slack.RateLimitedError (with retryAfterSeconds > 0)
// or slack.StatusCodeError{Code: 429} (with 0, as no header is sent).
func (s *Server) RateLimit(method string, retryAfterSeconds, times int) {
	s.Fail(method, Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfterSeconds, Error: "ratelimited"}, times)
}

// ServerError makes the next times calls to method answer 500 with an HTML
// body, like Slack; slack-go reports slack.StatusCodeError.
func (s *Server) ServerError(method string, times int) {
	s.Fail(method, Fault{Status: http.StatusInternalServerError}, times)
}

// RejectChannel makes every chat.postMessage, chat.update,
// chat.postEphemeral and chat.delete to channel answer
// {"ok":false,"error":errorCode} (e.g. "channel_not_found",
// "not_in_channel", "is_archived"). For a user ID the rejection also covers
// its DM channel. An empty errorCode removes the rejection.
func (s *Server) RejectChannel(channel, errorCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errorCode == "" {
		delete(s.rejected, channel)
		return
	}
	s.rejected[channel] = errorCode
}

// ClearFaults removes all queued faults and channel rejections.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string][]*queuedFault{}
	s.rejected = map[string]string{}
}

// takeFault pops the fault for one call to method, if any.
func (s *Server) takeFault(method string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[method]
	if len(q) == 0 {
		return Fault{}, false
	}
	head := q[0]
	if head.left > 0 {
		head.left--
		if head.left == 0 {
			s.faults[method] = q[1:]
		}
	}
	return head.f, true
}

// applyFault applies the next fault for method. done reports that a is the
// final answer (possibly status 0: answer nothing); otherwise the call
// proceeds normally.
func (s *Server) applyFault(ctx context.Context, method string) (a answer, done bool) {
	f, ok := s.takeFault(method)
	if !ok {
		return answer{}, false
	}
	return s.answerFault(ctx, f)
}

// answerFault is applyFault for the fault f, already taken.
func (s *Server) answerFault(ctx context.Context, f Fault) (a answer, done bool) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return answer{}, true
		case <-s.closing:
			return answer{}, true
		}
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case f.Error != "":
		a = jsonAnswer(status, fail(f.Error))
	case status == http.StatusTooManyRequests:
		a = jsonAnswer(status, fail("ratelimited"))
	case status != http.StatusOK:
		a = textAnswer(status, "text/html; charset=utf-8",
			"<html><body><h1>"+strconv.Itoa(status)+" "+http.StatusText(status)+"</h1></body></html>")
	default:
		return answer{}, false // delay only
	}
	if f.RetryAfter > 0 {
		a.header.Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	return a, true
}

// rejectionLocked returns the rejection code for a channel (or the user the
// DM channel belongs to). s.mu must be held.
func (s *Server) rejectionLocked(channels ...string) string {
	for _, ch := range channels {
		if code := s.rejected[ch]; code != "" {
			return code
		}
	}
	return ""
}

// Slow makes every Web API call wait d before the fake handles it (0 for
// none), as a Slack that answers slowly: a call whose client gives up
// meanwhile takes no effect and is recorded with Status 0. Faults and
// Tier limits apply after the wait.
func (s *Server) Slow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

func (s *Server) slowness() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency
}

// await waits d, and reports false when ctx ends or the server closes first.
func (s *Server) await(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}

// rateTier is a per-minute limit of one method, counted in fixed windows
// of the fake's clock, as Slack's tiers are.
type rateTier struct {
	perMinute int
	window    time.Time // the minute being counted
	calls     int
}

// Tier limits method to perMinute calls in each minute of the fake's
// clock (Now), as Slack's rate tiers do (Tier 3 is about 50): a call over
// the limit answers 429 with Retry-After up to the next minute and
// {"ok":false,"error":"ratelimited"}. perMinute <= 0 removes the limit.
func (s *Server) Tier(method string, perMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if perMinute <= 0 {
		delete(s.tiers, method)
		return
	}
	s.tiers[method] = &rateTier{perMinute: perMinute}
}

// overTier counts a call to method against its Tier, and answers the 429
// when the call is over the limit.
func (s *Server) overTier(method string) (answer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tiers[method]
	if t == nil {
		return answer{}, false
	}
	now := s.Now()
	if w := now.Truncate(time.Minute); !w.Equal(t.window) {
		t.window, t.calls = w, 0
	}
	t.calls++
	if t.calls <= t.perMinute {
		return answer{}, false
	}
	wait := int(t.window.Add(time.Minute).Sub(now).Seconds() + 0.999)
	a := jsonAnswer(http.StatusTooManyRequests, fail("ratelimited"))
	a.header.Set("Retry-After", strconv.Itoa(max(wait, 1)))
	return a, true
}

// PageLimit caps the messages one conversations.history or
// conversations.replies page holds, whatever limit the client asks for, as
// Slack does (15) for commercially distributed apps outside the
// Marketplace; has_more and the cursor lead on. n <= 0 removes the cap.
func (s *Server) PageLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageLimit = max(n, 0)
}
