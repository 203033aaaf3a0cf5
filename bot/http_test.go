package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"relman/bot/blockkit"
	"relman/bot/outbox"
	"relman/bot/slackfake"
	"relman/commands"
	"relman/commands/calendar"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// The HTTP tests drive bot.HTTP end to end: a real bbolt store in a temp
// dir, commands.Service on a fake clock, slack-go talking to slackfake, the
// outbox flushed by hand, and requests signed like Slack signs them, with
// the real clock (the signature check reads it).

const (
	httpFormType = "application/x-www-form-urlencoded"
	httpJSONType = "application/json"

	// httpSecret is the signing secret of every fixture.
	httpSecret = "5f0c6a2b9e8d7c1a3b4e5f60718293a4"

	// The user and channel of the SLACK.md §1.1 fixture (testdata/http/slash_command.form).
	httpUser    = "U2147483697"
	httpChannel = "C2147483705"

	// httpWait bounds every wait for background work reaching the fake.
	httpWait = 10 * time.Second
)

// httpStart is the fake clock of every fixture: Monday 2027-01-04 09:00 UTC.
var httpStart = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)

// httpFixture is relman wired as serve.go wires it, minus the outbox
// worker: tests deliver with Outbox.Flush.
type httpFixture struct {
	Store   *store.Store
	Service *commands.Service // what the dispatcher runs, for tests to set up and inspect state
	Clock   *store.FakeClock
	Fake    *slackfake.Server
	Outbox  *outbox.Outbox
	Slack   *Slack
	Metrics *Metrics
	Server  *httptest.Server

	slash url.Values // the SLACK.md §1.1 slash command fixture
}

// MustHTTPFixture starts a fixture; everything is closed when tb ends, after
// background work has finished.
func MustHTTPFixture(tb testing.TB) *httpFixture {
	tb.Helper()
	return mustHTTPFixtureOn(tb, boltdb.Options{})
}

// mustHTTPFixtureOn is MustHTTPFixture with the bbolt file opened with opts.
func mustHTTPFixtureOn(tb testing.TB, opts boltdb.Options) *httpFixture {
	tb.Helper()
	slash := mustHTTPSlash(tb)
	st, err := boltdb.Open(filepath.Join(tb.TempDir(), "relman.db"), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return mustHTTPFixtureStore(tb, st, slash)
}

// mustHTTPFixtureStore is MustHTTPFixture on st (any backend), whose
// closing is the caller's, with slash the §1.1 slash command's fields.
func mustHTTPFixtureStore(tb testing.TB, st *store.Store, slash url.Values) *httpFixture {
	tb.Helper()
	fake := slackfake.New()
	tb.Cleanup(fake.Close)
	// The fixture's response_url points at hooks.slack.com; never leave the machine.
	slash.Set("response_url", fake.ResponseURL())

	clock := store.NewFakeClock(httpStart)
	api := slack.New(fake.BotToken, slack.OptionAPIURL(fake.URL()))
	metrics := NewMetrics()
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
	ob := &outbox.Outbox{Store: st, Sender: &SlackSender{API: api, Metrics: metrics}, Clock: clock, Metrics: metrics, Render: reminders.RenderNotice}
	sl := &Slack{
		Dispatcher: &Dispatcher{Service: svc, Outbox: ob, Metrics: metrics},
		API:        api, Users: &Users{API: api, Clock: clock, Metrics: metrics}, Clock: clock, Metrics: metrics,
	}
	tb.Cleanup(sl.Wait)
	h := &HTTP{Slack: sl, SigningSecret: httpSecret, Metrics: metrics, Calendar: &calendar.Feeds{Store: st, Loc: time.UTC}}
	srv := httptest.NewServer(h.Handler())
	svc.PublicURL = srv.URL // calendar feed addresses point here
	tb.Cleanup(srv.Close)
	return &httpFixture{Store: st, Service: svc, Clock: clock, Fake: fake, Outbox: ob, Slack: sl, Metrics: metrics, Server: srv, slash: slash}
}

// mustHTTPSlash is the SLACK.md §1.1 slash command fixture's fields.
func mustHTTPSlash(tb testing.TB) url.Values {
	tb.Helper()
	raw := mustHTTPTestdata(tb, "slash_command.form")
	slash, err := url.ParseQuery(strings.TrimSpace(string(raw)))
	if err != nil {
		tb.Fatalf("slash_command.form: %v", err)
	}
	return slash
}

func mustHTTPTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "http", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// slashBody is the §1.1 fixture's form body with fields replaced: kv holds
// name, value pairs, and an empty value removes the field.
func (f *httpFixture) slashBody(kv ...string) string {
	v := maps.Clone(f.slash)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v.Encode()
}

// releaseBody is `/release text` from the §1.1 fixture, with further fields
// replaced as slashBody does.
func (f *httpFixture) releaseBody(text string, kv ...string) string {
	return f.slashBody(append([]string{"command", "/release", "text", text}, kv...)...)
}

// httpSignature is Slack's v0 signature: HMAC-SHA256 of "v0:ts:body".
func httpSignature(secret, timestamp, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+timestamp+":"+body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// httpSign adds Slack's signature headers for body, signed with secret at at.
func httpSign(h http.Header, secret string, at time.Time, body string) {
	ts := strconv.FormatInt(at.Unix(), 10)
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", httpSignature(secret, ts, body))
}

// newHTTPSignedRequest is a POST of body to url signed with httpSecret now.
// It does not fail the test, so goroutines can use it.
func newHTTPSignedRequest(url, contentType, body string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	httpSign(req.Header, httpSecret, time.Now(), body)
	return req, nil
}

// MustHTTPRequest is an unsigned request; contentType "" sets none.
func MustHTTPRequest(tb testing.TB, method, url, contentType, body string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// MustHTTPSigned is a POST of body to url, signed with httpSecret now.
func MustHTTPSigned(tb testing.TB, url, contentType, body string) *http.Request {
	tb.Helper()
	req, err := newHTTPSignedRequest(url, contentType, body)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

// httpResult is an answer, read whole.
type httpResult struct {
	Status int
	Header http.Header
	Body   string
}

func httpDo(c *http.Client, req *http.Request) (httpResult, error) {
	resp, err := c.Do(req)
	if err != nil {
		return httpResult{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return httpResult{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, err
}

// MustDo sends req to the fixture's server.
func (f *httpFixture) MustDo(tb testing.TB, req *http.Request) httpResult {
	tb.Helper()
	res, err := httpDo(f.Server.Client(), req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	return res
}

// MustPost sends body to path, signed now.
func (f *httpFixture) MustPost(tb testing.TB, path, contentType, body string) httpResult {
	tb.Helper()
	return f.MustDo(tb, MustHTTPSigned(tb, f.Server.URL+path, contentType, body))
}

// MustGet sends an unsigned GET to path.
func (f *httpFixture) MustGet(tb testing.TB, path string) httpResult {
	tb.Helper()
	return f.MustDo(tb, MustHTTPRequest(tb, http.MethodGet, f.Server.URL+path, "", ""))
}

// httpAck is a slash command's immediate JSON reply.
type httpAck struct {
	ResponseType string            `json:"response_type"`
	Text         string            `json:"text"`
	Blocks       []json.RawMessage `json:"blocks"`
}

// MustHTTPEphemeral checks res is a 200 ephemeral JSON reply with blocks,
// and decodes it.
func MustHTTPEphemeral(tb testing.TB, res httpResult) httpAck {
	tb.Helper()
	if res.Status != http.StatusOK {
		tb.Fatalf("status = %d; want 200 (body %q)", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != httpJSONType {
		tb.Errorf("Content-Type = %q; want %q", ct, httpJSONType)
	}
	if strings.Contains(res.Body, `"blocks":null`) || strings.Contains(res.Body, `"metadata"`) {
		tb.Errorf("reply carries slack.Msg's empty fields: %s", res.Body)
	}
	var ack httpAck
	if err := json.Unmarshal([]byte(res.Body), &ack); err != nil {
		tb.Fatalf("reply is not JSON: %v\n%s", err, res.Body)
	}
	if ack.ResponseType != slack.ResponseTypeEphemeral {
		tb.Errorf("response_type = %q; want %q", ack.ResponseType, slack.ResponseTypeEphemeral)
	}
	if len(ack.Blocks) == 0 {
		tb.Errorf("reply has no blocks: %s", res.Body)
	}
	return ack
}

// httpState is what a request could have changed.
type httpState struct {
	Releases, Audit, Outbox int
}

func (f *httpFixture) MustState(tb testing.TB) httpState {
	tb.Helper()
	var s httpState
	err := f.Store.View(context.Background(), func(tx *store.Tx) error {
		rs, err := tx.Releases()
		if err != nil {
			return err
		}
		log, err := tx.AuditLog(0, 0)
		if err != nil {
			return err
		}
		out, err := tx.Outbox()
		s = httpState{Releases: len(rs), Audit: len(log), Outbox: len(out)}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// MustRelease returns the stored release ref (product@version).
func (f *httpFixture) MustRelease(tb testing.TB, ref string) *store.Release {
	tb.Helper()
	r, err := store.ParseRef(ref)
	if err != nil {
		tb.Fatal(err)
	}
	var rel *store.Release
	if err := f.Store.View(context.Background(), func(tx *store.Tx) error {
		rel, err = tx.Release(r)
		return err
	}); err != nil {
		tb.Fatalf("release %s: %v", ref, err)
	}
	return rel
}

func (f *httpFixture) MustOutbox(tb testing.TB) []store.Message {
	tb.Helper()
	var out []store.Message
	if err := f.Store.View(context.Background(), func(tx *store.Tx) error {
		var err error
		out, err = tx.Outbox()
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// MustWaitCalls waits for n calls to method on the fake.
func (f *httpFixture) MustWaitCalls(tb testing.TB, method string, n int) []slackfake.Call {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), httpWait)
	defer cancel()
	calls, err := f.Fake.WaitCalls(ctx, method, n)
	if err != nil {
		tb.Fatalf("waiting for %d %s calls: got %d: %v", n, method, len(calls), err)
	}
	return calls
}

// checkHTTPGolden compares got (JSON) with testdata/http/name, indented;
// -update rewrites the file.
func checkHTTPGolden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		tb.Fatalf("%s: not JSON: %v\n%s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", "http", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test ./bot -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		tb.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestHTTPSlashCommandAdd(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		ref     string
		owner   string
		channel string
		golden  string // prefix of the golden files for the reply and the posted message, "" for none
	}{
		{name: "AddsReleaseAndPostsToItsChannel", text: "add payments 2.3.0 2027-01-15",
			ref: "payments@2.3.0", owner: httpUser, channel: httpChannel, golden: "add"},
		{name: "UnderstandsSlackEscapes",
			text: "add <mailto:payments@2.3.0|payments@2.3.0> 2027-01-15 owner <@U123|sam> channel <#C999|mobile>",
			ref:  "payments@2.3.0", owner: "U123", channel: "C999"},
		{name: "UnderstandsBareMailtoAndPrivateChannel",
			text: "add <mailto:Payments@2.3.0> 2027-01-15 channel <#G0PRIVATE|>",
			ref:  "payments@2.3.0", owner: httpUser, channel: "G0PRIVATE"},
		{name: "UnderstandsUnlabelledMentions",
			text: "add payments@2.3.0 2027-01-15 owner <@W0ENTERPRISE> channel <#C0PUBLIC>",
			ref:  "payments@2.3.0", owner: "W0ENTERPRISE", channel: "C0PUBLIC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MustHTTPFixture(t)
			res := f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody(tt.text))
			ack := MustHTTPEphemeral(t, res)
			if !strings.Contains(ack.Text, "Added") || !strings.Contains(ack.Text, "*"+tt.ref+"*") {
				t.Errorf("reply text = %q; want it to say Added *%s*", ack.Text, tt.ref)
			}
			if tt.golden != "" {
				checkHTTPGolden(t, tt.golden+"_reply.golden.json", []byte(res.Body))
			}

			rel := f.MustRelease(t, tt.ref)
			got := [3]string{rel.Owner, rel.Channel, rel.Target.String()}
			want := [3]string{tt.owner, tt.channel, "2027-01-15"}
			if got != want {
				t.Errorf("stored owner, channel, target = %q; want %q", got, want)
			}

			// The announcement was queued with the change, and is delivered
			// by the outbox, not by the request.
			queued := f.MustOutbox(t)
			if len(queued) != 1 || queued[0].Channel != tt.channel {
				t.Fatalf("outbox = %+v; want one message to %s", queued, tt.channel)
			}
			if n := len(f.Fake.CallsTo("chat.postMessage")); n != 0 {
				t.Errorf("chat.postMessage called %d times before the outbox ran", n)
			}
			sent, err := f.Outbox.Flush(context.Background())
			if err != nil || sent != 1 {
				t.Fatalf("Flush = %d, %v; want 1, nil", sent, err)
			}
			calls := f.Fake.CallsTo("chat.postMessage")
			if len(calls) != 1 || calls[0].Param("channel") != tt.channel {
				t.Fatalf("chat.postMessage calls = %+v; want one to %s", calls, tt.channel)
			}
			msgs := f.Fake.Messages(tt.channel)
			if len(msgs) != 1 {
				t.Fatalf("fake has %d messages in %s; want 1", len(msgs), tt.channel)
			}
			if !bytes.Contains(msgs[0].Blocks, []byte("*"+tt.ref+"*")) {
				t.Errorf("posted blocks do not show *%s*: %s", tt.ref, msgs[0].Blocks)
			}
			if tt.golden != "" {
				checkHTTPGolden(t, tt.golden+"_message.golden.json", msgs[0].Blocks)
			}
			if left := f.MustOutbox(t); len(left) != 0 {
				t.Errorf("outbox after delivery = %+v; want empty", left)
			}
		})
	}
}

func TestHTTPRejectsBadInput(t *testing.T) {
	f := MustHTTPFixture(t)
	// A release already exists, so "unchanged" is not trivially "empty".
	MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("add payments 2.3.0 2027-01-15")))

	good := f.releaseBody("add auth 1.4.0 2027-01-20")
	commandsURL := f.Server.URL + "/slack/commands"
	signedAt := func(secret string, at time.Time, sent, signed, ctype string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			req := MustHTTPRequest(t, http.MethodPost, commandsURL, ctype, sent)
			httpSign(req.Header, secret, at, signed)
			return req
		}
	}
	signed := func(path, ctype, body string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return MustHTTPSigned(t, f.Server.URL+path, ctype, body) }
	}
	tests := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		// ephemeral: a 200 JSON ephemeral reply whose text holds each of
		// these; otherwise the body holds them.
		ephemeral bool
		want      []string
		empty     bool // the body must be empty
	}{
		{name: "UnsignedIs401", status: http.StatusUnauthorized,
			req: func(t *testing.T) *http.Request {
				return MustHTTPRequest(t, http.MethodPost, commandsURL, httpFormType, good)
			}},
		{name: "SignatureFromAnotherSecretIs401", status: http.StatusUnauthorized,
			req: signedAt("not-the-signing-secret", time.Now(), good, good, httpFormType)},
		{name: "StaleTimestampIs401", status: http.StatusUnauthorized, want: []string{"stale"},
			req: signedAt(httpSecret, time.Now().Add(-6*time.Minute), good, good, httpFormType)},
		{name: "FutureTimestampIs401", status: http.StatusUnauthorized,
			req: signedAt(httpSecret, time.Now().Add(6*time.Minute), good, good, httpFormType)},
		{name: "TamperedBodyIs401", status: http.StatusUnauthorized,
			req: signedAt(httpSecret, time.Now(), strings.Replace(good, "auth", "evil", 1), good, httpFormType)},
		{name: "MissingTimestampIs401", status: http.StatusUnauthorized,
			req: func(t *testing.T) *http.Request {
				req := MustHTTPSigned(t, commandsURL, httpFormType, good)
				req.Header.Del("X-Slack-Request-Timestamp")
				return req
			}},
		{name: "MissingSignatureIs401", status: http.StatusUnauthorized,
			req: func(t *testing.T) *http.Request {
				req := MustHTTPSigned(t, commandsURL, httpFormType, good)
				req.Header.Del("X-Slack-Signature")
				return req
			}},
		{name: "OversizedBodyIs413", status: http.StatusRequestEntityTooLarge,
			req: signed("/slack/commands", httpFormType, good+"&pad="+strings.Repeat("x", MaxBody))},
		{name: "UnsignedWithWrongContentTypeIs401", status: http.StatusUnauthorized,
			req: func(t *testing.T) *http.Request {
				return MustHTTPRequest(t, http.MethodPost, commandsURL, httpJSONType, good)
			}},
		{name: "JSONOnCommandsIs415", status: http.StatusUnsupportedMediaType,
			req: signed("/slack/commands", httpJSONType, good)},
		{name: "NoContentTypeOnCommandsIs415", status: http.StatusUnsupportedMediaType,
			req: signed("/slack/commands", "", good)},
		{name: "FormOnEventsIs415", status: http.StatusUnsupportedMediaType,
			req: signed("/slack/events", httpFormType, string(mustHTTPTestdata(t, "url_verification.json")))},
		{name: "FormWithoutCommandIs400", status: http.StatusBadRequest,
			req: signed("/slack/commands", httpFormType, f.slashBody("command", "", "text", "add x 1.0 2027-01-15"))},
		{name: "FormWithoutUserIs400", status: http.StatusBadRequest,
			req: signed("/slack/commands", httpFormType, f.releaseBody("add x 1.0 2027-01-15", "user_id", ""))},
		{name: "InteractionPayloadNotJSONIs400", status: http.StatusBadRequest,
			req: signed("/slack/interactions", httpFormType, "payload=not-json")},
		{name: "InteractionWithoutPayloadIs400", status: http.StatusBadRequest,
			req: signed("/slack/interactions", httpFormType, "token=x")},
		{name: "InteractionPayloadOnlyInQueryIs400", status: http.StatusBadRequest,
			// The signature covers the body only (slack-go 0.35.0 fix).
			req: signed("/slack/interactions?payload="+url.QueryEscape(httpSubmissionJSON(t, httpGoodForm())), httpFormType, "")},
		{name: "EventNotJSONIs400", status: http.StatusBadRequest,
			req: signed("/slack/events", httpJSONType, `{"type":"event_callback","event":`)},
		{name: "UnsubscribedEventTypeIsAcknowledged", status: http.StatusOK, empty: true,
			req: signed("/slack/events", httpJSONType, `{"type":"event_callback","event_id":"EvX","event":{"type":"some_future_event","user":"U1"}}`)},
		{name: "GetOnCommandsIs405", status: http.StatusMethodNotAllowed,
			req: func(t *testing.T) *http.Request {
				return MustHTTPRequest(t, http.MethodGet, commandsURL, "", "")
			}},
		{name: "GetOnEventsIs405", status: http.StatusMethodNotAllowed,
			req: func(t *testing.T) *http.Request {
				return MustHTTPRequest(t, http.MethodGet, f.Server.URL+"/slack/events", "", "")
			}},
		{name: "SSLCheckIsEmpty200", status: http.StatusOK, empty: true,
			req: signed("/slack/commands", httpFormType, "ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO")},
		{name: "UnknownCommandGetsHelp", status: http.StatusOK, ephemeral: true,
			want: []string{"/deploy", "/release help"},
			req:  signed("/slack/commands", httpFormType, f.slashBody("command", "/deploy", "text", "prod"))},
		{name: "SlackDocSampleCommandIsNotOurs", status: http.StatusOK, ephemeral: true,
			want: []string{"/weather", "/release help"},
			req:  signed("/slack/commands", httpFormType, f.slashBody())},
		{name: "UnknownSubcommandGetsHelp", status: http.StatusOK, ephemeral: true,
			want: []string{`no command "frobnicate"`, "/release help"},
			req:  signed("/slack/commands", httpFormType, f.releaseBody("frobnicate payments"))},
		{name: "MisspelledSubcommandGetsSuggestion", status: http.StatusOK, ephemeral: true,
			want: []string{"did you mean ship?", "Usage:"},
			req:  signed("/slack/commands", httpFormType, f.releaseBody("shp payments@2.3.0"))},
		{name: "BadDateGetsUsage", status: http.StatusOK, ephemeral: true,
			want: []string{"someday", "Usage:", "Example:"},
			req:  signed("/slack/commands", httpFormType, f.releaseBody("add auth 1.4.0 someday"))},
		{name: "DuplicateAddIsRefused", status: http.StatusOK, ephemeral: true,
			want: []string{"already exists"},
			req:  signed("/slack/commands", httpFormType, f.releaseBody("add payments 2.3.0 2027-02-01"))},
		{name: "BareAddWithoutTriggerGetsUsage", status: http.StatusOK, ephemeral: true,
			want: []string{"Usage:"},
			req:  signed("/slack/commands", httpFormType, f.releaseBody("add", "trigger_id", ""))},
		{name: "UnhandledBlockActionIsAcked", status: http.StatusOK, empty: true,
			req: signed("/slack/interactions", httpFormType,
				url.Values{"payload": {string(mustHTTPTestdata(t, "block_actions.json"))}}.Encode())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.MustState(t)
			res := f.MustDo(t, tt.req(t))
			if res.Status >= 500 {
				t.Errorf("status = %d; a bad request must never be a server error", res.Status)
			}
			if res.Status != tt.status {
				t.Errorf("status = %d; want %d (body %q)", res.Status, tt.status, res.Body)
			}
			text := res.Body
			if tt.ephemeral {
				// What the user sees: the blocks (the text is a one-line summary).
				text = MustHTTPEphemeral(t, res).Text
				text += "\n" + strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(res.Body)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("reply %q does not contain %q", text, w)
				}
			}
			if tt.empty && res.Body != "" {
				t.Errorf("body = %q; want empty", res.Body)
			}
			f.Slack.Wait()
			if after := f.MustState(t); after != before {
				t.Errorf("store changed: %+v -> %+v", before, after)
			}
		})
	}
}

// httpSigningVector is Slack's official signing example (SLACK.md §2).
type httpSigningVector struct {
	Secret, Timestamp, Body, Signature string
}

func mustHTTPSigningVector(tb testing.TB) httpSigningVector {
	tb.Helper()
	var v httpSigningVector
	if err := json.Unmarshal(mustHTTPTestdata(tb, "signing_vector.json"), &v); err != nil {
		tb.Fatal(err)
	}
	return v
}

func (v httpSigningVector) request(tb testing.TB, url string) *http.Request {
	tb.Helper()
	req := MustHTTPRequest(tb, http.MethodPost, url, httpFormType, v.Body)
	req.Header.Set("X-Slack-Request-Timestamp", v.Timestamp)
	req.Header.Set("X-Slack-Signature", v.Signature)
	return req
}

func TestHTTPOfficialSigningVector(t *testing.T) {
	v := mustHTTPSigningVector(t)

	t.Run("HelperSignsLikeSlack", func(t *testing.T) {
		if got := httpSignature(v.Secret, v.Timestamp, v.Body); got != v.Signature {
			t.Errorf("httpSignature(%q, %q, body) = %q; want %q", v.Secret, v.Timestamp, got, v.Signature)
		}
	})

	t.Run("RejectedAsStaleOnTheRealClock", func(t *testing.T) {
		f := MustHTTPFixture(t)
		h := &HTTP{Slack: f.Slack, SigningSecret: v.Secret, Metrics: f.Metrics}
		srv := httptest.NewServer(h.Handler())
		defer srv.Close()
		before := f.MustState(t)
		res, err := httpDo(srv.Client(), v.request(t, srv.URL+"/slack/commands"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusUnauthorized || !strings.Contains(res.Body, "stale") {
			t.Errorf("official vector of 2018: status %d, body %q; want 401 stale", res.Status, res.Body)
		}
		if after := f.MustState(t); after != before {
			t.Errorf("store changed: %+v -> %+v", before, after)
		}
	})

	// The same request is accepted when the clock reads its timestamp: the
	// 401 above is the replay window, not a signing mismatch.
	t.Run("AcceptedWithinItsWindow", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ts, err := strconv.ParseInt(v.Timestamp, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			// In the bubble this only moves the fake clock to 30 s after
			// the vector's timestamp.
			time.Sleep(time.Until(time.Unix(ts+30, 0)))
			h := &HTTP{Slack: &Slack{}, SigningSecret: v.Secret}
			rec := httptest.NewRecorder()
			h.Handler().ServeHTTP(rec, v.request(t, "http://relman.test/slack/commands"))
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/webhook-collect") {
				t.Errorf("official vector at its time: status %d, body %q; want 200 naming /webhook-collect", rec.Code, rec.Body.String())
			}
		})
	})
}

// httpEvent is the app_home_opened fixture with the given changes to its
// inner event; eventID "" keeps Ev1.
func httpEvent(tb testing.TB, eventID string, inner map[string]any) string {
	tb.Helper()
	var ev map[string]any
	if err := json.Unmarshal(mustHTTPTestdata(tb, "app_home_opened.json"), &ev); err != nil {
		tb.Fatal(err)
	}
	if eventID != "" {
		ev["event_id"] = eventID
	}
	maps.Copy(ev["event"].(map[string]any), inner)
	b, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestHTTPEvents(t *testing.T) {
	t.Run("AnswersURLVerificationWithTheChallenge", func(t *testing.T) {
		f := MustHTTPFixture(t)
		body := mustHTTPTestdata(t, "url_verification.json")
		var challenge struct{ Challenge string }
		if err := json.Unmarshal(body, &challenge); err != nil {
			t.Fatal(err)
		}
		res := f.MustPost(t, "/slack/events", httpJSONType, string(body))
		if res.Status != http.StatusOK || res.Body != challenge.Challenge {
			t.Errorf("url_verification = %d %q; want 200 %q", res.Status, res.Body, challenge.Challenge)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type = %q; want text/plain", ct)
		}
	})

	t.Run("PublishesHomeOnceDespiteRetries", func(t *testing.T) {
		f := MustHTTPFixture(t)
		MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType,
			f.releaseBody("add payments 2.3.0 2027-01-15", "user_id", "U1")))
		MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType,
			f.releaseBody("add billing 9.9.9 2027-03-01", "user_id", "U2")))
		event := httpEvent(t, "", nil)

		res := f.MustPost(t, "/slack/events", httpJSONType, event)
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("app_home_opened = %d %q; want 200 and no body", res.Status, res.Body)
		}
		calls := f.MustWaitCalls(t, "views.publish", 1)
		if got := calls[0].Param("user_id"); got != "U1" {
			t.Errorf("views.publish user_id = %q; want U1", got)
		}

		// Slack's retry of the same event, as after a timeout.
		retry := MustHTTPSigned(t, f.Server.URL+"/slack/events", httpJSONType, event)
		retry.Header.Set("X-Slack-Retry-Num", "1")
		retry.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		if res := f.MustDo(t, retry); res.Status != http.StatusOK {
			t.Fatalf("retried app_home_opened = %d %q; want 200", res.Status, res.Body)
		}
		f.Slack.Wait()
		if n := len(f.Fake.CallsTo("views.publish")); n != 1 {
			t.Errorf("views.publish called %d times after a retry; want 1", n)
		}

		home, ok := f.Fake.HomeView("U1")
		if !ok {
			t.Fatal("no Home tab published for U1")
		}
		if !bytes.Contains(home.Blocks, []byte("payments@2.3.0")) {
			t.Errorf("U1's Home tab does not list payments@2.3.0: %s", home.Blocks)
		}
		if bytes.Contains(home.Blocks, []byte("billing@9.9.9")) {
			t.Errorf("U1's Home tab lists U2's release: %s", home.Blocks)
		}
	})

	// Slack sends the current Home view along with app_home_opened; with
	// slack-go's strict block decoding a block it cannot read would make
	// the whole event fail.
	t.Run("DecodesEventCarryingThePublishedHome", func(t *testing.T) {
		f := MustHTTPFixture(t)
		MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType,
			f.releaseBody("add payments 2.3.0 2027-01-15", "user_id", "U1")))
		f.Slack.PublishHome(context.Background(), "U1")
		home, ok := f.Fake.HomeView("U1")
		if !ok {
			t.Fatal("no Home tab published for U1")
		}
		var view map[string]any
		if err := json.Unmarshal(home.JSON, &view); err != nil {
			t.Fatal(err)
		}
		res := f.MustPost(t, "/slack/events", httpJSONType, httpEvent(t, "Ev2", map[string]any{"view": view}))
		if res.Status != http.StatusOK {
			t.Fatalf("app_home_opened with its view = %d %q; want 200", res.Status, res.Body)
		}
		f.MustWaitCalls(t, "views.publish", 2)
	})

	t.Run("IgnoresTheMessagesTab", func(t *testing.T) {
		f := MustHTTPFixture(t)
		res := f.MustPost(t, "/slack/events", httpJSONType, httpEvent(t, "Ev3", map[string]any{"tab": "messages"}))
		if res.Status != http.StatusOK {
			t.Fatalf("app_home_opened (messages) = %d %q; want 200", res.Status, res.Body)
		}
		f.Slack.Wait()
		if n := len(f.Fake.CallsTo("views.publish")); n != 0 {
			t.Errorf("views.publish called %d times for the messages tab; want 0", n)
		}
	})
}

// httpSubmissionJSON is the view_submission fixture (SLACK.md §3.3's sample
// with the add-release modal's blocks, block IDs and action IDs) filled with
// form.
func httpSubmissionJSON(tb testing.TB, form blockkit.AddReleaseForm) string {
	tb.Helper()
	blocks, err := json.Marshal(blockkit.AddReleaseModal(form.Channel, form.Owner, "").Blocks)
	if err != nil {
		tb.Fatal(err)
	}
	str := func(s string) string {
		b, err := json.Marshal(s)
		if err != nil {
			tb.Fatal(err)
		}
		return string(b)
	}
	return strings.NewReplacer(
		`"{{blocks}}"`, string(blocks),
		`"{{channel}}"`, str(form.Channel),
		`"{{product}}"`, str(form.Product),
		`"{{version}}"`, str(form.Version),
		`"{{date}}"`, str(form.Date),
		`"{{owner}}"`, str(form.Owner),
		`"{{news_channel}}"`, str(form.NewsChannel),
		`"{{stages}}"`, str(form.Stages),
	).Replace(string(mustHTTPTestdata(tb, "view_submission.json")))
}

// httpSubmission is the form body Slack posts for a view_submission.
func httpSubmission(tb testing.TB, form blockkit.AddReleaseForm) string {
	tb.Helper()
	return url.Values{"payload": {httpSubmissionJSON(tb, form)}}.Encode()
}

func httpGoodForm() blockkit.AddReleaseForm {
	return blockkit.AddReleaseForm{Channel: httpChannel, Product: "payments", Version: "2.3.0",
		Date: "2027-01-15", Owner: "U777", NewsChannel: "C555"}
}

// httpFieldErrors is a view_submission reply with field errors.
type httpFieldErrors struct {
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
}

func mustHTTPFieldErrors(tb testing.TB, res httpResult) httpFieldErrors {
	tb.Helper()
	if res.Status != http.StatusOK {
		tb.Fatalf("status = %d; want 200 (body %q)", res.Status, res.Body)
	}
	var fe httpFieldErrors
	if err := json.Unmarshal([]byte(res.Body), &fe); err != nil {
		tb.Fatalf("reply is not JSON: %v: %q", err, res.Body)
	}
	if fe.ResponseAction != "errors" {
		tb.Errorf("response_action = %q; want errors", fe.ResponseAction)
	}
	return fe
}

func TestHTTPAddModal(t *testing.T) {
	t.Run("SubmissionFixtureDecodesWithSlackGo", func(t *testing.T) {
		want := httpGoodForm()
		req := MustHTTPRequest(t, http.MethodPost, "http://relman.test/slack/interactions", httpFormType, httpSubmission(t, want))
		ic, err := slack.InteractionCallbackParse(req)
		if err != nil {
			t.Fatal(err)
		}
		if ic.Type != slack.InteractionTypeViewSubmission || ic.View.CallbackID != blockkit.AddReleaseCallback {
			t.Errorf("decoded type %q, callback %q; want %q, %q", ic.Type, ic.View.CallbackID, slack.InteractionTypeViewSubmission, blockkit.AddReleaseCallback)
		}
		if len(ic.View.Blocks.BlockSet) != 6 {
			t.Errorf("decoded %d blocks; want the modal's 6", len(ic.View.Blocks.BlockSet))
		}
		if diff := cmp.Diff(want, blockkit.ParseAddRelease(ic.View)); diff != "" {
			t.Errorf("ParseAddRelease (-want +got):\n%s", diff)
		}
	})

	t.Run("BareAddOpensTheModal", func(t *testing.T) {
		f := MustHTTPFixture(t)
		trigger := f.Fake.NewTrigger()
		res := f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("add", "trigger_id", trigger))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("/release add = %d %q; want 200 and no body", res.Status, res.Body)
		}
		f.Slack.Wait()
		calls := f.Fake.CallsTo("views.open")
		if len(calls) != 1 {
			t.Fatalf("views.open called %d times; want 1", len(calls))
		}
		if got := calls[0].Param("trigger_id"); got != trigger {
			t.Errorf("views.open trigger_id = %q; want %q", got, trigger)
		}
		var view struct {
			CallbackID      string `json:"callback_id"`
			PrivateMetadata string `json:"private_metadata"`
		}
		if err := json.Unmarshal([]byte(calls[0].Param("view")), &view); err != nil {
			t.Fatalf("views.open view: %v", err)
		}
		if view.CallbackID != blockkit.AddReleaseCallback || view.PrivateMetadata != httpChannel {
			t.Errorf("opened view callback_id %q, private_metadata %q; want %q, %q", view.CallbackID, view.PrivateMetadata, blockkit.AddReleaseCallback, httpChannel)
		}
		var answer struct {
			OK    bool
			Error string
		}
		if err := json.Unmarshal([]byte(calls[0].Response), &answer); err != nil || !answer.OK {
			t.Errorf("views.open answered %s; want ok", calls[0].Response)
		}
		if n := len(f.Fake.CallsTo("response_url")); n != 0 {
			t.Errorf("response_url used %d times; want 0 when the modal opened", n)
		}
	})

	// commands.Service documents a nil Loc as UTC; opening the modal must
	// not panic on it.
	t.Run("BareAddOpensTheModalWithoutAZone", func(t *testing.T) {
		f := MustHTTPFixture(t)
		f.Service.Loc = nil // before any request is in flight
		res := f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("add", "trigger_id", f.Fake.NewTrigger()))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("/release add = %d %q; want 200 and no body", res.Status, res.Body)
		}
		calls := f.MustWaitCalls(t, "views.open", 1)
		if !strings.Contains(calls[0].Param("view"), `"initial_date":"2027-01-18"`) {
			t.Errorf("modal's date is not today + 14 days (2027-01-18): %s", calls[0].Param("view"))
		}
	})

	t.Run("RefusedTriggerGetsUsageByResponseURL", func(t *testing.T) {
		f := MustHTTPFixture(t)
		res := f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("add", "trigger_id", "13345224609.738474920.expired"))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("/release add = %d %q; want 200 and no body", res.Status, res.Body)
		}
		f.Slack.Wait()
		posts := f.Fake.CallsTo("response_url")
		if len(posts) != 1 {
			t.Fatalf("response_url used %d times; want 1", len(posts))
		}
		if text := posts[0].Param("text"); !strings.Contains(text, "/release add") {
			t.Errorf("response_url text = %q; want the usage of /release add", text)
		}
	})

	t.Run("BadProductGetsFieldError", func(t *testing.T) {
		f := MustHTTPFixture(t)
		before := f.MustState(t)
		form := httpGoodForm()
		form.Product = "Bad Name!"
		res := f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, form))
		fe := mustHTTPFieldErrors(t, res)
		if _, ok := fe.Errors[blockkit.BlockProduct]; !ok || len(fe.Errors) != 1 {
			t.Errorf("errors = %v; want one on %q", fe.Errors, blockkit.BlockProduct)
		}
		checkHTTPGolden(t, "submit_bad_product.golden.json", []byte(res.Body))
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Errorf("store changed: %+v -> %+v", before, after)
		}
	})

	t.Run("MissingDateGetsFieldError", func(t *testing.T) {
		f := MustHTTPFixture(t)
		before := f.MustState(t)
		form := httpGoodForm()
		form.Date = ""
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, form)))
		if _, ok := fe.Errors[blockkit.BlockDate]; !ok || len(fe.Errors) != 1 {
			t.Errorf("errors = %v; want one on %q", fe.Errors, blockkit.BlockDate)
		}
		if after := f.MustState(t); after != before {
			t.Errorf("store changed: %+v -> %+v", before, after)
		}
	})

	t.Run("EveryBadFieldAtOnce", func(t *testing.T) {
		f := MustHTTPFixture(t)
		before := f.MustState(t)
		form := httpGoodForm()
		form.Product, form.Version, form.Date, form.Owner, form.NewsChannel = "Bad Name!", "2.3 beta", "2026-12-31", "", "D0123456789"
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, form)))
		want := map[string]string{
			blockkit.BlockProduct: `"Bad Name!" is not a product name`,
			blockkit.BlockVersion: `"2.3 beta" is not a version`,
			blockkit.BlockDate:    "Thu 2026-12-31 is in the past; pick today (Mon 2027-01-04) or later.",
			blockkit.BlockOwner:   "Pick who owns the release.",
			blockkit.BlockChannel: "direct message",
		}
		got := map[string]string{}
		for block, msg := range fe.Errors {
			got[block] = msg
			if w, ok := want[block]; ok && strings.Contains(msg, w) {
				got[block] = w
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("field errors (-want +got):\n%s", diff)
		}
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Errorf("store changed: %+v -> %+v", before, after)
		}
	})

	t.Run("BadVersionIsReportedWithABadProduct", func(t *testing.T) {
		f := MustHTTPFixture(t)
		form := httpGoodForm()
		form.Product, form.Version = "Bad Name!", "2.3 beta"
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, form)))
		if _, ok := fe.Errors[blockkit.BlockVersion]; !ok || len(fe.Errors) != 2 {
			t.Errorf("errors = %v; want one on %q and one on %q", fe.Errors, blockkit.BlockProduct, blockkit.BlockVersion)
		}
	})

	t.Run("FormOpenedInADMNeedsAChannel", func(t *testing.T) {
		f := MustHTTPFixture(t)
		form := httpGoodForm()
		form.Channel, form.NewsChannel = "D0123456789", ""
		before := f.MustState(t)
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, form)))
		if msg, ok := fe.Errors[blockkit.BlockChannel]; !ok || len(fe.Errors) != 1 || !strings.Contains(msg, "direct message") {
			t.Errorf("errors = %v; want one on %q about the direct message", fe.Errors, blockkit.BlockChannel)
		}
		if after := f.MustState(t); after != before {
			t.Errorf("store changed: %+v -> %+v", before, after)
		}
	})

	t.Run("TodayIsAccepted", func(t *testing.T) {
		f := MustHTTPFixture(t)
		form := httpGoodForm()
		form.Date = "2027-01-04"
		res := f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, form))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("view_submission for today = %d %q; want 200 and no body", res.Status, res.Body)
		}
		if rel := f.MustRelease(t, "payments@2.3.0"); rel.Target.String() != "2027-01-04" {
			t.Errorf("stored target = %s; want 2027-01-04", rel.Target)
		}
		f.Slack.Wait()
	})

	t.Run("GoodSubmissionClosesModalAndStores", func(t *testing.T) {
		f := MustHTTPFixture(t)
		res := f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, httpGoodForm()))
		if res.Status != http.StatusOK || res.Body != "" {
			t.Fatalf("view_submission = %d %q; want 200 and no body (closes the modal)", res.Status, res.Body)
		}
		rel := f.MustRelease(t, "payments@2.3.0")
		got := [4]string{rel.Owner, rel.Channel, rel.Target.String(), rel.CreatedBy}
		if want := [4]string{"U777", "C555", "2027-01-15", "U1234567"}; got != want {
			t.Errorf("stored owner, channel, target, created by = %q; want %q", got, want)
		}
		if q := f.MustOutbox(t); len(q) != 1 || q[0].Channel != "C555" {
			t.Errorf("outbox = %+v; want one message to C555", q)
		}
		f.Slack.Wait()
		eph := f.Fake.Ephemerals(httpChannel)
		if len(eph) != 1 || eph[0].Recipient != "U1234567" || !strings.Contains(eph[0].Text, "Added") {
			t.Errorf("ephemerals in %s = %+v; want the confirmation for U1234567", httpChannel, eph)
		}
	})

	t.Run("TargetInsideAFreezeGetsDateError", func(t *testing.T) {
		f := MustHTTPFixture(t)
		err := f.Store.Update(context.Background(), "UROOT", f.Clock.Now(), func(tx *store.Tx) error {
			if err := tx.PutProduct("product.create", &store.Product{Name: "payments"}); err != nil {
				return err
			}
			return tx.NewFreeze("freeze.add", &store.Freeze{Products: []string{"payments"}, From: store.NewDate(2027, 1, 11), To: store.NewDate(2027, 1, 17), Reason: "the audit"})
		})
		if err != nil {
			t.Fatal(err)
		}
		before := f.MustState(t)
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, httpGoodForm())))
		if msg, ok := fe.Errors[blockkit.BlockDate]; !ok || len(fe.Errors) != 1 || !strings.Contains(msg, "payments is frozen from Mon 2027-01-11 to Sun 2027-01-17 (FZ-1: the audit)") {
			t.Errorf("errors = %v; want one on %q naming the freeze", fe.Errors, blockkit.BlockDate)
		}
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Errorf("store changed: %+v -> %+v", before, after)
		}
	})

	t.Run("DuplicateGetsVersionError", func(t *testing.T) {
		f := MustHTTPFixture(t)
		MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("add payments 2.3.0 2027-02-01")))
		before := f.MustState(t)
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, httpGoodForm())))
		if msg, ok := fe.Errors[blockkit.BlockVersion]; !ok || len(fe.Errors) != 1 || !strings.Contains(msg, "already exists") {
			t.Errorf("errors = %v; want one on %q saying it already exists", fe.Errors, blockkit.BlockVersion)
		}
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Errorf("store changed: %+v -> %+v", before, after)
		}
		if rel := f.MustRelease(t, "payments@2.3.0"); rel.Owner != httpUser || rel.Target.String() != "2027-02-01" {
			t.Errorf("existing release changed: owner %s, target %s", rel.Owner, rel.Target)
		}
	})
}

func TestHTTPMetrics(t *testing.T) {
	t.Run("CountsRequestsByEndpointAndStatus", func(t *testing.T) {
		f := MustHTTPFixture(t)
		for _, text := range []string{"add payments 2.3.0 2027-01-15", "add auth 1.4.0 2027-01-20"} {
			MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody(text)))
		}
		unsigned := MustHTTPRequest(t, http.MethodPost, f.Server.URL+"/slack/commands", httpFormType, f.releaseBody("add x 1.0 2027-01-15"))
		if res := f.MustDo(t, unsigned); res.Status != http.StatusUnauthorized {
			t.Fatalf("unsigned = %d; want 401", res.Status)
		}
		res := f.MustGet(t, "/metrics")
		if res.Status != http.StatusOK {
			t.Fatalf("GET /metrics = %d; want 200", res.Status)
		}
		lines := strings.Split(res.Body, "\n")
		for _, want := range []string{
			`relman_http_requests_total{endpoint="commands",status="200"} 2`,
			`relman_http_requests_total{endpoint="commands",status="401"} 1`,
			`relman_command_duration_seconds_count{command="/release add",outcome="ok"} 2`,
		} {
			found := false
			for _, l := range lines {
				found = found || l == want
			}
			if !found {
				t.Errorf("GET /metrics lacks the line %s", want)
			}
		}
		if !strings.Contains(res.Body, "relman_command_duration_seconds_bucket{") {
			t.Errorf("GET /metrics has no relman_command_duration_seconds histogram")
		}
	})

	t.Run("HealthzIsOK", func(t *testing.T) {
		f := MustHTTPFixture(t)
		res := f.MustGet(t, "/healthz")
		if res.Status != http.StatusOK || res.Body != "ok\n" {
			t.Errorf("GET /healthz = %d %q; want 200 %q", res.Status, res.Body, "ok\n")
		}
	})
}

func TestAdminBackup(t *testing.T) {
	t.Run("BackupOpensAndHoldsTheReleases", func(t *testing.T) {
		f := MustHTTPFixture(t)
		for _, text := range []string{"add payments 2.3.0 2027-01-15", "add auth 1.4.0 2027-01-20"} {
			MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody(text)))
		}
		admin := httptest.NewServer(AdminHandler(f.Store.Backup, f.Clock))
		defer admin.Close()
		res, err := httpDo(admin.Client(), MustHTTPRequest(t, http.MethodGet, admin.URL+"/backup", "", ""))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusOK {
			t.Fatalf("GET /backup = %d %q; want 200", res.Status, res.Body)
		}
		if cd, want := res.Header.Get("Content-Disposition"), `attachment; filename="relman-20270104T090000Z.db"`; cd != want {
			t.Errorf("Content-Disposition = %q; want %q", cd, want)
		}
		path := filepath.Join(t.TempDir(), "backup.db")
		if err := os.WriteFile(path, []byte(res.Body), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := boltdb.Open(path, boltdb.Options{})
		if err != nil {
			t.Fatalf("backup does not open: %v", err)
		}
		defer st.Close()
		var got []string
		if err := st.View(context.Background(), func(tx *store.Tx) error {
			rs, err := tx.Releases()
			for _, r := range rs {
				got = append(got, r.Key())
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"auth@1.4.0", "payments@2.3.0"}, got); diff != "" {
			t.Errorf("releases in the backup (-want +got):\n%s", diff)
		}
	})
}

func TestHTTPConcurrentCommands(t *testing.T) {
	t.Run("AllAcknowledgedAndStored", func(t *testing.T) {
		const workers, each = 16, 10
		f := MustHTTPFixture(t)
		var wg sync.WaitGroup
		var acked atomic.Int64
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					body := f.releaseBody(fmt.Sprintf("add p%d %d.%d.0 2027-02-01", w, w, i), "user_id", fmt.Sprintf("U%03d", w))
					req, err := newHTTPSignedRequest(f.Server.URL+"/slack/commands", httpFormType, body)
					if err != nil {
						t.Error(err)
						return
					}
					res, err := httpDo(f.Server.Client(), req)
					switch {
					case err != nil:
						t.Errorf("worker %d, command %d: %v", w, i, err)
					case res.Status != http.StatusOK || !strings.Contains(res.Body, "Added"):
						t.Errorf("worker %d, command %d: %d %q; want 200 Added", w, i, res.Status, res.Body)
					default:
						acked.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n := acked.Load(); n != workers*each {
			t.Errorf("%d commands acknowledged with Added; want %d", n, workers*each)
		}
		want := httpState{Releases: workers * each, Audit: workers*each + workers, Outbox: workers * each}
		if got := f.MustState(t); got != want {
			t.Errorf("state = %+v; want %+v (a release, an audit entry each and one per new product, a message each)", got, want)
		}
	})
}
