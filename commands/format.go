package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"relman/commands/render"
	"relman/store"
)

// Format writes c as the text after /release that Parse reads back as c
// (for any today: dates are written absolute), escaped as Slack sends
// typed text: Parse("/release", Format(c), today) == c. Buttons and forms
// run commands so, and help shows them so. Reasons and titles are written
// in quotes, so what follows them ("preview") is never read as part of
// them, and a reason ending in the word is not a preview.
func Format(c Command) string { return c.format() }

// cmdLine builds a command's text a part at a time.
type cmdLine []string

func (l *cmdLine) add(parts ...string) { *l = append(*l, parts...) }

// date adds keyword and d, unless d is zero.
func (l *cmdLine) date(keyword string, d store.Date) {
	if !d.IsZero() {
		l.add(keyword, d.String())
	}
}

func (l *cmdLine) flag(word string, on bool) {
	if on {
		l.add(word)
	}
}

func (l cmdLine) String() string { return strings.Join(l, " ") }

// quoteText writes s in quotes, escaped, its own quotes doubled (Tokenize).
func quoteText(s string) string { return render.Quote(s) }

// bareWord writes s as one word: as it is when Tokenize reads it back as
// that Word, else in quotes.
func bareWord(s string) string {
	if s == "" || strings.ContainsAny(s, "\"“”") || strings.IndexFunc(s, unicode.IsSpace) >= 0 || strings.ContainsAny(s[:1], "@#<") {
		return quoteText(s)
	}
	return render.Escape(s)
}

func userText(id string) string    { return "<@" + id + ">" }
func channelText(id string) string { return "<#" + id + ">" }

func usersText(ids []string) []string {
	out := make([]string, len(ids))
	for i, u := range ids {
		out[i] = userText(u)
	}
	return out
}

// because adds "because <reason>", unless reason is empty.
func (l *cmdLine) because(reason string) {
	if reason != "" {
		l.add("because", quoteText(reason))
	}
}

// durationText writes d in the largest whole unit ParseDuration reads.
func durationText(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d%(7*day) == 0:
		return "+" + strconv.Itoa(int(d/(7*day))) + "w"
	case d%day == 0:
		return "+" + strconv.Itoa(int(d/day)) + "d"
	}
	return "+" + strconv.Itoa(int(d/time.Hour)) + "h"
}

func (c *helpCmd) format() string {
	l := cmdLine{}
	if c.group != "release" {
		l.add(c.group)
	}
	l.add("help")
	if c.topic != "" {
		l.add(bareWord(c.topic))
	}
	return l.String()
}

func (c *formCmd) format() string {
	if c.group != "release" {
		return c.group + " " + c.name
	}
	return c.name
}

func (c *addCmd) format() string {
	l := cmdLine{"add", c.ref.String(), c.date.String()}
	if c.owner != "" {
		l.add("owner", userText(c.owner))
	}
	if c.channel != "" {
		l.add("channel", channelText(c.channel))
	}
	l.flag("anyway", c.anyway)
	l.flag("new", c.isNew)
	return l.String()
}

func (c *listCmd) format() string {
	l := cmdLine{"list"}
	if c.product != "" {
		l.add(c.product)
	}
	l.flag("at-risk", c.atRisk)
	l.flag("mine", c.mine)
	l.flag("shipped", c.shipped)
	l.flag("all", c.anyS)
	return l.String()
}

func (c *listDueCmd) format() string {
	l := cmdLine{"list"}
	if c.product != "" {
		l.add(c.product)
	}
	l.add("due", strconv.Itoa(c.days)+"d")
	l.flag("mine", c.mine)
	return l.String()
}

func (c *listExternalsCmd) format() string {
	l := cmdLine{"list", "externals"}
	l.flag("mine", c.mine)
	return l.String()
}

func (c *showCmd) format() string    { return "show " + c.ref.String() }
func (c *historyCmd) format() string { return "history " + c.ref.String() }
func (c *impactCmd) format() string  { return "impact " + c.ref.String() }

func (c *externalView) format() string { return c.view + " external " + quoteText(c.name) }
func (c *reopenCmd) format() string    { return "reopen " + c.ref.String() }

// format writes the move, without its preview when it is one (its "Move
// it" button runs the move itself). The confirmation comes after the
// date, the reason in quotes: "preview" or "anyway" at the end of a reason
// stays the reason's.
func (c *moveCmd) format() string {
	l := cmdLine{"move", c.ref.String(), c.date.String()}
	l.flag("anyway", c.anyway)
	l.because(c.reason)
	l.flag("preview", c.preview)
	return l.String()
}

func (c *shipCmd) format() string {
	l := cmdLine{"ship", c.ref.String()}
	l.date("on", c.date)
	l.flag("anyway", c.anyway)
	return l.String()
}

func (c *cancelCmd) format() string {
	l := cmdLine{"cancel", c.ref.String()}
	l.because(c.reason)
	return l.String()
}

func (c *deleteCmd) format() string {
	l := cmdLine{"delete", c.ref.String()}
	l.because(c.reason)
	return l.String()
}

// providerText is "<provider>" or `external "<name>"`.
func providerText(provider store.Ref, external string) string {
	if external != "" {
		return "external " + quoteText(external)
	}
	return provider.String()
}

func (c *dependCmd) format() string {
	l := cmdLine{"depend", c.consumer.String(), "on", providerText(c.provider, c.external)}
	l.date("due", c.due)
	if c.owner != "" {
		l.add("owner", userText(c.owner))
	}
	if c.stage != "" {
		l.add("in", c.stage)
	}
	l.date("by", c.by)
	if c.byTarget {
		l.add("by", "target")
	}
	return l.String()
}

func (c *undependCmd) format() string {
	return "undepend " + c.consumer.String() + " on " + providerText(c.provider, c.external)
}

func (c *confirmCmd) format() string {
	l := cmdLine{"confirm", "external", quoteText(c.name)}
	l.date("due", c.due)
	l.because(c.reason)
	return l.String()
}

func (c *commitCmd) format() string {
	l := cmdLine{"commit", c.edge.command()}
	l.flag("anyway", c.anyway)
	return l.String()
}

func (c *proposeCmd) format() string {
	l := cmdLine{"propose", c.edge.command(), c.date.String()}
	l.flag("anyway", c.anyway)
	l.because(c.reason)
	return l.String()
}

func (c *acceptCmd) format() string {
	l := cmdLine{"accept", c.edge.command()}
	if !c.date.IsZero() {
		l.add(c.date.String())
	}
	return l.String()
}

func (c *roleCmd) format() string {
	l := cmdLine{"role"}
	if c.product != "" {
		l.add(c.product)
	} else {
		l.add(c.ref.String())
	}
	if c.role == "" {
		return l.String()
	}
	l.add(string(c.role))
	if c.clear {
		l.add("none")
	}
	l.add(usersText(c.users)...)
	l.flag("new", c.isNew)
	return l.String()
}

func (c *setCmd) format() string {
	if c.external != "" {
		return "set external " + quoteText(c.external) + " owner " + userText(c.owner)
	}
	l := cmdLine{"set", c.ref.String()}
	if c.owner != "" {
		l.add("owner", userText(c.owner))
	}
	if c.channel != "" {
		l.add("channel", channelText(c.channel))
	}
	if c.version != "" {
		l.add("version", render.Escape(c.version))
	}
	if c.product != "" {
		l.add("product", c.product)
	}
	return l.String()
}

func (c *digestCmd) format() string {
	l := cmdLine{"digest"}
	switch c.action {
	case "list", "off":
		l.add(c.action)
		if c.action == "off" {
			l.add(c.target.text())
		}
		return l.String()
	case "now":
		l.add("now")
	default:
		l.add(string(c.cadence))
		if c.cadence == store.Weekly {
			l.add(strings.ToLower(c.weekday.String()[:3]))
		}
		l.add(fmt.Sprintf("%02d:%02d", c.hour, c.minute), c.target.text())
		l.flag("weekends", c.weekends)
	}
	l.add(c.products...)
	return l.String()
}

func (t digestTarget) text() string {
	switch {
	case t.me:
		return "me"
	case t.channel != "":
		return channelText(t.channel)
	}
	return "here"
}

func (c *agendaCmd) format() string {
	return cmdLine(append([]string{"agenda"}, c.products...)).String()
}

func (c *calendarCmd) format() string {
	if c.revoke {
		return "calendar revoke"
	}
	return cmdLine(append([]string{"calendar"}, c.products...)).String()
}

func (c *timelineCmd) format() string {
	l := cmdLine(append([]string{"timeline"}, c.products...))
	if c.weeks != render.TimelineWeeks {
		l.add("weeks", strconv.Itoa(c.weeks))
	}
	return l.String()
}

func (c *freezeCmd) format() string {
	switch c.op {
	case "list":
		return "freeze list"
	case "remove":
		return "freeze remove " + (&store.Freeze{ID: c.id}).Name()
	}
	l := cmdLine(append([]string{"freeze"}, c.products...))
	if len(c.products) == 0 {
		l.add("all")
	}
	l.add(c.from.String(), c.to.String())
	l.because(c.reason)
	l.flag("new", c.isNew)
	return l.String()
}

func crName(id int) string { return "CR-" + strconv.Itoa(id) }

func (c *requestCmd) format() string {
	l := cmdLine{"ccb", "request", c.ref.String(), quoteText(c.title)}
	switch {
	case c.hasDate:
		l.add("deadline", c.date.String())
	case c.dur != 0:
		l.add("deadline", "+"+strconv.Itoa(int(c.dur/time.Hour))+"h") // parseRequest reads +N as hours only with h
	}
	return l.String()
}

func (c *crListCmd) format() string {
	l := cmdLine{"ccb", "list"}
	l.flag("all", c.all)
	if c.product != "" {
		l.add(c.product)
	}
	return l.String()
}

func (c *crShowCmd) format() string   { return "ccb show " + crName(c.id) }
func (c *withdrawCmd) format() string { return "ccb withdraw " + crName(c.id) }

func (c *decideCmd) format() string {
	l := cmdLine{"ccb", "decide", crName(c.id), string(c.outcome)}
	l.because(c.reason)
	return l.String()
}

func (c *delegateCmd) format() string {
	l := cmdLine{"ccb", "delegate", userText(c.to), "until", c.until.String()}
	if c.product != "" {
		l.add(c.product)
	}
	return l.String()
}

func (c *boardCmd) format() string {
	l := cmdLine{"ccb", "board", c.product}
	if c.product == "" {
		l[2] = "default"
	}
	switch c.op {
	case "show":
		l.add("show")
	case "add", "remove":
		l.add("members", c.op)
		l.add(usersText(c.users)...)
		for _, g := range c.groups {
			l.add("<!subteam^" + g + ">")
		}
	case "policy":
		l.add("policy", string(c.policy))
		if c.policy == store.Quorum {
			l.add(strconv.Itoa(c.quorum))
		}
		if c.vetoSet {
			l.add("veto")
			if len(c.veto) == 0 {
				l.add("none")
			}
			l.add(usersText(c.veto)...)
		}
		if c.dur != 0 {
			l.add("deadline", durationText(c.dur))
		}
		if c.def != "" {
			l.add("default", string(c.def))
		}
		if c.anon != nil {
			if *c.anon {
				l.add("anonymous")
			} else {
				l.add("open")
			}
		}
	}
	l.flag("new", c.isNew)
	return l.String()
}

func (c *auditCmd) format() string {
	l := cmdLine{"audit"}
	switch {
	case c.user != "":
		l.add(userText(c.user))
	case c.product != "":
		l.add(c.product)
	case c.ref.Product != "":
		l.add(c.ref.String())
	}
	l.date("since", c.since)
	if c.before != 0 {
		l.add("before", strconv.FormatUint(c.before, 10))
	}
	return l.String()
}

func (c *restoreCmd) format() string {
	l := cmdLine{"restore", c.ref.String()}
	l.because(c.reason)
	return l.String()
}
