package bot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"relman/bot/outbox"
	"relman/commands"
	"relman/commands/render"
	"relman/reminders"
	"relman/store"
)

// Console is the console transport: commands typed at a prompt or piped on
// stdin, replies and posted messages printed. Its clock is fake, so
// :advance moves time for the session.
type Console struct {
	Dispatcher *Dispatcher
	Outbox     *outbox.Outbox
	Clock      *store.FakeClock
	In         io.Reader
	Out        io.Writer
	// Interactive prints a prompt; otherwise each input line is echoed
	// after "> ", so a piped session reads as a transcript.
	Interactive bool
	User        string // who commands run as; :as changes it
	Channel     string // where commands are typed; :in changes it
	// Zones are console users' time zones, as Slack's users.info would
	// give them; :tz sets them. A user without one has the workspace zone.
	Zones map[string]*time.Location
	// Sweep, when set, runs what falls due as of now (the reminders
	// sweep), and SweepAt gives its next scheduled time after a time
	// (reminders.Scheduler.Next). :advance runs it at each scheduled time
	// it passes, in time order with the deliveries of held messages.
	Sweep   func(ctx context.Context, now time.Time) error
	SweepAt func(after time.Time) time.Time
	// Real, when set, is the real time: :now says how far ahead of it
	// Clock stands.
	Real store.Clock
	// SaveClock, when set with Real, keeps how far ahead of the real time
	// Clock stands after each :advance (store.Store.SetConsoleClock), so
	// that the next console on the same database starts there.
	SaveClock func(ctx context.Context, ahead time.Duration) error
	// Pictures is the directory timeline pictures are written to, their
	// paths printed (a new temporary directory when empty).
	Pictures string
	// buttons are the buttons of the latest reply that had any (a
	// preview's Move it), which :click <label> clicks, as they stay on
	// a message in Slack.
	buttons []store.Button
}

// consoleSender prints outbox messages instead of posting them, and
// writes their pictures to files in dir (a new temporary directory made
// at the first picture when empty), printing the path.
type consoleSender struct {
	out     io.Writer
	seq     int
	dir     string
	buttons consoleButtons // for :click
}

var _ outbox.PictureSender = (*consoleSender)(nil)

// SendPicture prints m as Send does, then writes png to a file and prints
// its path under the message.
func (s *consoleSender) SendPicture(ctx context.Context, m *store.Message, png []byte, thread *store.Posted) (store.Posted, error) {
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "relman-console-")
		if err != nil {
			return store.Posted{}, &outbox.DeliveryError{Err: fmt.Errorf("console pictures: %w", err), Reason: "no_dir", Permanent: true}
		}
		s.dir = dir
	}
	path := filepath.Join(s.dir, fmt.Sprintf("timeline-%d.png", m.ID))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return store.Posted{}, &outbox.DeliveryError{Err: fmt.Errorf("console picture: %w", err), Reason: "write_failed", Permanent: true}
	}
	at, err := s.Send(ctx, m, thread, nil)
	fmt.Fprintf(s.out, "    [picture: %s]\n", path)
	return at, err
}

func (s *consoleSender) Send(_ context.Context, m *store.Message, thread, update *store.Posted) (store.Posted, error) {
	s.seq++
	where := "#" + m.Channel
	if m.DM {
		where = "DM @" + m.Channel
	}
	switch {
	case update != nil:
		where += " (edit)"
	case thread != nil:
		where += " (thread)"
	}
	fmt.Fprintf(s.out, "  [%s] %s\n", where, indent(PlainText(m.Doc.Text), "    "))
	if len(m.Doc.Buttons) > 0 && update == nil {
		fmt.Fprintf(s.out, "    %s\n", buttonsLine(m.Doc.Buttons))
		s.buttons.note(m)
	}
	return store.Posted{Channel: m.Channel, TS: strconv.Itoa(s.seq)}, nil
}

// NewConsoleOutbox returns an outbox whose messages are printed to out,
// and a DM held for its recipient's working hours as a line saying until
// when. A notice is worded as it is delivered (reminders.RenderNotice), so
// what is printed is what its reader would read then. It delivers one channel at a time, so the messages print in the
// order they were queued.
func NewConsoleOutbox(st *store.Store, clock store.Clock, out io.Writer) *outbox.Outbox {
	return &outbox.Outbox{Store: st, Clock: clock, Sender: &consoleSender{out: out}, Spacing: -1, Parallel: 1,
		Render: reminders.RenderNotice,
		Held: func(m *store.Message, loc *time.Location) {
			fmt.Fprintf(out, "  [DM @%s held until %s]\n", m.Channel, m.NotBefore.In(loc).Format("Mon 2006-01-02 15:04 MST"))
		},
		Dropped: func(m *store.Message) {
			where := "#" + m.Channel
			if m.DM {
				where = "DM @" + m.Channel
			}
			fmt.Fprintf(out, "  [%s not sent: what it said no longer holds]\n", where)
		}}
}

// consoleZones gives the outbox the zones :tz set.
type consoleZones struct{ c *Console }

func (z consoleZones) Location(_ context.Context, user string) (*time.Location, error) {
	if loc := z.c.Zones[user]; loc != nil {
		return loc, nil
	}
	return nil, fmt.Errorf("@%s has no time zone (set one with :tz)", user)
}

const consoleHelp = `Type a command as you would in Slack: /release help, /release add payments 2.3.0 2027-01-15
(the leading /release may be left out). Console commands:
  :as @user        act as another user (now %s)
  :in #channel     type commands in another channel (now #%s)
  :tz [@user] <zone>  set a user's time zone, like Europe/Berlin (yours when no @user)
  :advance <d>     move the fake clock by d (30m, 12h, 3d, 2w) and run what falls due
  :click CR-N <vote>  click a change request's button: approve, reject or abstain
  :click <button> [<date> [because <reason>]]  click a button of the latest reply (a preview's
                   Move it), or else of a message to you, by the start of its label ("in
                   quotes" when it has spaces); a form's answers follow it
  :now             where the console's clock stands (kept in the database)
  :help            this help
  :quit            leave (so does end of input)
`

// Run reads commands until end of input, :quit, or ctx ends.
func (c *Console) Run(ctx context.Context) error {
	if c.Outbox.Zones == nil {
		c.Outbox.Zones = consoleZones{c}
	}
	if c.Outbox.Loc == nil {
		c.Outbox.Loc = c.Dispatcher.Loc()
	}
	if cs, ok := c.Outbox.Sender.(*consoleSender); ok && c.Pictures != "" {
		cs.dir = c.Pictures
	}
	sc := bufio.NewScanner(c.In)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	if c.Interactive {
		fmt.Fprintf(c.Out, "relman console — %s — you are @%s in #%s. Type :help for help.\n", c.Clock.Now().Format("Mon 2006-01-02 15:04 MST"), c.User, c.Channel)
	}
	for {
		if c.Interactive {
			fmt.Fprint(c.Out, "relman> ")
		}
		if !sc.Scan() {
			break
		}
		line := strings.TrimSpace(sc.Text())
		if !c.Interactive && line != "" {
			fmt.Fprintf(c.Out, "> %s\n", line)
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		quit, err := c.line(ctx, line)
		if err != nil {
			return err
		}
		if quit || ctx.Err() != nil {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("console input: %w", err)
	}
	return ctx.Err()
}

func (c *Console) line(ctx context.Context, line string) (quit bool, err error) {
	if strings.HasPrefix(line, ":") {
		return c.directive(ctx, line)
	}
	cmd := "/release"
	if strings.HasPrefix(line, "/") {
		name, rest, _ := strings.Cut(line, " ")
		cmd, line = strings.ToLower(name), rest
	}
	if cmd != "/release" && cmd != "/ccb" {
		fmt.Fprintf(c.Out, "%s is not a relman command: use /release or /ccb.\n", cmd)
		return false, nil
	}
	reply := c.Dispatcher.Command(ctx, commands.Request{User: c.User, Channel: c.Channel, Command: cmd, Text: line, Zone: c.Zones[c.User], Via: store.ViaConsole})
	if reply.Modal != "" {
		fmt.Fprintln(c.Out, "(In Slack this opens a form; at the console, type the arguments.)")
	}
	c.reply(reply)
	_, err = c.Outbox.Flush(ctx)
	return false, err
}

// reply prints a command's private reply and the labels of its buttons,
// which :click <label> then clicks.
func (c *Console) reply(reply commands.Reply) {
	fmt.Fprintln(c.Out, PlainText(reply.Doc.Text))
	if len(reply.Doc.Buttons) == 0 {
		return
	}
	c.buttons = reply.Doc.Buttons
	labels := make([]string, len(c.buttons))
	for i, b := range c.buttons {
		labels[i] = "[" + b.Text + "]"
	}
	fmt.Fprintf(c.Out, "%s  (:click <label>)\n", strings.Join(labels, " "))
}

// clickReply clicks the button labelled label (any case) of the latest
// reply with buttons, as in Slack: a RunButton runs its command as the
// current user. It reports whether there was such a button.
func (c *Console) clickReply(ctx context.Context, label string) (bool, error) {
	if l, ok := strings.CutPrefix(label, `"`); ok { // :click "Move it"
		label = strings.TrimSuffix(l, `"`)
	}
	label = strings.ToLower(strings.TrimRight(label, "…. "))
	for _, b := range c.buttons {
		if label == "" || !strings.HasPrefix(strings.ToLower(b.Text), label) {
			continue
		}
		command, ok := render.RunCommand(b.ActionID, b.Value)
		if !ok {
			return false, nil
		}
		fmt.Fprintf(c.Out, "(@%s clicked %s: /release %s)\n", c.User, b.Text, PlainText(command))
		c.reply(c.Dispatcher.Command(ctx, commands.Request{User: c.User, Channel: c.Channel, Command: "/release", Text: command, Zone: c.Zones[c.User], Via: store.ViaConsole}))
		_, err := c.Outbox.Flush(ctx)
		return true, err
	}
	return false, nil
}

func (c *Console) directive(ctx context.Context, line string) (bool, error) {
	name, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case ":quit", ":q", ":exit":
		return true, nil
	case ":help", ":h":
		fmt.Fprintf(c.Out, consoleHelp, c.User, c.Channel)
	case ":as":
		u := strings.TrimPrefix(arg, "@")
		if u == "" || strings.ContainsAny(u, " <>&") {
			fmt.Fprintln(c.Out, "usage: :as @user")
			break
		}
		c.User = u
		fmt.Fprintf(c.Out, "You are now @%s.\n", u)
	case ":in":
		ch := strings.TrimPrefix(arg, "#")
		if ch == "" || strings.ContainsAny(ch, " <>&") {
			fmt.Fprintln(c.Out, "usage: :in #channel")
			break
		}
		c.Channel = ch
		fmt.Fprintf(c.Out, "You are now in #%s.\n", ch)
	case ":tz":
		c.setZone(arg)
	case ":click":
		return false, c.click(ctx, arg)
	case ":now":
		fmt.Fprintln(c.Out, c.now())
	case ":advance":
		d, err := parseAdvance(arg)
		if err != nil {
			fmt.Fprintln(c.Out, err)
			break
		}
		end := c.Clock.Now().Add(d)
		fmt.Fprintf(c.Out, "Clock advanced %s to %s.\n", arg, c.stamp(end))
		if err := c.advance(ctx, end); err != nil {
			return false, err
		}
		if c.SaveClock != nil && c.Real != nil {
			if err := c.SaveClock(ctx, c.Clock.Now().Sub(c.Real.Now())); err != nil {
				fmt.Fprintf(c.Out, "The clock could not be kept for the next console: %s\n", store.ErrorMessage(err))
			}
		}
	default:
		fmt.Fprintf(c.Out, "unknown console command %s; type :help\n", name)
	}
	return false, nil
}

// click handles ":click CR-N approve|reject|abstain": the current user
// clicks that button of the CR's message, as in Slack (its value is
// "N:choice"), and sees the private answer.
func (c *Console) click(ctx context.Context, arg string) error {
	if ok, err := c.clickReply(ctx, arg); ok || err != nil {
		return err
	}
	f := strings.Fields(arg)
	if len(f) == 0 || !crName.MatchString(f[0]) {
		return c.clickButton(ctx, arg)
	}
	if len(f) != 2 {
		fmt.Fprintln(c.Out, clickUsage)
		return nil
	}
	if _, err := store.ParseChoice(f[1]); err != nil {
		fmt.Fprintln(c.Out, "✗ "+voteHint(f[1]))
		return nil
	}
	id := strings.TrimPrefix(strings.ToUpper(f[0]), "CR-")
	reply := c.Dispatcher.Action(store.WithVia(ctx, store.ViaConsole), Action{User: c.User, ID: ActionVote, Value: id + ":" + strings.ToLower(f[1]),
		Channel: c.Channel, Zone: c.Zones[c.User]})
	fmt.Fprintln(c.Out, PlainText(reply.Doc.Text))
	_, err := c.Outbox.Flush(ctx)
	return err
}

// crName is how :click names a change request.
var crName = regexp.MustCompile(`(?i)^CR-[0-9]+$`)

// maxSteps bounds the steps of one :advance (a sweep every second for a
// year would be 31 million): beyond it the clock jumps to the end.
const maxSteps = 10000

// advance moves the clock to end one event at a time, in time order: each
// scheduled sweep runs at its time, and each held message is delivered
// when it falls due, under a line giving that time.
func (c *Console) advance(ctx context.Context, end time.Time) error {
	for step := 0; ; step++ {
		now := c.Clock.Now()
		next, sweep := end, false
		if c.Sweep != nil && c.SweepAt != nil && step < maxSteps {
			if t := c.SweepAt(now); t.After(now) && !t.After(next) {
				next, sweep = t, true
			}
		}
		if t, err := c.Outbox.Next(); err != nil {
			return err
		} else if t.After(now) && t.Before(next) {
			next, sweep = t, false
		}
		c.Clock.Set(next)
		if sweep {
			if err := c.Sweep(ctx, next); err != nil {
				fmt.Fprintf(c.Out, "sweep at %s failed: %v\n", c.stamp(next), err)
			}
		}
		if t, err := c.Outbox.Next(); err != nil {
			return err
		} else if !t.IsZero() && !t.After(next) && next.After(now) {
			fmt.Fprintf(c.Out, "— %s —\n", c.stamp(next))
		}
		if _, err := c.Outbox.Flush(ctx); err != nil {
			return err
		}
		if !next.Before(end) || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// now says where the console's clock stands, and how far ahead of the
// real time when Real is set.
func (c *Console) now() string {
	at := c.stamp(c.Clock.Now())
	if c.Real == nil {
		return fmt.Sprintf("%s on the console's clock (:advance moves it).", at)
	}
	ahead := c.Clock.Now().Sub(c.Real.Now()).Round(time.Minute)
	where := aheadWords(ahead) + " ahead of the real time"
	if ahead <= 0 {
		where = "the real time"
	}
	return fmt.Sprintf("%s on the console's clock, %s. :advance moves it, and the next console on this database starts where it stands; relman serve keeps the real time.", at, where)
}

// aheadWords says a positive duration in days, hours and minutes.
func aheadWords(d time.Duration) string {
	var parts []string
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}} {
		if n := d / u.d; n > 0 {
			d -= n * u.d
			word := u.name
			if n > 1 {
				word += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, word))
		}
	}
	return strings.Join(parts, " ")
}

// stamp formats an instant in the workspace zone.
func (c *Console) stamp(t time.Time) string {
	return t.In(c.Dispatcher.Loc()).Format("Mon 2006-01-02 15:04 MST")
}

// setZone handles ":tz [@user] <zone>", and ":tz" alone, which shows the
// current user's zone.
func (c *Console) setZone(arg string) {
	f := strings.Fields(arg)
	user := c.User
	if len(f) > 0 && strings.HasPrefix(f[0], "@") {
		user, f = strings.TrimPrefix(f[0], "@"), f[1:]
	}
	switch {
	case len(f) == 0 && user == c.User && len(strings.Fields(arg)) == 0:
		zone := "the workspace's, " + c.Dispatcher.Loc().String()
		if loc := c.Zones[user]; loc != nil {
			zone = loc.String()
		}
		fmt.Fprintf(c.Out, "Your time zone is %s.\n", zone)
		return
	case len(f) != 1 || user == "" || strings.ContainsAny(user, " <>&"):
		fmt.Fprintln(c.Out, "usage: :tz [@user] <zone>, like :tz @sam Asia/Tokyo")
		return
	}
	loc, err := time.LoadLocation(f[0])
	if err != nil || f[0] == "Local" {
		fmt.Fprintf(c.Out, "%q is not a time zone: use an IANA name like Europe/Berlin or America/New_York.\n", f[0])
		return
	}
	if c.Zones == nil {
		c.Zones = make(map[string]*time.Location)
	}
	c.Zones[user] = loc
	fmt.Fprintf(c.Out, "@%s's time zone is now %s.\n", user, loc)
}

// parseAdvance reads 30m, 12h, 3d, 2w, or a Go duration.
func parseAdvance(s string) (time.Duration, error) {
	if n := len(s); n >= 2 {
		if v, err := strconv.Atoi(s[:n-1]); err == nil && v > 0 {
			switch s[n-1] {
			case 'd':
				return time.Duration(v) * 24 * time.Hour, nil
			case 'w':
				return time.Duration(v) * 7 * 24 * time.Hour, nil
			}
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("usage: :advance <duration>, like 30m, 12h, 3d or 2w")
	}
	return d, nil
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}
