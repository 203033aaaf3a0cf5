package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"relman/bot/blockkit"
	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// Slack translates Slack's slash commands, interactions and events into
// dispatcher calls. HTTP and Socket Mode share it: they only verify, decode
// and acknowledge. Work that calls Slack (opening a modal, publishing App
// Home) runs in the background so it never delays an acknowledgement.
type Slack struct {
	Dispatcher *Dispatcher
	API        *slack.Client
	Users      *Users
	Clock      store.Clock
	Log        *slog.Logger
	Metrics    *Metrics
	// NoReplyCache turns off the lookup reply cache (for measurements).
	NoReplyCache bool

	bg      sync.WaitGroup
	replies replyCache
	mu      sync.Mutex
	events  map[string]time.Time // event_id → first seen here; the store decides across replicas
}

// apiTimeout bounds each Slack Web API call.
const apiTimeout = 15 * time.Second

// NewAPI returns the Slack Web API client relman uses everywhere: token is
// the bot token (xoxb-), appToken the app-level token (xapp-) for Socket
// Mode or "" for HTTP mode, and apiURL the Web API's base URL ending in /
// (https://slack.com/api/, or a fake's in tests). Each call times out after
// 15 seconds.
func NewAPI(token, appToken, apiURL string) *slack.Client {
	return newAPI(token, appToken, apiURL, nil)
}

// newAPI is NewAPI whose HTTP requests go through rt (nil: Go's default).
func newAPI(token, appToken, apiURL string, rt http.RoundTripper) *slack.Client {
	opts := []slack.Option{slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(&http.Client{Timeout: apiTimeout, Transport: rt})}
	if appToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(appToken))
	}
	return slack.New(token, opts...)
}

// Ack is what a transport sends back to Slack for one request: nothing, or
// a JSON body (a response message or a view submission response).
type Ack struct {
	Body any
	// buf, if set, is the pooled buffer Body was encoded into; a transport
	// that is done with Body returns it with release. One that never does
	// leaves it to the garbage collector.
	buf *[]byte
}

// release returns the ack's encoding buffer to its pool; Body must not be
// used after.
func (a Ack) release() {
	if a.buf != nil && cap(*a.buf) <= maxPooledAck {
		ackBuffers.Put(a.buf)
	}
}

// eventTTL is how long an event_id is remembered, in memory and in the
// database; Slack retries within about five minutes.
const eventTTL = time.Hour

// Command runs a slash command and returns the acknowledgement: the
// ephemeral reply, or nothing when a modal is opened instead.
func (s *Slack) Command(ctx context.Context, sc slack.SlashCommand) Ack {
	cmd := strings.ToLower(sc.Command)
	if cmd != "/release" && cmd != "/ccb" {
		doc := store.Doc{Text: fmt.Sprintf("relman does not handle %s; try `/release help`.", render.Escape(sc.Command))}
		doc.Sections = []store.Section{{Text: doc.Text}}
		return Ack{Body: blockkit.Ephemeral(doc)}
	}
	req := commands.Request{User: sc.UserID, Channel: sc.ChannelID, Command: cmd, Text: sc.Text, Via: store.ViaSlack}
	if s.Users != nil {
		if loc, ok := s.Users.Cached(sc.UserID); ok {
			req.Zone = loc
		}
	}
	// A lookup answered before, on the same data and date, is answered from
	// the cache. The generation is read from the database first: a change
	// committed meanwhile, by this process or another, can only make a
	// cached reply newer than its key, never older.
	gen, genErr := s.Dispatcher.Generation(ctx)
	useCache := genErr == nil && !s.NoReplyCache
	day := s.Dispatcher.Today()
	key := replyKey{user: req.User, command: cmd, text: req.Text}
	if req.Zone != nil {
		key.zone = req.Zone.String()
	}
	start := time.Now()
	if b, ok := s.replies.get(gen, day, key); ok && useCache {
		s.Metrics.command(commandName(req), true, time.Since(start))
		return Ack{Body: json.RawMessage(b)}
	}
	reply := s.Dispatcher.Command(ctx, req)
	if reply.Modal == blockkit.AddReleaseCallback && sc.TriggerID != "" {
		s.openAddModal(sc)
		return Ack{}
	}
	ack := s.ephemeralAck(sc.ResponseURL, reply.Doc)
	if b, ok := ack.Body.(json.RawMessage); ok && reply.Cacheable && useCache {
		s.replies.put(gen, day, key, bytes.Clone(b)) // ack's buffer goes back to its pool once written
	}
	return ack
}

// maxAck keeps an acknowledgement under the 20 KB Slack accepts in a Socket
// Mode ack (and drops silently beyond): bigger replies go to the
// response_url instead, which allows five uses in 30 minutes.
const maxAck = 16 << 10

// ephemeralAck is the private reply as an acknowledgement, or, when too big
// for one, an empty acknowledgement and the reply sent to responseURL.
func (s *Slack) ephemeralAck(responseURL string, doc store.Doc) Ack {
	body := blockkit.Ephemeral(doc)
	buf := ackBuffers.Get().(*[]byte)
	b, err := body.AppendJSON((*buf)[:0])
	*buf = b
	ack := Ack{Body: json.RawMessage(b), buf: buf} // encoded once, written as is
	if err != nil {
		ack.release()
		return Ack{Body: body}
	}
	if len(b) <= maxAck || responseURL == "" {
		return ack
	}
	ack.release()
	s.background(func(ctx context.Context) {
		if err := slack.PostWebhookContext(ctx, responseURL, webhook(doc)); err != nil {
			s.Metrics.slackError("response_url", errorCode(err))
			s.log().Warn("response_url failed", "err", err)
		}
	})
	return Ack{}
}

// ackBuffers hold acknowledgements while they are encoded and written, so
// a reply is encoded into memory already grown to a reply's size and is
// not copied out of it.
var ackBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledAck keeps a buffer the size of any acknowledgement in the pool,
// not one grown by an outsized reply.
const maxPooledAck = 64 << 10

// openAddModal opens the add-release form with the command's trigger, which
// Slack honours for three seconds and once. If Slack refuses, the user gets
// the usage line instead.
func (s *Slack) openAddModal(sc slack.SlashCommand) {
	today := s.Dispatcher.Today()
	view := blockkit.AddReleaseModal(sc.ChannelID, sc.UserID, today.AddDays(14).String())
	s.background(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if _, err := s.API.OpenViewContext(ctx, sc.TriggerID, view); err != nil {
			s.Metrics.slackError("views.open", errorCode(err))
			s.log().Warn("views.open failed; answering with usage", "user", sc.UserID, "err", err)
			reply := s.Dispatcher.Command(ctx, commands.Request{User: sc.UserID, Channel: sc.ChannelID, Command: "/release", Text: "help add", Via: store.ViaSlack})
			if sc.ResponseURL != "" {
				if err := slack.PostWebhookContext(ctx, sc.ResponseURL, webhook(reply.Doc)); err != nil {
					s.log().Warn("response_url failed", "err", err)
				}
			}
		}
	})
}

func webhook(doc store.Doc) *slack.WebhookMessage {
	blocks := blockkit.Blocks(doc, "")
	return &slack.WebhookMessage{
		Text: blockkit.FallbackText(doc), ResponseType: slack.ResponseTypeEphemeral,
		Blocks: &slack.Blocks{BlockSet: blocks},
	}
}

// Interaction handles buttons, shortcuts and modal submissions. For a
// view_submission the returned body may carry field errors.
func (s *Slack) Interaction(ctx context.Context, ic *slack.InteractionCallback) Ack {
	switch ic.Type {
	case slack.InteractionTypeViewSubmission:
		switch ic.View.CallbackID {
		case blockkit.AddReleaseCallback:
			return s.submitAdd(ctx, ic)
		case blockkit.AskCallback:
			return s.submitAsk(ctx, ic)
		case blockkit.CRRequestCallback:
			return s.submitCR(ctx, ic)
		}
	case slack.InteractionTypeBlockActions:
		return s.blockActions(ctx, ic)
	case slack.InteractionTypeMessageAction:
		if ic.CallbackID == blockkit.CRShortcut {
			return s.openCRModal(ctx, ic)
		}
	case slack.InteractionTypeShortcut, slack.InteractionTypeViewClosed:
	}
	s.log().Info("interaction not handled", "type", ic.Type, "callback", ic.CallbackID, "user", ic.User.ID)
	return Ack{}
}

// submitAdd validates the add-release form; bad fields are answered inline,
// all at once, and a valid form runs its add command (commands.AddRelease,
// as commands.Format writes it) through the dispatcher, then a stage command
// for each stage date, checked against the product's pipeline before
// anything is saved. An error only the store can find (the release already
// exists) is shown under the field it is about.
func (s *Slack) submitAdd(ctx context.Context, ic *slack.InteractionCallback) Ack {
	f := blockkit.ParseAddRelease(ic.View)
	if errs := addFormErrors(f, s.Dispatcher.Today()); len(errs) > 0 {
		return Ack{Body: blockkit.FieldErrors(errs)}
	}
	ref, err := store.NewRef(f.Product, f.Version)
	if err != nil { // addFormErrors checked it
		return Ack{Body: blockkit.FieldErrors(map[string]string{blockkit.BlockVersion: store.ErrorMessage(err)})}
	}
	target, err := store.ParseDate(f.Date)
	if err != nil {
		return Ack{Body: blockkit.FieldErrors(map[string]string{blockkit.BlockDate: "Pick the target date."})}
	}
	plans, bad := s.formStages(ctx, ic.User.ID, f.Owner, ref, target, s.Dispatcher.Today(), f.Stages)
	if bad != "" {
		return Ack{Body: blockkit.FieldErrors(map[string]string{blockkit.BlockStages: bad})}
	}
	text := commands.Format(commands.AddRelease(ref, target, f.Owner, f.NewsChannel))
	channel := f.Channel
	if channel == "" {
		channel = f.NewsChannel
	}
	req := commands.Request{User: ic.User.ID, Channel: channel, Command: "/release", Text: text, Via: store.ViaSlack}
	reply := s.Dispatcher.Command(ctx, req)
	if !reply.OK() {
		return Ack{Body: blockkit.FieldErrors(map[string]string{addErrorField(reply): formError(reply)})}
	}
	if failed, ok := s.planStages(ctx, req, ref, plans); !ok {
		return Ack{Body: blockkit.FieldErrors(map[string]string{blockkit.BlockStages: formError(failed) + " (the release was added)"})}
	}
	if channel != "" {
		s.background(func(ctx context.Context) {
			_, err := s.API.PostEphemeralContext(ctx, channel, ic.User.ID,
				slack.MsgOptionText(blockkit.FallbackText(reply.Doc), false), slack.MsgOptionBlocks(blockkit.Blocks(reply.Doc, "")...))
			if err != nil {
				s.Metrics.slackError("chat.postEphemeral", errorCode(err))
			}
		})
	}
	return Ack{}
}

// addFormErrors checks each field of the add-release form on its own and
// returns an error message for every bad one, keyed by block ID (empty when
// the form is good). today is the workspace's date: a target before it is
// refused, as the form has no way to confirm a past date.
func addFormErrors(f blockkit.AddReleaseForm, today store.Date) map[string]string {
	errs := map[string]string{}
	if f.Product == "" {
		errs[blockkit.BlockProduct] = "Enter the product, like payments."
	} else if _, err := store.NormalizeProduct(f.Product); err != nil {
		errs[blockkit.BlockProduct] = store.ErrorMessage(err)
	}
	// The version is checked against a valid stand-in product, so a bad
	// product does not hide a bad version.
	if f.Version == "" {
		errs[blockkit.BlockVersion] = "Enter the version, like 2.3.0."
	} else if _, err := store.NewRef("product", f.Version); err != nil {
		errs[blockkit.BlockVersion] = store.ErrorMessage(err)
	}
	if d, err := store.ParseDate(f.Date); err != nil {
		errs[blockkit.BlockDate] = "Pick the target date."
	} else if d.Before(today) {
		errs[blockkit.BlockDate] = fmt.Sprintf("%s is in the past; pick today (%s) or later.", d.Pretty(), today.Pretty())
	}
	if f.Owner == "" {
		errs[blockkit.BlockOwner] = "Pick who owns the release."
	}
	switch {
	case commands.IsDM(f.NewsChannel):
		errs[blockkit.BlockChannel] = "Pick a channel: relman can't post a release's news in a direct message."
	case f.NewsChannel == "" && commands.IsDM(f.Channel):
		errs[blockkit.BlockChannel] = "Pick a channel for the news: this form was opened in a direct message."
	}
	return errs
}

// addFormFields are the blocks of the add-release form, by the
// store.Error Field an error from the add command names.
var addFormFields = map[string]string{
	"product": blockkit.BlockProduct, "version": blockkit.BlockVersion, "date": blockkit.BlockDate,
	"owner": blockkit.BlockOwner, "channel": blockkit.BlockChannel,
}

// addErrorField is the block of the add-release form a failed add is
// about: the field its error names, else the product.
func addErrorField(reply commands.Reply) string {
	if reply.Err != nil {
		if block, ok := addFormFields[reply.Err.Field]; ok {
			return block
		}
	}
	return blockkit.BlockProduct
}

// formError is what a form shows under a field for a failed reply: the
// first line of its error as plain text, marked ⚠ when the fault is not
// the user's (as the reply marks it), within 150 characters.
func formError(reply commands.Reply) string {
	line, _, _ := strings.Cut(reply.ErrorText(), "\n")
	line = strings.TrimSpace(line)
	if reply.Code == store.EInternal || reply.Code == store.EUnavailable || reply.Code == store.EFull || reply.Code == store.EDamaged {
		line = "⚠ " + line
	}
	if len([]rune(line)) > 150 {
		line = string([]rune(line)[:149]) + "…"
	}
	return line
}

// Event handles an Events API callback once: Slack retries an event it
// thinks was not received, and a repeated event_id is dropped.
func (s *Slack) Event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" && !s.firstSeen(ctx, cb.EventID) {
		return
	}
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if inner.Tab != "" && inner.Tab != "home" {
			return
		}
		user := inner.User
		s.background(func(ctx context.Context) { s.PublishHome(ctx, user) })
	}
}

// firstSeen records an event ID and reports whether it is new. The
// database decides, so a retry Slack sends to another replica is dropped
// there too; the map only spares this replica a write for a retry it saw
// itself. If the database cannot tell, the event counts as new: handling an
// event twice (publishing a Home tab again) beats dropping it.
func (s *Slack) firstSeen(ctx context.Context, id string) bool {
	now := s.Clock.Now()
	if !s.seenHere(id, now) {
		return false
	}
	first, err := s.Dispatcher.FirstDelivery(ctx, id, now, eventTTL)
	if err != nil {
		s.log().Warn("could not record an event's delivery; handling it", "event_id", id, "err", err)
		return true
	}
	return first
}

// seenHere records an event ID in this process's memory and reports
// whether it is new here.
func (s *Slack) seenHere(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.events == nil {
		s.events = make(map[string]time.Time)
	}
	if _, dup := s.events[id]; dup {
		return false
	}
	for k, at := range s.events {
		if now.Sub(at) > eventTTL {
			delete(s.events, k)
		}
	}
	s.events[id] = now
	return true
}

// PublishHome renders and publishes a user's App Home tab.
func (s *Slack) PublishHome(ctx context.Context, user string) {
	docs, err := s.Dispatcher.Home(ctx, user)
	if err != nil {
		s.log().Error("app home", "user", user, "err", err)
		return
	}
	_, err = s.API.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: blockkit.HomeView(docs...)})
	if err != nil {
		s.Metrics.slackError("views.publish", errorCode(err))
		s.log().Warn("views.publish failed", "user", user, "err", err)
	}
}

// background runs f after the acknowledgement, with a bounded context;
// Wait waits for every such task.
func (s *Slack) background(f func(ctx context.Context)) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f(ctx)
	}()
}

// Wait waits for background work to finish.
func (s *Slack) Wait() {
	s.bg.Wait()
	if s.Users != nil {
		s.Users.Wait()
	}
}

func (s *Slack) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}
