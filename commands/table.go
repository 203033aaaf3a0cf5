package commands

import (
	"fmt"
	"regexp"
	"strings"

	"relman/commands/render"
	"relman/store"
)

// Spec is one row of the command table: everything help, "did you mean"
// and error replies say about a command comes from here.
type Spec struct {
	Group   string // "release" or "ccb": /ccb X and /release ccb X are one command
	Name    string
	Args    string // the usage after the name
	Summary string
	Example string // arguments of one working example
	Notes   string // longer help, mrkdwn
	Modal   string // a form a transport may open when the command has no arguments
	// Hidden leaves the command out of the list of commands: it is run by
	// buttons, and explained by the help of the command it answers.
	Hidden bool
	Parse  func(p *parser) (Command, error)
}

// Usage is the command's usage line, like "/release move <release> …".
func (s *Spec) Usage() string {
	u := "/" + s.Group + " " + s.Name
	if s.Args != "" {
		u += " " + s.Args
	}
	return u
}

// ExampleLine is a complete example command.
func (s *Spec) ExampleLine() string { return "/" + s.Group + " " + s.Name + " " + s.Example }

// Table returns the command table, in help order. Callers must not modify it.
func Table() []Spec { return table }

var table = []Spec{
	{Group: "release", Name: "help", Args: "[command]", Summary: "list the commands, or explain one", Example: "move"},
	{Group: "release", Name: "add", Args: "<product> <version> <date> [owner @user] [channel #channel] [anyway]",
		Summary: "register a release with its target date", Example: "payments 2.3.0 2027-01-15 owner @alex channel #payments-releases",
		Notes: "The owner defaults to you and the channel to this one; the release's news goes there. The product is created on first use; a new name within two letters of an existing product (`paymnts`) is refused with \"did you mean payments?\" unless the command ends with `new`. Dates: `2027-01-15`, `today`, `tomorrow`, `+3d`, `+2w`, or a weekday like `fri`. A target in the past is refused unless the command ends with `anyway`.",
		Modal: "release.add", Parse: parseAdd},
	{Group: "release", Name: "list", Args: "[<product>] [at-risk] [mine] [shipped] [all]  |  [<product>] due <N>d|<N>w  |  externals",
		Summary: "list releases by date, what falls due soon, or the external items", Example: "payments at-risk",
		Notes: "Planned releases by default; `shipped` lists shipped ones, `all` every status, `at-risk` only those at risk, `mine` those you own or hold a role on (and the external items you own).\n" +
			"`/release list due 2w` lists the target dates and the needed-by dates of dependencies in the next two weeks (`10d`: ten days), by date.\n" +
			"`/release list externals` lists every external item with its owner, due date and when it was last confirmed; one not confirmed for 14 days is flagged.",
		Parse: parseList},
	{Group: "release", Name: "show", Args: `<release>  |  external "<name>"`, Summary: "a release's (or an external item's) dates, people and dependencies", Example: "payments@2.3.0",
		Notes: "`/release show external \"Stripe SDK 5\"` shows an external item: its due date, owner, when it was last confirmed, and every release that needs it, by when and in what state.", Parse: parseShow},
	{Group: "release", Name: "move", Args: "<release> <date> [anyway] because <reason…> [preview]",
		Summary: "change a release's target date", Example: "payments@2.3.0 2027-02-01 because the PCI audit moved",
		Notes: "A reason is required when the date moves later. A date in the past needs the word `anyway` (after the date, or at the end). The release's channel is told who is now late (or less late), which releases are newly at risk, and whether the move makes the release itself late; needed-by dates after the new target are moved to it. End the command with `preview` to see privately, saving nothing, exactly what the move would do (edges that slip or recover, releases newly at risk with their slack, the change requests and freezes it touches, who would hear of it), with a *Move it* button. A reason in quotes ends where they do: `because \"the SDK preview\"` is a reason, not a preview.", Parse: parseMove},
	{Group: "release", Name: "ship", Args: "<release> [on <date>] [anyway]", Summary: "mark a release shipped (today, or on a date)", Example: "payments@2.3.0",
		Notes: "The ship date can't be in the future; one before the release was added needs the word `anyway` at the end. While checklist items that must be done before production are open (`/release check &lt;release&gt;`), ship is refused, naming them, unless the command ends with `anyway`; the release's history records who went ahead.", Parse: parseShip},
	{Group: "release", Name: "pipeline", Args: "<product> [<stage>… production]", Summary: "show or set the stages a product's releases go through", Example: "payments build test staging production",
		Notes: "Every pipeline ends with `production`: reaching it is shipping, and a release's target is its production date. The default is `test production`. Setting one is for admins and the product's release managers (with none set, the owners of its planned releases); its planned releases follow it, keeping the stages they reached. No stages: show it.",
		Parse: parsePipeline},
	{Group: "release", Name: "stage", Args: "<release> <stage> on <date> [anyway] [because <reason…>] [preview]", Summary: "plan the date a release reaches a stage", Example: "payments@2.3.0 test on 2027-01-05",
		Notes: "Planned dates never decrease along the pipeline: a stage can't be planned after a later stage or the target. A stage without a date of its own counts as planned on the next later one that has one (the target, at the end). A later date needs a reason and is a slip like a move: the channel is told, and dependents that need the release in that stage hear if it makes them late. End the command with `preview` to see privately, saving nothing, what it would do and who would hear of it, with a *Plan it* button.",
		Parse: parseStage},
	{Group: "release", Name: "promote", Args: "<release> to <stage> [on <date>] [anyway]", Summary: "record that a release reached a stage (today, or on a date)", Example: "payments@2.3.0 to staging",
		Notes: "For the owner, the release managers, the release engineers and admins. Stages are reached in order: earlier stages not yet reached are reached with it (the reply says which), and going back is refused. `to production` is `ship`. The release's channel is told, and so are the release managers of releases that need it in that stage. While checklist items before that stage or an earlier one are open (`/release check &lt;release&gt;`), it is refused, naming them, unless the command ends with `anyway`; the release's history records who went ahead.",
		Parse: parsePromote},
	{Group: "release", Name: "cancel", Args: "<release> because <reason…>", Summary: "cancel a release", Example: "payments@2.3.0 because merged into 2.4.0", Parse: parseCancel},
	{Group: "release", Name: "depend", Args: `<release> on <release> [in <stage>] [by <date> | by target]  |  <release> on external "<name>" due <date> [owner @user] [by <date> | by target]`,
		Summary: "record that a release needs another release or an external item", Example: "mobile@5.0 on payments@2.3.0 by 2027-01-20",
		Notes: "Needed-by defaults to the consumer's target date. External items (a vendor SDK, a partner API) have an owner who answers for their date: `/release depend mobile@5.0 on external \"Stripe SDK 5\" due 2027-01-10 owner @sam`. A dependency that would close a cycle is refused.\n" +
			"A needed-by date of its own (`by &lt;date&gt;`) is a request: the provider's release manager (the external item's owner) is asked by DM whether they can deliver by then, and answers *Yes, committed* (`/release commit &lt;release&gt; on &lt;provider&gt;`) or proposes another date with a reason (`/release propose &lt;release&gt; on &lt;provider&gt; &lt;date&gt; because &lt;reason&gt;`). The consumer's release manager hears the answer and can accept a proposed date (`/release accept &lt;release&gt; on &lt;provider&gt;`), which becomes the needed-by date. Edges show `requested`, `committed` or `counter-proposed &lt;date&gt;`; requests unanswered for 3 working days are listed in digests and agendas. A new needed-by date asks again.\n" +
			"Restating a dependency keeps what is not restated: without `by`, a needed-by date of its own stays, with its request or commitment, and the reply says what changed. `by target` makes the needed-by date follow the consumer's target again.\n" +
			"`in &lt;stage&gt;` needs the provider in a stage of its pipeline rather than shipped (`/release depend checkout@3.1 on payments@4.2 in test by 2027-01-05`): the needed-by date is compared with the date the provider plans to reach that stage, and the dependency is delivered when it is promoted there.",
		Parse: parseDepend},
	{Group: "release", Name: "commit", Args: `<release> on <release | external "<name>"> [anyway]`, Summary: "commit to deliver by the date a dependent asked for", Example: "mobile@5.0 on payments@2.3.0",
		Notes: "For whoever answers for the provider: its owner, its release managers (an external item's owner) or an admin. The consumer's release manager is told. A commitment the provider's own date misses (it is due after the date asked for) is refused, naming that date: move the provider first, propose the date it can make, or end the command with `anyway`.", Hidden: true, Parse: parseCommit},
	{Group: "release", Name: "propose", Args: `<release> on <release | external "<name>"> <date> [anyway] because <reason…>`, Summary: "propose another date than the one a dependent asked for", Example: "mobile@5.0 on payments@2.3.0 2027-01-25 because the HSM firmware is late",
		Notes: "For whoever answers for the provider. The consumer's release manager is told, with a button to accept the date. A date before the provider is itself due is refused the same way unless `anyway`.", Hidden: true, Parse: parsePropose},
	{Group: "release", Name: "accept", Args: `<release> on <release | external "<name>"> [<date>]`, Summary: "accept the date a provider proposed as the needed-by date", Example: "mobile@5.0 on payments@2.3.0",
		Notes: "For the consumer's owner, its release managers or an admin. The proposed date becomes the needed-by date, committed; with a date, only if that is still the one proposed.", Hidden: true, Parse: parseAccept},
	{Group: "release", Name: "undepend", Args: `<release> on <release | external "<name>">`, Summary: "remove a dependency", Example: "mobile@5.0 on payments@2.3.0", Parse: parseUndepend},
	{Group: "release", Name: "confirm", Args: `external "<name>" [due <date> [because <reason…>]]`, Summary: "re-confirm (or update) an external item's date", Example: `external "Stripe SDK 5" due 2027-01-12 because the vendor's QA found a regression`,
		Notes: "For the item's owner (or an admin). A new date may carry a reason: it goes into the item's history (`/release history external \"Stripe SDK 5\"`) and into the slip alerts the move causes, as a release's move does.", Parse: parseConfirm},
	{Group: "release", Name: "impact", Args: `<release>  |  external "<name>"`, Summary: "everything downstream of a release, with slack in days", Example: "payments@2.3.0", Parse: parseImpact},
	{Group: "release", Name: "history", Args: `<release>  |  external "<name>"`, Summary: "a release's (or an external item's) date history: who moved it, when and why", Example: "payments@2.3.0", Parse: parseHistory},
	{Group: "release", Name: "role", Args: "<product | release> [release-manager | release-engineer | product-manager @user… | none]",
		Summary: "show or set who answers for a product or release", Example: "payments release-manager @alex",
		Notes: "The *release manager* owns schedules and dependencies and gets slip alerts; the *release engineer* builds, packages and ships; the *product manager* owns roadmap and priorities and gets digests. Set on a product, a role is the default for its releases; set on one release, it overrides. The owner stands in for an unset release manager. `none` clears a role; no role shows them. Setting a role on a product that does not exist yet creates it (an admin's to do, as it has no release manager yet); a name within two letters of an existing product needs `new` at the end.",
		Parse: parseRole},
	{Group: "release", Name: "set", Args: `<release> owner @user | channel #channel | version <new> | product <new>  |  external "<name>" owner @user`,
		Summary: "reassign a release, change its news channel, or rename it", Example: "payments@2.3.0 owner @sam",
		Notes: "For the release's owner, its release manager, the release managers of its product, and admins, so a release is never stuck when someone leaves. Several changes may go in one command (`owner @sam channel #payments`).\n" +
			"Renaming (`version 2.3.1`, `product billing`) moves every dependency on and of the release with it; its history keeps the old name. A name another release has is refused.\n" +
			"`/release set external \"Stripe SDK 5\" owner @kim` gives an external item a new owner: for its owner or an admin.",
		Parse: parseSet},
	{Group: "release", Name: "reopen", Args: "<release>", Summary: "undo a cancel, or a ship within a day", Example: "payments@2.3.0",
		Notes: "A cancelled release is planned again. A shipped one can be reopened within a day of being marked shipped by whoever may ship it: its owner, release manager, release engineer or an admin.",
		Parse: parseReopen},
	{Group: "release", Name: "delete", Args: "<release> because <reason…>", Summary: "remove a release added by mistake", Example: "payments@2.3.O because typo, meant 2.3.0",
		Notes: "Only while nothing depends on it (its own dependencies go with it). The audit log keeps what it was, and its channel is told. To rename a release instead, use `/release set &lt;release&gt; version &lt;new&gt;`.",
		Parse: parseDelete},
	{Group: "release", Name: "restore", Args: "<release> [because <reason…>]", Summary: "bring back a release deleted in the last 30 days", Example: "payments@2.3.0 because deleted the wrong one",
		Notes: "The release comes back as the audit log kept it when it was deleted: its status, dates, owner, channel, roles and history, and the dependencies the delete removed with it whose provider still exists (the others are named). For its owner, its release managers or an admin; its channel is told, and the restore is audited.",
		Parse: parseRestore},
	{Group: "release", Name: "audit", Args: "[<release> | <product> | @user] [since <date>] [before #<entry>]", Summary: "who changed what, when, through what and why, newest first", Example: "payments since 2027-01-01",
		Notes: "Every change, ballot and override the audit log keeps, deleted releases included: each entry's number, instant (in your time zone), who, the action, its subject, the transport it came through (`slack`, `console`; — for entries from before it was recorded) and the reason given. A release shows its own entries, its dependencies' and its change requests'; a product those of the product, its releases, board, change requests and freezes; `@user` that user's changes. " +
			"Admins see everything; the release managers of a product see its entries, and a release's owner and release managers the release's; anyone sees their own changes. The " + fmt.Sprint(AuditLimit) + " newest are shown: `before #&lt;entry&gt;` shows the ones before an entry. `relman audit` exports the whole log for auditors.",
		Parse: parseAudit},
	{Group: "release", Name: "digest", Args: "daily <HH:MM> [here | me | #channel] [weekends] [product…]  |  weekly <mon..sun> <HH:MM> [here | me | #channel] [product…]  |  now [product…]  |  off [here | me | #channel]  |  list",
		Summary: "get a scheduled digest of what is at risk and coming up", Example: "weekly mon 09:00 #releases payments",
		Notes: "A digest goes to this channel (`here`, the default), to you by DM (`me`) or to a `#channel`, for the products named or every product, at a time of day in your time zone (for a channel too: the zone of whoever sets it up). A channel or person has one digest; setting it again replaces it. `off` stops it, `list` shows the digests. A daily digest by DM comes on weekdays only; add `weekends` for Saturday and Sunday too.\n" +
			"A digest lists what is at risk and why, what comes up in the next 4 weeks, slipped and overdue dependencies, external items awaiting confirmation, and what shipped since the last one. `now` shows it to you at once, for the products named or every product.",
		Parse: parseDigest},
	{Group: "release", Name: "agenda", Args: "[product…]", Summary: "post the agenda of a release meeting in this channel", Example: "payments auth",
		Notes: "For the products named, or every product: the moves of their releases since the last agenda for them in this channel (the first time: the last week), what is at risk and why, the votes on change requests that close in the next 7 days with who has not voted, the releases due in the next 2 weeks, and the external items awaiting confirmation. Empty parts are left out.",
		Parse: parseAgenda},
	{Group: "release", Name: "freeze", Args: "<product… | all> <from> <to> because <reason…>  |  list  |  remove <FZ-N>",
		Summary: "stop releases being targeted inside a window of days", Example: "payments checkout 2027-12-20 2028-01-03 because holiday trading",
		Notes: "From the first to the last day, inclusive, no release of the products named (or of any product, for `all`) can be added or moved to a target inside the window: `add` and `move` refuse it and name the freeze. An admin can go ahead by adding `anyway` (the one word that also confirms a date in the past); the release's history and the audit log record the override. A change request on a release targeted inside a freeze says so on its card, and digests and agendas list the freezes in progress or starting in the next 4 weeks.\n" +
			"Freezes are for admins and for the release managers of every product named (`all`: admins only). Two freezes of the same product can't overlap, and a window that has already ended is refused.\n" +
			"`/release freeze list` shows the freezes in progress and coming up; `/release freeze remove FZ-3` removes one.",
		Parse: parseFreeze},
	{Group: "release", Name: "check", Args: `<release> add "<text>" [owner @user] [due <date>] [before <stage>]  |  <release> done|undo <N>  |  <release> due <N> <date>  |  <release> [list]`,
		Summary: "a release's readiness checklist: add items, tick them off, list them", Example: `payments@2.3.0 add "security review" owner @sam due 2027-01-20 before production`,
		Notes: "Items are numbered per release (`#1`, `#2`, …) and keep their numbers. Anyone who may change the release (its owner, release managers, admins) may add items and tick them off (`done 2`) or open them again (`undo 2`); an item's owner may tick off their own. `due 2 2027-01-20` sets an item's due date by hand (one copied from a template with `days-before` then stops following its stage's date). An item without an owner is its release's owner's. Whoever answers for an item with a due date is reminded by DM 7 days and 1 day before it, and told when it is overdue; digests and agendas list items due in the next 7 days and overdue ones.\n" +
			"`before &lt;stage&gt;` (a stage of the release's pipeline, like `test` or `production`) makes the item gate that stage: `/release promote` to it or a later stage, and `/release ship`, are refused while the item is open, naming it, unless the command ends with `anyway` (the release's history records who went ahead).",
		Parse: parseCheck},
	{Group: "release", Name: "checklist", Args: `<product> add "<text>" [owner @user] [days-before <N>] [before <stage>]  |  <product> remove <N>  |  <product>`,
		Summary: "a product's checklist template, copied into each new release", Example: `payments add "release notes" days-before 3 before production`,
		Notes: "Each release of the product added afterwards starts with a copy of the template's items; releases there are keep their checklists. `days-before N` makes the item due N days before the planned date of the stage it is before (the target without one), and its due date follows that date when the release moves. Templates are for admins and the product's release managers (while it has none, the owners of its planned releases). The product is created on first use; a name within two letters of an existing product needs `new` at the end.",
		Parse: parseChecklist},
	{Group: "release", Name: "calendar", Args: "[product…]  |  revoke", Summary: "get a private calendar feed of release dates to subscribe to", Example: "payments auth",
		Notes: "Replies, only to you, with the address of an iCalendar feed of the products named (or every product): release targets (ship dates once shipped), the needed-by dates of their dependencies, the deadlines of open change requests, and freezes. Subscribe to the address in Google Calendar (*Other calendars › + › From URL*) or Outlook (*Add calendar › Subscribe from web*); a moved release moves there too. The address is the key to the feed, shown once: asking again for the same products gives a new address and ends the old one. `revoke` ends all your feeds.",
		Parse: parseCalendar},
	{Group: "release", Name: "timeline", Args: "[product…] [weeks N]", Summary: "post a timeline picture of releases and their dependencies in this channel", Example: "payments mobile weeks 12",
		Notes: "For the products named, or every product: their releases from 2 weeks ago to 8 weeks ahead (`weeks N`: N weeks ahead, 1 to 52), one row per product, with what they depend on and what depends on them, the dependencies between them (slipped ones in red, with how many days late), today's line and freeze windows shaded. The picture is posted with its text; where a picture cannot be posted, the text alone is.",
		Parse: parseTimeline},
	{Group: "ccb", Name: "help", Args: "[command]", Summary: "list the CCB commands, or explain one", Example: "request"},
	{Group: "ccb", Name: "request", Args: "<release> <title…> [deadline <date | +Nh | +Nd>]",
		Summary: "raise a change request for the board to vote on", Example: "payments@2.3.0 switch the card processor to Adyen deadline +2d",
		Notes: "The CR is posted in the release's channel with Approve, Reject and Abstain buttons; discuss it in its thread. The board of the release's product decides, else the default board, with its policy and ballot as they are now. The deadline defaults to the board's (72 hours unless set); a date closes at 17:00 workspace time. The release managers of every release that depends on this one, directly or not, are told at once.",
		Parse: parseRequest},
	{Group: "ccb", Name: "list", Args: "[open | all] [<product>]", Summary: "list the open change requests (or all), newest first", Example: "open payments", Parse: parseCRList},
	{Group: "ccb", Name: "show", Args: "CR-N", Summary: "a change request with its tally and every vote", Example: "CR-12", Parse: parseCRShow},
	{Group: "ccb", Name: "withdraw", Args: "CR-N", Summary: "withdraw your change request", Example: "CR-12",
		Notes: "For who raised it, or an admin, while it is open.", Parse: parseWithdraw},
	{Group: "ccb", Name: "decide", Args: "CR-N approve|reject because <reason…>", Summary: "decide a change request over the vote (admins)", Example: "CR-12 approve because the outage fix can't wait",
		Notes: "Recorded as an override, with the reason, beside the ballot.", Parse: parseDecide},
	{Group: "ccb", Name: "delegate", Args: "@user until <date> [<product>]", Summary: "let someone vote for you while you are away", Example: "@sam until fri payments",
		Notes: "Until the end of the date, their click on a CR's buttons counts for you too (on one product's board, or on every board). A new delegation replaces the last one for the same product.",
		Parse: parseDelegate},
	{Group: "ccb", Name: "board", Args: "<product | default> show  |  members add|remove @user… | @usergroup  |  policy <unanimous | majority | quorum N | any | first> [veto @user…] [deadline <+Nh | +Nd>] [default approve | reject] [open | anonymous]",
		Summary: "show or set who votes on a product's change requests, and how", Example: "payments policy quorum 3 veto @alex deadline +2d default reject",
		Notes: "A product without a board of its own uses the default board (`/ccb board default …`). Members are people or a Slack user group. Policies: *unanimous* (every member approves), *majority* (more than half approve), *quorum N* (at least N votes cast, more approvals than rejections), *any* (one approval and no rejection, once everyone voted or at the deadline), *first* (the first vote decides). A *veto* member's rejection rejects. Abstentions count toward a quorum, never as approvals. A CR is decided as soon as its outcome is certain; at the deadline the board's default outcome applies. *anonymous* ballots show counts only. Settings are for admins; `show` for everyone. A board can be set up before its product's first release: the product is created on first use (a name within two letters of an existing product needs `new` at the end).",
		Parse: parseBoard},
}

// lookup finds a command of the group by name, or nil.
func lookup(group, name string) *Spec {
	for i := range table {
		if table[i].Group == group && table[i].Name == name {
			return &table[i]
		}
	}
	return nil
}

// suggest returns the command closest to name, or nil.
func suggest(group, name string) *Spec {
	var best *Spec
	bestD := 3
	for i := range table {
		s := &table[i]
		if s.Group != group {
			continue
		}
		d := EditDistance(name, s.Name)
		if strings.HasPrefix(s.Name, name) && len(name) >= 2 {
			d = 0 // "hist" means history, not list
		}
		if d < bestD {
			best, bestD = s, d
		}
	}
	return best
}

// unknownCommand says the word is not a command and suggests the closest.
func unknownCommand(group, name string) error {
	if group == "release" && undoWords[name] {
		return invalid("/release has no %s command; a change is undone by the command that reverses it: move a release back (`/release move <release> <date> because <reason>`), reopen a cancelled release or one shipped within a day (`/release reopen <release>`), remove a dependency (`/release undepend <release> on <provider>`), or delete a release added by mistake (`/release delete <release> because <reason>`)", render.Clip(name, 30))
	}
	if best := suggest(group, name); best != nil {
		return invalid("/%s has no command %q — did you mean %s?", group, render.Clip(name, 30), best.Name)
	}
	if !hasGroup(group) {
		return invalid("/%s has no commands yet", group)
	}
	return invalid("/%s has no command %q", group, render.Clip(name, 30))
}

// undoWords are what people type looking for an undo.
var undoWords = map[string]bool{"undo": true, "revert": true, "rollback": true, "unmove": true, "uncancel": true, "unship": true}

func hasGroup(group string) bool {
	for _, s := range table {
		if s.Group == group {
			return true
		}
	}
	return false
}

// EditDistance is the Levenshtein edit distance between a and b, in runes:
// what "did you mean" hints are measured by.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// usageDoc is an error (msg may be empty) followed by the usage line and an
// example of spec, or a pointer to help when spec is nil.
func usageDoc(spec *Spec, msg, group string) store.Doc {
	b := render.NewDoc("")
	if msg != "" {
		b.Section(":x: " + escapeMessage(msg))
	}
	if spec != nil {
		b.Section(fmt.Sprintf("Usage: `%s`\nExample: `%s`", render.Escape(spec.Usage()), render.Escape(spec.ExampleLine())))
	} else {
		b.Section(fmt.Sprintf("Type `/%s help` to see the commands.", group))
	}
	return b.Build()
}

var escapedMention = regexp.MustCompile(`&lt;([@#][A-Za-z0-9._-]{1,64})&gt;`)

// escapeMessage escapes an error message for mrkdwn but keeps the user and
// channel mentions relman put in it (<@U123>, <#C123>). Error replies are
// private, so a kept mention cannot ping anyone else; special mentions and
// links stay escaped.
func escapeMessage(msg string) string {
	return escapedMention.ReplaceAllString(render.Escape(msg), "<$1>")
}

// help lists the group's commands, or explains one.
func help(group, topic string) store.Doc {
	if topic != "" {
		spec := lookup(group, strings.ToLower(topic))
		if spec == nil {
			return usageDoc(lookup(group, "help"), store.ErrorMessage(unknownCommand(group, strings.ToLower(topic))), group)
		}
		b := render.NewDoc(spec.Usage())
		b.Section(render.Escape(spec.Summary) + ".")
		if spec.Notes != "" {
			b.Section(spec.Notes)
		}
		b.Section(fmt.Sprintf("Example: `%s`", render.Escape(spec.ExampleLine())))
		return b.Build()
	}
	b := render.NewDoc("/" + group + " commands")
	var lines []string
	for _, s := range table {
		if s.Group == group && !s.Hidden {
			lines = append(lines, fmt.Sprintf("`%s` — %s", render.Escape(s.Usage()), render.Escape(s.Summary)))
		}
	}
	if len(lines) == 0 {
		lines = append(lines, fmt.Sprintf("/%s has no commands yet.", group))
	}
	b.Lines(lines)
	more := ""
	if group == "release" {
		more = " Change requests and CCB boards: `/release help ccb` (or `/ccb help`); `/release ccb …` is `/ccb …`."
	}
	b.Context(fmt.Sprintf("Type `/%s help &lt;command&gt;` for details and an example. A release is written `payments@2.3.0` or `payments 2.3.0`.%s", group, more))
	return b.Build()
}
