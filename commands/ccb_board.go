package commands

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"relman/commands/render"
	"relman/store"
)

// Groups resolves Slack user groups to their members' user IDs. The bot
// implements it with usergroups.users.list (cached); a Service without one
// resolves every group to nobody.
type Groups interface {
	GroupMembers(ctx context.Context, groupID string) ([]string, error)
}

// resolveGroups returns the members of groups, sorted, each once.
func (s *Service) resolveGroups(ctx context.Context, groups []string) ([]string, error) {
	if s.Groups == nil || len(groups) == 0 {
		return nil, nil
	}
	var out []string
	for _, g := range groups {
		us, err := s.Groups.GroupMembers(ctx, g)
		if err != nil {
			return nil, fmt.Errorf("members of user group %s: %w", g, err)
		}
		out = append(out, us...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

type boardCmd struct {
	product string // "" for the default board
	op      string // show, add, remove, policy
	users   []string
	groups  []string
	policy  store.Policy
	quorum  int
	veto    []string
	vetoSet bool
	dur     time.Duration
	def     store.Choice
	anon    *bool
	isNew   bool // "new": the product is new even though its name is close to another's
}

func parseBoard(p *parser) (Command, error) {
	c := &boardCmd{isNew: p.trailingNew()}
	w, err := p.word("a product, or default")
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(w, "default") {
		if c.product, err = store.NormalizeProduct(w); err != nil {
			return nil, err
		}
	}
	switch {
	case p.done() || p.keyword("show"):
		c.op = "show"
		return c, nil
	case p.keyword("members", "member"):
		switch {
		case p.keyword("add"):
			c.op = "add"
		case p.keyword("remove", "rm"):
			c.op = "remove"
		default:
			return nil, invalid("expected members add or members remove")
		}
		for {
			t, ok := p.peek()
			if !ok || (t.Kind != User && t.Kind != Group) {
				break
			}
			if !idRE.MatchString(t.Text) {
				return nil, invalid("%q is not a user or a user group", render.Clip(t.Text, 40))
			}
			if t.Kind == User {
				c.users = append(c.users, t.Text)
			} else {
				c.groups = append(c.groups, t.Text)
			}
			p.pos++
		}
		if len(c.users)+len(c.groups) == 0 {
			return nil, invalid("missing the members: mention people like @alex, or a user group like @ccb")
		}
		return c, nil
	case p.keyword("policy"):
		c.op = "policy"
		return c, c.parsePolicy(p)
	}
	t, _ := p.peek()
	return nil, invalid("expected show, members or policy after the board, not %q", render.Clip(t.Text, 40))
}

func (c *boardCmd) parsePolicy(p *parser) error {
	w, err := p.word("the policy (unanimous, majority, quorum N, any or first)")
	if err != nil {
		return err
	}
	if c.policy, err = store.ParsePolicy(w); err != nil {
		return err
	}
	if c.policy == store.Quorum {
		n, err := p.word("the number of votes of the quorum, like quorum 3")
		if err != nil {
			return err
		}
		if c.quorum, err = strconv.Atoi(n); err != nil || c.quorum < 1 || c.quorum > 10000 {
			return invalid("%q is not a number of votes: write quorum 3", render.Clip(n, 20))
		}
	}
	seen := map[string]bool{}
	for !p.done() {
		opt, _ := p.peek()
		key := strings.ToLower(opt.Text)
		if key == "anonymous" {
			key = "open"
		}
		if seen[key] {
			return repeated(strings.ToLower(opt.Text))
		}
		seen[key] = true
		switch {
		case p.keyword("veto"):
			c.vetoSet = true
			if p.keyword("none", "nobody", "-") {
				continue
			}
			if c.veto = p.users(); len(c.veto) == 0 {
				return invalid("missing who holds a veto: mention members like @alex, or say veto none")
			}
			for _, u := range c.veto {
				if !idRE.MatchString(u) {
					return invalid("%q is not a user", render.Clip(u, 40))
				}
			}
		case p.keyword("deadline"):
			d, err := p.word("the deadline, like +3d or +48h")
			if err != nil {
				return err
			}
			if c.dur, err = ParseDuration(d); err != nil {
				return err
			}
		case p.keyword("default"):
			d, err := p.word("the default outcome, approve or reject")
			if err != nil {
				return err
			}
			switch ch, _ := store.ParseChoice(d); ch {
			case store.Approve, store.Reject:
				c.def = ch
			default:
				return invalid("the default outcome must be approve or reject, not %q", render.Clip(d, 20))
			}
		case p.keyword("open"):
			f := false
			c.anon = &f
		case p.keyword("anonymous"):
			t := true
			c.anon = &t
		default:
			return invalid("unexpected %q: after the policy come veto @user…, deadline +Nd, default approve|reject, open or anonymous", render.Clip(opt.Text, 40))
		}
	}
	return nil
}

func (c *boardCmd) run(x *Exec) (store.Doc, error) {
	if c.op == "show" {
		return c.show(x)
	}
	if !x.admin() {
		return store.Doc{}, store.Errorf(store.EForbidden, "only an admin (RELMAN_ADMINS) can change a board's settings; `/ccb board %s show` shows them", render.BoardName(c.product))
	}
	// Resolve the board's groups (a Slack call) before the transaction.
	var current store.Board
	if err := x.view(func(tx *store.Tx) error {
		b, err := c.load(tx)
		if b != nil {
			current = *b
		}
		return err
	}); err != nil {
		return store.Doc{}, err
	}
	groups := current.Groups
	if c.op == "add" {
		groups = append(slices.Clone(groups), c.groups...)
	}
	resolved, err := x.s.resolveGroups(x.ctx, groups)
	if err != nil {
		return store.Doc{}, err
	}
	var saved store.Board
	err = x.update(func(tx *store.Tx) error {
		if c.product != "" { // a board can be set up before the product's first release
			if _, err := x.ensureProduct(tx, c.product, c.isNew); err != nil {
				return err
			}
		}
		b, err := c.load(tx)
		if err != nil {
			return err
		}
		c.apply(b)
		size := len(b.Members)
		if len(b.Groups) > 0 {
			size = len(union(b.Members, resolved))
		}
		if err := b.Validate(size); err != nil {
			return err
		}
		b.UpdatedAt, b.UpdatedBy = x.now, x.req.User
		saved = *b
		return tx.PutBoard("ccb.board", b)
	})
	if err != nil {
		return store.Doc{}, err
	}
	note := ":white_check_mark: Saved. Change requests raised from now on use these settings; those already open keep theirs."
	return render.BoardDoc(&saved, true, nil, note), nil
}

// load returns the board to change: the stored one, or a new one.
func (c *boardCmd) load(tx *store.Tx) (*store.Board, error) {
	b, err := tx.Board(c.product)
	if store.ErrorCode(err) == store.ENotFound {
		nb := store.NewBoard(c.product)
		return &nb, nil
	}
	return b, err
}

func (c *boardCmd) apply(b *store.Board) {
	switch c.op {
	case "add":
		b.Members = union(b.Members, c.users)
		b.Groups = union(b.Groups, c.groups)
	case "remove":
		b.Members = without(b.Members, c.users)
		b.Groups = without(b.Groups, c.groups)
		b.Veto = without(b.Veto, c.users)
	case "policy":
		b.Policy, b.Quorum = c.policy, c.quorum
		if c.vetoSet {
			b.Veto = c.veto
		}
		if c.dur > 0 {
			b.Deadline = c.dur
		}
		if c.def != "" {
			b.Default = c.def
		}
		if c.anon != nil {
			b.Anonymous = *c.anon
		}
	}
}

func (c *boardCmd) show(x *Exec) (store.Doc, error) {
	var doc store.Doc
	err := x.view(func(tx *store.Tx) error {
		if c.product != "" {
			if _, err := tx.Product(c.product); err != nil {
				return err
			}
		}
		b, err := tx.Board(c.product)
		switch {
		case err == nil:
			doc = render.BoardDoc(b, true, nil, "")
			return nil
		case store.ErrorCode(err) != store.ENotFound:
			return err
		}
		nb := store.NewBoard(c.product)
		var fallback *store.Board
		if c.product != "" {
			if d, err := tx.Board(""); err == nil {
				fallback = d
			}
		}
		doc = render.BoardDoc(&nb, false, fallback, "")
		return nil
	})
	return doc, err
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func without(a, drop []string) []string {
	return slices.DeleteFunc(slices.Clone(a), func(s string) bool { return slices.Contains(drop, s) })
}

// boardFor returns the board that decides CRs of product: its own, else
// the default board.
func boardFor(tx *store.Tx, product string) (*store.Board, error) {
	b, err := tx.Board(product)
	if store.ErrorCode(err) != store.ENotFound {
		return b, err
	}
	b, err = tx.Board("")
	if store.ErrorCode(err) == store.ENotFound {
		return nil, store.Errorf(store.EConflict, "neither %s nor the default board has members, so nobody could vote: an admin sets one up with /ccb board %s members add @user…", product, product)
	}
	return b, err
}
