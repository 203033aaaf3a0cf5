package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"relman/bot/slackfake"
)

// slashPayload is the Socket Mode slash command sample of SLACK.md §1.1.
const slashPayload = `{"token":"bHKJ2n9AW6Ju3MjciOHfbA1b","team_id":"T123ABC456","team_domain":"maria","channel_id":"C123ABC456","channel_name":"general","user_id":"U123ABC456","user_name":"rainer","command":"/randorilke","text":"","response_url":"https://rilke.slack.com/commands/T0SNL8S4S/37053613554/YMB2ZESDLNjNLqSFZ1quhNAh","trigger_id":"37053613634.26768298162.440952c06ef4de2653466a48fe495f93"}`

// startClient runs a socketmode client against f until the test ends. Every
// event goes to handle, in the client's event-reading goroutine.
func startClient(t *testing.T, f *slackfake.Server, handle func(*socketmode.Client, socketmode.Event), opts ...socketmode.Option) (context.Context, func() error) {
	t.Helper()
	api := slack.New(f.BotToken, slack.OptionAppLevelToken(f.AppToken), slack.OptionAPIURL(f.URL()))
	client := socketmode.New(api, opts...)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	runDone := make(chan error, 1)
	go func() { runDone <- client.RunContext(ctx) }()
	eventsDone := make(chan struct{})
	go func() {
		defer close(eventsDone)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				handle(client, evt)
			}
		}
	}()
	var runErr error
	stopped := false
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			runErr = <-runDone
			<-eventsDone
		}
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return ctx, stop
}

func TestSocketMode(t *testing.T) {
	f := slackfake.New()
	defer f.Close()

	type got struct {
		cmd slack.SlashCommand
		err error
	}
	cmds := make(chan got, 4)
	ctx, stop := startClient(t, f, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeSlashCommand {
			return
		}
		cmd, _ := evt.Data.(slack.SlashCommand)
		err := client.Ack(*evt.Request, map[string]string{"response_type": "ephemeral", "text": "got " + cmd.Command})
		cmds <- got{cmd, err}
	})
	receive := func() slack.SlashCommand {
		t.Helper()
		select {
		case g := <-cmds:
			if g.err != nil {
				t.Fatalf("ack: %v", g.err)
			}
			return g.cmd
		case <-ctx.Done():
			t.Fatal("no slash command received")
		}
		return slack.SlashCommand{}
	}

	id, err := f.SendEnvelope(ctx, "slash_commands", slashPayload)
	if err != nil {
		t.Fatal(err)
	}
	if cmd := receive(); cmd.Command != "/randorilke" || cmd.UserID != "U123ABC456" || cmd.ChannelID != "C123ABC456" {
		t.Fatalf("command = %+v", cmd)
	}
	ack, err := f.WaitAck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	if err := json.Unmarshal(ack, &body); err != nil || body["text"] != "got /randorilke" || body["response_type"] != "ephemeral" {
		t.Fatalf("ack payload = %s (%v)", ack, err)
	}
	if f.Connections() != 1 {
		t.Fatalf("connections = %d", f.Connections())
	}

	// Slack asks for a refresh: the client reconnects through apps.connections.open.
	f.Disconnect("refresh_requested")
	if n, err := f.WaitConnections(ctx, 2); err != nil || n != 2 {
		t.Fatalf("reconnect: %d %v", n, err)
	}
	if c := f.CallsTo("apps.connections.open"); len(c) != 2 || c[1].Token != f.AppToken {
		t.Fatalf("apps.connections.open calls = %+v", c)
	}
	payload := map[string]any{"command": "/release", "text": "help", "user_id": "U1", "channel_id": "C1"}
	id2, err := f.SendEnvelope(ctx, "slash_commands", payload)
	if err != nil {
		t.Fatal(err)
	}
	if cmd := receive(); cmd.Command != "/release" || cmd.Text != "help" {
		t.Fatalf("command after reconnect = %+v", cmd)
	}
	if _, err := f.WaitAck(ctx, id2); err != nil {
		t.Fatal(err)
	}

	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunContext = %v", err)
	}
	f.Close()
	noFakeGoroutines(t)
}

// TestSocketModePings keeps a client with a short ping interval connected:
// without the fake's PINGs it would reconnect after one interval.
func TestSocketModePings(t *testing.T) {
	f := slackfake.New()
	defer f.Close()
	f.PingInterval = 20 * time.Millisecond
	ctx, _ := startClient(t, f, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			_ = client.Ack(*evt.Request)
		}
	}, socketmode.OptionPingInterval(200*time.Millisecond))

	if _, err := f.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Let several of the client's ping checks pass; a missing PING would
	// make it reconnect, which shows as a second connection.
	window, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancel()
	<-window.Done()

	id, err := f.SendEnvelope(ctx, "interactive", `{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"a","type":"button","value":"v"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := f.WaitAck(ctx, id)
	if err != nil || ack != nil {
		t.Fatalf("ack = %s %v, want no payload", ack, err)
	}
	if n := f.Connections(); n != 1 {
		t.Fatalf("connections = %d, want 1 (client reconnected: PINGs missing?)", n)
	}
}
