package commands

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// TestParse is the grammar as a table of text → command: no store, no
// clock; relative dates are read against a fixed today (Mon 2027-01-04).
func TestParse(t *testing.T) {
	today := store.NewDate(2027, 1, 4)
	ref := func(s string) store.Ref {
		r, err := store.ParseRef(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	pay, mobile := ref("payments@2.3.0"), ref("mobile@5.0")
	date := store.NewDate
	yes := true
	for _, tc := range []struct {
		name, command, text string
		want                Command
	}{
		{"Help", "/release", "", &helpCmd{group: "release"}},
		{"HelpTopic", "/release", "HELP move", &helpCmd{group: "release", topic: "move"}},
		{"HelpCCBUnderRelease", "/release", "ccb help vote", &helpCmd{group: "ccb", topic: "vote"}},
		{"BareAddIsTheForm", "/release", "add", &formCmd{group: "release", name: "add"}},
		{"Add", "/release", "add Payments 2.4.0 +1w owner <@UBOB|bob> channel <#CPAY|payments> anyway",
			&addCmd{ref: ref("payments@2.4.0"), date: date(2027, 1, 11), owner: "UBOB", channel: "CPAY", anyway: true}},
		{"List", "/release", "list payments at risk mine", &listCmd{product: "payments", atRisk: true, mine: true}},
		{"ListDue", "/release", "list mine due 2w", &listDueCmd{days: 14, mine: true}},
		{"ListExternals", "/release", "list externals", &listExternalsCmd{}},
		{"Show", "/release", "show payments 2.3.0", &showCmd{ref: pay}},
		{"ShowMailto", "/release", "show <mailto:payments@2.3.0|payments@2.3.0>", &showCmd{ref: pay}},
		{"ShowKeepsTheVersionsCase", "/release", "show PAYMENTS@2.3.0-RC1", &showCmd{ref: store.Ref{Product: "payments", Version: "2.3.0-RC1"}}},
		{"Move", "/release", "move payments@2.3.0 fri because the PSP moved", &moveCmd{ref: pay, date: date(2027, 1, 8), reason: "the PSP moved"}},
		{"MovePreview", "/release", "move payments@2.3.0 2027-02-01 because audit preview", &moveCmd{ref: pay, date: date(2027, 2, 1), reason: "audit", preview: true}},
		{"MoveReasonEndingInPreviewQuoted", "/release", `move payments@2.3.0 2027-02-01 because "the SDK preview"`, &moveCmd{ref: pay, date: date(2027, 2, 1), reason: "the SDK preview"}},
		{"MoveAnywayAtTheEnd", "/release", "move payments@2.3.0 2026-12-01 because rebased anyway", &moveCmd{ref: pay, date: date(2026, 12, 1), reason: "rebased", anyway: true}},
		{"MoveReasonPlain", "/release", "move payments@2.3.0 fri because ask <@U1|alex> in <#C1|general> &amp; co", &moveCmd{ref: pay, date: date(2027, 1, 8), reason: "ask @alex in #general & co"}},
		{"MoveQuotedReasonWithQuotes", "/release", `move payments@2.3.0 fri because "he said ""no"""`, &moveCmd{ref: pay, date: date(2027, 1, 8), reason: `he said "no"`}},
		{"Ship", "/release", "ship payments@2.3.0", &shipCmd{ref: pay, date: today}},
		{"ShipOn", "/release", "ship payments@2.3.0 on 2026-12-30 anyway", &shipCmd{ref: pay, date: date(2026, 12, 30), anyway: true}},
		{"Cancel", "/release", "cancel mobile@5.0 because “Stripe SDK” slipped", &cancelCmd{ref: mobile, reason: "“Stripe SDK” slipped"}},
		{"Depend", "/release", "depend mobile 5.0 on payments@2.3.0 by fri", &dependCmd{consumer: mobile, provider: pay, by: date(2027, 1, 8)}},
		{"DependExternal", "/release", `depend mobile@5.0 on external “Okta API” due +3d owner <@USAM>`, &dependCmd{consumer: mobile, external: "Okta API", due: date(2027, 1, 7), owner: "USAM"}},
		{"Undepend", "/release", `undepend mobile@5.0 on external "Stripe SDK"`, &undependCmd{consumer: mobile, external: "Stripe SDK"}},
		{"Confirm", "/release", `confirm external "Stripe SDK" due 2027-02-01`, &confirmCmd{name: "Stripe SDK", due: date(2027, 2, 1)}},
		{"Commit", "/release", "commit mobile@5.0 on payments@2.3.0", &commitCmd{edge: handshakeEdge{consumer: mobile, provider: pay}}},
		{"CommitAnyway", "/release", "commit mobile@5.0 on payments@2.3.0 anyway", &commitCmd{edge: handshakeEdge{consumer: mobile, provider: pay}, anyway: true}},
		{"ProposeAnyway", "/release", "propose mobile@5.0 on payments@2.3.0 2027-01-25 anyway because QA", &proposeCmd{edge: handshakeEdge{consumer: mobile, provider: pay}, date: date(2027, 1, 25), reason: "QA", anyway: true}},
		{"Propose", "/release", "propose mobile@5.0 on payments@2.3.0 2027-01-25 because QA", &proposeCmd{edge: handshakeEdge{consumer: mobile, provider: pay}, date: date(2027, 1, 25), reason: "QA"}},
		{"Accept", "/release", "accept mobile@5.0 on payments@2.3.0 2027-01-25", &acceptCmd{edge: handshakeEdge{consumer: mobile, provider: pay}, date: date(2027, 1, 25)}},
		{"Impact", "/release", "impact payments@2.3.0", &impactCmd{ref: pay}},
		{"History", "/release", "history payments@2.3.0", &historyCmd{ref: pay}},
		{"RoleShow", "/release", "role payments", &roleCmd{product: "payments"}},
		{"RoleSet", "/release", "role payments 2.3.0 rm <@UBOB|bob> <@USAM> <@UBOB>", &roleCmd{ref: pay, role: store.ReleaseManager, users: []string{"UBOB", "USAM"}}},
		{"RoleClear", "/release", "role payments pm none", &roleCmd{product: "payments", role: store.ProductManager, clear: true}},
		{"Set", "/release", "set payments@2.3.0 owner <@USAM> version 2.3.1", &setCmd{ref: pay, owner: "USAM", version: "2.3.1"}},
		{"SetExternal", "/release", `set external "Stripe SDK" owner <@UKIM>`, &setCmd{external: "Stripe SDK", owner: "UKIM"}},
		{"Reopen", "/release", "reopen payments@2.3.0", &reopenCmd{ref: pay}},
		{"Delete", "/release", "delete payments@2.3.0 because typo", &deleteCmd{ref: pay, reason: "typo"}},
		{"Digest", "/release", "digest weekly mon 9:00 <#CREL|releases> payments", &digestCmd{action: "subscribe", cadence: store.Weekly, weekday: time.Monday, hour: 9, target: digestTarget{channel: "CREL"}, products: []string{"payments"}}},
		{"Agenda", "/release", "agenda payments auth", &agendaCmd{products: []string{"auth", "payments"}}},
		{"Freeze", "/release", "freeze all 2027-12-20 2028-01-03 because holidays", &freezeCmd{from: date(2027, 12, 20), to: date(2028, 1, 3), reason: "holidays"}},
		{"FreezeRemove", "/release", "freeze remove FZ-3", &freezeCmd{op: "remove", id: 3}},
		{"Calendar", "/release", "calendar revoke", &calendarCmd{revoke: true}},
		{"Timeline", "/release", "timeline mobile weeks 12", &timelineCmd{products: []string{"mobile"}, weeks: 12}},
		{"Request", "/ccb", "request payments@2.3.0 switch to Adyen deadline +48h", &requestCmd{ref: pay, title: "switch to Adyen", dur: 48 * time.Hour}},
		{"RequestQuotedTitle", "/ccb", `request payments@2.3.0 "ends in deadline fri" deadline fri`, &requestCmd{ref: pay, title: "ends in deadline fri", date: date(2027, 1, 8), hasDate: true}},
		{"CRList", "/release", "ccb list all payments", &crListCmd{all: true, product: "payments"}},
		{"CRShow", "/ccb", "show cr-12", &crShowCmd{id: 12}},
		{"Withdraw", "/ccb", "withdraw CR-3", &withdrawCmd{id: 3}},
		{"Decide", "/ccb", "decide CR-12 approve because urgent", &decideCmd{id: 12, outcome: store.Approve, reason: "urgent"}},
		{"Delegate", "/ccb", "delegate @sam until fri payments", &delegateCmd{to: "sam", until: date(2027, 1, 8), product: "payments"}},
		{"Board", "/ccb", "board payments policy quorum 3 veto <@UA> deadline +2d default reject anonymous",
			&boardCmd{product: "payments", op: "policy", policy: store.Quorum, quorum: 3, veto: []string{"UA"}, vetoSet: true, dur: 48 * time.Hour, def: store.Reject, anon: &yes}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.command, tc.text, today)
			if err != nil {
				t.Fatalf("Parse(%q, %q) = %v; want a command", tc.command, tc.text, err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Exporter(func(reflect.Type) bool { return true })); diff != "" {
				t.Errorf("Parse(%q, %q) (-want +got):\n%s", tc.command, tc.text, diff)
			}
		})
	}
}

// TestParseRefuses: text that is no command is a *ParseError wrapping an
// EInvalid *store.Error, with the row whose usage the reply shows.
func TestParseRefuses(t *testing.T) {
	today := store.NewDate(2027, 1, 4)
	for _, tc := range []struct {
		name, command, text string
		usage               string // "" when no row matched
		want                string
	}{
		{"UnknownCommand", "/release", "frobnicate", "", `/release has no command "frobnicate"`},
		{"SuggestsACommand", "/release", "mvoe payments@2.3.0 fri", "move", `did you mean move?`},
		{"MissingVersion", "/release", "show payments on", "show", `missing the version after "payments"`},
		{"BadDate", "/release", "move payments@2.3.0 someday because x", "move", `"someday" is not a date`},
		{"EmptyReason", "/release", `cancel mobile@5.0 because ""`, "cancel", `the reason after "because" is empty`},
		{"EmptyExternalName", "/release", `confirm external ""`, "confirm", "the external item needs a name in quotes"},
		{"LeftOver", "/release", "show payments@2.3.0 now", "show", `unexpected "now"`},
		{"ControlCharacter", "/release", "move payments@2.3.0 fri because a\x00b", "move", "control character (U+0000)"},
		{"EmptyTitle", "/ccb", `request payments@2.3.0 ""`, "request", "missing the title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.command, tc.text, today)
			pe, ok := errors.AsType[*ParseError](err)
			if !ok {
				t.Fatalf("Parse(%q, %q) = %v, %v; want a *ParseError", tc.command, tc.text, c, err)
			}
			if c != nil || store.ErrorCode(err) != store.EInvalid || !strings.Contains(store.ErrorMessage(err), tc.want) {
				t.Errorf("Parse(%q, %q) = %v, %q (%s); want nil, %q (invalid)", tc.command, tc.text, c, store.ErrorMessage(err), store.ErrorCode(err), tc.want)
			}
			switch {
			case tc.usage == "" && pe.Spec != nil:
				t.Errorf("Parse(%q) error is for %s; want none", tc.text, pe.Spec.Name)
			case tc.usage != "" && (pe.Spec == nil || pe.Spec.Name != tc.usage):
				t.Errorf("Parse(%q) error is for %+v; want %s", tc.text, pe.Spec, tc.usage)
			}
		})
	}
}
