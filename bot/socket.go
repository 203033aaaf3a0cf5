package bot

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// SocketMode receives Slack's payloads over a Socket Mode websocket instead
// of HTTP and hands them to the same Slack handler. Every envelope is
// acknowledged: slash commands and view submissions with their response
// payload, everything else empty.
type SocketMode struct {
	Slack  *Slack
	Client *socketmode.Client
}

// NewSocketMode returns Socket Mode for s over api, which must carry an
// app-level token (NewAPI with appToken set).
func NewSocketMode(s *Slack, api *slack.Client) *SocketMode {
	return &SocketMode{Slack: s, Client: socketmode.New(api)}
}

// Run connects and serves until ctx ends or the client cannot reconnect.
// Envelopes are handled concurrently. When ctx ends, Run stops taking new
// envelopes, lets the ones in hand finish and acknowledge (their work is
// not cancelled), and only then closes the connection.
func (sm *SocketMode) Run(ctx context.Context) error {
	connCtx, closeConn := context.WithCancel(context.WithoutCancel(ctx))
	defer closeConn()
	errc := make(chan error, 1)
	go func() { errc <- sm.Client.RunContext(connCtx) }()
	work := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			closeConn()
			<-errc
			return nil
		case err := <-errc:
			wg.Wait()
			return err
		case evt := <-sm.Client.Events:
			wg.Add(1)
			go func() {
				defer wg.Done()
				sm.handle(work, evt)
			}()
		}
	}
}

func (sm *SocketMode) handle(ctx context.Context, evt socketmode.Event) {
	log := sm.Slack.log()
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		sc, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			sm.ack(evt, nil)
			return
		}
		sm.ack(evt, sm.Slack.Command(ctx, sc).Body)
	case socketmode.EventTypeInteractive:
		ic, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			sm.ack(evt, nil)
			return
		}
		sm.ack(evt, sm.Slack.Interaction(ctx, &ic).Body)
	case socketmode.EventTypeEventsAPI:
		sm.ack(evt, nil)
		if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
			sm.Slack.Event(ctx, ev)
		}
	case socketmode.EventTypeErrorBadMessage:
		sm.ackUndecodable(evt)
	case socketmode.EventTypeConnected:
		log.Info("socket mode connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth, socketmode.EventTypeIncomingError:
		log.Warn("socket mode", "event", evt.Type, "data", evt.Data)
	case socketmode.EventTypeDisconnect:
		log.Info("socket mode disconnect; reconnecting")
	default:
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			sm.ack(evt, nil)
		}
	}
}

// ackUndecodable acknowledges an envelope slack-go could not decode (its
// payload is not what its type promises), so that Slack does not deliver
// it again and again: a retry would fail the same way. Nothing is run for
// it; it is logged and counted. An envelope without a readable
// envelope_id cannot be acknowledged and is only logged.
func (sm *SocketMode) ackUndecodable(evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var env struct {
		EnvelopeID string `json:"envelope_id"`
		Type       string `json:"type"`
	}
	_ = json.Unmarshal(bad.Message, &env)
	sm.Slack.log().Warn("socket mode envelope not decoded", "envelope", env.EnvelopeID, "type", env.Type, "err", bad.Cause)
	sm.Slack.Metrics.SocketUndecodable()
	if env.EnvelopeID == "" {
		return
	}
	sm.ack(socketmode.Event{Request: &socketmode.Request{EnvelopeID: env.EnvelopeID}}, nil)
}

// ack acknowledges an envelope, with a payload when there is one.
func (sm *SocketMode) ack(evt socketmode.Event, payload any) {
	if evt.Request == nil {
		return
	}
	var err error
	if payload == nil {
		err = sm.Client.Ack(*evt.Request)
	} else {
		err = sm.Client.Ack(*evt.Request, payload)
	}
	if err != nil {
		sm.Slack.log().Error("socket mode ack failed", "envelope", evt.Request.EnvelopeID, "err", err)
	}
}
