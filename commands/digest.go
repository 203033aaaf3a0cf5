package commands

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"relman/commands/render"
	"relman/store"
)

// digestCmd subscribes a channel or the user to a scheduled digest (SPEC
// §5), stops one, or lists them. What a digest says, and sending it, belong
// to the reminders sweep; this command only keeps the schedules.
type digestCmd struct {
	action   string // "subscribe", "now", "off" or "list"
	cadence  store.Cadence
	weekday  time.Weekday
	hour     int
	minute   int
	weekends bool // a daily DM digest on Saturday and Sunday too
	target   digestTarget
	products []string
}

// digestTarget is where a digest goes: "here" (the channel the command was
// typed in, the default), "me" (a DM), or a named channel.
type digestTarget struct {
	me      bool
	channel string // a named channel; "" with me unset means here
}

var clockRE = regexp.MustCompile(`^(\d{1,2}):(\d{2})$`)

func parseDigest(p *parser) (Command, error) {
	w, err := p.word("daily, weekly, now, off or list")
	if err != nil {
		return nil, err
	}
	c := &digestCmd{action: "subscribe"}
	switch strings.ToLower(w) {
	case "list":
		c.action = "list"
		return c, nil
	case "off":
		c.action = "off"
		c.target, err = p.digestTarget()
		return c, err
	case "now":
		c.action = "now"
		return c, p.digestProducts(c)
	case "daily":
		c.cadence = store.Daily
	case "weekly":
		c.cadence = store.Weekly
		d, err := p.word("the day of the week (mon, tue, … sun)")
		if err != nil {
			return nil, err
		}
		var ok bool
		if c.weekday, ok = weekdays[strings.ToLower(d)]; !ok {
			return nil, invalid("%q is not a day of the week: use mon, tue, wed, thu, fri, sat or sun", render.Clip(d, 40))
		}
	default:
		return nil, invalid("expected daily, weekly, now, off or list after digest, not %q", render.Clip(w, 40))
	}
	at, err := p.word("the time of day (like 09:00)")
	if err != nil {
		return nil, err
	}
	if c.hour, c.minute, err = parseClock(at); err != nil {
		return nil, err
	}
	if c.target, err = p.digestTarget(); err != nil {
		return nil, err
	}
	c.weekends = c.cadence == store.Daily && p.keyword("weekends")
	return c, p.digestProducts(c)
}

// digestProducts reads the product names that end a digest command.
func (p *parser) digestProducts(c *digestCmd) error {
	for !p.done() {
		t, _ := p.peek()
		if t.Kind != Word {
			if c.action == "now" {
				return invalid("expected product names after now, not %q: a digest asked for now is shown only to you", render.Clip(t.Text, 40))
			}
			return invalid("expected product names after the time and where the digest goes, not %q", render.Clip(t.Text, 40))
		}
		prod, err := store.NormalizeProduct(t.Text)
		if err != nil {
			return err
		}
		p.pos++
		if !slices.Contains(c.products, prod) {
			c.products = append(c.products, prod)
		}
	}
	return nil
}

// parseClock reads a 24-hour time of day: 09:00, 9:00, 17:30.
func parseClock(s string) (hour, minute int, err error) {
	m := clockRE.FindStringSubmatch(s)
	if m != nil {
		hour, _ = strconv.Atoi(m[1])
		minute, _ = strconv.Atoi(m[2])
		if hour <= 23 && minute <= 59 {
			return hour, minute, nil
		}
	}
	return 0, 0, invalid("%q is not a time of day: use HH:MM on a 24-hour clock, like 09:00 or 17:30", render.Clip(s, 40))
}

// digestTarget reads an optional here, me or #channel.
func (p *parser) digestTarget() (digestTarget, error) {
	t, ok := p.peek()
	if !ok {
		return digestTarget{}, nil
	}
	switch {
	case t.Kind == Word && strings.EqualFold(t.Text, "here"):
		p.pos++
		return digestTarget{}, nil
	case t.Kind == Word && strings.EqualFold(t.Text, "me"):
		p.pos++
		return digestTarget{me: true}, nil
	case t.Kind == Channel:
		c, err := p.channel()
		return digestTarget{channel: c}, err
	case t.Kind == User || t.Kind == Group:
		return digestTarget{}, invalid("a digest goes to here, me or a #channel, not %q: to get one yourself, say me", render.Clip(cmp.Or(t.Label, t.Text), 40))
	}
	return digestTarget{}, nil // a product name follows
}

// resolve returns the channel (or user, for dm) the digest goes to.
func (t digestTarget) resolve(x *Exec) (channel string, dm bool, err error) {
	switch {
	case t.me:
		return x.req.User, true, nil
	case t.channel != "":
		return t.channel, false, nil
	case x.req.Channel == "":
		return "", false, invalid("this is not a channel: name one, like #releases, or say me for a digest by DM")
	case IsDM(x.req.Channel): // "here" in a DM is not a channel a digest can be posted to
		return "", false, invalid("here is a direct message, not a channel: say me for a digest by DM, or name a channel like #releases")
	}
	return x.req.Channel, false, nil
}

func (c *digestCmd) run(x *Exec) (store.Doc, error) {
	switch c.action {
	case "list":
		return c.list(x)
	case "off":
		return c.off(x)
	case "now":
		return c.now(x)
	}
	channel, dm, err := c.target.resolve(x)
	if err != nil {
		return store.Doc{}, err
	}
	sub := &store.Subscription{
		Channel: channel, DM: dm, Cadence: c.cadence, Weekday: c.weekday, Hour: c.hour, Minute: c.minute, Weekends: c.weekends,
		Products: c.products, Zone: zoneName(x.zone()), CreatedAt: x.now, CreatedBy: x.req.User,
	}
	var replaced *store.Subscription
	err = x.update(func(tx *store.Tx) error {
		if err := knownProducts(tx, c.products); err != nil {
			return err
		}
		old, err := tx.Subscription(sub.Key())
		switch {
		case err == nil:
			replaced = old
		case store.ErrorCode(err) != store.ENotFound:
			return err
		}
		if err := tx.PutSubscription("digest.subscribe", sub); err != nil {
			return err
		}
		if dm {
			return nil
		}
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":calendar: %s set this channel to get %s. `/release digest off here` stops it.", render.Mention(x.req.User), describeDigest(sub)))
		return x.post(tx, channel, b.Build())
	})
	if err != nil {
		return store.Doc{}, err
	}
	who := render.ChannelRef(channel) + " gets"
	if dm {
		who = "You get"
	}
	msg := fmt.Sprintf(":white_check_mark: %s %s.", who, describeDigest(sub))
	if replaced != nil {
		msg += fmt.Sprintf(" This replaces %s.", render.DescribeSchedule(replaced))
	}
	b := render.NewDoc("")
	b.Section(msg)
	return b.Build(), nil
}

// DigestNowSince is how far back a digest asked for now looks for what
// shipped.
const DigestNowSince = 7 * 24 * time.Hour

// now answers with the digest of the products named (or every product)
// at once, privately: what a scheduled digest would say, with what
// shipped in the last 7 days.
func (c *digestCmd) now(x *Exec) (store.Doc, error) {
	var doc store.Doc
	err := x.view(func(tx *store.Tx) error {
		if err := knownProducts(tx, c.products); err != nil {
			return err
		}
		sub := &store.Subscription{Products: slices.Sorted(slices.Values(c.products))}
		var err error
		doc, err = Digest(tx, sub, x.now.Add(-DigestNowSince), x.now, x.s.loc())
		return err
	})
	return doc, err
}

func (c *digestCmd) off(x *Exec) (store.Doc, error) {
	channel, dm, err := c.target.resolve(x)
	if err != nil {
		return store.Doc{}, err
	}
	var had bool
	err = x.update(func(tx *store.Tx) error {
		var err error
		if had, err = tx.DeleteSubscription("digest.off", store.SubscriptionKey(channel, dm)); err != nil || !had || dm {
			return err
		}
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":calendar: %s stopped this channel's digest.", render.Mention(x.req.User)))
		return x.post(tx, channel, b.Build())
	})
	if err != nil {
		return store.Doc{}, err
	}
	var msg string
	switch {
	case had && dm:
		msg = ":white_check_mark: You no longer get a digest."
	case had:
		msg = ":white_check_mark: " + render.ChannelRef(channel) + " no longer gets a digest."
	case dm:
		msg = "You had no digest, so nothing changed."
	default:
		msg = render.ChannelRef(channel) + " had no digest, so nothing changed."
	}
	b := render.NewDoc("")
	b.Section(msg)
	return b.Build(), nil
}

// list shows the channels' digests and the user's own; other people's DM
// digests are theirs, so they are only counted.
func (c *digestCmd) list(x *Exec) (store.Doc, error) {
	var subs []store.Subscription
	if err := x.view(func(tx *store.Tx) (err error) {
		subs, err = tx.Subscriptions()
		return err
	}); err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("Digests")
	var lines []string
	others := 0
	for i := range subs {
		s := &subs[i]
		switch {
		case !s.DM:
			lines = append(lines, fmt.Sprintf("• %s: %s · set by %s", render.ChannelRef(s.Channel), describeDigest(s), render.Mention(s.CreatedBy)))
		case s.Channel == x.req.User:
			lines = append(lines, fmt.Sprintf("• You, by DM: %s", describeDigest(s)))
		default:
			others++
		}
	}
	switch {
	case len(lines) == 0 && others > 0:
		lines = append(lines, "No channel has a digest, and you have none.")
	case len(lines) == 0:
		lines = append(lines, "No digests yet.")
	}
	b.Lines(lines)
	if others > 0 {
		b.Context(fmt.Sprintf("Plus %d by DM to other people.", others))
	}
	b.Context("Start one with `/release digest daily 09:00 here` or `/release digest weekly mon 09:00 me payments`.")
	return b.Build(), nil
}

// knownProducts fails with the products relman knows unless every one of
// names is among them.
func knownProducts(tx *store.Tx, names []string) error {
	for _, n := range names {
		_, err := tx.Product(n)
		if err == nil {
			continue
		}
		if store.ErrorCode(err) != store.ENotFound {
			return err
		}
		all, err := tx.Products()
		if err != nil {
			return err
		}
		var known []string
		for _, p := range all {
			known = append(known, p.Name)
		}
		switch {
		case len(known) == 0:
			return invalid("there is no product %q yet: add a release of it first", n)
		case len(known) > 12:
			known = append(known[:12], "…")
		}
		return invalid("there is no product %q; the products are %s", n, strings.Join(known, ", "))
	}
	return nil
}

// describeDigest says what a subscription sends and when: "a weekly digest
// on Mondays at 09:00 (Europe/Berlin) for auth and payments".
func describeDigest(s *store.Subscription) string {
	return render.DescribeSchedule(s) + " for " + render.ProductList(s.Products)
}

// zoneName is the IANA name a subscription stores for loc, UTC when loc
// has no name another process could load.
func zoneName(loc *time.Location) string {
	name := loc.String()
	if name == "" || name == "Local" {
		return "UTC"
	}
	if _, err := time.LoadLocation(name); err != nil {
		return "UTC"
	}
	return name
}

// Digest composes the digest of sub's products (SPEC §5) as of now, in the
// order a manager reads it in ten seconds: what is at risk and why, what
// comes up in the next 4 weeks by date, the slipped and overdue
// dependencies, the change requests awaiting votes (with who has not
// voted), the external items awaiting confirmation, the freezes in
// progress or starting within FreezeAhead days, and what shipped after
// since (the previous digest). Each section is capped, ending with
// "…and N more" and the command that shows them all. A digest with nothing
// to say is one line. loc is the workspace zone, in which dates are read.
// sub need not be stored: `digest now` passes one with only the products,
// and then the digest ends with how to schedule it. It only reads. To
// compose several digests as of one moment, use a Digester.
func Digest(tx *store.Tx, sub *store.Subscription, since, now time.Time, loc *time.Location) (store.Doc, error) {
	dg, err := LoadDigester(tx, since, now, loc)
	if err != nil {
		return store.Doc{}, err
	}
	return dg.Digest(sub, since), nil
}

// LoadDigester reads what digests are made of from tx (the graph, the
// external items, the open change requests, the freezes, and the news
// recorded since newsSince: freezes made and removed, roles changed) and
// prepares digests as of now; loc is the workspace zone. newsSince is the
// earliest since any of the digests will be asked for: reading the news
// costs the audit entries written after it.
func LoadDigester(tx *store.Tx, newsSince, now time.Time, loc *time.Location) (*render.Digester, error) {
	o, err := tx.Outlook()
	if err != nil {
		return nil, err
	}
	exts, err := tx.Externals()
	if err != nil {
		return nil, err
	}
	news, err := tx.News(newsSince, now)
	if err != nil {
		return nil, err
	}
	return render.NewDigester(o.Graph, exts, o.OpenCRs, o.Freezes, news, now, loc), nil
}
