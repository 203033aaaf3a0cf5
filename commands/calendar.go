package commands

import (
	"fmt"
	"slices"

	"relman/commands/calendar"
	"relman/commands/render"
	"relman/store"
)

// calendarCmd makes a calendar feed for the products (none: every product)
// and shows its address to whoever asked, or, with revoke, ends their feeds.
type calendarCmd struct {
	products []string
	revoke   bool
}

func parseCalendar(p *parser) (Command, error) {
	c := &calendarCmd{}
	if p.keyword("revoke") {
		c.revoke = true
		return c, nil
	}
	for !p.done() {
		if err := p.product(&c.products, "product names after calendar", ""); err != nil {
			return nil, err
		}
	}
	slices.Sort(c.products)
	return c, nil
}

func (c *calendarCmd) run(x *Exec) (store.Doc, error) {
	if c.revoke {
		var n int
		err := x.update(func(tx *store.Tx) (err error) {
			n, err = tx.RevokeCalendarFeeds("calendar.revoke", x.req.User)
			return err
		})
		if err != nil {
			return store.Doc{}, err
		}
		b := render.NewDoc("")
		const kept = " Subscribed calendars keep what they last fetched until you remove them."
		switch n {
		case 0:
			b.Section("You have no calendar feed: there was nothing to revoke.")
		case 1:
			b.Section(":white_check_mark: Revoked your calendar feed: its address no longer works." + kept)
		default:
			b.Section(fmt.Sprintf(":white_check_mark: Revoked your %s: their addresses no longer work.", render.Plural(n, "calendar feed")) + kept)
		}
		return b.Build(), nil
	}
	var token string
	var replaced bool
	err := x.update(func(tx *store.Tx) (err error) {
		if err := knownProducts(tx, c.products); err != nil {
			return err
		}
		token, replaced, err = tx.NewCalendarFeed("calendar.subscribe", x.req.User, c.products)
		return err
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	path := calendar.Path(token)
	if x.s.PublicURL != "" {
		b.Section(fmt.Sprintf(":calendar: Your calendar feed of %s (release targets, needed-by dates, change request deadlines and freezes):\n`%s`",
			render.ProductList(c.products), x.s.PublicURL+path))
	} else {
		b.Section(fmt.Sprintf(":calendar: Your calendar feed of %s is at the path\n`%s`\n:warning: relman's public address is not set (RELMAN_PUBLIC_URL), so I can't give the whole address: put the address you reach relman at in front of the path, or ask whoever runs relman to set RELMAN_PUBLIC_URL.",
			render.ProductList(c.products), path))
	}
	b.Section("Subscribe to it by its address: in Google Calendar, *Other calendars › + › From URL*; in Outlook, *Add calendar › Subscribe from web*. Anyone with the address can read the feed, so keep it to yourself.")
	ctx := "This address is shown only now. `/release calendar revoke` ends your feeds."
	if replaced {
		ctx = "Your earlier address for " + render.ProductList(c.products) + " no longer works. " + ctx
	}
	b.Context(ctx)
	return b.Build(), nil
}
