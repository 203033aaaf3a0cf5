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
