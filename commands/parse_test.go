package commands_test

import (
	"errors"
	"strings"
	"testing"

	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// Users of the fixture.
const (
	alice = "UALICE" // owns every fixture release
	bob   = "UBOB"   // holds nothing
	sam   = "USAM"   // owns the external item "Stripe SDK"
	root  = "UROOT"  // an admin
)

// MustFixture gives svc a small release graph, all added by alice on
// Monday 2027-01-04:
//
//	mobile@5.0 (Fri 01-29) → payments@2.3.0 (Fri 01-15) → auth@1.4.0 (Fri 01-08)
//	mobile@5.0 → external "Stripe SDK" (due Wed 01-20, owner sam)
func MustFixture(tb testing.TB, svc *commands.Service) {
	tb.Helper()
	for _, line := range []string{
		"/release add payments 2.3.0 2027-01-15 channel <#CPAY|payments-releases>",
		"/release add auth 1.4.0 2027-01-08 channel <#CAUTH|auth>",
		"/release add mobile 5.0 2027-01-29 channel <#CMOB|>",
		"/release depend mobile@5.0 on payments@2.3.0",
		"/release depend payments@2.3.0 on auth@1.4.0",
		`/release depend mobile@5.0 on external "Stripe SDK" due 2027-01-20 owner <@USAM|sam>`,
	} {
		MustDo(tb, svc, alice, line)
	}
}

// commandCase is one command line and what its reply must be.
type commandCase struct {
	name  string
	setup []string // run by alice first, on the fixture; "as UBOB: …" by another
	as    string   // who types it; alice when empty
	line  string
	code  string   // the reply's Code: "" for success
	want  []string // substrings the reply text must contain
}

// handshakeSetup makes bob the owner of payments@2.3.0, and alice ask him
// to deliver it by Wed 2027-01-20 for mobile@5.0.
var handshakeSetup = []string{
	"/release set payments@2.3.0 owner <@UBOB>",
	"/release depend mobile@5.0 on payments@2.3.0 by 2027-01-20",
}

// commandCases has, for every command of the table, forms that work and
// errors that must be explained. Each case runs on a fresh MustFixture.
var commandCases = map[string][]commandCase{
	"help": {
		{name: "ListsCommands", line: "/release help", want: []string{"/release commands", "`/release move &lt;release&gt; &lt;date&gt; [anyway] because &lt;reason…&gt; [preview]`"}},
		{name: "ListsCommandsWhenEmpty", line: "/release", want: []string{"/release commands"}},
		{name: "ExplainsOne", line: "/release help move", want: []string{"A reason is required", "Example: `/release move payments@2.3.0 2027-02-01 because the PCI audit moved`"}},
		{name: "ExplainsOneInAnyCase", line: "/release HELP Move", want: []string{"Example: `/release move payments@2.3.0"}},
		{name: "SuggestsForUnknownTopic", line: "/release help mvoe", code: store.EInvalid, want: []string{"did you mean move?"}},
	},
	"add": {
		{name: "AcceptsProductAndVersion", line: "/release add payments 2.4.0 2027-02-01", want: []string{"Added *payments@2.4.0*", "Mon 2027-02-01", "owner <@UALICE>", "<#CREL>"}},
		{name: "AcceptsAtSpelling", line: "/release add payments@2.4.0 fri", want: []string{"Added *payments@2.4.0*", "Fri 2027-01-08"}},
		{name: "AcceptsMailtoSpelling", line: "/release add <mailto:payments@2.4.0|payments@2.4.0> +2w", want: []string{"Added *payments@2.4.0*", "Mon 2027-01-18"}},
		{name: "AcceptsMailtoWithoutLabel", line: "/release add <mailto:payments@2.4.0> tomorrow", want: []string{"Added *payments@2.4.0*"}},
		{name: "FoldsProductCase", line: "/release add Payments 2.4.0 tomorrow", want: []string{"Added *payments@2.4.0*"}},
		{name: "AcceptsOwnerAndChannel", line: "/release add payments 2.4.0 2027-02-01 owner <@UBOB|bob> channel <#CPAY|payments-releases>", want: []string{"owner <@UBOB>", "<#CPAY>"}},
		{name: "AcceptsChannelThenOwner", line: "/release add payments 2.4.0 2027-02-01 channel <#CPRIV|> owner @UBOB", want: []string{"owner <@UBOB>", "<#CPRIV>"}},
		{name: "CreatesProduct", line: "/release add billing 1.0.0-rc.1+b7 2027-03-01", want: []string{"Added *billing@1.0.0-rc.1+b7*"}},
		{name: "RefusesPastDate", line: "/release add payments 2.2.9 2026-12-01", code: store.EInvalid, want: []string{"Tue 2026-12-01 is in the past (34 days ago)", `end the command with "anyway"`}},
		{name: "AddsPastDateAnyway", line: "/release add payments 2.2.9 2026-12-01 anyway", want: []string{"Added *payments@2.2.9*", "it is *overdue*"}},
		{name: "AddsPastDateAnywayAfterOwner", line: "/release add payments 2.2.9 2026-12-01 owner @UBOB anyway", want: []string{"Added *payments@2.2.9*", "owner <@UBOB>"}},
		{name: "RejectsDuplicate", line: "/release add payments 2.3.0 2027-01-20", code: store.EConflict, want: []string{"payments@2.3.0 already exists", "/release move"}},
		{name: "RejectsDuplicateInOtherCase", line: "/release add PAYMENTS@2.3.0 2027-01-20", code: store.EConflict, want: []string{"already exists"}},
		{name: "RejectsUnknownDate", line: "/release add payments 2.4.0 someday", code: store.EInvalid, want: []string{`"someday" is not a date`}},
		{name: "RejectsMonth13", line: "/release add payments 2.4.0 2027-13-01", code: store.EInvalid, want: []string{`"2027-13-01" is not a date`}},
		{name: "RejectsMissingDate", line: "/release add payments 2.4.0", code: store.EInvalid, want: []string{"missing the target date"}},
		{name: "RejectsMissingVersion", line: "/release add payments", code: store.EInvalid, want: []string{"missing the version"}},
		{name: "RejectsVersionWithSlash", line: "/release add payments 2.4/0 fri", code: store.EInvalid, want: []string{`"2.4/0" is not a version`}},
		{name: "RejectsVersionWithBang", line: "/release add payments@2.4.0! fri", code: store.EInvalid, want: []string{`"2.4.0!" is not a version`}},
		{name: "RejectsVersionWithEscapedBracket", line: "/release add payments 2.4&lt;0&gt; fri", code: store.EInvalid, want: []string{`"2.4&lt;0&gt;" is not a version`}},
		{name: "RejectsTooLongVersion", line: "/release add payments " + strings.Repeat("9", 65) + " fri", code: store.EInvalid, want: []string{"is not a version"}},
		{name: "RejectsBadProduct", line: "/release add pay$ments 2.4.0 fri", code: store.EInvalid, want: []string{`"pay$ments" is not a product name`}},
		{name: "RejectsOwnerNotMentioned", line: "/release add payments 2.4.0 fri owner bob", code: store.EInvalid, want: []string{"expected the owner as a mention"}},
		{name: "RejectsMissingChannel", line: "/release add payments 2.4.0 fri channel", code: store.EInvalid, want: []string{"missing the channel"}},
		{name: "RejectsExtraWord", line: "/release add payments 2.4.0 fri please", code: store.EInvalid, want: []string{`unexpected "please"`}},
	},
	"list": {
		{name: "ListsPlanned", line: "/release list", want: []string{"Planned releases", "*auth@1.4.0*", "*payments@2.3.0*", "*mobile@5.0*"}},
		{name: "ListsProduct", line: "/release list payments", want: []string{"Planned releases of payments", "*payments@2.3.0*"}},
		{name: "ListsProductInAnyCase", line: "/release list PAYMENTS", want: []string{"of payments"}},
		{name: "ListsAtRisk", line: "/release list at-risk", want: []string{"at risk"}},
		{name: "ListsMine", line: "/release list mine", want: []string{"(yours)", "*auth@1.4.0*"}},
		{name: "ListsShipped", line: "/release list shipped", want: []string{"Shipped releases", "There are no shipped releases."}},
		{name: "ListsAll", line: "/release list all", want: []string{"All releases"}},
		{name: "CombinesFilters", line: "/release list payments all at-risk mine", want: []string{"All releases of payments at risk (yours)"}},
		{name: "RejectsSecondProduct", line: "/release list payments auth", code: store.EInvalid, want: []string{`list takes one product; "auth" is a second`}},
		{name: "RejectsUnknownProduct", line: "/release list nosuch", code: store.ENotFound, want: []string{`there is no product "nosuch"`}},
		{name: "RejectsBadProduct", line: "/release list no/such", code: store.EInvalid, want: []string{"is not a product name"}},
		{name: "RejectsMention", line: "/release list <@UBOB>", code: store.EInvalid, want: []string{"expected a product, at-risk, mine, shipped or all"}},
	},
	"show": {
		{name: "AcceptsAtSpelling", line: "/release show payments@2.3.0", want: []string{"*payments@2.3.0*", "*Target:* Fri 2027-01-15", "*auth@1.4.0* needed by"}},
		{name: "AcceptsSpaceSpelling", line: "/release show payments 2.3.0", want: []string{"*payments@2.3.0*"}},
		{name: "AcceptsMailtoSpelling", line: "/release show <mailto:payments@2.3.0|payments@2.3.0>", want: []string{"*payments@2.3.0*"}},
		{name: "FoldsProductCase", line: "/release show PAYMENTS@2.3.0", want: []string{"*payments@2.3.0*"}},
		{name: "RejectsMissingRelease", line: "/release show", code: store.EInvalid, want: []string{"missing the release"}},
		{name: "RejectsMissingVersion", line: "/release show payments", code: store.EInvalid, want: []string{`missing the version after "payments"`, "payments@2.3.0"}},
		{name: "RejectsKeywordAsVersion", line: "/release show payments on", code: store.EInvalid, want: []string{"missing the version"}},
		{name: "RejectsEmptyVersion", line: "/release show payments@", code: store.EInvalid, want: []string{`"" is not a version`}},
		{name: "RejectsUnknownVersion", line: "/release show payments@9.9", code: store.ENotFound, want: []string{"there is no release payments@9.9; payments has 2.3.0"}},
		{name: "RejectsUnknownRelease", line: "/release show nosuch@1.0", code: store.ENotFound, want: []string{"there is no release nosuch@1.0", "/release add nosuch 1.0 &lt;date&gt;"}},
		{name: "RejectsExtraWord", line: "/release show payments@2.3.0 now", code: store.EInvalid, want: []string{`unexpected "now"`}},
	},
	"move": {
		{name: "AcceptsAtSpelling", line: "/release move payments@2.3.0 2027-02-01 because the PCI audit moved", want: []string{"Moved *payments@2.3.0* from Fri 2027-01-15 to Mon 2027-02-01", "<#CPAY>", "Now late for:\n• *mobile@5.0* needs it by Fri 2027-01-29 — :warning: *late (3 days)*", "1 release newly at risk: *mobile@5.0*"}},
		{name: "RefusesPastDate", line: "/release move payments@2.3.0 2027-01-01 because rebased", code: store.EInvalid, want: []string{"Fri 2027-01-01 is in the past (3 days ago)", `end the command with "anyway"`}},
		{name: "MovesToPastDateAnyway", line: "/release move payments@2.3.0 2027-01-01 anyway", want: []string{"Moved *payments@2.3.0* from Fri 2027-01-15 to Fri 2027-01-01"}},
		{name: "MovesToPastDateWithTrailingAnyway", line: "/release move payments@2.3.0 2027-01-01 because we mis-typed it anyway", want: []string{"Moved *payments@2.3.0*"}},
		{name: "AcceptsSpaceSpelling", line: "/release move payments 2.3.0 +2w because scope", want: []string{"Moved *payments@2.3.0*", "Mon 2027-01-18"}},
		{name: "AcceptsMailtoSpelling", line: "/release move <mailto:payments@2.3.0|payments@2.3.0> wed because scope", want: []string{"Moved *payments@2.3.0*", "Wed 2027-01-06"}},
		{name: "AcceptsEarlierWithoutReason", line: "/release move payments@2.3.0 2027-01-12", want: []string{"Moved *payments@2.3.0*", "Tue 2027-01-12"}},
		{name: "AcceptsCurlyQuotedReason", line: "/release move payments@2.3.0 +3w because “Stripe SDK” slipped", want: []string{"Moved"}},
		{name: "RejectsUnknownDate", line: "/release move payments@2.3.0 someday because x", code: store.EInvalid, want: []string{`"someday" is not a date`}},
		{name: "RejectsMissingDate", line: "/release move payments@2.3.0", code: store.EInvalid, want: []string{"missing the new date"}},
		{name: "RejectsLaterWithoutBecause", line: "/release move payments@2.3.0 2027-02-01", code: store.EInvalid, want: []string{"moving payments@2.3.0 later (from Fri 2027-01-15 to Mon 2027-02-01) needs a reason", `"because &lt;reason&gt;"`}},
		{name: "RejectsEmptyReason", line: "/release move payments@2.3.0 2027-02-01 because  ", code: store.EInvalid, want: []string{`the reason after "because" is empty`}},
		{name: "RejectsReasonWithoutBecause", line: "/release move payments@2.3.0 2027-02-01 the audit moved", code: store.EInvalid, want: []string{`unexpected "the"`}},
		{name: "RejectsTooLongReason", line: "/release move payments@2.3.0 2027-02-01 because " + strings.Repeat("x", 1001), code: store.EInvalid, want: []string{"the reason is too long (1001 characters; at most 1000)"}},
		{name: "RejectsSameDate", line: "/release move payments@2.3.0 2027-01-15 because x", code: store.EInvalid, want: []string{"payments@2.3.0 already targets Fri 2027-01-15"}},
		{name: "RejectsUnknownRelease", line: "/release move payments@9.9 2027-02-01 because x", code: store.ENotFound, want: []string{"there is no release payments@9.9"}},
		{name: "RejectsOthers", as: bob, line: "/release move payments@2.3.0 2027-02-01 because x", code: store.EForbidden, want: []string{"only <@UALICE> (owner) or an admin can move payments@2.3.0"}},
	},
	"ship": {
		{name: "ShipsToday", line: "/release ship payments@2.3.0", want: []string{"*payments@2.3.0* is shipped (11 days early)", "<#CPAY>"}},
		{name: "AcceptsSpaceSpelling", line: "/release ship payments 2.3.0 on today", want: []string{"is shipped"}},
		{name: "AcceptsMailtoSpelling", line: "/release ship <mailto:payments@2.3.0|payments@2.3.0> on 2027-01-04", want: []string{"is shipped (11 days early)"}},
		{name: "RefusesDateBeforeItWasAdded", line: "/release ship payments@2.3.0 on 2027-01-01", code: store.EInvalid, want: []string{"Fri 2027-01-01 is before payments@2.3.0 was added (Mon 2027-01-04)", `"anyway"`}},
		{name: "ShipsBeforeItWasAddedAnyway", line: "/release ship payments@2.3.0 on 2027-01-01 anyway", want: []string{"is shipped (14 days early)"}},
		{name: "RejectsFutureDate", line: "/release ship payments@2.3.0 on fri", code: store.EInvalid, want: []string{"Fri 2027-01-08 is in the future"}},
		{name: "RejectsMissingDate", line: "/release ship payments@2.3.0 on", code: store.EInvalid, want: []string{"missing the ship date"}},
		{name: "RejectsDateWithoutOn", line: "/release ship payments@2.3.0 today", code: store.EInvalid, want: []string{`unexpected "today"`}},
		{name: "RejectsUnknownRelease", line: "/release ship nosuch@1.0", code: store.ENotFound, want: []string{"there is no release nosuch@1.0"}},
		{name: "RejectsOthers", as: bob, line: "/release ship payments@2.3.0", code: store.EForbidden, want: []string{"or an admin can ship payments@2.3.0"}},
	},
	"cancel": {
		{name: "CancelsWithReason", line: "/release cancel payments@2.3.0 because merged into 2.4.0", want: []string{"Cancelled *payments@2.3.0*", "*mobile@5.0* depended on it and is now at risk."}},
		{name: "AcceptsSpaceSpelling", line: "/release cancel auth 1.4.0 because dropped", want: []string{"Cancelled *auth@1.4.0*"}},
		{name: "AcceptsMailtoSpelling", line: "/release cancel <mailto:mobile@5.0|mobile@5.0> because dropped", want: []string{"Cancelled *mobile@5.0*"}},
		{name: "RejectsMissingBecause", line: "/release cancel payments@2.3.0", code: store.EInvalid, want: []string{"a reason is required to cancel a release"}},
		{name: "RejectsReasonWithoutBecause", line: "/release cancel payments@2.3.0 merged", code: store.EInvalid, want: []string{`expected "because &lt;reason&gt;" to cancel a release, not "merged"`}},
		{name: "RejectsEmptyReason", line: "/release cancel payments@2.3.0 because", code: store.EInvalid, want: []string{"is empty"}},
		{name: "RejectsUnknownRelease", line: "/release cancel payments@2.3.1 because x", code: store.ENotFound, want: []string{"there is no release payments@2.3.1"}},
		{name: "RejectsOthers", as: bob, line: "/release cancel payments@2.3.0 because x", code: store.EForbidden, want: []string{"can cancel payments@2.3.0"}},
	},
	"depend": {
		{name: "AcceptsRelease", line: "/release depend mobile@5.0 on auth@1.4.0 by 2027-01-20", want: []string{"Recorded: *mobile@5.0* depends on *auth@1.4.0*, needed by Wed 2027-01-20, due Fri 2027-01-08 — on track (12 days to spare)"}},
		{name: "AcceptsStage", line: "/release depend mobile@5.0 on auth@1.4.0 in test by 2027-01-06", want: []string{"Recorded: *mobile@5.0* depends on *auth@1.4.0* in test, needed by Wed 2027-01-06, due in test Fri 2027-01-08 — :warning: *late (2 days)*"}},
		{name: "RestatesStage", setup: []string{"/release depend mobile@5.0 on auth@1.4.0 by 2027-01-20"}, line: "/release depend mobile@5.0 on auth@1.4.0 in test", want: []string{"Changed: needed in test, was production."}},
		{name: "RejectsUnknownStage", line: "/release depend mobile@5.0 on auth@1.4.0 in staging", code: store.EInvalid, want: []string{`auth@1.4.0 has no stage "staging": its pipeline is test → production`}},
		{name: "RejectsStageOfExternal", line: `/release depend mobile@5.0 on external "Stripe SDK" in test`, code: store.EInvalid, want: []string{`unexpected "in"`}},
		{name: "AcceptsSpaceSpelling", line: "/release depend mobile 5.0 on auth 1.4.0", want: []string{"*mobile@5.0* depends on *auth@1.4.0*, needed by Fri 2027-01-29"}},
		{name: "AcceptsMailtoSpelling", line: "/release depend <mailto:mobile@5.0|mobile@5.0> on <mailto:auth@1.4.0|auth@1.4.0>", want: []string{"*mobile@5.0* depends on *auth@1.4.0*"}},
		{name: "ReportsSlip", line: "/release depend auth@1.4.0 on external “Okta API” due 2027-01-12", want: []string{"external “Okta API”", ":warning: *late (4 days)*"}},
		{name: "AcceptsNewExternal", line: "/release depend auth@1.4.0 on external \"Okta API\" due 2027-01-06 owner <@USAM|sam> by 2027-01-07", want: []string{"depends on external “Okta API”, needed by Thu 2027-01-07, due Wed 2027-01-06 — on track (1 day to spare)"}},
		{name: "AcceptsKnownExternalWithoutDue", line: "/release depend auth@1.4.0 on external “stripe  sdk”", want: []string{"depends on external “stripe  sdk”"}},
		{name: "UpdatesNeededBy", line: "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-22", want: []string{"Updated: *mobile@5.0* depends on *payments@2.3.0*, needed by Fri 2027-01-22"}},
		{name: "RejectsCycle", line: "/release depend auth@1.4.0 on mobile@5.0", code: store.EConflict, want: []string{"that would close a cycle: auth@1.4.0 → mobile@5.0 → payments@2.3.0 → auth@1.4.0"}},
		{name: "RejectsSelf", line: "/release depend auth 1.4.0 on auth 1.4.0", code: store.EConflict, want: []string{"cycle: auth@1.4.0 → auth@1.4.0"}},
		{name: "RejectsDuplicate", line: "/release depend mobile@5.0 on payments@2.3.0", code: store.EConflict, want: []string{"mobile@5.0 already depends on payments@2.3.0"}},
		{name: "RejectsMissingProvider", line: "/release depend mobile@5.0 on nosuch@1.0", code: store.ENotFound, want: []string{"there is no release nosuch@1.0"}},
		{name: "RejectsMissingConsumer", line: "/release depend nosuch@1.0 on auth@1.4.0", code: store.ENotFound, want: []string{"there is no release nosuch@1.0"}},
		{name: "RejectsMissingOn", line: "/release depend mobile@5.0 payments@2.3.0", code: store.EInvalid, want: []string{`expected "on" before what it depends on, not "payments@2.3.0"`}},
		{name: "RejectsUnquotedExternal", line: "/release depend mobile@5.0 on external Stripe", code: store.EInvalid, want: []string{"expected the external item's name in quotes"}},
		{name: "RejectsEmptyExternal", line: `/release depend mobile@5.0 on external "  " due fri`, code: store.EInvalid, want: []string{"needs a name in quotes"}},
		{name: "RejectsNewExternalWithoutDue", line: `/release depend mobile@5.0 on external "New Thing"`, code: store.EInvalid, want: []string{"external “New Thing” is new: say when it is due"}},
		{name: "RejectsOtherDueForKnownExternal", line: `/release depend auth@1.4.0 on external "Stripe SDK" due 2027-02-02`, code: store.EConflict, want: []string{"already due Wed 2027-01-20 (owner @USAM)"}},
		{name: "RejectsDueForRelease", line: "/release depend mobile@5.0 on auth@1.4.0 due fri", code: store.EInvalid, want: []string{`unexpected "due"`}},
		{name: "RejectsBadNeededBy", line: "/release depend mobile@5.0 on auth@1.4.0 by someday", code: store.EInvalid, want: []string{`"someday" is not a date`}},
		{name: "RejectsOthers", as: bob, line: "/release depend mobile@5.0 on auth@1.4.0", code: store.EForbidden, want: []string{"can change the dependencies of mobile@5.0"}},
	},
	"undepend": {
		{name: "RemovesRelease", line: "/release undepend mobile@5.0 on payments@2.3.0", want: []string{"*mobile@5.0* no longer depends on *payments@2.3.0*"}},
		{name: "AcceptsSpaceSpelling", line: "/release undepend mobile 5.0 on payments 2.3.0", want: []string{"no longer depends on *payments@2.3.0*"}},
		{name: "AcceptsMailtoSpelling", line: "/release undepend <mailto:mobile@5.0|mobile@5.0> on <mailto:payments@2.3.0|payments@2.3.0>", want: []string{"no longer depends"}},
		{name: "RemovesExternal", line: "/release undepend mobile@5.0 on external “stripe sdk”", want: []string{"no longer depends on external “stripe sdk”"}},
		{name: "RejectsMissingEdge", line: "/release undepend auth@1.4.0 on payments@2.3.0", code: store.ENotFound, want: []string{"auth@1.4.0 does not depend on payments@2.3.0"}},
		{name: "RejectsMissingOn", line: "/release undepend mobile@5.0", code: store.EInvalid, want: []string{`missing "on"`}},
		{name: "RejectsUnknownRelease", line: "/release undepend mobile@5.1 on payments@2.3.0", code: store.ENotFound, want: []string{"there is no release mobile@5.1"}},
		{name: "RejectsOthers", as: bob, line: "/release undepend mobile@5.0 on payments@2.3.0", code: store.EForbidden, want: []string{"can change the dependencies of mobile@5.0"}},
	},
	"commit": {
		{name: "CommitsForTheProvider", setup: handshakeSetup, as: bob, line: "/release commit mobile@5.0 on payments@2.3.0",
			want: []string{"Committed: *payments@2.3.0* by Wed 2027-01-20 for *mobile@5.0*; <@UALICE> was told."}},
		{name: "AcceptsAnAdmin", setup: handshakeSetup, as: root, line: "/release commit mobile 5.0 on payments 2.3.0", want: []string{"Committed:"}},
		{name: "CommitsForAnExternalItem", setup: []string{`/release depend mobile@5.0 on external "Stripe SDK" by 2027-01-25`}, as: sam,
			line: `/release commit mobile@5.0 on external "stripe sdk"`, want: []string{"Committed: external “Stripe SDK” by Mon 2027-01-25 for *mobile@5.0*"}},
		{name: "CommitsToACounterProposalsOriginalDate", setup: append(handshakeSetup[:2:2], "as UBOB: /release propose mobile@5.0 on payments@2.3.0 2027-01-22 because QA"), as: bob,
			line: "/release commit mobile@5.0 on payments@2.3.0", want: []string{"Committed: *payments@2.3.0* by Wed 2027-01-20"}},
		{name: "RejectsTheConsumer", setup: handshakeSetup, line: "/release commit mobile@5.0 on payments@2.3.0", code: store.EForbidden,
			want: []string{"only <@UBOB> (owner) or an admin can answer for payments@2.3.0"}},
		{name: "RejectsWhenNothingWasAsked", setup: handshakeSetup[:1], as: bob, line: "/release commit mobile@5.0 on payments@2.3.0", code: store.EConflict,
			want: []string{"mobile@5.0 on payments@2.3.0 has no needed-by date of its own, so nothing was asked"}},
		{name: "RejectsTwice", setup: append(handshakeSetup[:2:2], "as UBOB: /release commit mobile@5.0 on payments@2.3.0"), as: bob,
			line: "/release commit mobile@5.0 on payments@2.3.0", code: store.EConflict, want: []string{"already has a commitment to deliver by Wed 2027-01-20 (@UBOB, Mon 2027-01-04)"}},
		{name: "RejectsAMissingEdge", as: bob, line: "/release commit auth@1.4.0 on payments@2.3.0", code: store.ENotFound, want: []string{"auth@1.4.0 does not depend on payments@2.3.0"}},
		{name: "RejectsAMissingOn", as: bob, line: "/release commit mobile@5.0 payments@2.3.0", code: store.EInvalid, want: []string{`"on"`}},
	},
	"propose": {
		{name: "ProposesALaterDate", setup: handshakeSetup, as: bob, line: "/release propose mobile@5.0 on payments@2.3.0 2027-01-25 because the HSM firmware is late",
			want: []string{"Proposed Mon 2027-01-25 instead of Wed 2027-01-20 for *mobile@5.0*'s need of *payments@2.3.0*; <@UALICE> was told."}},
		{name: "RequiresAReason", setup: handshakeSetup, as: bob, line: "/release propose mobile@5.0 on payments@2.3.0 2027-01-25", code: store.EInvalid,
			want: []string{"a reason is required"}},
		{name: "RejectsADateNotLater", setup: handshakeSetup, as: bob, line: "/release propose mobile@5.0 on payments@2.3.0 2027-01-20 because easy", code: store.EInvalid,
			want: []string{"Wed 2027-01-20 is not after the date asked for, Wed 2027-01-20: if you can deliver by then, commit with /release commit mobile@5.0 on payments@2.3.0"}},
		{name: "RejectsTheConsumer", setup: handshakeSetup, line: "/release propose mobile@5.0 on payments@2.3.0 2027-01-25 because x", code: store.EForbidden,
			want: []string{"can answer for payments@2.3.0"}},
		{name: "RejectsABadDate", setup: handshakeSetup, as: bob, line: "/release propose mobile@5.0 on payments@2.3.0 soonish because x", code: store.EInvalid,
			want: []string{`"soonish" is not a date`}},
	},
	"accept": {
		{name: "MakesTheProposedDateTheNeededBy", setup: append(handshakeSetup[:2:2], "as UBOB: /release propose mobile@5.0 on payments@2.3.0 2027-01-25 because QA"),
			line: "/release accept mobile@5.0 on payments@2.3.0 2027-01-25", want: []string{"Accepted: *mobile@5.0* now needs *payments@2.3.0* by Mon 2027-01-25 — on track (10 days to spare) · committed."}},
		{name: "RejectsAnotherDateThanProposed", setup: append(handshakeSetup[:2:2], "as UBOB: /release propose mobile@5.0 on payments@2.3.0 2027-01-25 because QA"),
			line: "/release accept mobile@5.0 on payments@2.3.0 2027-01-26", code: store.EConflict, want: []string{"the date proposed for mobile@5.0 on payments@2.3.0 is now Mon 2027-01-25, not Tue 2027-01-26"}},
		{name: "RejectsADateAfterTheConsumersTarget", setup: append(handshakeSetup[:2:2], "as UBOB: /release propose mobile@5.0 on payments@2.3.0 2027-02-05 because QA"),
			line: "/release accept mobile@5.0 on payments@2.3.0", code: store.EInvalid, want: []string{"Fri 2027-02-05 is after mobile@5.0's own target, Fri 2027-01-29"}},
		{name: "RejectsWithoutAProposal", setup: handshakeSetup, line: "/release accept mobile@5.0 on payments@2.3.0", code: store.EConflict,
			want: []string{"no other date is proposed for mobile@5.0 on payments@2.3.0 (it is requested)"}},
		{name: "RejectsTheProvider", setup: append(handshakeSetup[:2:2], "as UBOB: /release propose mobile@5.0 on payments@2.3.0 2027-01-25 because QA"), as: bob,
			line: "/release accept mobile@5.0 on payments@2.3.0", code: store.EForbidden, want: []string{"can accept a date for mobile@5.0"}},
	},
	"confirm": {
		{name: "Confirms", as: sam, line: `/release confirm external "Stripe SDK"`, want: []string{"Confirmed external “Stripe SDK” is still due Wed 2027-01-20"}},
		{name: "UpdatesDue", as: sam, line: "/release confirm external “stripe sdk” due 2027-01-25", want: []string{"External “Stripe SDK” is now due Mon 2027-01-25", ", was Wed 2027-01-20;"}},
		{name: "AcceptsAdmin", as: root, line: `/release confirm external "Stripe SDK" due +3w`, want: []string{"now due Mon 2027-01-25"}},
		{name: "RejectsOthers", as: bob, line: `/release confirm external "Stripe SDK"`, code: store.EForbidden, want: []string{"only <@USAM> (its owner) or an admin can confirm external “Stripe SDK”"}},
		{name: "RejectsReleaseOwner", line: `/release confirm external "Stripe SDK"`, code: store.EForbidden, want: []string{"its owner"}},
		{name: "RejectsMissingExternalKeyword", as: sam, line: `/release confirm "Stripe SDK"`, code: store.EInvalid, want: []string{`expected "external"`}},
		{name: "RejectsUnknownItem", as: sam, line: `/release confirm external "Nope"`, code: store.ENotFound, want: []string{`there is no external item "Nope"`}},
		{name: "RejectsUnknownDate", as: sam, line: `/release confirm external "Stripe SDK" due someday`, code: store.EInvalid, want: []string{`"someday" is not a date`}},
	},
	"impact": {
		{name: "ListsDownstream", line: "/release impact auth@1.4.0", want: []string{"Impact of auth@1.4.0", "└ *payments@2.3.0* — needs *auth@1.4.0* by Fri 2027-01-15 — on track (7 days to spare)", "└ *mobile@5.0*"}},
		{name: "AcceptsSpaceSpelling", line: "/release impact auth 1.4.0", want: []string{"2 releases downstream"}},
		{name: "AcceptsMailtoSpelling", line: "/release impact <mailto:mobile@5.0|mobile@5.0>", want: []string{"Nothing depends on *mobile@5.0*"}},
		{name: "RejectsMissingRelease", line: "/release impact", code: store.EInvalid, want: []string{"missing the release"}},
		{name: "RejectsUnknownRelease", line: "/release impact auth@9", code: store.ENotFound, want: []string{"there is no release auth@9; auth has 1.4.0"}},
	},
	"history": {
		{name: "ShowsHistory", line: "/release history payments@2.3.0", want: []string{"History of payments@2.3.0", "added by <@UALICE>, target Fri 2027-01-15"}},
		{name: "AcceptsSpaceSpelling", line: "/release history payments 2.3.0", want: []string{"History of payments@2.3.0"}},
		{name: "AcceptsMailtoSpelling", line: "/release history <mailto:payments@2.3.0|payments@2.3.0>", want: []string{"History of payments@2.3.0"}},
		{name: "RejectsUnknownRelease", line: "/release history payments@9", code: store.ENotFound, want: []string{"there is no release payments@9"}},
		{name: "RejectsBadVersion", line: "/release history payments@9;9", code: store.EInvalid, want: []string{"is not a version"}},
	},
	"pipeline": {
		{name: "ShowsDefault", line: "/release pipeline payments", want: []string{"*payments* goes through test → production (the default pipeline)"}},
		{name: "SetsPipeline", line: "/release pipeline Payments build test staging production", want: []string{"*payments* now goes through build → test → staging → production. It applies to 1 planned release"}},
		{name: "ShowsItsOwn", setup: []string{"/release pipeline payments build production"}, line: "/release pipeline payments", want: []string{"goes through build → production (its own pipeline)"}},
		{name: "RejectsNoProductionLast", line: "/release pipeline payments build test", code: store.EInvalid, want: []string{"a pipeline ends with production"}},
		{name: "RejectsProductionFirst", line: "/release pipeline payments production test", code: store.EInvalid, want: []string{"a pipeline ends with production"}},
		{name: "RejectsRepeatedStage", line: "/release pipeline payments test qa test production", code: store.EInvalid, want: []string{"test is in the pipeline twice"}},
		{name: "RejectsBadStageName", line: "/release pipeline payments te$t production", code: store.EInvalid, want: []string{"is not a stage name"}},
		{name: "RejectsUnknownProduct", line: "/release pipeline nosuch", code: store.ENotFound, want: []string{"there is no product nosuch"}},
		{name: "RejectsOthers", as: bob, line: "/release pipeline payments build production", code: store.EForbidden, want: []string{"only the owners of its planned releases (<@UALICE>) or an admin"}},
		{name: "RejectsUnchanged", line: "/release pipeline payments test production", code: store.EConflict, want: []string{"already goes through test → production"}},
	},
	"stage": {
		{name: "PlansStage", line: "/release stage payments@2.3.0 test on 2027-01-10", want: []string{"Planned *payments@2.3.0* in test on Sun 2027-01-10 (in 6 days); posted in <#CPAY>."}},
		{name: "AcceptsLaterWithReason", setup: []string{"/release stage payments@2.3.0 test on 2027-01-10"}, line: "/release stage payments 2.3.0 test on 2027-01-12 because QA moved", want: []string{"in test on Tue 2027-01-12"}},
		{name: "RejectsLaterWithoutReason", setup: []string{"/release stage payments@2.3.0 test on 2027-01-10"}, line: "/release stage payments@2.3.0 test on 2027-01-12", code: store.EInvalid, want: []string{"needs a reason"}},
		{name: "RejectsAfterTarget", line: "/release stage payments@2.3.0 test on 2027-01-20", code: store.EInvalid, want: []string{"after payments@2.3.0's target"}},
		{name: "RejectsAfterLaterStage", setup: []string{"/release pipeline payments test staging production", "/release stage payments@2.3.0 staging on 2027-01-10"}, line: "/release stage payments@2.3.0 test on 2027-01-11", code: store.EInvalid, want: []string{"after payments@2.3.0's staging date"}},
		{name: "RejectsUnknownStage", line: "/release stage payments@2.3.0 staging on 2027-01-10", code: store.EInvalid, want: []string{`has no stage "staging": its pipeline is test → production`}},
		{name: "RejectsProduction", line: "/release stage payments@2.3.0 production on 2027-01-10", code: store.EInvalid, want: []string{"production is payments@2.3.0's target"}},
		{name: "RejectsPast", line: "/release stage payments@2.3.0 test on 2027-01-01", code: store.EInvalid, want: []string{"in the past"}},
		{name: "RejectsOthers", as: bob, line: "/release stage payments@2.3.0 test on 2027-01-10", code: store.EForbidden, want: []string{"can plan the stages of payments@2.3.0"}},
		{name: "RejectsMissingOn", line: "/release stage payments@2.3.0 test 2027-01-10", code: store.EInvalid, want: []string{`expected "on"`}},
		{name: "PreviewsASlip", setup: []string{"/release stage payments@2.3.0 test on 2027-01-10", "/release depend mobile@5.0 on payments@2.3.0 in test by 2027-01-12"},
			line: "/release stage payments@2.3.0 test on 2027-01-13 because QA preview", want: []string{"Preview, nothing saved.* Planning *payments@2.3.0* in test on Wed 2027-01-13 would:", "*mobile@5.0* needs it in test by Tue 2027-01-12 — :warning: *late (1 day)*", "Would tell <#CPAY>, <#CMOB>"}},
	},
	"promote": {
		{name: "PromotesToTest", line: "/release promote payments@2.3.0 to test", want: []string{"*payments@2.3.0* is in test; posted in <#CPAY>."}},
		{name: "ReachesSkippedStages", setup: []string{"/release pipeline payments build test staging production"}, line: "/release promote payments 2.3.0 to staging", want: []string{"is in staging (also reached: build, test)"}},
		{name: "ProductionShips", line: "/release promote auth@1.4.0 to production", want: []string{"*auth@1.4.0* is shipped"}},
		{name: "ReleaseEngineerMay", setup: []string{"/release role payments release-engineer <@UBOB>"}, as: bob, line: "/release promote payments@2.3.0 to test", want: []string{"is in test"}},
		{name: "RejectsBackwards", setup: []string{"/release pipeline payments build test staging production", "/release promote payments@2.3.0 to staging"}, line: "/release promote payments@2.3.0 to build", code: store.EConflict, want: []string{"never backwards"}},
		{name: "RejectsAgain", setup: []string{"/release promote payments@2.3.0 to test"}, line: "/release promote payments@2.3.0 to test", code: store.EConflict, want: []string{"already reached test"}},
		{name: "RejectsUnknownStage", line: "/release promote payments@2.3.0 to staging", code: store.EInvalid, want: []string{"its pipeline is test → production"}},
		{name: "RejectsFuture", line: "/release promote payments@2.3.0 to test on 2027-01-09", code: store.EInvalid, want: []string{"is in the future"}},
		{name: "RejectsOthers", as: bob, line: "/release promote payments@2.3.0 to test", code: store.EForbidden, want: []string{"can ship payments@2.3.0"}},
		{name: "RejectsMissingTo", line: "/release promote payments@2.3.0 test", code: store.EInvalid, want: []string{`expected "to"`}},
		{name: "RejectsOpenChecklistItems", setup: []string{`/release check payments@2.3.0 add "security review" before test`}, line: "/release promote payments@2.3.0 to test", code: store.EConflict, want: []string{"payments@2.3.0 has 1 checklist item open that must be done before test: #1 security review", `end the command with "anyway"`}},
		{name: "GoesPastOpenItemsAnyway", setup: []string{`/release check payments@2.3.0 add "security review" before test`}, line: "/release promote payments@2.3.0 to test anyway", want: []string{"*payments@2.3.0* is in test"}},
		{name: "IgnoresItemsForLaterStages", setup: []string{`/release check payments@2.3.0 add "release notes" before production`}, line: "/release promote payments@2.3.0 to test", want: []string{"*payments@2.3.0* is in test"}},
	},
	"role": {
		{name: "ShowsProductRoles", line: "/release role payments", want: []string{"Roles of payments", "*Release manager*", "nobody"}},
		{name: "ShowsReleaseRoles", line: "/release role payments@2.3.0", want: []string{"Roles of payments@2.3.0", "<@UALICE> — from the owner"}},
		{name: "ShowsReleaseRolesSpaceSpelling", line: "/release role payments 2.3.0", want: []string{"Roles of payments@2.3.0"}},
		{name: "ShowsReleaseRolesMailtoSpelling", line: "/release role <mailto:payments@2.3.0|payments@2.3.0>", want: []string{"Roles of payments@2.3.0"}},
		{name: "SetsProductRole", line: "/release role payments release-manager <@UBOB|bob> <@USAM> <@UBOB>", want: []string{"Release manager of product payments: <@UBOB>, <@USAM>."}},
		{name: "SetsReleaseRole", line: "/release role payments 2.3.0 rm @UBOB", want: []string{"Release manager of *payments@2.3.0*: <@UBOB>. Posted in <#CPAY>."}},
		{name: "ClearsRole", line: "/release role payments@2.3.0 pm none", want: []string{"Product manager of *payments@2.3.0*: unset."}},
		{name: "RejectsMissingSubject", line: "/release role", code: store.EInvalid, want: []string{"missing a product or release"}},
		{name: "RejectsUnknownRole", line: "/release role payments@2.3.0 boss <@UBOB>", code: store.EInvalid, want: []string{`"boss" is not a role`}},
		{name: "RejectsMissingPeople", line: "/release role payments release-manager", code: store.EInvalid, want: []string{"missing people for release-manager"}},
		{name: "RejectsPeopleNotMentioned", line: "/release role payments release-manager bob", code: store.EInvalid, want: []string{`expected people for release-manager as mentions like @alex (or none), not "bob"`}},
		{name: "RejectsUnknownProduct", line: "/release role nosuch", code: store.ENotFound, want: []string{`there is no product "nosuch"`}},
		{name: "RejectsOthersOnProduct", as: bob, line: "/release role payments rm <@UBOB>", code: store.EForbidden, want: []string{"while payments has no release manager, only an admin or someone who owns one of its releases can set its roles"}},
		{name: "RejectsOthersOnRelease", as: bob, line: "/release role payments@2.3.0 rm <@UBOB>", code: store.EForbidden, want: []string{"can change the roles of payments@2.3.0"}},
	},
}

// TestCommands runs every command of the table through Service.Execute on
// a real store: the forms that work, and the errors, which must say what
// was wrong and show the command's usage line and example.
func TestCommands(t *testing.T) {
	for _, spec := range commands.Table() {
		if spec.Group != "release" {
			continue // ccbCases, in ccb_cmd_test.go
		}
		t.Run(spec.Name, func(t *testing.T) {
			cases := commandCases[spec.Name]
			var ok, failed int
			for _, c := range cases {
				if c.code == "" {
					ok++
				} else {
					failed++
				}
			}
			if ok == 0 || (failed == 0 && spec.Parse != nil) {
				t.Errorf("command %q has %d working and %d failing cases; want some of each", spec.Name, ok, failed)
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					// Text that is no command is refused by Parse alone,
					// without a store.
					if checkParseError(t, c.line, c.code, c.want, &spec) {
						return
					}
					svc := MustService(t, root)
					MustFixture(t, svc)
					as := c.as
					if as == "" {
						as = alice
					}
					for _, l := range c.setup {
						who := alice
						if u, rest, ok := strings.Cut(strings.TrimPrefix(l, "as "), ": "); ok && strings.HasPrefix(l, "as ") {
							who, l = u, rest
						}
						MustDo(t, svc, who, l)
					}
					before := MustSnapshot(t, svc.Store)
					r := Do(t, svc, as, c.line)
					if c.code != "" {
						assertUnchanged(t, before, MustSnapshot(t, svc.Store))
					}
					if r.Code != c.code {
						t.Fatalf("Execute(%q as %s).Code = %q; want %q\nreply:\n%s", c.line, as, r.Code, c.code, r.Doc.Text)
					}
					for _, w := range c.want {
						if !strings.Contains(r.Doc.Text, w) {
							t.Errorf("Execute(%q as %s) reply lacks %q:\n%s", c.line, as, w, r.Doc.Text)
						}
					}
					if c.code != "" {
						checkUsage(t, c.line, r, &spec)
					}
				})
			}
		})
	}
	for name := range commandCases {
		if !hasCommand("release", name) {
			t.Errorf("commandCases has cases for %q, which is not in the table", name)
		}
	}
}

// checkParseError parses line ("/release …" or "/ccb …") and, when Parse
// refuses it, fails t unless the row wants that: code EInvalid, every
// want in the message (as the reply escapes it), and the usage of spec.
// It reports whether Parse refused the line.
func checkParseError(t *testing.T, line, code string, want []string, spec *commands.Spec) bool {
	t.Helper()
	command, text, _ := strings.Cut(line, " ")
	_, err := commands.Parse(command, text, today)
	if err == nil {
		return false
	}
	pe, ok := errors.AsType[*commands.ParseError](err)
	if !ok {
		t.Fatalf("Parse(%q) = %v; want a *ParseError", line, err)
	}
	if got := store.ErrorCode(err); got != code {
		t.Fatalf("Parse(%q) = %v (%s); want code %q", line, err, got, cmpOr(code, "none"))
	}
	msg := store.ErrorMessage(err)
	for _, w := range want {
		if !strings.Contains(msg, w) && !strings.Contains(render.Escape(msg), w) {
			t.Errorf("Parse(%q) error %q lacks %q", line, msg, w)
		}
	}
	if pe.Spec == nil || pe.Spec.Group != spec.Group || pe.Spec.Name != spec.Name {
		t.Errorf("Parse(%q) error is for %+v; want the usage of /%s %s", line, pe.Spec, spec.Group, spec.Name)
	}
	return true
}

func hasCommand(group, name string) bool {
	for _, s := range commands.Table() {
		if s.Group == group && s.Name == name {
			return true
		}
	}
	return false
}

// checkUsage fails t unless the reply shows spec's usage line and example,
// escaped for mrkdwn, after the error.
func checkUsage(t *testing.T, line string, r commands.Reply, spec *commands.Spec) {
	t.Helper()
	usage := "Usage: `" + render.Escape(spec.Usage()) + "`"
	example := "Example: `" + render.Escape(spec.ExampleLine()) + "`"
	for _, w := range []string{":x: ", usage, example} {
		if !strings.Contains(r.Doc.Text, w) {
			t.Errorf("Execute(%.60q) reply lacks %q:\n%s", line, w, r.Doc.Text)
		}
	}
	if strings.Contains(r.Doc.Text, "<release>") {
		t.Errorf("Execute(%.60q) reply has an unescaped <release>:\n%s", line, r.Doc.Text)
	}
}

// TestUsageIsEscaped pins the exact text a user sees under an error: the
// usage line's placeholders are escaped so that Slack shows them instead of
// taking them for links.
func TestUsageIsEscaped(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	r := MustFail(t, svc, alice, "/release move payments@2.3.0 someday because x", store.EInvalid)
	want := ":x: \"someday\" is not a date: use 2027-01-15, today, tomorrow, +3d, +2w or a weekday like fri\n" +
		"Usage: `/release move &lt;release&gt; &lt;date&gt; [anyway] because &lt;reason…&gt; [preview]`\n" +
		"Example: `/release move payments@2.3.0 2027-02-01 because the PCI audit moved`"
	if r.Doc.Text != want {
		t.Errorf("Execute(move someday).Doc.Text = %q; want %q", r.Doc.Text, want)
	}
}

// TestExecuteRefuses covers input that is not a command at all.
func TestExecuteRefuses(t *testing.T) {
	move := "/release move payments@2.3.0 2027-02-01 because "
	tests := []struct {
		name  string
		line  string
		code  string
		want  []string
		usage string // the command whose usage and example must be shown
	}{
		{"RejectsTenKilobytes", move + strings.Repeat("x", 10<<10), store.EInvalid, []string{"the command is too long (10279 bytes; at most 4000)"}, "move"},
		{"CountsBytesNotCharacters", move + strings.Repeat("é", 2000), store.EInvalid, []string{"too long (", "bytes; at most 4000)"}, "move"},
		{"RejectsNUL", move + "a\x00b", store.EInvalid, []string{"the command contains a control character (U+0000)"}, "move"},
		{"RejectsEscape", move + "\x1b[31mred", store.EInvalid, []string{"control character (U+001B)"}, "move"},
		{"RejectsRightToLeftOverride", move + "evil\u202etxt.exe", store.EInvalid, []string{"control character (U+202E)"}, "move"},
		{"RejectsInvalidUTF8", move + "\xff\xfe", store.EInvalid, []string{"not valid UTF-8"}, "move"},
		{"SuggestsCommand", "/release mvoe payments@2.3.0 fri", store.EInvalid, []string{`/release has no command "mvoe" — did you mean move?`}, "move"},
		{"SuggestsByPrefix", "/release hist payments@2.3.0", store.EInvalid, []string{"did you mean history?"}, "history"},
		{"SuggestsInAnyCase", "/release LST", store.EInvalid, []string{"did you mean list?"}, "list"},
		{"RejectsUnknownCommand", "/release frobnicate", store.EInvalid, []string{`/release has no command "frobnicate"`, "Type `/release help` to see the commands."}, ""},
		{"RejectsUnknownCCB", "/ccb anything", store.EInvalid, []string{`/ccb has no command "anything"`, "Type `/ccb help`"}, ""},
		{"RejectsUnknownCCBUnderRelease", "/release ccb anything", store.EInvalid, []string{`/ccb has no command "anything"`}, ""},
		{"SuggestsCCBCommand", "/ccb requets payments@2.3.0 new scope", store.EInvalid, []string{"did you mean request?"}, "request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := MustService(t)
			MustFixture(t, svc)
			before := MustSnapshot(t, svc.Store)
			r := Do(t, svc, alice, tt.line)
			if r.Code != tt.code {
				t.Fatalf("Execute(%.60q).Code = %q; want %q\nreply:\n%s", tt.line, r.Code, tt.code, r.Doc.Text)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Doc.Text, w) {
					t.Errorf("Execute(%.60q) reply lacks %q:\n%s", tt.line, w, r.Doc.Text)
				}
			}
			if tt.usage != "" {
				group := "release"
				if strings.HasPrefix(tt.line, "/ccb") {
					group = "ccb"
				}
				for _, s := range commands.Table() {
					if s.Name == tt.usage && s.Group == group {
						checkUsage(t, tt.line, r, &s)
					}
				}
			}
			if len(r.Doc.Text) > 3000 {
				t.Errorf("Execute(%.60q) reply is %d bytes; it should not echo the input", tt.line, len(r.Doc.Text))
			}
			assertUnchanged(t, before, MustSnapshot(t, svc.Store))
		})
	}
}

func TestHelp(t *testing.T) {
	svc := MustService(t)
	t.Run("ListsEveryCommand", func(t *testing.T) {
		for _, line := range []string{"/release help", "/release", "/release   "} {
			r := MustDo(t, svc, alice, line)
			for _, s := range commands.Table() {
				if s.Group != "release" || s.Hidden {
					continue
				}
				if w := "`" + render.Escape(s.Usage()) + "` — " + s.Summary; !strings.Contains(r.Doc.Text, w) {
					t.Errorf("Execute(%q) reply lacks %q", line, w)
				}
			}
		}
	})
	t.Run("ExplainsEveryCommand", func(t *testing.T) {
		for _, s := range commands.Table() {
			line := "/" + s.Group + " help " + s.Name
			r := MustDo(t, svc, alice, line)
			if r.Doc.Header != s.Usage() {
				t.Errorf("Execute(%q).Doc.Header = %q; want %q", line, r.Doc.Header, s.Usage())
			}
			if w := "Example: `" + render.Escape(s.ExampleLine()) + "`"; !strings.Contains(r.Doc.Text, w) {
				t.Errorf("Execute(%q) reply lacks %q:\n%s", line, w, r.Doc.Text)
			}
		}
	})
	t.Run("ExplainsMove", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release help move")
		want := "*/release move &lt;release&gt; &lt;date&gt; [anyway] because &lt;reason…&gt; [preview]*\n" +
			"change a release's target date.\n" +
			"A reason is required when the date moves later. A date in the past needs the word `anyway` (after the date, or at the end). The release's channel is told who is now late (or less late), which releases are newly at risk, and whether the move makes the release itself late; needed-by dates after the new target are moved to it. End the command with `preview` to see privately, saving nothing, exactly what the move would do (edges that slip or recover, releases newly at risk with their slack, the change requests and freezes it touches, who would hear of it), with a *Move it* button. A reason in quotes ends where they do: `because \"the SDK preview\"` is a reason, not a preview.\n" +
			"Example: `/release move payments@2.3.0 2027-02-01 because the PCI audit moved`"
		if r.Doc.Text != want {
			t.Errorf("Execute(help move).Doc.Text = %q; want %q", r.Doc.Text, want)
		}
	})
	t.Run("TakesAnySpellingOfHelp", func(t *testing.T) {
		// Regression: these reached the help row of the table, which has
		// no Parse, and panicked (testdata/fuzz/FuzzExecute).
		for _, line := range []string{"/release @help", `/release "help"`, "/release #help", "/release <@help>", "/release “help” move"} {
			r := MustDo(t, svc, alice, line)
			if !strings.Contains(r.Doc.Text, "/release move &lt;release&gt;") {
				t.Errorf("Execute(%q) reply is not help:\n%s", line, r.Doc.Text)
			}
		}
	})
	t.Run("ListsCCBCommandsUnderEitherName", func(t *testing.T) {
		for _, line := range []string{"/ccb help", "/ccb", "/release ccb", "/release ccb help"} {
			r := MustDo(t, svc, alice, line)
			for _, s := range commands.Table() {
				w := "`" + render.Escape(s.Usage()) + "` — " + s.Summary
				if got := strings.Contains(r.Doc.Text, w); got != (s.Group == "ccb") {
					t.Errorf("Execute(%q) lists %q: %v; want %v", line, w, got, s.Group == "ccb")
				}
			}
		}
	})
	t.Run("OffersFormForBareAdd", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release add")
		if r.Modal != "release.add" {
			t.Errorf("Execute(add).Modal = %q; want %q", r.Modal, "release.add")
		}
		if !strings.Contains(r.Doc.Text, "Usage: `/release add &lt;product&gt;") {
			t.Errorf("Execute(add) reply lacks the usage line:\n%s", r.Doc.Text)
		}
	})
}
