package commands

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// timelineCmd posts a timeline picture of some products (none: every
// product) in the channel it was typed in.
type timelineCmd struct {
	products []string
	weeks    int
}

func parseTimeline(p *parser) (Command, error) {
	c := &timelineCmd{weeks: render.TimelineWeeks}
	weeksSet := false
	for !p.done() {
		if p.keyword("weeks") {
			if weeksSet {
				return nil, invalid("say `weeks N` once")
			}
			weeksSet = true
			w, err := p.word(fmt.Sprintf("the number of weeks ahead (1 to %d) after weeks", render.TimelineMaxWeeks))
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(strings.TrimSuffix(strings.ToLower(w), "w"))
			if err != nil || n < 1 || n > render.TimelineMaxWeeks {
				return nil, invalid("weeks must be a whole number from 1 to %d, not %q", render.TimelineMaxWeeks, render.Clip(w, 20))
			}
			c.weeks = n
			continue
		}
		if err := p.product(&c.products, "product names or `weeks N` after timeline", ": the timeline is posted here"); err != nil {
			return nil, err
		}
	}
	slices.Sort(c.products)
	return c, nil
}

func (c *timelineCmd) run(x *Exec) (store.Doc, error) {
	if x.req.Channel == "" {
		return store.Doc{}, invalid("a timeline is posted in a channel: type /release timeline in the channel that should see it")
	}
	var t *store.Timeline
	err := x.update(func(tx *store.Tx) error {
		if err := knownProducts(tx, c.products); err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		fs, err := tx.Freezes()
		if err != nil {
			return err
		}
		t = render.NewTimeline(g, fs, c.products, x.today, c.weeks)
		if t.Items() == 0 {
			return nil
		}
		x.queued++
		x.newsIn = append(x.newsIn, x.req.Channel)
		return tx.Enqueue(&store.Message{Channel: x.req.Channel, Doc: render.TimelineDoc(t), Picture: t})
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	if t.Items() == 0 {
		b.Section(fmt.Sprintf(":zzz: Nothing to draw: %s %s no release from %s to %s. `/release list` shows what there is.",
			render.ProductList(c.products), map[bool]string{true: "has", false: "have"}[len(c.products) == 1], t.From.Pretty(), t.To.Pretty()))
		return b.Build(), nil
	}
	b.Section(fmt.Sprintf(":white_check_mark: Posted the timeline of %s (%s to %s) in %s.", render.ProductList(c.products), t.From.Pretty(), t.To.Pretty(), render.ChannelRef(x.req.Channel)))
	return b.Build(), nil
}
