package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// Setup lines run by alice: she becomes release manager of payments and
// freezes it over the turn of the year (FZ-1).
var (
	aliceManagesPayments = "/release role payments release-manager <@UALICE|alice>"
	freezeHolidays       = "/release freeze payments 2027-12-20 2028-01-03 because holiday trading"
)

// The freeze rows of commandCases.
func init() {
	commandCases["freeze"] = append(commandCases["freeze"],
		commandCase{name: "AddsAFreezeForAnAdmin", as: root, line: "/release freeze payments 2027-12-20 2028-01-03 because holiday trading",
			want: []string{"*FZ-1*: payments frozen from Mon 2027-12-20 to Mon 2028-01-03: “holiday trading”", "`/release freeze remove FZ-1`"}},
		commandCase{name: "AddsAFreezeOfAllProductsForAnAdmin", as: root, line: "/release freeze all 2027-12-24 2027-12-26 because the office is closed",
			want: []string{"all products frozen from Fri 2027-12-24 to Sun 2027-12-26", "No release of any product can be targeted inside it"}},
		commandCase{name: "AddsAFreezeForTheReleaseManagerOfEveryProduct",
			setup: []string{aliceManagesPayments, "/release role auth release-manager <@UALICE|alice>"},
			line:  "/release freeze auth payments 2027-02-01 2027-02-05 because the PCI audit", want: []string{"*FZ-1*: auth and payments frozen from Mon 2027-02-01 to Fri 2027-02-05"}},
		commandCase{name: "NamesTheReleasesAlreadyInside", as: root, line: "/release freeze payments mobile 2027-01-11 2027-01-31 because the migration",
			want: []string{"Already targeted inside it (2; they stay where they are):", "• *payments@2.3.0* — Fri 2027-01-15 · <@UALICE>", "• *mobile@5.0* — Fri 2027-01-29"}},
		commandCase{name: "AcceptsRelativeDates", as: root, line: "/release freeze auth today +1w because hardening",
			want: []string{"auth frozen from Mon 2027-01-04 to Mon 2027-01-11"}},
		commandCase{name: "ListsCurrentAndComingFreezes", setup: []string{aliceManagesPayments, freezeHolidays}, line: "/release freeze list",
			want: []string{"*Freeze windows*", ":snowflake: *FZ-1* · payments · from Mon 2027-12-20 to Mon 2028-01-03, starts in 350 days — “holiday trading” · by <@UALICE>"}},
		commandCase{name: "ListsNoFreeze", line: "/release freeze list", want: []string{"No freeze is in progress or coming up."}},
		commandCase{name: "RemovesAFreeze", setup: []string{aliceManagesPayments, freezeHolidays}, line: "/release freeze remove FZ-1",
			want: []string{"Removed *FZ-1* (payments, from Mon 2027-12-20 to Mon 2028-01-03: “holiday trading”)"}},
		commandCase{name: "RemovesAFreezeByNumber", setup: []string{aliceManagesPayments, freezeHolidays}, as: root, line: "/release freeze remove 1",
			want: []string{"Removed *FZ-1*"}},

		commandCase{name: "RejectsSomeoneWhoIsNotReleaseManager", setup: []string{aliceManagesPayments}, as: bob,
			line: "/release freeze payments 2027-12-20 2028-01-03 because holidays", code: store.EForbidden,
			want: []string{"only the release managers of payments (<@UALICE>) or an admin can freeze it"}},
		commandCase{name: "RejectsAProductWithoutReleaseManager", line: "/release freeze payments 2027-12-20 2028-01-03 because holidays", code: store.EForbidden,
			want: []string{"payments has no release manager, so only an admin can freeze it"}},
		commandCase{name: "RejectsTheManagerOfOnlySomeProducts", setup: []string{aliceManagesPayments},
			line: "/release freeze auth payments 2027-12-20 2028-01-03 because holidays", code: store.EForbidden,
			want: []string{"auth has no release manager, so only an admin can freeze it"}},
		commandCase{name: "RejectsAllForAReleaseManager", setup: []string{aliceManagesPayments},
			line: "/release freeze all 2027-12-20 2028-01-03 because holidays", code: store.EForbidden, want: []string{"only an admin can freeze all products"}},
		commandCase{name: "RejectsAProductNameCloseToAnother", as: root, line: "/release freeze paymnts 2027-12-20 2028-01-03 because holidays", code: store.EInvalid,
			want: []string{`there is no product "paymnts" — did you mean payments?`}},
		commandCase{name: "CreatesAProductOnFirstUse", as: root, line: "/release freeze checkout 2027-12-20 2028-01-03 because holidays", want: []string{"*FZ-1*: checkout frozen"}},
		commandCase{name: "CreatesACloseNameEndingWithNew", as: root, line: "/release freeze paymnts 2027-12-20 2028-01-03 because holidays new", want: []string{"*FZ-1*: paymnts frozen", "“holidays”"}},
		commandCase{name: "RefusesANewProductToOthersThanAdmins", line: "/release freeze checkout 2027-12-20 2028-01-03 because holidays", code: store.EForbidden,
			want: []string{"checkout has no release manager, so only an admin can freeze it"}},
		commandCase{name: "RejectsAnEndBeforeTheStart", as: root, line: "/release freeze payments 2028-01-03 2027-12-20 because holidays", code: store.EInvalid,
			want: []string{"the freeze ends on Mon 2027-12-20, before it starts on Mon 2028-01-03"}},
		commandCase{name: "RejectsAWindowThatHasEnded", as: root, line: "/release freeze payments 2026-12-20 2027-01-03 because holidays", code: store.EInvalid,
			want: []string{"a freeze from Sun 2026-12-20 to Sun 2027-01-03 has already ended (1 day ago)"}},
		commandCase{name: "RejectsAnOverlappingFreeze", setup: []string{aliceManagesPayments, freezeHolidays}, as: root,
			line: "/release freeze all 2028-01-02 2028-01-09 because stocktake", code: store.EConflict,
			want: []string{"it overlaps FZ-1 (payments, 2027-12-20 to 2028-01-03)"}},
		commandCase{name: "RejectsAMissingReason", as: root, line: "/release freeze payments 2027-12-20 2028-01-03", code: store.EInvalid,
			want: []string{`a reason is required for a freeze: add "because &lt;reason&gt;"`}},
		commandCase{name: "RejectsMissingDates", as: root, line: "/release freeze payments 2027-12-20 because holidays", code: store.EInvalid,
			want: []string{"a freeze needs the products (or all), its first day and its last day"}},
		commandCase{name: "RejectsABadDate", as: root, line: "/release freeze payments 2027-12-20 someday because holidays", code: store.EInvalid,
			want: []string{"someday"}},
		commandCase{name: "RejectsAllWithProducts", as: root, line: "/release freeze all payments 2027-12-20 2028-01-03 because holidays", code: store.EInvalid,
			want: []string{"name the products, or say all alone"}},
		commandCase{name: "RejectsRemovingSomeoneElsesFreeze", setup: []string{aliceManagesPayments, freezeHolidays}, as: bob,
			line: "/release freeze remove FZ-1", code: store.EForbidden, want: []string{"only the release managers of payments (<@UALICE>) or an admin can unfreeze it"}},
		commandCase{name: "RejectsAnUnknownFreeze", as: root, line: "/release freeze remove FZ-9", code: store.ENotFound, want: []string{"there is no freeze FZ-9"}},
		commandCase{name: "RejectsABadFreezeNumber", as: root, line: "/release freeze remove payments", code: store.EInvalid, want: []string{`"payments" is not a freeze: use its number, like FZ-3`}},
		commandCase{name: "RejectsListWithArguments", line: "/release freeze list payments", code: store.EInvalid, want: []string{"freeze list shows every freeze; it takes nothing after it"}},
		commandCase{name: "RejectsRemoveWithoutNumber", as: root, line: "/release freeze remove", code: store.EInvalid, want: []string{"missing the freeze to remove"}},
	)
}

// TestFreezeTargets checks every way a target date meets a freeze: payments
// is frozen from Mon 2027-02-01 to Sun 2027-02-07 (FZ-1) in the fixture.
func TestFreezeTargets(t *testing.T) {
	const refusal = "payments is frozen from Mon 2027-02-01 to Sun 2027-02-07 (FZ-1: the PCI audit)"
	for _, c := range []struct {
		name    string
		as      string
		line    string
		code    string
		want    []string
		history string // the freeze the last history entry of the release records
	}{
		{name: "RefusesAnAddInside", line: "/release add payments 2.4.0 2027-02-03", code: store.EConflict,
			want: []string{refusal + ", and Wed 2027-02-03 is inside it: pick a day outside it, or ask an admin, who can go ahead with \"anyway\""}},
		{name: "RefusesAnAddOnTheLastDay", line: "/release add payments 2.4.0 2027-02-07", code: store.EConflict, want: []string{"Sun 2027-02-07 is inside it"}},
		{name: "RefusesAnAddOnTheFirstDay", line: "/release add payments 2.4.0 2027-02-01", code: store.EConflict, want: []string{"Mon 2027-02-01 is inside it"}},
		{name: "AddsTheDayAfter", line: "/release add payments 2.4.0 2027-02-08", want: []string{"Added *payments@2.4.0*"}},
		{name: "AddsAnotherProductInside", line: "/release add auth 1.5 2027-02-03", want: []string{"Added *auth@1.5*"}},
		{name: "RefusesAnywayFromSomeoneNotAdmin", line: "/release add payments 2.4.0 2027-02-03 anyway", code: store.EForbidden,
			want: []string{refusal + ", and Wed 2027-02-03 is inside it; only an admin can go ahead anyway"}},
		{name: "AddsInsideForAnAdminSayingAnyway", as: root, line: "/release add payments 2.4.0 2027-02-03 anyway",
			want: []string{"Added *payments@2.4.0*", ":snowflake: Inside FZ-1 (payments, from Mon 2027-02-01 to Sun 2027-02-07: “the PCI audit”), by admin override."}, history: "FZ-1"},
		{name: "RefusesAnAdminWithoutAnyway", as: root, line: "/release add payments 2.4.0 2027-02-03", code: store.EConflict, want: []string{refusal}},
		{name: "RefusesAMoveInside", line: "/release move payments@2.3.0 2027-02-02 because the audit", code: store.EConflict,
			want: []string{refusal + ", and Tue 2027-02-02 is inside it"}},
		{name: "RefusesAMoveInsideWithAnywayFromSomeoneNotAdmin", line: "/release move payments@2.3.0 2027-02-02 anyway because the audit", code: store.EForbidden,
			want: []string{"only an admin can go ahead anyway"}},
		{name: "MovesInsideForAnAdminSayingAnyway", as: root, line: "/release move payments@2.3.0 2027-02-02 anyway because the audit",
			want: []string{"Moved *payments@2.3.0* from Fri 2027-01-15 to Tue 2027-02-02", ":snowflake: Inside FZ-1"}, history: "FZ-1"},
		{name: "MovesOutside", line: "/release move payments@2.3.0 2027-02-09 because the audit", want: []string{"Moved *payments@2.3.0*"}},
		{name: "OneAnywayServesAPastDateAndAFreeze", as: root, line: "/release add payments 2.4.0 2027-01-02 anyway", want: []string{"Added *payments@2.4.0*"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc := MustService(t, root)
			MustFixture(t, svc)
			MustDo(t, svc, root, "/release freeze payments 2027-02-01 2027-02-07 because the PCI audit")
			as := cmpOr(c.as, alice)
			before := MustSnapshot(t, svc.Store)
			r := Do(t, svc, as, c.line)
			if r.Code != c.code {
				t.Fatalf("Execute(%q as %s).Code = %q; want %q\nreply:\n%s", c.line, as, r.Code, c.code, r.Doc.Text)
			}
			for _, w := range c.want {
				if !strings.Contains(r.Doc.Text, w) {
					t.Errorf("Execute(%q as %s) reply lacks %q:\n%s", c.line, as, w, r.Doc.Text)
				}
			}
			if c.code != "" {
				assertUnchanged(t, before, MustSnapshot(t, svc.Store))
				return
			}
			ref := "payments@2.4.0"
			if strings.Contains(c.line, "move") {
				ref = "payments@2.3.0"
			} else if strings.Contains(c.line, "auth") {
				ref = "auth@1.5"
			}
			hs := MustRelease(t, svc.Store, ref).History
			if got := hs[len(hs)-1].Freeze; got != c.history {
				t.Errorf("%s's last history entry records freeze %q; want %q", ref, got, c.history)
			}
		})
	}
}

// TestFreezeReasonIsEscapedOnce: what users type in a reason can't ping or
// format, and is escaped exactly once wherever it is shown.
func TestFreezeReasonIsEscapedOnce(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, root, "/release freeze payments 2027-02-01 2027-02-07 because R&amp;D <!channel> day")
	const want = "R&amp;D @channel day"
	for _, line := range []string{"/release freeze list", "/release add payments 2.4.0 2027-02-03", "/release digest now payments"} {
		text := Do(t, svc, alice, line).Doc.Text
		if !strings.Contains(text, want) || strings.Contains(text, "&amp;amp;") || strings.Contains(text, "<!channel>") {
			t.Errorf("%s shows the reason other than as %q:\n%s", line, want, text)
		}
	}
}

// TestFreezeOverrideIsRecorded: an admin's override shows in the release's
// history and in the audit log under its own action.
func TestFreezeOverrideIsRecorded(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, root, "/release freeze payments 2027-02-01 2027-02-07 because the PCI audit")
	MustDo(t, svc, root, "/release move payments@2.3.0 2027-02-02 anyway because the audit")
	MustDo(t, svc, root, "/release add payments 2.4.0 2027-02-05 anyway")

	for ref, want := range map[string]string{
		"payments@2.3.0": "moved by <@UROOT> from Fri 2027-01-15 to Tue 2027-02-02 (18 days later), inside freeze FZ-1 by admin override: “the audit”",
		"payments@2.4.0": "added by <@UROOT>, target Fri 2027-02-05, inside freeze FZ-1 by admin override",
	} {
		text := MustDo(t, svc, alice, "/release history "+ref).Doc.Text
		if !strings.Contains(text, want) {
			t.Errorf("history of %s lacks %q:\n%s", ref, want, text)
		}
	}
	var actions []string
	if err := svc.Store.View(context.Background(), func(tx *store.Tx) error {
		log, err := tx.AuditLog(0, 0)
		for _, a := range log {
			if strings.Contains(a.Action, "freeze") {
				actions = append(actions, a.Action+" "+a.Subject)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"freeze.add freeze FZ-1", "release.move.freeze-override payments@2.3.0", "release.add.freeze-override payments@2.4.0"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("audited freeze actions (-want +got):\n%s", diff)
	}
}

// TestReopenInsideAFreeze: reopening keeps the target it had, even inside a
// freeze set since, and says so.
func TestReopenInsideAFreeze(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, "/release cancel auth@1.4.0 because dropped")
	MustDo(t, svc, root, "/release freeze auth 2027-01-07 2027-01-09 because the HSM swap")
	text := MustDo(t, svc, alice, "/release reopen auth@1.4.0").Doc.Text
	if want := ":snowflake: *auth@1.4.0* targets Fri 2027-01-08, inside FZ-1 (the HSM swap, from Thu 2027-01-07 to Sat 2027-01-09): `/release move auth@1.4.0 &lt;date&gt; because &lt;reason&gt;` to take it out."; !strings.Contains(text, want) {
		t.Errorf("reopen reply lacks %q:\n%s", want, text)
	}
}

// TestFreezeNotes: show and a CR's card say when a release targets a day
// inside a freeze, and stop saying it once the freeze is gone.
func TestFreezeNotes(t *testing.T) {
	const note = ":snowflake: *payments@2.3.0* targets Fri 2027-01-15, inside FZ-1 (the migration, from Mon 2027-01-11 to Sun 2027-01-17)"
	svc := MustService(t, root)
	MustCCB(t, svc)
	MustDo(t, svc, root, "/release freeze payments 2027-01-11 2027-01-17 because the migration")

	if text := MustDo(t, svc, bob, "/release show payments@2.3.0").Doc.Text; !strings.Contains(text, note) {
		t.Errorf("show lacks %q:\n%s", note, text)
	}
	if text := MustDo(t, svc, bob, "/release show auth@1.4.0").Doc.Text; strings.Contains(text, ":snowflake:") {
		t.Errorf("show of auth, not frozen, mentions a freeze:\n%s", text)
	}
	before := MustSnapshot(t, svc.Store)
	MustDo(t, svc, alice, "/ccb request payments@2.3.0 switch the card processor")
	card := MustNewMessages(t, svc, before)[0]
	if !strings.Contains(card.Doc.Text, note) {
		t.Errorf("the CR's card lacks %q:\n%s", note, card.Doc.Text)
	}
	if text := MustDo(t, svc, bob, "/ccb show CR-1").Doc.Text; !strings.Contains(text, note) {
		t.Errorf("/ccb show lacks %q:\n%s", note, text)
	}
	before = MustSnapshot(t, svc.Store)
	mustVote(t, svc, bob, "1:approve")
	if update := MustNewMessages(t, svc, before)[0]; update.UpdateOf == "" || !strings.Contains(update.Doc.Text, note) {
		t.Errorf("the card updated after a vote lacks %q:\n%+v", note, update)
	}
	MustDo(t, svc, root, "/release freeze remove FZ-1")
	if text := MustDo(t, svc, bob, "/ccb show CR-1").Doc.Text; strings.Contains(text, ":snowflake:") {
		t.Errorf("/ccb show mentions a freeze removed:\n%s", text)
	}
}

// TestFreezesInDigestAndAgenda: digests and agendas list the freezes in
// progress and starting within 4 weeks that cover their products, and
// leave the rest out.
func TestFreezesInDigestAndAgenda(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	for _, l := range []string{
		"/release freeze payments 2027-01-01 2027-01-06 because year-end close", // FZ-1: in progress
		"/release freeze auth 2027-01-20 2027-01-22 because the HSM swap",       // FZ-2: in 16 days, auth only
		"/release freeze all 2027-01-25 2027-01-29 because the offsite",         // FZ-3: in 21 days, everything
		"/release freeze mobile 2027-03-01 2027-03-05 because too far",          // FZ-4: beyond 4 weeks
	} {
		MustDo(t, svc, root, l)
	}
	const (
		head = "*:snowflake: Freezes in progress and in the next 4 weeks*"
		fz1  = "• :snowflake: *FZ-1* · payments · from Fri 2027-01-01 to Wed 2027-01-06, in progress, ends in 2 days — “year-end close”"
		fz2  = "• :snowflake: *FZ-2* · auth · from Wed 2027-01-20 to Fri 2027-01-22, starts in 16 days — “the HSM swap”"
		fz3  = "• :snowflake: *FZ-3* · all products · from Mon 2027-01-25 to Fri 2027-01-29, starts in 21 days — “the offsite” · *mobile@5.0* targets a day inside it"
	)
	for _, c := range []struct {
		name         string
		text         func() string
		want, absent []string
	}{
		{"DigestOfEveryProductListsAllThree", func() string { return beforeNews(MustDo(t, svc, bob, "/release digest now").Doc.Text) },
			[]string{head + "\n" + fz1 + "\n" + fz2 + "\n" + fz3}, []string{"FZ-4"}},
		{"DigestOfPaymentsLeavesAuthOut", func() string { return beforeNews(MustDo(t, svc, bob, "/release digest now payments").Doc.Text) },
			[]string{head + "\n" + fz1 + "\n• :snowflake: *FZ-3* · all products · from Mon 2027-01-25 to Fri 2027-01-29, starts in 21 days — “the offsite”"}, []string{"FZ-2", "FZ-4", "mobile@5.0* targets"}},
		{"AgendaOfAuthListsItsFreezes", func() string { return MustAgenda(t, svc, bob, "CREL", "auth") },
			[]string{head + "\n" + "• :snowflake: *FZ-2* · auth", "*FZ-3*"}, []string{"FZ-1", "FZ-4"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := c.text()
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
			for _, a := range c.absent {
				if strings.Contains(text, a) {
					t.Errorf("has %q:\n%s", a, text)
				}
			}
		})
	}

	t.Run("AnEmptyDigestDoesNotMentionFreezes", func(t *testing.T) {
		svc := MustService(t, root)
		MustDo(t, svc, alice, "/release add web 1.0 2027-06-01")
		text := MustDo(t, svc, alice, "/release digest now").Doc.Text
		if !strings.HasPrefix(text, ":zzz:") || strings.Contains(text, "freeze") {
			t.Errorf("empty digest = %q; want one line that does not mention freezes", text)
		}
	})
}

// beforeNews is a digest's text up to its news of freezes and roles (which
// names every freeze made since, however far ahead it is).
func beforeNews(text string) string {
	before, _, _ := strings.Cut(text, "*:loudspeaker:")
	return before
}
