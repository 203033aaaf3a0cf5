package bot

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"relman/commands"
	"relman/store"
)

// Dispatcher is the one entry point every transport uses: the console,
// Slack over HTTP and Socket Mode translate their input into a
// commands.Request and render the Reply; the dispatcher runs it, measures
// it, and wakes the outbox for the messages the command queued.
//
// Transports reach the service and its store through the dispatcher's
// methods alone; Service is set when relman is wired, and read only here.
type Dispatcher struct {
	Service *commands.Service
	// Outbox is woken when a command queued messages (*outbox.Outbox).
	Outbox  interface{ Notify() }
	Metrics *Metrics
	Log     *slog.Logger
	// Voter records CCB votes (Action with ActionVote). When nil, Service
	// votes (tests set a fake Voter to see the clicks alone).
	Voter Voter
}

// ActionVote is the action_id of the buttons that vote on a change request;
// their value is opaque to the bot ("N:approve") and goes to Voter.Vote.
const ActionVote = "ccb.vote"

// Action is a button click that is not a typed command: who clicked which
// button (its action_id), the value the button carries, the channel it was
// clicked in and the clicker's zone (nil when not known). The value is
// never trusted as state: the handler re-reads what it names.
type Action struct {
	User    string
	ID      string
	Value   string
	Channel string
	Zone    *time.Location
}

// Voter records one vote: user clicked a vote button carrying value. The
// vote is on disk (and the message edits it causes are queued) when Vote
// returns; the reply is for the voter alone. *commands.Service is the
// Voter relman runs with.
type Voter interface {
	Vote(ctx context.Context, user, value string) commands.Reply
}

var _ Voter = (*commands.Service)(nil)

// Action handles one button click by what it is, not by rebuilding command
// text: ActionVote goes to the Voter. It is measured and logged like
// Command (relman_command_duration_seconds, command "action <id>"), and
// wakes the outbox when the handler queued messages. An unknown action, or
// a vote to a dispatcher with neither Voter nor Service, is refused with a
// private reply.
func (d *Dispatcher) Action(ctx context.Context, a Action) commands.Reply {
	start := time.Now()
	name := "action unknown"
	var reply commands.Reply
	switch a.ID {
	case ActionVote:
		name = "action " + ActionVote
		if v := d.voter(); v != nil {
			reply = v.Vote(ctx, a.User, a.Value)
		} else {
			reply = refusal(store.EInvalid, "Voting is not available in this relman.")
		}
	default:
		reply = refusal(store.EInvalid, "This button is not one relman knows; it may be from an older message.")
	}
	d.Metrics.command(name, reply.OK(), time.Since(start))
	if d.Log != nil {
		d.Log.Info("action", "user", a.User, "channel", a.Channel, "action", a.ID, "code", reply.Code, "took", time.Since(start))
	}
	if reply.Queued > 0 && d.Outbox != nil {
		d.Outbox.Notify()
	}
	return reply
}

// voter is Voter, else Service, else nil.
func (d *Dispatcher) voter() Voter {
	if d.Voter != nil {
		return d.Voter
	}
	if d.Service != nil {
		return d.Service
	}
	return nil
}

// refusal is a private reply with code and a one-line message.
func refusal(code, text string) commands.Reply {
	e := &store.Error{Code: code, Message: text}
	text = ":no_entry: " + text
	return commands.Reply{Code: code, Err: e, Doc: store.Doc{Text: text, Sections: []store.Section{{Text: text}}}}
}

// Command executes one command. The state change (and its outgoing
// messages) is committed before Command returns, so a transport may
// acknowledge as soon as it has the reply.
func (d *Dispatcher) Command(ctx context.Context, req commands.Request) commands.Reply {
	start := time.Now()
	reply := d.Service.Execute(ctx, req)
	name := commandName(req)
	d.Metrics.command(name, reply.OK(), time.Since(start))
	if d.Log != nil {
		d.Log.Info("command", "user", req.User, "channel", req.Channel, "command", name, "code", reply.Code, "took", time.Since(start))
	}
	if reply.Queued > 0 && d.Outbox != nil {
		d.Outbox.Notify()
	}
	return reply
}

// Run runs cmd, built as a value by a connector (connect), as req: measured,
// logged and the outbox woken as Command does for a typed command.
func (d *Dispatcher) Run(ctx context.Context, req commands.Request, cmd commands.Command) commands.Reply {
	start := time.Now()
	reply := d.Service.Run(ctx, req, cmd)
	name := "connector " + req.Via
	d.Metrics.command(name, reply.OK(), time.Since(start))
	if d.Log != nil {
		d.Log.Info("connector command", "actor", req.User, "via", req.Via, "command", commands.Format(cmd), "code", reply.Code, "took", time.Since(start))
	}
	if reply.Queued > 0 && d.Outbox != nil {
		d.Outbox.Notify()
	}
	return reply
}

// commandName is the metric label of a request: "/release move". Only
// known words are used, so user text cannot blow up label cardinality.
func commandName(req commands.Request) string {
	group := strings.ToLower(strings.TrimPrefix(req.Command, "/"))
	fields := strings.Fields(strings.ToLower(req.Text))
	if group == "release" && len(fields) > 0 && fields[0] == "ccb" {
		group, fields = "ccb", fields[1:]
	}
	word := "help"
	if len(fields) > 0 {
		word = fields[0]
	}
	for _, s := range commands.Table() {
		if s.Group == group && s.Name == word {
			return "/" + group + " " + word
		}
	}
	return "/" + group + " unknown"
}

// Home returns the App Home tab of user (commands.Service.Home), measured
// as "app home". It changes nothing.
func (d *Dispatcher) Home(ctx context.Context, user string) ([]store.Doc, error) {
	start := time.Now()
	docs, err := d.Service.Home(ctx, user)
	d.Metrics.command("app home", err == nil, time.Since(start))
	return docs, err
}

// Today is the workspace's date now.
func (d *Dispatcher) Today() store.Date { return d.Service.Today() }

// Loc is the workspace's time zone (UTC when none is set).
func (d *Dispatcher) Loc() *time.Location {
	if d.Service.Loc == nil {
		return time.UTC
	}
	return d.Service.Loc
}

// Generation is the store's generation (store.Store.Generation): a reply
// to a lookup computed at one generation still holds while it is the same.
func (d *Dispatcher) Generation(ctx context.Context) (uint64, error) {
	return d.Service.Store.Generation(ctx)
}

// ReleaseInChannel names the one planned release whose news goes to
// channel, or "" (commands.Service.ReleaseInChannel): a form's guess.
func (d *Dispatcher) ReleaseInChannel(ctx context.Context, channel string) string {
	return d.Service.ReleaseInChannel(ctx, channel)
}

// FirstDelivery records that the event id was received at now and reports
// whether it is the first time within ttl (store.Store.FirstDelivery), so
// an event Slack retries, to this replica or another, is handled once.
func (d *Dispatcher) FirstDelivery(ctx context.Context, id string, now time.Time, ttl time.Duration) (bool, error) {
	return d.Service.Store.FirstDelivery(ctx, id, now, ttl)
}

// PutAsk remembers the message whose button opened a form (store.PendingAsk)
// for ttl, keeping at most limit of them, on behalf of user.
func (d *Dispatcher) PutAsk(ctx context.Context, user string, a *store.PendingAsk, ttl time.Duration, limit int) error {
	return d.Service.Store.Update(ctx, user, a.At, func(tx *store.Tx) error {
		return tx.PutAsk(a, ttl, limit)
	})
}

// TakeAsk removes and returns the message whose button opened form id, if
// it was remembered less than ttl before now; nil if not.
func (d *Dispatcher) TakeAsk(ctx context.Context, user, id string, now time.Time, ttl time.Duration) (*store.PendingAsk, error) {
	var a *store.PendingAsk
	err := d.Service.Store.Update(ctx, user, now, func(tx *store.Tx) error {
		var err error
		a, err = tx.TakeAsk(id, ttl)
		return err
	})
	return a, err
}
