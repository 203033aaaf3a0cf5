package commands

import (
	"fmt"
	"slices"

	"relman/commands/render"
	"relman/store"
)

// A dependency recorded with a needed-by date is a request to whoever
// answers for its provider (the provider release's release managers, its
// owner when none is set; an external item's owner): they commit, or
// propose another date, which the consumer's release managers may accept.
// The buttons of the request and of a counter-proposal run these commands
// as whoever clicks them.

// handshakeEdge names a dependency: consumer on a release or an external item.
type handshakeEdge struct {
	consumer store.Ref
	provider store.Ref
	external string // the external item's name, as typed
}

// parseHandshakeEdge reads "<release> on <release | external "<name>">".
func parseHandshakeEdge(p *parser) (handshakeEdge, error) {
	var h handshakeEdge
	var err error
	if h.consumer, err = p.release(); err != nil {
		return h, err
	}
	if err := p.expect("on", "before the release or external item it depends on"); err != nil {
		return h, err
	}
	if p.keyword("external") {
		h.external, err = p.quoted("the external item's name")
		return h, err
	}
	h.provider, err = p.release()
	return h, err
}

func (h handshakeEdge) providerKey() string {
	if h.external != "" {
		return "ext:" + store.ExternalKey(h.external)
	}
	return h.provider.Key()
}

// command is the edge as commands name it (Format), escaped as Slack
// sends typed text: mobile@5.0 on payments@2.3.0, or mobile@5.0 on
// external "Stripe SDK".
func (h handshakeEdge) command() string {
	return h.consumer.String() + " on " + providerText(h.provider, h.external)
}

// load returns the consumer and the dependency, or a not-found error.
func (h handshakeEdge) load(tx *store.Tx) (*store.Release, *store.Dependency, error) {
	consumer, err := loadRelease(tx, h.consumer)
	if err != nil {
		return nil, nil, err
	}
	key := h.providerKey()
	if h.external == "" {
		// A provider still stored is named as it is stored (foo@V1 is
		// foo@v1); one that is gone is not found below.
		p, err := resolveRef(tx, h.provider)
		if err != nil {
			return nil, nil, err
		}
		key = p.Key()
	}
	d, err := tx.Dependency(consumer.Ref, key)
	if store.ErrorCode(err) == store.ENotFound {
		what := h.provider.String()
		if h.external != "" {
			what = "external “" + h.external + "”"
		}
		return nil, nil, store.Errorf(store.ENotFound, "%s does not depend on %s", h.consumer, what)
	}
	return consumer, d, err
}

// handshakeOf is the edge of dependency d as the handshake commands name it.
func handshakeOf(d store.Dependency, providerName string) handshakeEdge {
	if d.IsExternal() {
		return handshakeEdge{consumer: d.Consumer, external: providerName}
	}
	return handshakeEdge{consumer: d.Consumer, provider: d.Provider}
}

// answerers returns who answers for d's provider: the provider release's
// release managers (its owner when none is set), or the external item's
// owner; and the provider's name (an external item's as its owner gave it).
func answerers(tx *store.Tx, d *store.Dependency) ([]string, string, error) {
	if d.IsExternal() {
		x, err := tx.External(d.External)
		if err != nil {
			return nil, d.External, err
		}
		if x.Owner == "" {
			return nil, x.Name, nil
		}
		return []string{x.Owner}, x.Name, nil
	}
	r, err := tx.Release(d.Provider)
	if err != nil {
		return nil, d.Provider.String(), err
	}
	return r.Holders(store.ReleaseManager, product(tx, r.Product)), r.Ref.String(), nil
}

// request makes d, about to be stored with its needed-by date, a request
// to its provider, and returns who is to be asked. When who asks also
// answers for the provider (or owns the external item), there is nobody
// else to ask and nothing to agree: d has no handshake, and nobody is
// returned.
func (x *Exec) request(tx *store.Tx, d *store.Dependency) ([]string, error) {
	d.Request(x.now, x.req.User)
	to, _, err := answerers(tx, d)
	if err != nil {
		return nil, err
	}
	self := slices.Contains(to, x.req.User)
	if !d.IsExternal() && !self {
		if r, err := tx.Release(d.Provider); err == nil && r.Owner == x.req.User {
			self = true
		}
	}
	if self || len(to) == 0 {
		d.NoHandshake()
		return nil, nil
	}
	return to, nil
}

// askProvider DMs the request e (stored) to each of to.
func (x *Exec) askProvider(tx *store.Tx, to []string, e store.Edge, consumer *store.Release) error {
	if len(to) == 0 {
		return nil
	}
	doc := HandshakeRequest(e, consumer, x.today)
	for _, u := range to {
		x.queued++
		// Worded again when delivered (held for working hours): its
		// relative dates count from then, and it is not sent once answered.
		n := &store.Notice{Kind: store.KindHandshake, Subject: store.HandshakeSubject(e.Key()), Key: store.HandshakeKey(e.Dependency, e.NeededBy, e.RequestedAt),
			Edge: &store.Dependency{Consumer: e.Consumer, Provider: e.Provider, External: e.External}, NeededBy: e.NeededBy}
		if err := tx.Enqueue(&store.Message{Channel: u, DM: true, Quiet: true, Doc: doc, Notice: n}); err != nil {
			return err
		}
	}
	return nil
}

// noticeConsumer DMs doc to the consumer's release managers (its owner
// when none is set), but not to whoever made the change. With notice n
// (nil: doc as it is) the DM is worded again when it is delivered
// (reminders.RenderNotice), doc being its words as queued.
func (x *Exec) noticeConsumer(tx *store.Tx, consumer *store.Release, doc store.Doc, n *store.Notice) ([]string, error) {
	var told []string
	for _, u := range consumer.Holders(store.ReleaseManager, product(tx, consumer.Product)) {
		if u == x.req.User {
			continue
		}
		told = append(told, u)
		x.queued++
		if err := tx.Enqueue(&store.Message{Channel: u, DM: true, Quiet: true, Doc: doc, Notice: n}); err != nil {
			return nil, err
		}
	}
	return told, nil
}

// HandshakeRequest is the DM that asks whoever answers for e's provider,
// as of today, whether it can be delivered by the needed-by date for the
// consumer, with "Yes, committed" (commit) and "Propose another date…" (a
// form with a date and a reason, then propose) buttons, which run as
// whoever clicks them, with their permissions.
func HandshakeRequest(e store.Edge, consumer *store.Release, today store.Date) store.Doc {
	edge := handshakeOf(e.Dependency, e.ProviderName)
	cmd := edge.command()
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":handshake: Can you deliver %s by %s for %s?", render.ProviderName(e), render.When(e.NeededBy, today), render.Bold(e.Consumer)))
	b.Section(fmt.Sprintf("%s asks. %s targets %s; %s is %s — %s.", render.Mention(e.RequestedBy), render.Bold(consumer.Ref), consumer.Target.Pretty(),
		render.ProviderShort(e), render.ProviderDue(e), render.EdgeStateText(e, today)))
	proposed := e.NeededBy.AddDays(1)
	if e.ProviderDate.After(e.NeededBy) {
		proposed = e.ProviderDate
	}
	b.Buttons(
		render.RunButton("Yes, committed", Format(&commitCmd{edge: edge})),
		// The form fills in the date and the reason as Format writes them.
		render.AskButton("Propose another date…", render.Ask{Title: "Propose another date", Command: "propose " + cmd + " {date} {reason}", Date: proposed.String(), Reason: true}),
	)
	b.Context(fmt.Sprintf("Or type `/release commit %s`, or `/release propose %s &lt;date&gt; because &lt;reason&gt;`.", cmd, cmd))
	return b.Build()
}

// AnswerNotice is the notice of the answer of kind (store.KindCommitted,
// KindCountered, KindAccepted) that e, as stored after it, records.
func AnswerNotice(kind string, e store.Edge) *store.Notice {
	return &store.Notice{Kind: kind, Subject: store.AnswerSubject(e.Key()), Key: store.AnswerKey(kind, e.Dependency),
		Edge: &store.Dependency{Consumer: e.Consumer, Provider: e.Provider, External: e.External}, NeededBy: e.NeededBy}
}

// Committed is the DM that tells the consumer's release managers, as of
// today, that e's provider committed to its needed-by date, and how the
// edge stands.
func Committed(e store.Edge, today store.Date) store.Doc {
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":handshake: %s committed to deliver %s by %s for %s.", render.Mention(e.AnsweredBy), render.ProviderName(e), render.When(e.NeededBy, today), render.Bold(e.Consumer)))
	b.Section(render.EdgeLine(e, today))
	return b.Build()
}

// Accepted is the DM that tells who proposed e's needed-by date that by,
// for the consumer, accepted it in place of was.
func Accepted(e store.Edge, by string, was store.Date) store.Doc {
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":handshake: %s accepted your date: %s needs %s by %s (was %s), and you are committed to it.", render.Mention(by), render.Bold(e.Consumer), render.ProviderName(e), e.NeededBy.Pretty(), was.Pretty()))
	return b.Build()
}

// ---- commit

type commitCmd struct {
	edge   handshakeEdge
	anyway bool // commit although the provider's own date misses the date asked for
}

func parseCommit(p *parser) (Command, error) {
	anyway := p.trailing("anyway")
	h, err := parseHandshakeEdge(p)
	return &commitCmd{edge: h, anyway: anyway}, err
}

// impossible refuses a promise the provider's own date can't keep: a
// commitment to (or a proposal of) a date before the provider is due. With
// anyway the promise is made; it is then late from the start, and no later
// move can break it (render's brokenCommitment).
func impossible(e store.Edge, by store.Date, anyway bool, verb string) error {
	if anyway || e.Delivered || !e.ProviderDate.After(by) {
		return nil
	}
	return invalid("%s is due %s, after %s: it can't deliver by then as planned. Move it first, %s, or end the command with \"anyway\"",
		Plain(render.ProviderShort(e)), e.ProviderDate.Pretty(), by.Pretty(), verb)
}

func (c *commitCmd) run(x *Exec) (store.Doc, error) {
	var e store.Edge
	var told []string
	err := x.update(func(tx *store.Tx) error {
		consumer, d, err := c.edge.answerable(x, tx)
		if err != nil {
			return err
		}
		if d.Handshake == store.HandshakeCommitted {
			return store.Errorf(store.EConflict, "%s already has a commitment to deliver by %s (%s, %s)", c.edge.command(), d.NeededBy.Pretty(),
				Plain(render.Mention(d.AnsweredBy)), store.DateOf(d.AnsweredAt, x.zone()).Pretty())
		}
		if before, err := edgeOf(tx, d, x.today); err != nil {
			return err
		} else if err := impossible(before, before.NeededBy, c.anyway, "propose the date it can make"); err != nil {
			return err
		}
		d.Commit(x.now, x.req.User)
		if err := tx.PutDependency("dependency.commit", d); err != nil {
			return err
		}
		if e, err = edgeOf(tx, d, x.today); err != nil {
			return err
		}
		told, err = x.noticeConsumer(tx, consumer, Committed(e, x.today), AnswerNotice(store.KindCommitted, e))
		return err
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":white_check_mark: Committed: %s by %s for %s%s.", render.ProviderName(e), e.NeededBy.Pretty(), render.Bold(e.Consumer), toldText(told)))
	return b.Build(), nil
}

// answerable loads the request h names, once x may answer it (commit or
// propose) and it is still open.
func (h handshakeEdge) answerable(x *Exec, tx *store.Tx) (*store.Release, *store.Dependency, error) {
	consumer, d, err := h.load(tx)
	if err != nil {
		return nil, nil, err
	}
	if err := x.mayAnswer(tx, d); err != nil {
		return nil, nil, err
	}
	if err := openRequest(consumer, d, h); err != nil {
		return nil, nil, err
	}
	return consumer, d, nil
}

// openRequest fails unless d, of consumer, is a request that may be
// answered: its consumer still planned, and a needed-by date asked for.
func openRequest(consumer *store.Release, d *store.Dependency, h handshakeEdge) error {
	if err := requirePlanned(consumer, "promised anything"); err != nil {
		return err
	}
	if d.Handshake == "" {
		return store.Errorf(store.EConflict, "%s has no needed-by date of its own, so nothing was asked; the consumer can ask with /release depend %s by <date>", h.command(), h.command())
	}
	return nil
}

// edgeOf is the state of stored dependency d as of today.
func edgeOf(tx *store.Tx, d *store.Dependency, today store.Date) (store.Edge, error) {
	g, err := tx.Graph()
	if err != nil {
		return store.Edge{}, err
	}
	e, ok := g.EdgeState(*d, today)
	if !ok {
		return e, store.Errorf(store.ENotFound, "%s depends on something that no longer exists", d.Consumer)
	}
	return e, nil
}

// toldText says who was told by DM: " — @alex was told", or "".
func toldText(told []string) string {
	if len(told) == 0 {
		return ""
	}
	verb := "was"
	if len(told) > 1 {
		verb = "were"
	}
	return "; " + render.AndList(mentionList(told)) + " " + verb + " told"
}

// mentionList renders each user of us as a mention.
func mentionList(us []string) []string {
	ms := make([]string, len(us))
	for i, u := range us {
		ms[i] = render.Mention(u)
	}
	return ms
}

// ---- propose

type proposeCmd struct {
	edge   handshakeEdge
	date   store.Date
	reason string
	anyway bool // propose a date the provider's own date misses
}

func parsePropose(p *parser) (Command, error) {
	c := &proposeCmd{}
	var err error
	if c.edge, err = parseHandshakeEdge(p); err != nil {
		return nil, err
	}
	if c.date, err = p.date("the date you can deliver by"); err != nil {
		return nil, err
	}
	c.anyway = p.keyword("anyway") || p.trailing("anyway")
	c.reason, err = reason(p, true, "with another date, so the consumer knows why")
	return c, err
}

func (c *proposeCmd) run(x *Exec) (store.Doc, error) {
	var e store.Edge
	var told []string
	err := x.update(func(tx *store.Tx) error {
		consumer, d, err := c.edge.answerable(x, tx)
		if err != nil {
			return err
		}
		if e, err = edgeOf(tx, d, x.today); err != nil {
			return err
		}
		if !c.date.After(e.NeededBy) {
			return invalid("%s is not after the date asked for, %s: if you can deliver by then, commit with /release commit %s", c.date.Pretty(), e.NeededBy.Pretty(), Plain(c.edge.command()))
		}
		if err := pastDate(c.date, x.today, false, "propose it"); err != nil {
			return err
		}
		if err := impossible(e, c.date, c.anyway, "propose a date on or after it"); err != nil {
			return err
		}
		if d.Handshake == store.HandshakeCountered && d.Proposed == c.date {
			return store.Errorf(store.EConflict, "%s was already proposed for %s", c.date.Pretty(), c.edge.command())
		}
		d.Counter(c.date, c.reason, x.now, x.req.User)
		if err := tx.PutDependency("dependency.propose", d); err != nil {
			return err
		}
		if e, err = edgeOf(tx, d, x.today); err != nil {
			return err
		}
		told, err = x.noticeConsumer(tx, consumer, CounterProposal(e, consumer, x.today), AnswerNotice(store.KindCountered, e))
		return err
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":white_check_mark: Proposed %s instead of %s for %s's need of %s%s.", c.date.Pretty(), e.NeededBy.Pretty(), render.Bold(e.Consumer), render.ProviderName(e), toldText(told)))
	return b.Build(), nil
}

// CounterProposal is the DM that tells the consumer's release managers,
// as of today, that e's provider proposes another date, why, and what
// accepting it means, with an "Accept <date>" button (accept, run as
// whoever clicks it) that makes it the needed-by date.
func CounterProposal(e store.Edge, consumer *store.Release, today store.Date) store.Doc {
	edge := handshakeOf(e.Dependency, e.ProviderName)
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":handshake: %s can't deliver %s by %s for %s, and proposes %s instead: “%s”.", render.Mention(e.AnsweredBy), render.ProviderName(e),
		e.NeededBy.Pretty(), render.Bold(e.Consumer), render.When(e.Proposed, today), render.Escape(e.ProposedReason)))
	if e.Proposed.After(consumer.Target) {
		b.Section(fmt.Sprintf(":warning: That is after %s's own target, %s: move it first to accept.", render.Bold(consumer.Ref), consumer.Target.Pretty()))
	} else {
		b.Section(fmt.Sprintf("Accepting makes %s the needed-by date, committed.", e.Proposed.Pretty()))
	}
	b.Buttons(render.RunButton("Accept "+e.Proposed.Pretty(), Format(&acceptCmd{edge: edge, date: e.Proposed})))
	b.Context(fmt.Sprintf("Or type `/release accept %s`. To keep your date, talk to %s.", edge.command(), render.Mention(e.AnsweredBy)))
	return b.Build()
}

// ---- accept

type acceptCmd struct {
	edge handshakeEdge
	date store.Date // the date the acceptor saw proposed; zero: the current one
}

func parseAccept(p *parser) (Command, error) {
	c := &acceptCmd{}
	var err error
	if c.edge, err = parseHandshakeEdge(p); err != nil {
		return nil, err
	}
	if !p.done() {
		c.date, err = p.date("the proposed date")
	}
	return c, err
}

func (c *acceptCmd) run(x *Exec) (store.Doc, error) {
	var e store.Edge
	err := x.update(func(tx *store.Tx) error {
		consumer, d, err := c.edge.load(tx)
		if err != nil {
			return err
		}
		if err := x.mayManage(tx, consumer, "accept a date for"); err != nil {
			return err
		}
		if err := openRequest(consumer, d, c.edge); err != nil {
			return err
		}
		if d.Handshake != store.HandshakeCountered {
			return store.Errorf(store.EConflict, "no other date is proposed for %s (it is %s)", c.edge.command(), d.Handshake)
		}
		if !c.date.IsZero() && c.date != d.Proposed {
			return store.Errorf(store.EConflict, "the date proposed for %s is now %s, not %s: accept that one with /release accept %s", c.edge.command(), d.Proposed.Pretty(), c.date.Pretty(), Plain(c.edge.command()))
		}
		if d.Proposed.After(consumer.Target) {
			return invalid("%s is after %s's own target, %s: a release can't need something after it ships. Move %s first", d.Proposed.Pretty(), consumer.Ref, consumer.Target.Pretty(), consumer.Ref)
		}
		old, by := d.NeededBy, d.AnsweredBy
		d.Accept()
		if err := tx.PutDependency("dependency.accept", d); err != nil {
			return err
		}
		if err := x.recordDependency(tx, consumer, d, "dependency added"); err != nil {
			return err
		}
		if e, err = edgeOf(tx, d, x.today); err != nil {
			return err
		}
		b := render.NewDoc("")
		b.Section(fmt.Sprintf(":link: %s accepted %s's date: %s now depends on %s", render.Mention(x.req.User), render.Mention(by), render.Bold(consumer.Ref), render.EdgeLine(e, x.today)))
		if err := x.post(tx, consumer.Channel, b.Build()); err != nil {
			return err
		}
		if by != "" && by != x.req.User {
			n := AnswerNotice(store.KindAccepted, e)
			n.By, n.Was = x.req.User, old
			x.queued++
			if err := tx.Enqueue(&store.Message{Channel: by, DM: true, Quiet: true, Doc: Accepted(e, n.By, old), Notice: n}); err != nil {
				return err
			}
		}
		return x.alert(tx, Touched{Releases: []store.Ref{consumer.Ref}})
	})
	if err != nil {
		return store.Doc{}, err
	}
	b := render.NewDoc("")
	b.Section(fmt.Sprintf(":white_check_mark: Accepted: %s now needs %s by %s — %s.", render.Bold(e.Consumer), render.ProviderName(e), e.NeededBy.Pretty(), render.EdgeStateText(e, x.today)))
	return b.Build(), nil
}
