package commands_test

import (
	"strings"
	"testing"

	"relman/store"
)

// Setup lines run by alice: a template for payments and an item of
// payments@2.3.0 that gates production.
var (
	templateReview = `/release checklist payments add "security review" owner <@USAM|sam> before production`
	templateNotes  = `/release checklist payments add "release notes" days-before 3`
	checkReview    = `/release check payments@2.3.0 add "security review" owner <@USAM|sam> due 2027-01-12 before production`
	checkNotes     = `/release check payments@2.3.0 add "release notes"`
)

// The check and checklist rows of commandCases.
func init() {
	commandCases["check"] = append(commandCases["check"],
		commandCase{name: "AddsAnItem", line: checkReview,
			want: []string{"Added to the checklist of *payments@2.3.0*: :white_square: #1 “security review” · <@USAM> · due Tue 2027-01-12 (in 8 days) · before production", "0/1 done"}},
		commandCase{name: "AddsAnItemOwnedByTheReleaseOwner", line: checkNotes, want: []string{"#1 “release notes” · <@UALICE>"}},
		commandCase{name: "NumbersItemsInOrder", setup: []string{checkReview}, line: checkNotes, want: []string{"#2 “release notes”", "0/2 done"}},
		commandCase{name: "ListsTheChecklist", setup: []string{checkReview, checkNotes, "/release check payments@2.3.0 done 2"}, line: "/release check payments 2.3.0",
			want: []string{"*Checklist of payments@2.3.0*", "1/2 done", ":ballot_box_with_check: #2 “release notes” · <@UALICE> · done by <@UALICE>"}},
		commandCase{name: "ListsAnEmptyChecklist", line: "/release check payments@2.3.0 list", want: []string{"has no checklist items"}},
		commandCase{name: "LetsTheItemsOwnerTickItOff", setup: []string{checkReview}, as: sam, line: "/release check payments@2.3.0 done 1",
			want: []string{"Done: #1 of *payments@2.3.0*, “security review”.", "1/1 done"}},
		commandCase{name: "UndoesAnItem", setup: []string{checkReview, "/release check payments@2.3.0 done #1"}, line: "/release check payments@2.3.0 undo 1",
			want: []string{"Open again: #1 of *payments@2.3.0*", "0/1 done"}},
		commandCase{name: "SetsADueDateByHand", setup: []string{checkNotes}, line: "/release check payments@2.3.0 due 1 2027-01-11",
			want: []string{"#1 of *payments@2.3.0*, “release notes”, is now due Mon 2027-01-11 (in 7 days)"}},
		commandCase{name: "RejectsADueWithoutADate", setup: []string{checkNotes}, line: "/release check payments@2.3.0 due 1", code: store.EInvalid,
			want: []string{"missing the item's new due date"}},
		commandCase{name: "CopiesTheTemplateIntoANewRelease", setup: []string{templateReview, templateNotes}, line: "/release add payments 2.4.0 2027-02-01",
			want: []string{"Its checklist starts with the 2 items from the payments template"}},

		commandCase{name: "RejectsAnUnknownItem", setup: []string{checkReview}, line: "/release check payments@2.3.0 done 3", code: store.ENotFound,
			want: []string{"payments@2.3.0 has no checklist item #3: its items are #1 to #1"}},
		commandCase{name: "RejectsAnItemOfAnEmptyChecklist", line: "/release check payments@2.3.0 done 1", code: store.ENotFound,
			want: []string{"payments@2.3.0 has no checklist item #1: it has no checklist yet"}},
		commandCase{name: "RejectsAnUnknownStage", line: `/release check payments@2.3.0 add "load test" before staging`, code: store.EInvalid,
			want: []string{`payments@2.3.0 has no stage "staging": its pipeline is test → production`}},
		commandCase{name: "AcceptsAStageOfTheProductsPipeline", setup: []string{"/release pipeline payments build test staging production"}, line: `/release check payments@2.3.0 add "load test" before staging`,
			want: []string{"#1 “load test” · <@UALICE> · before staging"}},
		commandCase{name: "RejectsOthers", setup: []string{checkReview}, as: bob, line: "/release check payments@2.3.0 done 1", code: store.EForbidden,
			want: []string{"can tick off the checklist of payments@2.3.0", "<@USAM> answers for #1 and may too"}},
		commandCase{name: "RejectsOthersAdding", as: bob, line: checkNotes, code: store.EForbidden, want: []string{"can add to the checklist of payments@2.3.0"}},
		commandCase{name: "RejectsDoneTwice", setup: []string{checkReview, "/release check payments@2.3.0 done 1"}, line: "/release check payments@2.3.0 done 1", code: store.EConflict,
			want: []string{"#1 of payments@2.3.0 is already done (by <@UALICE>)"}},
		commandCase{name: "RejectsUndoOfAnOpenItem", setup: []string{checkReview}, line: "/release check payments@2.3.0 undo 1", code: store.EConflict,
			want: []string{"#1 of payments@2.3.0 is not done"}},
		commandCase{name: "RejectsTextWithoutQuotes", line: "/release check payments@2.3.0 add security review", code: store.EInvalid,
			want: []string{`expected the item's text in quotes, like "security review", not "security"`}},
		commandCase{name: "RejectsAMissingVersion", line: `/release check payments add "x"`, code: store.EInvalid,
			want: []string{`missing the version after "payments"`}},
		commandCase{name: "RejectsABadNumber", line: "/release check payments@2.3.0 done first", code: store.EInvalid,
			want: []string{`"first" is not a checklist item: use its number, like 2`}},
		commandCase{name: "RejectsAnUnknownWord", line: "/release check payments@2.3.0 tick 1", code: store.EInvalid,
			want: []string{`expected add, done, undo, due or list after the release, not "tick"`}},
		commandCase{name: "RejectsAnUnknownRelease", line: "/release check payments@9.9 done 1", code: store.ENotFound,
			want: []string{"there is no release payments@9.9"}},
	)
	commandCases["checklist"] = append(commandCases["checklist"],
		commandCase{name: "AddsATemplateItem", line: templateNotes,
			want: []string{"Added to the checklist template of payments: #1 “release notes” · the release's owner · due 3 days before the target.", "The template has 1 item"}},
		commandCase{name: "ShowsTheTemplate", setup: []string{templateReview, templateNotes}, line: "/release checklist payments",
			want: []string{"*Checklist template of payments*", "• #1 “security review” · <@USAM> · before production", "• #2 “release notes” · the release's owner · due 3 days before the target"}},
		commandCase{name: "ShowsAnEmptyTemplate", line: "/release checklist auth", want: []string{"auth has no checklist template."}},
		commandCase{name: "RemovesATemplateItem", setup: []string{templateReview, templateNotes}, line: "/release checklist payments remove 1",
			want: []string{"Removed from the checklist template of payments: #1 “security review”", "The template has 1 item"}},
		commandCase{name: "CreatesAProductOnFirstUseForAnAdmin", as: root, line: `/release checklist checkout add "pen test"`, want: []string{"Added to the checklist template of checkout"}},
		commandCase{name: "LetsTheReleaseManager", setup: []string{"/release role payments release-manager <@UBOB|bob>"}, as: bob, line: templateNotes,
			want: []string{"Added to the checklist template of payments"}},

		commandCase{name: "RejectsAProductNameCloseToAnother", line: `/release checklist paymnts add "pen test"`, code: store.EInvalid,
			want: []string{`there is no product "paymnts" — did you mean payments?`}},
		commandCase{name: "RejectsShowingAnUnknownProduct", line: "/release checklist paymnts", code: store.ENotFound,
			want: []string{`there is no product "paymnts" — did you mean payments?`}},
		commandCase{name: "RejectsAnUnknownItem", setup: []string{templateNotes}, line: "/release checklist payments remove 4", code: store.ENotFound,
			want: []string{"payments's checklist template has no item #4: its items are #1"}},
		commandCase{name: "RejectsAnUnknownStage", line: `/release checklist payments add "load test" before staging`, code: store.EInvalid,
			want: []string{`payments has no stage "staging": its pipeline is test → production`}},
		commandCase{name: "RejectsOthers", as: bob, line: templateNotes, code: store.EForbidden,
			want: []string{"while payments has no release manager, only an admin or the owner of one of its planned releases can change its checklist template"}},
		commandCase{name: "RejectsOthersThanTheReleaseManager", setup: []string{"/release role payments release-manager <@UBOB|bob>"}, line: templateNotes, code: store.EForbidden,
			want: []string{"only <@UBOB> (release manager of payments) or an admin can change its checklist template"}},
		commandCase{name: "RejectsANewProductToOthersThanAdmins", line: `/release checklist checkout add "pen test"`, code: store.EForbidden,
			want: []string{"while checkout has no release manager"}},
		commandCase{name: "RejectsABadDaysBefore", line: `/release checklist payments add "notes" days-before soon`, code: store.EInvalid,
			want: []string{`days-before takes a number of days from 0 to 366, not "soon"`}},
	)
	commandCases["promote"] = append(commandCases["promote"],
		commandCase{name: "RefusesWhileItemsBeforeTheStageAreOpen", setup: []string{`/release check payments@2.3.0 add "load test" before test`, checkReview}, line: "/release promote payments@2.3.0 to test", code: store.EConflict,
			want: []string{"payments@2.3.0 has 1 checklist item open that must be done before test: #1 load test", `"anyway" to promote it without them`}},
		commandCase{name: "PromotesAnywayWithItemsOpen", setup: []string{`/release check payments@2.3.0 add "load test" before test`}, line: "/release promote payments@2.3.0 to test anyway",
			want: []string{"*payments@2.3.0* is in test", "You went ahead with 1 checklist item open"}},
		commandCase{name: "PromotesPastItemsOfLaterStages", setup: []string{checkReview}, line: "/release promote payments@2.3.0 to test",
			want: []string{"*payments@2.3.0* is in test"}},
	)
	commandCases["ship"] = append(commandCases["ship"],
		commandCase{name: "RefusesWhileItemsBeforeProductionAreOpen", setup: []string{checkReview, checkNotes}, line: "/release ship payments@2.3.0", code: store.EConflict,
			want: []string{"payments@2.3.0 has 1 checklist item open that must be done before production: #1 security review", `end the command with "anyway"`}},
		commandCase{name: "ShipsAnywayWithItemsOpen", setup: []string{checkReview}, line: "/release ship payments@2.3.0 anyway",
			want: []string{"*payments@2.3.0* is shipped", "You went ahead with 1 checklist item open; its history records it."}},
		commandCase{name: "ShipsOnceTheItemsAreDone", setup: []string{checkReview, "as USAM: /release check payments@2.3.0 done 1"}, line: "/release ship payments@2.3.0",
			want: []string{"*payments@2.3.0* is shipped"}},
	)
}

// TestChecklistDueFollowsTheTarget: a template item due days before the
// target moves with it, until its release ships.
func TestChecklistDueFollowsTheTarget(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, templateNotes)
	MustDo(t, svc, alice, "/release add payments 2.4.0 2027-02-01")
	due := func() store.Date {
		t.Helper()
		var d store.Date
		if err := svc.Store.View(t.Context(), func(tx *store.Tx) error {
			r, err := tx.Release(store.Ref{Product: "payments", Version: "2.4.0"})
			if err != nil {
				return err
			}
			d = r.Checklist[0].Due
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	if got, want := due(), store.NewDate(2027, 1, 29); got != want {
		t.Fatalf("due of the copied item = %s; want %s (3 days before the target)", got, want)
	}
	MustDo(t, svc, alice, "/release move payments@2.4.0 2027-02-10 because the audit moved")
	if got, want := due(), store.NewDate(2027, 2, 7); got != want {
		t.Errorf("due after the move = %s; want %s", got, want)
	}
	MustDo(t, svc, alice, "/release check payments@2.4.0 due 1 2027-02-05")
	MustDo(t, svc, alice, "/release move payments@2.4.0 2027-02-20 because the audit moved again")
	if got, want := due(), store.NewDate(2027, 2, 5); got != want {
		t.Errorf("due set by hand, after another move = %s; want %s (it no longer follows the target)", got, want)
	}
}

// TestShipAnywayIsInHistory: who shipped past open items is recorded.
func TestShipAnywayIsInHistory(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, checkReview)
	MustDo(t, svc, alice, "/release ship payments@2.3.0 anyway")
	r := Do(t, svc, alice, "/release history payments@2.3.0")
	if want := "shipped by <@UALICE> on Mon 2027-01-04, going ahead with checklist items open (#1 security review)"; !strings.Contains(r.Doc.Text, want) {
		t.Errorf("history lacks %q:\n%s", want, r.Doc.Text)
	}
}

// TestChecklistDueFollowsAStagePlan: a template item due days before a
// stage follows that stage's planned date, and the target while it has
// none.
func TestChecklistDueFollowsAStagePlan(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, `/release checklist payments add "test plan" days-before 2 before test`)
	MustDo(t, svc, alice, "/release add payments 2.4.0 2027-02-01")
	r := MustDo(t, svc, alice, "/release check payments@2.4.0")
	if want := "due Sat 2027-01-30"; !strings.Contains(r.Doc.Text, want) {
		t.Errorf("before test is planned, the item lacks %q:\n%s", want, r.Doc.Text)
	}
	MustDo(t, svc, alice, "/release stage payments@2.4.0 test on 2027-01-20")
	r = MustDo(t, svc, alice, "/release check payments@2.4.0")
	if want := "due Mon 2027-01-18"; !strings.Contains(r.Doc.Text, want) {
		t.Errorf("once test is planned, the item lacks %q:\n%s", want, r.Doc.Text)
	}
}

// TestChecklistInHomeDigestAndAgenda: App Home lists the open items you
// answer for; digests and agendas list items overdue or due within 7 days.
func TestChecklistInHomeDigestAndAgenda(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, checkReview)                                                        // sam's, due Tue 2027-01-12
	MustDo(t, svc, alice, `/release check auth@1.4.0 add "sign the binaries" due 2027-01-03`) // alice's, overdue
	MustDo(t, svc, alice, `/release check mobile@5.0 add "store listing" due 2027-01-25`)     // alice's, later

	home := homeText(t, svc, sam)
	for _, want := range []string{"*Your checklist items*", "*payments@2.3.0* #1 “security review” · <@USAM> · due Tue 2027-01-12 (in 8 days) · before production"} {
		if !strings.Contains(home, want) {
			t.Errorf("sam's App Home lacks %q:\n%s", want, home)
		}
	}
	if home := homeText(t, svc, bob); strings.Contains(home, "checklist items") {
		t.Errorf("bob answers for no item, yet his App Home lists some:\n%s", home)
	}
	home = homeText(t, svc, alice)
	if i, j := strings.Index(home, "sign the binaries"), strings.Index(home, "store listing"); i < 0 || j < i {
		t.Errorf("alice's App Home lacks her items, the overdue one first:\n%s", home)
	}

	for _, line := range []string{"/release digest now", "/release agenda"} {
		var text string
		if line == "/release agenda" {
			text = MustAgenda(t, svc, alice, "CREL", "")
		} else {
			text = MustDo(t, svc, alice, line).Doc.Text
		}
		for _, want := range []string{
			"Checklist items overdue and due in the next 7 days",
			"• *auth@1.4.0* #1 “sign the binaries” · <@UALICE> · due Sun 2027-01-03 (yesterday) — :warning: *overdue*",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", line, want, text)
			}
		}
		for _, not := range []string{"security review", "store listing"} { // due in 8 days and later
			if strings.Contains(text, not) {
				t.Errorf("%s lists %q, due after the next 7 days:\n%s", line, not, text)
			}
		}
	}
}
