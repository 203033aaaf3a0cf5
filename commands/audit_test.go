package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"relman/commands"
	"relman/store"
)

// The cases of /release audit and /release restore, run by TestCommands.
func init() {
	commandCases["audit"] = []commandCase{
		{name: "ShowsEverythingToAdmins", as: root, line: "/release audit", want: []string{"*Audit log*", "<@UALICE> · `release.add` · payments@2.3.0 · via — · created"}},
		{name: "ShowsAReleaseToItsOwner", line: "/release audit mobile@5.0", want: []string{"Of mobile@5.0", "`dependency.put` · mobile@5.0 payments@2.3.0"}},
		{name: "ShowsOwnChanges", as: bob, setup: []string{"/release set payments@2.3.0 owner <@UBOB>", "as UBOB: /release move payments@2.3.0 2027-01-22 because QA"},
			line: "/release audit <@UBOB>", want: []string{"changes by <@UBOB>", "`release.move` · payments@2.3.0", ": “QA”"}},
		{name: "ShowsAProductToItsReleaseManager", as: bob, setup: []string{"/release role payments release-manager <@UBOB>"},
			line: "/release audit payments since 2027-01-01", want: []string{"Of payments since", "`release.add` · payments@2.3.0"}},
		{name: "ShowsADeletedRelease", as: root, setup: []string{"/release delete mobile@5.0 because typo"},
			line: "/release audit mobile@5.0", want: []string{"`release.delete` · mobile@5.0 · via — · removed: “typo”"}},
		{name: "RejectsOthersOnEverything", line: "/release audit", code: store.EForbidden, want: []string{"only an admin can read the whole audit log"}},
		{name: "RejectsOthersOnAUser", as: bob, line: "/release audit <@UALICE>", code: store.EForbidden, want: []string{"someone else's changes"}},
		{name: "RejectsOthersOnARelease", as: bob, line: "/release audit payments@2.3.0", code: store.EForbidden, want: []string{"can read the audit log of payments@2.3.0"}},
		{name: "RejectsTwoScopes", as: root, line: "/release audit payments auth", code: store.EInvalid, want: []string{"audit takes one release, product or user"}},
		{name: "RejectsBadEntryNumber", as: root, line: "/release audit before #x", code: store.EInvalid, want: []string{"is not an audit entry number"}},
	}
	commandCases["restore"] = []commandCase{
		{name: "RestoresWithDependencies", setup: []string{"/release delete mobile@5.0 because typo"}, line: "/release restore mobile@5.0 because wrong one",
			want: []string{"Restored *mobile@5.0* (planned, target Fri 2027-01-29 (in 25 days)) with its history and its 2 dependencies on ext:stripe sdk and payments@2.3.0; posted in <#CMOB>."}},
		{name: "RejectsAnExistingRelease", line: "/release restore mobile@5.0", code: store.EConflict, want: []string{"mobile@5.0 exists"}},
		{name: "RejectsANeverDeletedRelease", line: "/release restore mobile@9", code: store.ENotFound, want: []string{"the audit log has no delete of mobile@9 in the last 30 days"}},
		{name: "RejectsOthers", as: bob, setup: []string{"/release delete mobile@5.0 because typo"}, line: "/release restore mobile@5.0", code: store.EForbidden, want: []string{"can restore mobile@5.0"}},
	}
}

// A deleted release is in the audit log, comes back with its history and
// dependencies through restore, and the audit log shows both, with the
// transport each came through.
func TestAuditAfterDeleteAndRestore(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	via := func(user, line, transport string) commands.Reply {
		t.Helper()
		req := request(user, line)
		req.Via = transport
		r := svc.Execute(context.Background(), req)
		if !r.OK() {
			t.Fatalf("Execute(%q) = %s: %s", line, r.Code, r.Doc.Text)
		}
		return r
	}
	via(alice, "/release undepend mobile@5.0 on payments@2.3.0", store.ViaConsole)
	via(alice, "/release delete mobile@5.0 because added twice", store.ViaSlack)
	if r := Do(t, svc, alice, "/release show mobile@5.0"); r.Code != store.ENotFound {
		t.Fatalf("show after delete: code %q; want %q", r.Code, store.ENotFound)
	}
	r := via(alice, "/release restore mobile@5.0", store.ViaConsole)
	for _, w := range []string{"Restored *mobile@5.0*", "its 1 dependency on ext:stripe sdk"} {
		if !strings.Contains(r.Doc.Text, w) {
			t.Errorf("restore's reply lacks %q:\n%s", w, r.Doc.Text)
		}
	}
	show := MustDo(t, svc, alice, "/release show mobile@5.0")
	if !strings.Contains(show.Doc.Text, "Stripe SDK") || strings.Contains(show.Doc.Text, "payments@2.3.0") {
		t.Errorf("the restored release should depend on Stripe SDK only (payments was undepended before the delete):\n%s", show.Doc.Text)
	}
	hist := MustDo(t, svc, alice, "/release history mobile@5.0")
	for _, w := range []string{"deleted by <@UALICE>: “added twice”", "restored by <@UALICE>"} {
		if !strings.Contains(hist.Doc.Text, w) {
			t.Errorf("history lacks %q:\n%s", w, hist.Doc.Text)
		}
	}
	audit := MustDo(t, svc, alice, "/release audit mobile@5.0").Doc.Text
	for _, w := range []string{
		"`release.restore` · mobile@5.0 · via console · created",
		"`dependency.restore` · mobile@5.0 ext:stripe sdk · via console · created",
		"`release.delete` · mobile@5.0 · via slack · removed: “added twice”",
		"`dependency.delete` · mobile@5.0 ext:stripe sdk · via slack · removed",
		"`dependency.delete` · mobile@5.0 payments@2.3.0 · via console",
	} {
		if !strings.Contains(audit, w) {
			t.Errorf("audit lacks %q:\n%s", w, audit)
		}
	}
	if i, j := strings.Index(audit, "release.restore"), strings.Index(audit, "release.add"); i < 0 || j < 0 || i > j {
		t.Errorf("audit is not newest first:\n%s", audit)
	}
	// A second restore finds the release there.
	if r := Do(t, svc, alice, "/release restore mobile@5.0"); r.Code != store.EConflict {
		t.Errorf("second restore: code %q; want %q", r.Code, store.EConflict)
	}
}

// Restore is refused once the delete is more than 30 days old.
func TestRestoreWindow(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, "/release delete mobile@5.0 because typo")
	clock := svc.Clock.(*store.FakeClock)
	clock.Advance(commands.RestoreWindow + 1)
	if r := Do(t, svc, alice, "/release restore mobile@5.0"); r.Code != store.ENotFound {
		t.Errorf("restore after 30 days: code %q; want %q\n%s", r.Code, store.ENotFound, r.Doc.Text)
	}
}

// The audit log pages newest first: the first page says how many are
// older and how to see them, and that command shows the next page.
func TestAuditPages(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	for i := range commands.AuditLimit + 5 {
		MustDo(t, svc, alice, fmt.Sprintf("/release move auth@1.4.0 2027-02-%02d because step %d", 1+i%20, i))
	}
	first := MustDo(t, svc, root, "/release audit auth").Doc
	if got := strings.Count(first.Text, "• "); got != commands.AuditLimit {
		t.Errorf("first page shows %d entries; want %d:\n%s", got, commands.AuditLimit, first.Text)
	}
	if !strings.Contains(first.Text, "step 29") || strings.Contains(first.Text, "step 4”") {
		t.Errorf("first page should start at the newest move (step 29) and stop before step 4:\n%s", first.Text)
	}
	i := strings.Index(first.Text, "Older entries: `/release audit auth before #")
	if i < 0 {
		t.Fatalf("the first page names no next page:\n%s", first.Text)
	}
	next, _, _ := strings.Cut(first.Text[i+len("Older entries: `"):], "`")
	second := MustDo(t, svc, root, next).Doc
	if got := strings.Count(second.Text, "• "); got != 8 { // 5 moves, the dependency on auth@1.4.0, its add, the product's
		t.Errorf("%s shows %d entries; want 8:\n%s", next, got, second.Text)
	}
	if !strings.Contains(second.Text, "step 4”") || !strings.Contains(second.Text, "`release.add` · auth@1.4.0") || strings.Contains(second.Text, "Older entries") {
		t.Errorf("%s shows:\n%s\n(More %d); want the older moves down to auth's add, and nothing more", next, second.Text, second.More)
	}
	// Unfiltered, the older entries are counted by number, and the next
	// page shows that many.
	all := MustDo(t, svc, root, "/release audit").Doc
	if all.More == 0 {
		t.Fatalf("the whole log's first page has More 0:\n%s", all.Text)
	}
	i = strings.Index(all.MoreHint, "/release audit before #")
	if i < 0 {
		t.Fatalf("MoreHint %q names no next page", all.MoreHint)
	}
	rest := MustDo(t, svc, root, strings.TrimSuffix(all.MoreHint[i:], "`")).Doc
	if got := strings.Count(rest.Text, "• ") + rest.More; got != all.More {
		t.Errorf("the second page shows %d entries and counts %d more; want %d in all", strings.Count(rest.Text, "• "), rest.More, all.More)
	}
}
