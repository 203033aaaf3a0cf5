// Package slackfake is a stateful fake of the Slack Web API and of Socket Mode
// for tests. It runs on net/http/httptest and is meant to be driven by real
// slack-go clients:
//
//	f := slackfake.New()
//	defer f.Close()
//	api := slack.New(f.BotToken, slack.OptionAPIURL(f.URL()))
//
// The fake fails the way Slack fails: unknown messages give
// message_not_found, DM updates must use the D… channel, file uploads take
// the three steps of Slack's external upload (files.getUploadURLExternal,
// the upload URL, files.completeUploadExternal), trigger IDs work
// once within 3 seconds, response URLs work 5 times, and faults (429 with
// Retry-After, 5xx, ok:false, slow answers) can be queued per method. A
// method can be held to a per-minute rate tier (Tier), every call slowed
// (Slow), and conversations.history and conversations.replies page with a
// cursor. NewLocal makes a fake served in process, for testing/synctest.
//
// Every request is recorded as a Call. Waiting helpers (WaitCalls, WaitAck,
// WaitConnections) block on channel notifications, never on sleeps.
package slackfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "time/tzdata" // users.info must resolve IANA zones even on minimal systems
)

// Identity of the fake workspace and app, as returned by auth.test and
// embedded in messages and views.
const (
	TeamID    = "T0FAKETEAM"
	TeamName  = "Fake Workspace"
	BotUserID = "U0FAKEBOT"
	BotName   = "relman"
	BotID     = "B0FAKEBOT"
	AppID     = "A0FAKEAPP"
)

// ErrClosed is returned by waiting methods when the server is closed while
// they wait.
var ErrClosed = errors.New("slackfake: server closed")

// maxBody bounds request bodies, like Slack does (far above any real payload).
const maxBody = 8 << 20

// Call is one recorded request to the fake.
type Call struct {
	// Method is the Web API method ("chat.postMessage"), or "response_url"
	// for posts to a ResponseURL.
	Method string
	// Path is the request path, e.g. "/api/chat.update" or "/response/3".
	Path string
	// Token is the token the request carried (Authorization bearer, else the
	// token form field), or "".
	Token string
	// Form holds form-encoded body fields merged with query parameters.
	Form url.Values
	// JSON is the decoded body when the request was JSON, else nil.
	JSON map[string]any
	// Blocks is the "blocks" field, from the form (a JSON string) or the JSON
	// body; for views.* it falls back to the view's blocks. Nil if absent.
	Blocks json.RawMessage
	// At is the fake clock (Server.Now) when the request arrived.
	At time.Time
	// Status is the HTTP status answered, or 0 if the client went away (or
	// the server closed) before the fake answered.
	Status int
	// Response is the body answered.
	Response string
}

// Param returns the named parameter: the form value if present, else the
// JSON body field (strings as-is, other values JSON-encoded).
func (c Call) Param(name string) string {
	if v, ok := c.Form[name]; ok && len(v) > 0 {
		return v[0]
	}
	if v, ok := c.JSON[name]; ok {
		if s, ok := v.(string); ok {
			return s
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	return ""
}

func (c Call) has(name string) bool {
	if _, ok := c.Form[name]; ok {
		return true
	}
	_, ok := c.JSON[name]
	return ok
}

// raw returns the named parameter as JSON: a form value holding JSON, or the
// JSON body field re-encoded. It returns nil when absent; a form value that
// is not valid JSON is returned as a JSON string so callers can reject it.
func (c Call) raw(name string) json.RawMessage {
	if v, ok := c.Form[name]; ok && len(v) > 0 {
		if v[0] == "" || v[0] == "null" {
			return nil
		}
		if json.Valid([]byte(v[0])) {
			return json.RawMessage(v[0])
		}
		b, _ := json.Marshal(v[0])
		return b
	}
	if v, ok := c.JSON[name]; ok && v != nil {
		if s, ok := v.(string); ok && json.Valid([]byte(s)) {
			return json.RawMessage(s)
		}
		b, _ := json.Marshal(v)
		return b
	}
	return nil
}

// Server is the fake Slack. Create it with New; the exported fields may be
// changed before requests that depend on them are made.
type Server struct {
	// BotToken is the token every Web API method except apps.connections.open
	// requires (default "xoxb-test-token").
	BotToken string
	// AppToken is the app-level token apps.connections.open requires
	// (default "xapp-1-test").
	AppToken string
	// Now is the fake's clock, used for timestamps, trigger and response_url
	// expiry and time zone offsets (default time.Now). Like the other fields,
	// set it before requests are in flight; to move time while the code under
	// test may be calling the fake, set it once to a function reading a clock
	// of your own that is safe for concurrent use.
	Now func() time.Time
	// PingInterval is how often the Socket Mode endpoint sends WebSocket
	// PINGs (default 5s; one is also sent right after hello). slack-go
	// reconnects when no PING arrives within its OptionPingInterval (30s by
	// default), so keep this below the client's interval.
	PingInterval time.Duration

	srv     *httptest.Server // nil for NewLocal
	mux     *http.ServeMux
	wg      sync.WaitGroup // socket goroutines
	closing chan struct{}

	mu        sync.Mutex
	closed    bool
	notify    chan struct{} // closed and replaced on every state change
	calls     []Call
	lastTS    int64 // microseconds of the last issued ts
	seq       int   // generic counter for IDs
	faults    map[string][]*queuedFault
	rejected  map[string]string
	latency   time.Duration        // Slow
	pageLimit int                  // PageLimit
	tiers     map[string]*rateTier // Tier: method → its per-minute limit

	messages   map[string][]*Message // channel -> messages in ts order
	ephemerals map[string][]Message
	opened     map[string]bool // DM channels already opened
	users      map[string]user
	groups     map[string][]string
	triggers   map[string]*trigger
	views      map[string]*View
	homes      map[string]string // user -> view id
	responses  map[string]*responseURL

	files     map[string]*File // uploads by file ID
	fileOrder []string

	tickets  map[string]bool
	live     []*wsConn
	accepted int
	acks     map[string]json.RawMessage
}

// New starts a fake on 127.0.0.1 with a random port.
func New() *Server {
	s := newServer()
	s.srv = httptest.NewServer(s.mux)
	return s
}

// NewLocal is a fake that listens nowhere: its Client calls it in process.
// Made inside a testing/synctest bubble, with Now left as time.Now, every
// wait of the fake (Slow, Fault.Delay) runs on the bubble's clock, so a
// slow Slack can be tested without sleeping. Socket Mode and file uploads
// (which need a URL) are not served.
func NewLocal() *Server {
	return newServer()
}

func newServer() *Server {
	s := &Server{
		BotToken:     "xoxb-test-token",
		AppToken:     "xapp-1-test",
		Now:          time.Now,
		PingInterval: 5 * time.Second,
		closing:      make(chan struct{}),
		notify:       make(chan struct{}),
		faults:       map[string][]*queuedFault{},
		rejected:     map[string]string{},
		tiers:        map[string]*rateTier{},
		messages:     map[string][]*Message{},
		ephemerals:   map[string][]Message{},
		opened:       map[string]bool{},
		users:        map[string]user{},
		groups:       map[string][]string{},
		triggers:     map[string]*trigger{},
		views:        map[string]*View{},
		homes:        map[string]string{},
		responses:    map[string]*responseURL{},
		tickets:      map[string]bool{},
		acks:         map[string]json.RawMessage{},
		files:        map[string]*File{},
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/api/{method}", s.serveAPI)
	s.mux.HandleFunc("/response/{id}", s.serveResponseURL)
	s.mux.HandleFunc("/link/", s.serveSocket)
	s.mux.HandleFunc(UploadPath+"{id}", s.serveUpload)
	return s
}

// localHost is the host of a NewLocal fake's URL: it resolves nowhere.
const localHost = "slackfake.invalid"

// URL returns the Web API base URL with a trailing slash, for
// slack.OptionAPIURL, e.g. "http://127.0.0.1:PORT/api/".
func (s *Server) URL() string {
	if s.srv == nil {
		return "http://" + localHost + "/api/"
	}
	return s.srv.URL + "/api/"
}

// Client is an HTTP client for the fake, for slack.OptionHTTPClient: it
// serves a NewLocal fake's requests in the calling goroutine; for one
// made with New it is a plain client.
func (s *Server) Client() *http.Client {
	if s.srv == nil {
		return &http.Client{Transport: localTransport{s}}
	}
	return s.srv.Client()
}

// localTransport serves requests with the fake's handlers, in process.
type localTransport struct{ s *Server }

func (t localTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != localHost {
		return nil, fmt.Errorf("slackfake: %s is not the local fake", r.URL.Host)
	}
	rec := httptest.NewRecorder()
	t.s.mux.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	res := rec.Result()
	res.Request = r
	return res, nil
}

// Close closes all Socket Mode connections, stops the HTTP server, wakes up
// all waiters with ErrClosed, and waits for the fake's goroutines to end.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.closing)
	conns := s.live
	s.live = nil
	s.broadcastLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	if s.srv != nil {
		s.srv.Close()
	}
	s.wg.Wait()
}

// Calls returns every recorded call, in the order the fake answered them.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the recorded calls to method.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsToLocked(method)
}

func (s *Server) callsToLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Reset forgets the recorded calls. State (messages, views, users, faults,
// connections) is kept.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// WaitCalls blocks until at least n calls to method (answered or failed)
// have been recorded, and returns them. When ctx ends first it returns the
// calls so far and ctx's error; when the server closes, ErrClosed.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	for {
		s.mu.Lock()
		calls := s.callsToLocked(method)
		ch := s.notify
		s.mu.Unlock()
		if len(calls) >= n {
			return calls, nil
		}
		if err := s.wait(ctx, ch); err != nil {
			return calls, err
		}
	}
}

// wait blocks until ch is closed, ctx ends or the server closes.
func (s *Server) wait(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing:
		return ErrClosed
	}
}

// broadcastLocked wakes up all waiters. s.mu must be held.
func (s *Server) broadcastLocked() {
	close(s.notify)
	s.notify = make(chan struct{})
}

// nextTSLocked returns a Slack-style "seconds.micros" timestamp from the
// fake clock, strictly greater than every earlier one. s.mu must be held.
func (s *Server) nextTSLocked() string {
	us := s.Now().UnixMicro()
	if us <= s.lastTS {
		us = s.lastTS + 1
	}
	s.lastTS = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// nextIDLocked returns prefix followed by a fresh, fixed-width number.
func (s *Server) nextIDLocked(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08d", prefix, s.seq)
}

// readCall reads and decodes a request into a Call.
func (s *Server) readCall(r *http.Request, method string) (Call, error) {
	c := Call{Method: method, Path: r.URL.Path, At: s.Now(), Form: url.Values{}}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return c, err
	}
	for k, v := range r.URL.Query() {
		c.Form[k] = append(c.Form[k], v...)
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
	case ctype == "application/json" || (ctype == "" && trimmed[0] == '{'):
		if err := json.Unmarshal(trimmed, &c.JSON); err != nil {
			return c, fmt.Errorf("invalid JSON body: %w", err)
		}
	default:
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return c, fmt.Errorf("invalid form body: %w", err)
		}
		for k, v := range vals {
			c.Form[k] = append(c.Form[k], v...)
		}
	}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		c.Token = strings.TrimPrefix(auth, "Bearer ")
	} else {
		c.Token = c.Param("token")
	}
	c.Blocks = c.raw("blocks")
	if c.Blocks == nil {
		var view struct {
			Blocks json.RawMessage `json:"blocks"`
		}
		if v := c.raw("view"); v != nil && json.Unmarshal(v, &view) == nil {
			c.Blocks = view.Blocks
		}
	}
	return c, nil
}

// answer is a prepared HTTP response.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func jsonAnswer(status int, v any) answer {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"ok":false,"error":"fatal_error"}`)
	}
	return answer{status: status, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body: b}
}

func textAnswer(status int, ctype, body string) answer {
	return answer{status: status, header: http.Header{"Content-Type": {ctype}}, body: []byte(body)}
}

// obj is a JSON object answer body.
type obj = map[string]any

// fail is the body of an ok:false answer.
func fail(code string) obj { return obj{"ok": false, "error": code} }

// finish writes a (status 0 means: write nothing) and records the call.
func (s *Server) finish(w http.ResponseWriter, c Call, a answer) {
	if a.status != 0 {
		for k, v := range a.header {
			w.Header()[k] = v
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}
	c.Status = a.status
	c.Response = string(a.body)
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.broadcastLocked()
	s.mu.Unlock()
}

// apiMethod handles one Web API method with s.mu held. It returns the answer
// body; ok:true is added when the body has no "ok" key.
type apiMethod func(s *Server, c Call) obj

var apiMethods = map[string]apiMethod{
	"chat.postMessage":      (*Server).chatPostMessage,
	"chat.update":           (*Server).chatUpdate,
	"chat.postEphemeral":    (*Server).chatPostEphemeral,
	"chat.delete":           (*Server).chatDelete,
	"chat.getPermalink":     (*Server).chatGetPermalink,
	"views.open":            (*Server).viewsOpen,
	"views.push":            (*Server).viewsPush,
	"views.update":          (*Server).viewsUpdate,
	"views.publish":         (*Server).viewsPublish,
	"conversations.open":    (*Server).conversationsOpen,
	"conversations.history": (*Server).conversationsHistory,
	"conversations.replies": (*Server).conversationsReplies,
	"users.info":            (*Server).usersInfo,
	"usergroups.users.list": (*Server).usergroupsUsersList,
	"auth.test":             (*Server).authTest,
	"apps.connections.open": (*Server).appsConnectionsOpen,

	"files.getUploadURLExternal":   (*Server).filesGetUploadURLExternal,
	"files.completeUploadExternal": (*Server).filesCompleteUploadExternal,
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	c, err := s.readCall(r, method)
	if err != nil {
		s.finish(w, c, jsonAnswer(http.StatusOK, fail("invalid_form_data")))
		return
	}
	if !s.await(r.Context(), s.slowness()) {
		s.finish(w, c, answer{})
		return
	}
	if a, limited := s.overTier(method); limited {
		s.finish(w, c, a)
		return
	}
	f, faulted := s.takeFault(method)
	if faulted && !f.Accepted {
		if a, done := s.answerFault(r.Context(), f); done {
			s.finish(w, c, a)
			return
		}
	}
	handler, ok := apiMethods[method]
	if !ok {
		s.finish(w, c, jsonAnswer(http.StatusNotFound, fail("unknown_method")))
		return
	}
	if code := s.checkToken(method, c.Token); code != "" {
		s.finish(w, c, jsonAnswer(http.StatusOK, fail(code)))
		return
	}
	s.mu.Lock()
	body := handler(s, c)
	s.mu.Unlock()
	if faulted && f.Accepted {
		if a, done := s.answerFault(r.Context(), f); done {
			s.finish(w, c, a)
			return
		}
	}
	if _, ok := body["ok"]; !ok {
		body["ok"] = true
	}
	s.finish(w, c, jsonAnswer(http.StatusOK, body))
}

// checkToken returns the Slack error code for a bad token, or "".
// A missing or unknown token gives invalid_auth; the other known token
// (bot token for apps.connections.open, app token elsewhere) gives
// not_allowed_token_type, as Slack does.
func (s *Server) checkToken(method, token string) string {
	want, other := s.BotToken, s.AppToken
	if method == "apps.connections.open" {
		want, other = s.AppToken, s.BotToken
	}
	switch token {
	case want:
		return ""
	case other:
		return "not_allowed_token_type"
	default:
		return "invalid_auth"
	}
}
