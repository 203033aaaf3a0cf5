package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"relman/commands/render"
	"relman/store"
)

// MaxText is the longest command text accepted, in bytes. Slack's own limit
// is about 4,000 characters; anything longer is refused before parsing.
const MaxText = 4000

// Request is one command as a transport received it.
type Request struct {
	User    string // Slack user ID of who typed it
	Channel string // channel ID where it was typed
	Command string // "/release" or "/ccb"
	Text    string // everything after the command, still Slack-escaped
	// Zone, when known, is the user's time zone for showing instants (when
	// something changed); dates are always workspace dates.
	Zone *time.Location
	// Thread, when set, is a message the command was started from (a
	// message shortcut): /ccb request posts its CR as a reply in that
	// message's thread, in its channel, instead of the release's channel.
	Thread *store.Posted
	// Via is the transport the command came through (store.ViaSlack,
	// store.ViaConsole, a connector's name), recorded in the audit log.
	Via string
	// Note, from a connector, is what it saw that made it run the
	// command ("release v4.2.0 published"): the history entry's reason
	// when the command gives none.
	Note string
	// Delivery, from a connector, identifies the webhook delivery: a
	// command is applied once per delivery, in its own transaction
	// (IsDelivered tells a repeat).
	Delivery string
	// Also, from a connector, records what it saw (a Jira version) in the
	// command's transaction, after the command succeeded there.
	Also func(tx *store.Tx) error
}

// Reply is what the invoker sees privately. Messages for others were
// already queued in the outbox, in the same transaction as the change.
type Reply struct {
	Doc  store.Doc
	Code string // "" on success, else a store error code (Err.Code)
	// Err is what went wrong, translated for the user once (fail): its
	// Code, its Message and, when known, the Field of a form it is about;
	// nil on success.
	Err *store.Error
	// Queued counts the messages the command queued in the outbox.
	Queued int
	// Cacheable marks a successful lookup: the same request gives the same
	// reply until the store changes (Store.Generation), the date changes,
	// or the user's zone does.
	Cacheable bool
	// Modal, when set, asks a transport that can to open this form instead
	// of showing Doc (for example "release.add" for a bare /release add).
	Modal string
	// Unchanged says a connector's command found nothing to change (the
	// release already shipped, already on that date).
	Unchanged bool
}

// OK reports whether the command succeeded.
func (r Reply) OK() bool { return r.Code == "" }

// Service executes commands against a store. Its fields are set once at
// start and not changed after.
type Service struct {
	Store  *store.Store
	Clock  store.Clock
	Loc    *time.Location // the workspace time zone for dates
	Admins []string       // Slack user IDs with admin rights
	Log    *slog.Logger
	// Groups resolves the Slack user groups of CCB boards; nil resolves
	// every group to nobody.
	Groups Groups
	// PublicURL is the base URL users reach relman at (RELMAN_PUBLIC_URL,
	// no trailing slash), for calendar feed addresses; "" when unknown.
	PublicURL string
	// Alerts queues the alerts a command's change makes due, in its
	// transaction (reminders.DueAfterCommand). A command that changes
	// dates fails while it is nil.
	Alerts AlertCheck
	// Linked, when set, is told of a link made by /release link after it
	// is committed (a new Jira link is synced at once).
	Linked func(store.Link)
}

// Exec is the context of one executing command.
type Exec struct {
	ctx    context.Context
	s      *Service
	req    Request
	now    time.Time
	today  store.Date
	queued int
	newsIn []string // the channels this command posted its news in
	// unchanged: the command, run by a connector, found nothing to do.
	unchanged bool
	// rehearse makes update roll back what fn did even when it succeeds
	// (store.Rehearse): a preview runs the very code of a change and
	// keeps nothing.
	rehearse bool
}

// zone is where instants are shown: the user's zone, else the workspace's.
func (x *Exec) zone() *time.Location {
	if x.req.Zone != nil {
		return x.req.Zone
	}
	return x.s.loc()
}

func (x *Exec) admin() bool { return slices.Contains(x.s.Admins, x.req.User) }

// connector reports whether a connector (GitHub, Jira, CI) runs the
// command: it has the rights of the release manager of the product it
// acts on (SPEC §8).
func (x *Exec) connector() bool { return store.IsConnector(x.req.User) }

func (x *Exec) update(fn func(tx *store.Tx) error) error {
	if x.rehearse {
		return x.s.Store.Rehearse(x.ctx, x.req.User, x.now, fn)
	}
	if x.req.Also != nil {
		inner := fn
		fn = func(tx *store.Tx) error {
			if err := inner(tx); err != nil {
				return err
			}
			return x.req.Also(tx)
		}
	}
	return x.s.Store.Update(store.WithVia(x.ctx, x.req.Via), x.req.User, x.now, fn)
}

func (x *Exec) view(fn func(tx *store.Tx) error) error { return x.s.Store.View(x.ctx, fn) }

// post queues doc for channel (a channel ID, or a user ID for a DM).
func (x *Exec) post(tx *store.Tx, channel string, doc store.Doc) error {
	if channel == "" {
		return nil
	}
	x.queued++
	x.newsIn = append(x.newsIn, channel)
	return tx.Enqueue(&store.Message{Channel: channel, Doc: doc})
}

// Lookups (list, show, impact, history, role without a change) change
// nothing: their replies depend only on the store, the date, the user and
// the user's zone.
func (*listCmd) readOnly() bool    { return true }
func (*showCmd) readOnly() bool    { return true }
func (*impactCmd) readOnly() bool  { return true }
func (*historyCmd) readOnly() bool { return true }
func (c *roleCmd) readOnly() bool  { return c.role == "" }

// Command is a parsed command, ready to run. Format writes it back as
// text.
type Command interface {
	run(x *Exec) (store.Doc, error)
	format() string
}

// Today returns the current date in the workspace time zone.
func (s *Service) Today() store.Date { return store.DateOf(s.Clock.Now(), s.loc()) }

func (s *Service) loc() *time.Location {
	if s.Loc == nil {
		return time.UTC
	}
	return s.Loc
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Execute parses and runs one command. It never panics on user input and
// never returns a Go error: failures become a private Reply that says what
// was wrong, with the command's usage line and an example. A failed command
// changes nothing.
func (s *Service) Execute(ctx context.Context, req Request) (reply Reply) {
	now := s.Clock.Now()
	x := &Exec{ctx: ctx, s: s, req: req, now: now, today: store.DateOf(now, s.loc())}
	defer func() {
		// A bug must cost one request, not the process; the store has
		// already rolled back a transaction that panicked.
		if p := recover(); p != nil {
			reply = s.fail(x, nil, "release", fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()
	cmd, spec, group, err := parse(req.Command, req.Text, x.today)
	if pe, ok := errors.AsType[*ParseError](err); ok {
		return s.fail(x, pe.Spec, pe.Group, pe.Err)
	}
	name := spec.Name
	switch c := cmd.(type) {
	case *formCmd:
		return Reply{Modal: c.spec().Modal, Doc: usageDoc(c.spec(), "", group)}
	case *helpCmd:
	default:
		if err := ctx.Err(); err != nil {
			return s.fail(x, spec, group, fmt.Errorf("%s %s: %w", group, name, err))
		}
	}
	doc, err := cmd.run(x)
	if err != nil {
		return s.fail(x, spec, group, fmt.Errorf("%s %s: %w", group, name, err))
	}
	ro, _ := cmd.(interface{ readOnly() bool })
	return Reply{Doc: doc, Queued: x.queued, Cacheable: ro != nil && ro.readOnly()}
}

// checkText refuses text too long to be a command, or with control
// characters that have no place in one.
func checkText(text string) error {
	if len(text) > MaxText {
		return invalid("the command is too long (%d bytes; at most %d)", len(text), MaxText)
	}
	if !utf8.ValidString(text) {
		return invalid("the command is not valid UTF-8 text")
	}
	for _, r := range text {
		if r == '\n' || r == '\t' || r == '\r' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return invalid("the command contains a control character (%U)", r)
		}
	}
	return nil
}

// firstWord is the lower-cased first word of text: refused before it is
// parsed, a command still gets its usage line and example.
func firstWord(text string) string {
	text = strings.TrimLeftFunc(text, unicode.IsSpace)
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		text = text[:i]
	}
	return strings.ToLower(text)
}

// fail turns err into the private reply the user sees, the one place a
// request's error is translated: Err carries its code, its message and the
// field it is about, for a transport that shows it elsewhere (a form);
// Doc shows the message, then, for a typed command, the usage line of spec
// and an example (or how to get help in group). A click (group "") shows
// the message alone. An internal error shows a short reference and logs the
// whole chain; an unavailable database is logged as a warning.
func (s *Service) fail(x *Exec, spec *Spec, group string, err error) Reply {
	code := store.ErrorCode(err)
	if code == store.EInternal {
		ref := newRef()
		s.log().Error("command failed", "ref", ref, "user", x.req.User, "command", x.req.Command, "err", err)
		e := store.Errorf(code, "Something went wrong on our side, and nothing was changed. (reference `%s`)", ref)
		text := ":warning: " + e.Message
		return Reply{Code: code, Err: e, Doc: store.Doc{Text: text, Sections: []store.Section{{Text: text}}}}
	}
	e, _ := errors.AsType[*store.Error](err) // not internal: there is one
	if code == store.EDamaged {
		s.log().Error("command failed: the database is damaged", "user", x.req.User, "command", x.req.Command, "err", err)
	}
	if code == store.EUnavailable || code == store.EFull {
		// Not a bug: the database is away or its storage full. The user
		// tries again; the operator sees the cause once per failed command.
		s.log().Warn("command failed: the database is unavailable or full", "code", code, "user", x.req.User, "command", x.req.Command, "err", err)
	}
	switch {
	case group == "":
		b := render.NewDoc("")
		b.Section(":x: " + escapeMessage(capitalizeFirst(e.Message)))
		return Reply{Code: code, Err: e, Doc: b.Build()}
	case code == store.EUnavailable || code == store.EFull || code == store.EDamaged:
		text := ":warning: " + e.Message
		return Reply{Code: code, Err: e, Doc: store.Doc{Text: text, Sections: []store.Section{{Text: text}}}}
	}
	return Reply{Code: code, Err: e, Doc: usageDoc(spec, e.Message, group)}
}

func capitalizeFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ErrorText is the message of Err as plain text, as Doc shows it (mentions
// read @ID): for a transport that shows it where mrkdwn is not read, such
// as under a form's field. It is "" on success.
func (r Reply) ErrorText() string {
	if r.Err == nil {
		return ""
	}
	return Plain(escapeMessage(r.Err.Message))
}

func newRef() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
