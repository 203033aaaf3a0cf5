package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// fuzzSocketWait bounds the wait for one envelope's event and ack.
const fuzzSocketWait = 10 * time.Second

// fuzzSocket is a Socket Mode connection from slack-go's client to the
// fake, whose events a fuzz target hands to SocketMode.handle one at a
// time (SocketMode.Run would handle them concurrently, and the target
// could not tell when an envelope is done).
type fuzzSocket struct {
	*fuzzHTTP
	sm *SocketMode
}

func mustFuzzSocket(f testing.TB) *fuzzSocket {
	f.Helper()
	z := mustFuzzHTTP(f)
	api := NewAPI(z.Fake.BotToken, z.Fake.AppToken, z.Fake.URL())
	sm := NewSocketMode(z.Slack, api)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sm.Client.RunContext(ctx)
	}()
	f.Cleanup(func() { cancel(); <-done })
	wait, stop := context.WithTimeout(ctx, fuzzSocketWait)
	defer stop()
	for connected := false; !connected; {
		select {
		case evt := <-sm.Client.Events:
			connected = evt.Type == socketmode.EventTypeConnected
		case <-wait.Done():
			f.Fatal("the socket mode client did not connect to the fake")
		}
	}
	return &fuzzSocket{fuzzHTTP: z, sm: sm}
}

// send sends an envelope of type typ with payload, as Slack would, and
// hands the event slack-go's client makes of it to SocketMode.handle.
// It checks: an envelope the client decodes is acknowledged, with a JSON
// payload or none; one it cannot decode changes nothing in the database
// and is acknowledged all the same (Slack would resend it otherwise).
func (z *fuzzSocket) send(t *testing.T, typ string, payload json.RawMessage) {
	t.Helper()
	before := mustDump(t, z.Store)
	ctx, cancel := context.WithTimeout(context.Background(), fuzzSocketWait)
	defer cancel()
	id, err := z.Fake.SendEnvelope(ctx, typ, payload)
	if err != nil {
		t.Fatalf("SendEnvelope: %v", err)
	}
	for {
		var evt socketmode.Event
		select {
		case evt = <-z.sm.Client.Events:
		case <-ctx.Done():
			t.Fatalf("no event for envelope %s %q: %v", typ, payload, ctx.Err())
		}
		if evt.Request != nil && evt.Request.EnvelopeID == id {
			z.sm.handle(ctx, evt)
			z.Slack.Wait()
			ack, err := z.Fake.WaitAck(ctx, id)
			if err != nil {
				t.Fatalf("envelope %s %q was not acknowledged: %v", typ, payload, err)
			}
			if ack != nil && !json.Valid(ack) {
				t.Fatalf("envelope %s %q acknowledged with invalid JSON %q", typ, payload, ack)
			}
			return
		}
		if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok && bytes.Contains(bad.Message, []byte(id)) {
			z.sm.handle(ctx, evt) // acknowledged so Slack does not resend it; nothing run
			z.Slack.Wait()
			if after := mustDump(t, z.Store); after != before {
				t.Fatalf("envelope %s %q did not decode (%v), but the database changed", typ, payload, bad.Cause)
			}
			if _, err := z.Fake.WaitAck(ctx, id); err != nil {
				t.Fatalf("envelope %s %q did not decode (%v) and was not acknowledged: %v", typ, payload, bad.Cause, err)
			}
			return
		}
		z.sm.handle(ctx, evt) // about the connection, not the envelope
	}
}

func FuzzSocketEnvelope(f *testing.F) {
	z := mustFuzzSocket(f)
	// SLACK.md §1.1's Socket Mode slash command, and relman's own.
	f.Add(socketmode.RequestTypeSlashCommands, []byte(`{"token":"bHKJ2n9AW6Ju3MjciOHfbA1b","team_id":"T123ABC456","team_domain":"maria","channel_id":"C123ABC456","channel_name":"general","user_id":"U123ABC456","user_name":"rainer","command":"/randorilke","text":"","response_url":"https://rilke.slack.com/commands/T0SNL8S4S/37053613554/YMB2ZESDLNjNLqSFZ1quhNAh","trigger_id":"37053613634.26768298162.440952c06ef4de2653466a48fe495f93"}`))
	for _, text := range []string{"list", "add auth 1.4.0 2027-01-20", "show payments@2.3.0", "add"} {
		sc, err := json.Marshal(slack.SlashCommand{Command: "/release", Text: text, UserID: httpUser, ChannelID: httpChannel,
			TriggerID: z.Fake.NewTrigger(), ResponseURL: z.Fake.ResponseURL()})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(socketmode.RequestTypeSlashCommands, sc)
	}
	for _, name := range []string{"block_actions.json", "view_submission.json"} {
		f.Add(socketmode.RequestTypeInteractive, mustHTTPTestdata(f, name))
	}
	f.Add(socketmode.RequestTypeInteractive, []byte(httpSubmissionJSON(f, httpGoodForm())))
	f.Add(socketmode.RequestTypeInteractive, []byte(payloadOf(f, shortcutBody(f, z.httpFixture, ccbAdmin, ccbChannel, "1767517200.000100", "Bump TLS?"))))
	f.Add(socketmode.RequestTypeEventsAPI, mustHTTPTestdata(f, "app_home_opened.json"))
	f.Add(socketmode.RequestTypeEventsAPI, []byte(`{"type":"event_callback","event_id":"EvX","event":{"type":"some_future_event","user":"U1"}}`))
	f.Add(socketmode.RequestTypeHello, []byte(`{}`))
	f.Fuzz(func(t *testing.T, typ string, payload []byte) {
		if typ == socketmode.RequestTypeDisconnect {
			t.Skip("a disconnect makes the client reconnect; it carries nothing for relman")
		}
		if !json.Valid(payload) {
			t.Skip("a frame that is not JSON never reaches relman: slack-go's client drops it")
		}
		z.send(t, typ, payload)
	})
}
