package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"relman/bot/blockkit"
	"relman/bot/slackfake"
	"relman/commands"
	"relman/commands/render"
	"relman/store"
	"relman/store/boltdb"
)

// The fuzz targets feed what Slack (or anyone who can reach relman) sends
// to relman's real entry points: for HTTP, a request signed with the
// fixture's secret through the HTTP handler, so every input gets past the
// signature check to the decoders; for Socket Mode, an envelope over the
// fake's websocket to slack-go's client and SocketMode.handle. Each target
// builds its fixture once (a bbolt store in a temp dir, the fake Slack) and
// checks every input: no panic, no 5xx, and a refused input (a 4xx, an
// envelope slack-go cannot decode) leaves the whole database as it was (a
// hash of its backup, mustDump). Run one with
//
//	go test ./bot -run '^$' -fuzz '^FuzzSlashCommand$' -fuzztime 60s

// fuzzHTTP is an httpFixture whose handler the fuzz targets call in
// process (no socket per input).
type fuzzHTTP struct {
	*httpFixture
	handler http.Handler
}

// mustFuzzHTTP starts the fixture a fuzz target shares between its inputs:
// the one of the HTTP tests, with a release, an external item and a change
// request to act on, and response_url posts kept on the fake. Its bbolt
// file skips fsync: on a busy disk one takes 100 ms, and the fuzzer (its
// minimizer above all) would spend its time waiting for them.
func mustFuzzHTTP(f testing.TB) *fuzzHTTP {
	f.Helper()
	fx := mustHTTPFixtureOn(f, boltdb.Options{NoSync: true})
	keepWebhooksOn(f, fx.Fake)
	svc := fx.Slack.Dispatcher.Service
	svc.Admins = []string{ccbAdmin}
	ctx := context.Background()
	for _, line := range []struct{ command, text string }{
		{"/release", "add payments 2.3.0 2027-01-15 channel <#" + ccbChannel + "|payments>"},
		{"/release", "add mobile 5.0 2027-01-29 owner <@" + actionOwner + "> channel <#C0MOB|mobile>"},
		{"/release", "depend mobile@5.0 on payments@2.3.0"},
		{"/release", `depend mobile@5.0 on external "Stripe SDK" due 2027-01-20 owner <@` + actionOwner + `>`},
		{"/ccb", "board payments members add <@" + ccbAdmin + "> <@" + actionOwner + ">"},
		{"/ccb", "request payments@2.3.0 Bump the TLS library"},
	} {
		r := svc.Execute(ctx, commands.Request{User: ccbAdmin, Channel: httpChannel, Command: line.command, Text: line.text})
		if !r.OK() {
			f.Fatalf("%s %s: %s", line.command, line.text, r.Doc.Text)
		}
	}
	return &fuzzHTTP{httpFixture: fx, handler: fx.Server.Config.Handler}
}

// keepWebhooksOn keeps slack-go's response_url posts (which go through
// http.DefaultClient) on fake for as long as tb runs: a fuzzed response_url
// is refused unless it points at fake, so no input reaches the network or
// another local server.
func keepWebhooksOn(tb testing.TB, fake *slackfake.Server) {
	tb.Helper()
	u, err := url.Parse(fake.URL())
	if err != nil {
		tb.Fatal(err)
	}
	old := http.DefaultClient.Transport
	next := old
	if next == nil {
		next = http.DefaultTransport
	}
	http.DefaultClient.Transport = fakeOnly{host: u.Host, next: next}
	tb.Cleanup(func() { http.DefaultClient.Transport = old })
}

// fakeOnly sends requests for host on, and refuses every other.
type fakeOnly struct {
	host string
	next http.RoundTripper
}

func (t fakeOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host {
		return nil, fmt.Errorf("fuzz: refusing to post to %q outside the fake Slack", req.URL.Host)
	}
	return t.next.RoundTrip(req)
}

// dumpSeed keys the hashes mustDump compares within one process.
var dumpSeed = maphash.MakeSeed()

// mustDump is a hash of the whole database as a backup writes it (bbolt's
// pages, meta pages included): equal hashes mean nothing was committed in
// between. Hashing is several times cheaper than keeping the bytes.
func mustDump(tb testing.TB, st *store.Store) uint64 {
	tb.Helper()
	var h maphash.Hash
	h.SetSeed(dumpSeed)
	if _, err := st.Backup(context.Background(), &h); err != nil {
		tb.Fatal(err)
	}
	return h.Sum64()
}

// post sends body to path as Slack would, signed now, waits for the
// background work it started, and checks the answer: not 401 (the fuzzer
// must reach the decoders), never 5xx, a JSON body when it says JSON, and
// a refusal (4xx) changes nothing in the database.
func (z *fuzzHTTP) post(t *testing.T, path, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	before := mustDump(t, z.Store)
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	httpSign(req.Header, httpSecret, time.Now(), string(body))
	rec := httptest.NewRecorder()
	z.handler.ServeHTTP(rec, req)
	z.Slack.Wait()
	switch {
	case rec.Code == http.StatusUnauthorized:
		t.Fatalf("POST %s = 401 %q: the signed request did not reach the decoder", path, rec.Body)
	case rec.Code >= 500:
		t.Fatalf("POST %s = %d %q; a request from Slack must never be a server error\nbody: %q", path, rec.Code, rec.Body, body)
	case rec.Code >= 400:
		if after := mustDump(t, z.Store); after != before {
			t.Fatalf("POST %s refused with %d %q, but the database changed\nbody: %q", path, rec.Code, rec.Body, body)
		}
	}
	if rec.Header().Get("Content-Type") == httpJSONType && !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("POST %s answered invalid JSON: %q\nbody: %q", path, rec.Body, body)
	}
	return rec
}

// interaction posts payload (the JSON of an interactivity request) in the
// form Slack posts it.
func (z *fuzzHTTP) interaction(t *testing.T, payload string) {
	t.Helper()
	z.post(t, "/slack/interactions", httpFormType, []byte(url.Values{"payload": {payload}}.Encode()))
}

// payloadOf is the JSON payload of an interactivity form body.
func payloadOf(tb testing.TB, form string) string {
	tb.Helper()
	v, err := url.ParseQuery(form)
	if err != nil {
		tb.Fatal(err)
	}
	return v.Get("payload")
}

// fuzzMessage is a message of relman's with button in it, as a click on it
// carries it.
func fuzzMessage(tb testing.TB, channel string, button store.Button) slackfake.Message {
	tb.Helper()
	doc := store.Doc{Text: "Is “Stripe SDK” still due Wed 2027-01-20?", Buttons: []store.Button{button}}
	doc.Sections = []store.Section{{Text: doc.Text}}
	blocks, err := json.Marshal(blockkit.Blocks(doc, ""))
	if err != nil {
		tb.Fatal(err)
	}
	return slackfake.Message{Channel: channel, TS: "1767517200.000100", Text: doc.Text, Blocks: blocks}
}

func FuzzSlashCommand(f *testing.F) {
	z := mustFuzzHTTP(f)
	f.Add(strings.TrimSpace(string(mustHTTPTestdata(f, "slash_command.form"))))
	f.Add("ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO")
	f.Add(z.releaseBody("add", "trigger_id", z.Fake.NewTrigger()))
	for _, text := range []string{
		"", "help", "help add", "list", "list at-risk mine", "list due 2w", "list externals",
		"add auth 1.4.0 2027-01-20 owner <@U123|sam> channel <#C999|mobile>",
		"add <mailto:Payments@2.4.0|payments@2.4.0> +2w anyway",
		"show payments@2.3.0", "impact payments@2.3.0", "history mobile@5.0",
		"move payments@2.3.0 +3w because the audit slipped", "move payments@2.3.0 fri because x preview",
		"depend payments@2.3.0 on mobile@5.0", `confirm external "Stripe SDK" due 2027-01-22`,
		"set payments@2.3.0 owner <@U0BOB>", "role payments release-manager <@U0SAM>",
		"digest daily 09:00 me payments", "digest now", "ship payments@2.3.0 on 2027-01-15 anyway",
		"calendar", "timeline", "ccb list",
	} {
		f.Add(z.releaseBody(text))
	}
	for _, text := range []string{"help", "request payments@2.3.0 Rotate keys deadline fri", "show CR-1", "vote CR-1 approve", "board payments"} {
		f.Add(z.slashBody("command", "/ccb", "text", text))
	}
	f.Fuzz(func(t *testing.T, body string) {
		z.post(t, "/slack/commands", httpFormType, []byte(body))
	})
}

func FuzzBlockActions(f *testing.F) {
	z := mustFuzzHTTP(f)
	f.Add(string(mustHTTPTestdata(f, "block_actions.json")))
	run := render.RunButton("Still on Wed 2027-01-20", `confirm external "Stripe SDK"`)
	ask := render.AskButton("New date…", render.Ask{Title: "Move Stripe SDK", Command: `confirm external "Stripe SDK" due {date}`, Date: "2027-01-20"})
	slip := render.AskButton("Will slip…", render.Ask{Title: "Move payments@2.3.0", Command: "move payments@2.3.0 {date} {reason}", Reason: true, Preview: true})
	for _, b := range []store.Button{run, ask, slip, ccbButton(1, "approve"), ccbButton(1, "reject"), ccbButton(1, "abstain")} {
		msg := fuzzMessage(f, actionChannel, b)
		f.Add(payloadOf(f, clickBody(f, z.httpFixture, actionOwner, b, msg)))
	}
	f.Fuzz(func(t *testing.T, payload string) {
		z.interaction(t, payload)
	})
}

func FuzzViewSubmission(f *testing.F) {
	z := mustFuzzHTTP(f)
	good := httpGoodForm()
	f.Add(httpSubmissionJSON(f, good))
	bad := good
	bad.Product, bad.Version, bad.Date, bad.Owner, bad.NewsChannel = "Bad Name!", "2.3 beta", "2026-12-31", "", "D0123456789"
	f.Add(httpSubmissionJSON(f, bad))
	askValues := func(date, reason string) map[string]any {
		return map[string]any{
			blockkit.BlockAskDate:   map[string]any{blockkit.ActionValue: map[string]any{"type": "datepicker", "selected_date": date}},
			blockkit.BlockAskReason: map[string]any{blockkit.ActionValue: map[string]any{"type": "plain_text_input", "value": reason}},
		}
	}
	askJSON := func(a render.Ask, run, date string) string {
		v, _ := json.Marshal(a)
		meta, _ := json.Marshal(askMeta{ID: "0123456789abcdef", Ask: string(v), Channel: actionChannel, Run: run, Date: date})
		return string(meta)
	}
	confirm := render.Ask{Title: "Move Stripe SDK", Command: `confirm external "Stripe SDK" due {date}`}
	slip := render.Ask{Title: "Move payments@2.3.0", Command: "move payments@2.3.0 {date} {reason}", Reason: true, Preview: true}
	for _, body := range []string{
		viewSubmission(f, actionOwner, "V1", blockkit.AskCallback, askJSON(confirm, "", ""), askValues("2027-01-22", "")),
		viewSubmission(f, ccbAdmin, "V2", blockkit.AskCallback, askJSON(slip, "", ""), askValues("2027-02-01", "the audit slipped")),
		viewSubmission(f, ccbAdmin, "V3", blockkit.AskCallback, askJSON(slip, "move payments@2.3.0 2027-02-01 because the audit slipped", "2027-02-01"), nil),
		viewSubmission(f, ccbAdmin, "V4", blockkit.AskCallback, "{not json", askValues("2027-02-01", "")),
		crSubmission(f, ccbAdmin, openedView{CallbackID: blockkit.CRRequestCallback, PrivateMetadata: ccbChannel + " 1767517200.000100"}, "payments@2.3.0", "Rotate keys", "2027-01-12"),
		crSubmission(f, ccbAdmin, openedView{CallbackID: blockkit.CRRequestCallback, PrivateMetadata: ccbChannel + " 1767517200.000100 1767517100.000100"}, "", "", "someday"),
	} {
		f.Add(payloadOf(f, body))
	}
	f.Fuzz(func(t *testing.T, payload string) {
		z.interaction(t, payload)
	})
}

func FuzzMessageAction(f *testing.F) {
	z := mustFuzzHTTP(f)
	ts := "1767517200.000100"
	f.Add(payloadOf(f, shortcutBody(f, z.httpFixture, ccbAdmin, ccbChannel, ts, "Can we bump the TLS library before the release?")))
	f.Add(payloadOf(f, shortcutBody(f, z.httpFixture, ccbAdmin, "D0123456789", ts, "in a DM")))
	var thread map[string]any
	if err := json.Unmarshal([]byte(payloadOf(f, shortcutBody(f, z.httpFixture, actionOwner, "C0UNKNOWN", ts, "a reply"))), &thread); err != nil {
		f.Fatal(err)
	}
	thread["message"].(map[string]any)["thread_ts"] = "1767517100.000100"
	b, err := json.Marshal(thread)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Fuzz(func(t *testing.T, payload string) {
		z.interaction(t, payload)
	})
}

func FuzzEvents(f *testing.F) {
	z := mustFuzzHTTP(f)
	f.Add(string(mustHTTPTestdata(f, "app_home_opened.json")))
	f.Add(string(mustHTTPTestdata(f, "url_verification.json")))
	f.Add(`{"type":"event_callback","event_id":"EvX","event":{"type":"some_future_event","user":"U1"}}`)
	f.Add(`{"type":"event_callback","event_id":"Ev2","event":{"type":"app_home_opened","user":"U0SAM","channel":"D1","tab":"messages"}}`)
	f.Add(`{"type":"event_callback","event_id":"Ev3","event":{"type":"app_mention","user":"U0SAM","text":"<@U0BOT> hi","ts":"1.2","channel":"C1","event_ts":"1.2"}}`)
	f.Add(`{"type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A1"}`)
	f.Fuzz(func(t *testing.T, body string) {
		rec := z.post(t, "/slack/events", httpJSONType, []byte(body))
		// url_verification echoes the challenge, and only it.
		var ch struct{ Type, Challenge string }
		if rec.Code == http.StatusOK && json.Unmarshal([]byte(body), &ch) == nil && ch.Type == "url_verification" && rec.Body.String() != ch.Challenge {
			t.Fatalf("url_verification answered %q; want the challenge %q", rec.Body, ch.Challenge)
		}
	})
}

// TestFuzzDumpSeesEveryCommit: the fuzz targets' "nothing changed" check
// holds across reads and fails after any commit, even one that touches
// neither a release nor the generation (a pending form).
func TestFuzzDumpSeesEveryCommit(t *testing.T) {
	f := MustHTTPFixture(t)
	ctx := context.Background()
	before := mustDump(t, f.Store)
	MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("list")))
	if after := mustDump(t, f.Store); after != before {
		t.Fatalf("dump changed after a lookup")
	}
	err := f.Store.Update(ctx, "U1", f.Clock.Now(), func(tx *store.Tx) error {
		return tx.PutAsk(&store.PendingAsk{ID: "a1", ResponseURL: "x", At: f.Clock.Now()}, askTTL, maxAsks)
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := mustDump(t, f.Store); after == before {
		t.Errorf("dump unchanged after a pending form was stored")
	}
}
