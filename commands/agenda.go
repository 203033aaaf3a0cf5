package commands

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"relman/commands/render"
	"relman/store"
)

// agendaCmd posts a release meeting's agenda for some products (none:
// every product) in the channel it was typed in.
type agendaCmd struct{ products []string }

func parseAgenda(p *parser) (Command, error) {
	c := &agendaCmd{}
	for !p.done() {
		if err := p.product(&c.products, "product names after agenda", ": the agenda is posted here"); err != nil {
			return nil, err
		}
	}
	slices.Sort(c.products)
	return c, nil
}

// product reads the next word as a product name and adds it to products,
// once. Anything else is refused: "expected <what>, not …<hint>".
func (p *parser) product(products *[]string, what, hint string) error {
	t, _ := p.peek()
	if t.Kind != Word {
		return invalid("expected %s, not %q%s", what, render.Clip(cmp.Or(t.Label, t.Text), 40), hint)
	}
	prod, err := store.NormalizeProduct(t.Text)
	if err != nil {
		return err
	}
	p.pos++
	if !slices.Contains(*products, prod) {
		*products = append(*products, prod)
	}
	return nil
}

func (c *agendaCmd) run(x *Exec) (store.Doc, error) {
	if x.req.Channel == "" {
		return store.Doc{}, invalid("an agenda is posted in a channel: type /release agenda in the channel of the meeting")
	}
	err := x.update(func(tx *store.Tx) error {
		if err := knownProducts(tx, c.products); err != nil {
			return err
		}
		last := tx.LastAgenda(x.req.Channel, c.products)
		doc, err := Agenda(tx, c.products, last, x.now, x.s.loc())
		if err != nil {
			return err
		}
		if _, err := tx.MarkSent(store.AgendaKey(x.req.Channel, c.products, x.now)); err != nil {
			return err
		}
		return x.post(tx, x.req.Channel, doc)
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":white_check_mark: Posted the agenda for %s in %s.", render.ProductList(c.products), render.ChannelRef(x.req.Channel)))
	return b.Build(), nil
}

// Agenda composes the agenda of a release meeting for products as of now
// (Digester.Agenda), reading what it needs from tx; loc is the workspace
// zone.
func Agenda(tx *store.Tx, products []string, last, now time.Time, loc *time.Location) (store.Doc, error) {
	dg, err := LoadDigester(tx, now, now, loc) // an agenda tells no news
	if err != nil {
		return store.Doc{}, err
	}
	return dg.Agenda(products, last), nil
}
