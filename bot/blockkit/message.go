// Package blockkit renders relman's transport-neutral store.Doc as Slack
// Block Kit: message blocks, response bodies, the App Home tab, and the
// add-release modal.
//
// Every text a Doc holds is mrkdwn already escaped by the commands package;
// blockkit never escapes it again, and marks every mrkdwn object verbatim so
// Slack does not auto-link what users typed. It keeps Slack's size limits
// (SLACK.md §5) by shortening texts and cutting blocks, never by failing:
// slack-go does not check the limits, and a message over one is rejected
// whole with invalid_blocks.
package blockkit

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"relman/store"
)

// Slack's Block Kit limits (SLACK.md §5). Lengths are in characters, counted
// as runes as slack-go's TextBlockObject.Validate does.
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxText          = 3000
	maxField         = 2000
	maxFields        = 10
	maxHeader        = 150
	maxButtons       = 25
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxActionID      = 255
	// maxFallback keeps a message's text under the 4,000 characters
	// chat.update accepts.
	maxFallback = 3900
)

// Blocks renders doc as the blocks of one message:
//
//   - Header: a plain_text header block, shortened to 150 characters.
//   - each Section: a section block with its Text and Fields (at most 10
//     fields a block, so more fields continue in further blocks), then a
//     context block with its Context. Texts are verbatim mrkdwn shortened
//     to 3,000 characters, fields to 2,000: cut at a line break when one is
//     near the limit, never inside a <…> entity or an &amp;-style escape,
//     and ended with "…". Blank texts are left out.
//   - Buttons: actions blocks of at most 25 buttons, with the action_id,
//     value and style (primary or danger; others are dropped) as given and
//     the text shortened to 75 characters. Slack rejects duplicate
//     action_ids within a block, so a button whose action_id repeats one
//     in the same actions block gets a suffix (ActionID + "#2", "#3", …;
//     ActionID strips it when the click comes back) and the buttons stay in
//     one row, as the Approve / Reject / Abstain of a CR. A button with no
//     text, a value over 2,000 characters or an action_id over 255 is left
//     out rather than sent shortened, since its handler would misread it.
//   - More > 0: a final context block "…and N more", followed by
//     " — " and MoreHint when it says how to see the rest.
//
// A message has at most 50 blocks. When the doc needs more, Blocks keeps
// the first blocks and the buttons, and ends with a context block
// "…and N more not shown", where N counts the lines, fields and buttons
// left out plus doc.More.
//
// If blockIDPrefix is not empty, block i gets the block_id prefix-i; Slack
// wants block_ids unique per message and per update of it, so callers pass
// a prefix that changes on every update, short enough to stay within 255
// characters. An empty prefix sets no block_ids. A doc with nothing to show
// gives an empty, non-nil slice.
func Blocks(doc store.Doc, blockIDPrefix string) []slack.Block {
	blocks := fit(parts(doc, true), maxMessageBlocks)
	if blockIDPrefix != "" {
		for i, b := range blocks {
			setBlockID(b, fmt.Sprintf("%s-%d", blockIDPrefix, i))
		}
	}
	return blocks
}

// FallbackText is the text to send alongside doc's blocks: what
// notifications, screen readers and old clients show. It is doc.Text
// shortened to 3,900 characters like a section's text, or, if doc.Text is
// blank, the escaped Header, or "relman"; never empty.
func FallbackText(doc store.Doc) string {
	switch {
	case !blank(doc.Text):
		return clipMrkdwn(doc.Text, maxFallback)
	case !blank(doc.Header):
		return clipMrkdwn(escaper.Replace(strings.TrimSpace(doc.Header)), maxFallback)
	}
	return "relman"
}

// part is one rendered block and what leaving it out would hide.
type part struct {
	block slack.Block
	// items is how many lines, fields or buttons the block shows (doc.More
	// for the "…and N more" block), counted into "…and N more not shown".
	items int
	// keep marks blocks kept when blocks must be cut: the buttons.
	keep bool
}

// parts renders doc; buttons are left out if withButtons is false.
func parts(doc store.Doc, withButtons bool) []part {
	ps := make([]part, 0, len(doc.Sections)+3) // most sections are one block
	if h := strings.TrimSpace(doc.Header); h != "" {
		ps = append(ps, part{block: slack.NewHeaderBlock(plain(clipPlain(h, maxHeader))), items: 1})
	}
	for _, s := range doc.Sections {
		ps = appendSectionParts(ps, s)
	}
	if withButtons {
		ps = append(ps, actionParts(doc.Buttons)...)
	}
	if doc.More > 0 {
		more := fmt.Sprintf("…and %d more", doc.More)
		if doc.MoreHint != "" {
			more += " — " + doc.MoreHint
		}
		ps = append(ps, part{block: contextBlock(more), items: doc.More})
	}
	return ps
}

// appendSectionParts appends the blocks of one section to ps.
func appendSectionParts(ps []part, s store.Section) []part {
	var text *slack.TextBlockObject
	items := 0
	if !blank(s.Text) {
		text, items = mrkdwn(clipMrkdwn(s.Text, maxText)), lines(s.Text)
	}
	var fields []*slack.TextBlockObject
	for _, f := range s.Fields {
		if !blank(f) {
			fields = append(fields, mrkdwn(clipMrkdwn(f, maxField)))
		}
	}
	for text != nil || len(fields) > 0 {
		n := min(len(fields), maxFields)
		var chunk []*slack.TextBlockObject
		if n > 0 {
			chunk = fields[:n:n]
		}
		fields = fields[n:]
		ps = append(ps, part{block: slack.NewSectionBlock(text, chunk, nil), items: items + n})
		text, items = nil, 0
	}
	if !blank(s.Context) {
		ps = append(ps, part{block: contextBlock(clipMrkdwn(s.Context, maxText)), items: lines(s.Context)})
	}
	return ps
}

func actionParts(buttons []store.Button) []part {
	var ps []part
	var cur []slack.BlockElement
	seen := make(map[string]bool)
	flush := func() {
		if len(cur) > 0 {
			ps = append(ps, part{block: slack.NewActionBlock("", cur...), items: len(cur), keep: true})
		}
		cur = nil
		clear(seen)
	}
	for _, b := range buttons {
		text := strings.TrimSpace(b.Text)
		if text == "" || utf8.RuneCountInString(b.Value) > maxButtonValue || utf8.RuneCountInString(b.ActionID) > maxActionID {
			continue
		}
		if len(cur) == maxButtons {
			flush()
		}
		id := b.ActionID
		if id != "" {
			for n := 2; seen[id]; n++ {
				id = b.ActionID + "#" + strconv.Itoa(n)
			}
			if utf8.RuneCountInString(id) > maxActionID {
				continue
			}
		}
		e := slack.NewButtonBlockElement(id, b.Value, plain(clipPlain(text, maxButtonText)))
		switch s := slack.Style(b.Style); s {
		case slack.StylePrimary, slack.StyleDanger:
			e = e.WithStyle(s)
		}
		cur = append(cur, e)
		seen[id] = true
	}
	flush()
	return ps
}

// ActionID returns the action_id a button was given in its Doc: the id a
// click carries, without the "#N" that Blocks adds to tell apart buttons
// of one block sharing an action_id.
func ActionID(id string) string {
	if base, n, ok := strings.Cut(id, "#"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
		return base
	}
	return id
}

// contextBlock is a context block with one verbatim mrkdwn element.
func contextBlock(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(text))
}

// fit returns the blocks of ps, at most limit of them. If there are more, it
// keeps the parts marked keep (as many as fit beside the notice) and the
// other parts from the start, drops a divider left at the end, and ends with
// a context block "…and N more not shown", N counting the items left out.
func fit(ps []part, limit int) []slack.Block {
	out := make([]slack.Block, 0, min(len(ps), limit))
	if len(ps) <= limit {
		for _, p := range ps {
			out = append(out, p.block)
		}
		return out
	}
	keeps := 0
	for _, p := range ps {
		if p.keep {
			keeps++
		}
	}
	keeps = min(keeps, limit-1)
	room := limit - 1 - keeps
	left := 0
	for _, p := range ps {
		switch {
		case p.keep && keeps > 0:
			out = append(out, p.block)
			keeps--
		case !p.keep && room > 0:
			out = append(out, p.block)
			room--
		default:
			left += p.items
		}
	}
	for len(out) > 0 && out[len(out)-1].BlockType() == slack.MBTDivider {
		out = out[:len(out)-1]
	}
	if left > 0 {
		out = append(out, contextBlock(fmt.Sprintf("…and %d more not shown", left)))
	}
	return out
}

// setBlockID sets the block_id of a block blockkit makes.
func setBlockID(b slack.Block, id string) {
	switch b := b.(type) {
	case *slack.HeaderBlock:
		b.BlockID = id
	case *slack.SectionBlock:
		b.BlockID = id
	case *slack.ContextBlock:
		b.BlockID = id
	case *slack.ActionBlock:
		b.BlockID = id
	case *slack.DividerBlock:
		b.BlockID = id
	default:
		panic(fmt.Sprintf("blockkit: setBlockID of %T", b))
	}
}
