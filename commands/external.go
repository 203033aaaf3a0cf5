package commands

import (
	"fmt"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// externalView is show, history or impact of an external item (a vendor
// SDK, a partner API): `/release show external "Adyen SDK 7"`.
type externalView struct {
	view string // "show", "history" or "impact"
	name string
}

func (*externalView) readOnly() bool { return true }

// parseExternalView reads `external "<name>"` for view; ok is false when
// the next words are not that (`show external 1.0` is a release of a
// product named external).
func parseExternalView(p *parser, view string) (cmd Command, ok bool, err error) {
	if !p.isWord("external") || (p.pos+1 < len(p.toks) && p.toks[p.pos+1].Kind != Quoted) {
		return nil, false, nil
	}
	p.pos++
	name, err := p.quoted("the external item's name")
	return &externalView{view: view, name: name}, true, err
}

// parseView is the parser of a view (show, history, impact) of a release,
// or of an external item: mk makes the release's command.
func parseView(view string, mk func(store.Ref) Command) func(*parser) (Command, error) {
	return func(p *parser) (Command, error) {
		if cmd, ok, err := parseExternalView(p, view); ok {
			return cmd, err
		}
		ref, err := p.release()
		return mk(ref), err
	}
}

func (c *externalView) run(x *Exec) (store.Doc, error) {
	var doc store.Doc
	err := x.view(func(tx *store.Tx) error {
		ext, err := tx.External(c.name)
		if err != nil {
			return err
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		switch c.view {
		case "history":
			doc = externalHistory(x, ext)
		case "impact":
			doc = externalImpact(x, g, ext)
		default:
			doc = externalShow(x, g, ext)
		}
		return nil
	})
	return doc, err
}

// externalTitle is how views head an external item (plain text).
func externalTitle(ext *store.External) string { return "external “" + ext.Name + "”" }

func externalShow(x *Exec, g *store.Graph, ext *store.External) store.Doc {
	b := render.NewDoc(externalTitle(ext))
	confirmed := "never"
	if !ext.LastConfirmed.IsZero() {
		confirmed = render.When(store.DateOf(ext.LastConfirmed, x.s.loc()), x.today)
		if x.now.Sub(ext.LastConfirmed) >= render.StaleAfter {
			confirmed += " — :warning: *not confirmed for " + render.Days(x.today.Sub(store.DateOf(ext.LastConfirmed, x.s.loc()))) + "*"
		}
	}
	b.Fields(
		"Due", render.When(ext.Due, x.today),
		"Owner", render.Mention(ext.Owner),
		"Last confirmed", confirmed,
		"Added by", render.Mention(ext.CreatedBy),
	)
	deps := g.Dependents("ext:" + store.ExternalKey(ext.Name))
	if len(deps) == 0 {
		b.Section("*Needed by:* nothing depends on it now.")
	} else {
		lines := []string{"*Needed by:*"}
		for i, d := range deps {
			if i == showDependents {
				lines = append(lines, fmt.Sprintf("…and %d more — `/release impact external \"%s\"`", len(deps)-i, render.Escape(ext.Name)))
				break
			}
			if e, ok := g.EdgeState(d, x.today); ok {
				lines = append(lines, fmt.Sprintf("• %s by %s — %s", render.Bold(d.Consumer), e.NeededBy.Pretty(), render.EdgeStateText(e, x.today)))
			}
		}
		b.Lines(lines)
	}
	if n := len(ext.History); n > 0 {
		h := ext.History[n-1]
		b.Context(fmt.Sprintf("Last change: %s — `/release history external \"%s\"`", strings.TrimPrefix(externalHistoryLine(h, x), "• "), render.Escape(ext.Name)))
	}
	return b.Build()
}

func externalHistory(x *Exec, ext *store.External) store.Doc {
	b := render.NewDoc("History of " + externalTitle(ext))
	lines := make([]string, 0, len(ext.History))
	for _, h := range ext.History {
		lines = append(lines, externalHistoryLine(h, x))
	}
	if n := len(lines) - ListLimit; n > 0 {
		lines = lines[n:]
		b.More(n, "older entries are left out here; the audit log keeps them all")
	}
	if len(lines) == 0 {
		lines = append(lines, "No changes recorded.")
	}
	b.Lines(lines)
	return b.Build()
}

// externalHistoryLine says an entry of an external item's history: its
// date is a due date, and a confirmation either kept or changed it.
func externalHistoryLine(h store.HistoryEntry, x *Exec) string {
	switch h.Kind {
	case store.HistoryAdded:
		h.Kind = "added, due " + store.HistoryKind(h.To.Pretty()) + ","
	case store.HistoryConfirmed:
		if h.From != h.To && !h.From.IsZero() {
			h.Kind = store.HistoryMoved
		} else {
			h.Kind = "confirmed still due " + store.HistoryKind(h.To.Pretty()) + ","
		}
	}
	return render.HistoryLine(h, x.zone())
}

func externalImpact(x *Exec, g *store.Graph, ext *store.External) store.Doc {
	down, total := g.DownstreamFirst("ext:"+store.ExternalKey(ext.Name), x.today, ListLimit)
	up := g.Upstream(x.today)
	b := render.NewDoc("Impact of " + externalTitle(ext))
	head := fmt.Sprintf("External “%s”, due %s", render.Escape(ext.Name), render.When(ext.Due, x.today))
	if len(down) == 0 {
		b.Section(fmt.Sprintf("Nothing depends on %s.", head))
		return b.Build()
	}
	b.Section(fmt.Sprintf("%s — %s downstream:", head, render.Plural(total, "release")))
	b.Lines(impactLines(down, up, x.today))
	b.More(total-len(down), "the nearest are shown; ask about one of them with `/release impact &lt;release&gt;`")
	b.Context("Every edge into the downstream set is shown; `/release show &lt;release&gt;` says why one is at risk.")
	return b.Build()
}
