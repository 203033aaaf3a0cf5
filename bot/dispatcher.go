package bot

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"relman/commands"
)

// Dispatcher is the one entry point every transport uses: the console,
// Slack over HTTP and Socket Mode translate their input into a
// commands.Request and render the Reply; the dispatcher runs it, measures
// it, and wakes the outbox for the messages the command queued.
type Dispatcher struct {
	Service *commands.Service
	Outbox  *Outbox
	Metrics *Metrics
	Log     *slog.Logger
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
