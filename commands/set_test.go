package commands_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/store"
)

// fixingCases are the commandCases of the commands that fix mistakes (set,
// reopen, delete) and of list's due and externals forms. Each runs on a
// fresh MustFixture; a refusal must change nothing.
var fixingCases = map[string][]commandCase{
	"set": {
		{name: "SetsOwner", line: "/release set payments@2.3.0 owner <@UBOB|bob>", want: []string{"Changed *payments@2.3.0*: owner <@UALICE> → <@UBOB>.", "Posted in <#CPAY>."}},
		{name: "SetsChannelAndTellsBoth", line: "/release set payments@2.3.0 channel <#CNEW|new>", want: []string{"news channel <#CPAY> → <#CNEW>", "Posted in <#CNEW> and <#CPAY>."}},
		{name: "SetsOwnerAndChannelAtOnce", line: "/release set payments 2.3.0 owner @UBOB channel <#CNEW|new>", want: []string{"owner <@UALICE> → <@UBOB>; news channel <#CPAY> → <#CNEW>"}},
		{name: "RenamesVersion", line: "/release set payments@2.3.0 version 2.3.1", want: []string{"Changed *payments@2.3.1*: renamed from payments@2.3.0.", "Its 2 dependency edges followed."}},
		{name: "RenamesProduct", line: "/release set auth@1.4.0 product identity", want: []string{"Changed *identity@1.4.0*: renamed from auth@1.4.0.", "Its 1 dependency edge followed."}},
		{name: "ProductReleaseManagerMayReassign", setup: []string{"/release role payments rm <@UPRM>", "/release role payments@2.3.0 rm <@URRM>"}, as: "UPRM", line: "/release set payments@2.3.0 owner <@UBOB>", want: []string{"owner <@UALICE> → <@UBOB>"}},
		{name: "AdminMayReassign", as: root, line: "/release set payments@2.3.0 owner <@UBOB>", want: []string{"owner <@UALICE> → <@UBOB>"}},
		{name: "SetsExternalOwner", as: sam, line: `/release set external "stripe  sdk" owner <@UBOB>`, want: []string{"External “Stripe SDK” is now owned by <@UBOB> (was <@USAM>); they were told."}},
		{name: "AdminSetsExternalOwner", as: root, line: `/release set external "Stripe SDK" owner <@UBOB>`, want: []string{"now owned by <@UBOB>"}},
		{name: "RejectsOthers", as: bob, line: "/release set payments@2.3.0 owner <@UBOB>", code: store.EForbidden, want: []string{"only <@UALICE> (owner) or an admin can reassign payments@2.3.0"}},
		{name: "RejectsOthersChangingChannel", as: bob, line: "/release set payments@2.3.0 channel <#CNEW|new>", code: store.EForbidden, want: []string{"only <@UALICE> (owner) or an admin can change the news channel of payments@2.3.0"}},
		{name: "RejectsOthersRenaming", as: bob, setup: []string{"/release role payments rm <@UPRM>"}, line: "/release set payments@2.3.0 version 2.4", code: store.EForbidden, want: []string{"only <@UALICE> (owner), <@UPRM> (release manager) or an admin can rename payments@2.3.0"}},
		{name: "RejectsExternalByOthers", line: `/release set external "Stripe SDK" owner <@UALICE>`, code: store.EForbidden, want: []string{"only <@USAM> (its owner) or an admin can give external “Stripe SDK” a new owner"}},
		{name: "RejectsRenameOntoExisting", line: "/release set payments@2.3.0 product auth version 1.4.0", code: store.EConflict, want: []string{"auth@1.4.0 already exists (target Fri 2027-01-08, owner @UALICE); pick another name"}},
		{name: "RejectsRepeatedOwner", line: "/release set payments@2.3.0 owner <@UBOB> owner <@USAM>", code: store.EInvalid, want: []string{"owner is given twice; give it once"}},
		{name: "RejectsRepeatedChannel", line: "/release set payments@2.3.0 channel <#C1|a> channel <#C2|b>", code: store.EInvalid, want: []string{"channel is given twice"}},
		{name: "RejectsDMChannel", line: "/release set payments@2.3.0 channel <#D024BE91L|>", code: store.EInvalid, want: []string{"a direct message can't be a release's news channel"}},
		{name: "RejectsNothingToSet", line: "/release set payments@2.3.0", code: store.EInvalid, want: []string{"say what to change"}},
		{name: "RejectsUnknownField", line: "/release set payments@2.3.0 date fri", code: store.EInvalid, want: []string{`expected owner @user, channel #channel, version &lt;new&gt; or product &lt;new&gt;, not "date"`}},
		{name: "RejectsSameOwner", line: "/release set payments@2.3.0 owner <@UALICE>", code: store.EInvalid, want: []string{"<@UALICE> already owns payments@2.3.0"}},
		{name: "RejectsSameName", line: "/release set payments@2.3.0 version 2.3.0", code: store.EInvalid, want: []string{"payments@2.3.0 is already called that"}},
		{name: "RejectsBadVersion", line: "/release set payments@2.3.0 version 2.3!", code: store.EInvalid, want: []string{`"2.3!" is not a version`}},
		{name: "RejectsUnknownRelease", line: "/release set payments@9 owner <@UBOB>", code: store.ENotFound, want: []string{"there is no release payments@9"}},
		{name: "RejectsExternalOtherThanOwner", as: sam, line: `/release set external "Stripe SDK" due fri`, code: store.EInvalid, want: []string{`expected "owner"`}},
	},
	"reopen": {
		{name: "ReopensCancelled", setup: []string{"/release cancel payments@2.3.0 because dropped"}, line: "/release reopen payments@2.3.0", want: []string{"*payments@2.3.0* is planned again (it was cancelled), target Fri 2027-01-15 (in 11 days); posted in <#CPAY>."}},
		{name: "UnshipsWithinADay", setup: []string{"/release ship auth@1.4.0"}, line: "/release reopen auth@1.4.0", want: []string{"*auth@1.4.0* is planned again (it was shipped)"}},
		{name: "RejectsPlanned", line: "/release reopen payments@2.3.0", code: store.EConflict, want: []string{"payments@2.3.0 is planned, not shipped or cancelled; there is nothing to reopen"}},
		{name: "RejectsOthers", setup: []string{"/release cancel payments@2.3.0 because dropped"}, as: bob, line: "/release reopen payments@2.3.0", code: store.EForbidden, want: []string{"only <@UALICE> (owner) or an admin can reopen payments@2.3.0"}},
		{name: "RejectsUnknownRelease", line: "/release reopen payments@9", code: store.ENotFound, want: []string{"there is no release payments@9"}},
	},
	"delete": {
		{name: "DeletesWhatNothingNeeds", line: "/release delete mobile@5.0 because added by mistake", want: []string{"Deleted *mobile@5.0* and its 2 dependencies; posted in <#CMOB>."}},
		{name: "RejectsWhatOthersNeed", line: "/release delete auth@1.4.0 because typo", code: store.EConflict, want: []string{"auth@1.4.0 can't be deleted while payments@2.3.0 depends on it: remove that dependency with /release undepend first, or cancel it instead"}},
		{name: "RejectsMissingReason", line: "/release delete mobile@5.0", code: store.EInvalid, want: []string{"a reason is required to delete a release"}},
		{name: "RejectsOthers", as: bob, line: "/release delete mobile@5.0 because mine now", code: store.EForbidden, want: []string{"only <@UALICE> (owner) or an admin can delete mobile@5.0"}},
		{name: "RejectsUnknownRelease", line: "/release delete mobile@9 because x", code: store.ENotFound, want: []string{"there is no release mobile@9"}},
	},
	"list": {
		{name: "ListsDueInTwoWeeks", line: "/release list due 2w", want: []string{"Due in the next 2 weeks (to Mon 2027-01-18)", "*auth@1.4.0* targets it", "for *payments@2.3.0*: *auth@1.4.0*"}},
		{name: "ListsDueInDays", line: "/release list payments due 12d", want: []string{"Due in the next 12 days", "for *payments@2.3.0*: *auth@1.4.0* needed by Fri 2027-01-15"}},
		{name: "ListsExternals", line: "/release list externals", want: []string{"External items", "external “Stripe SDK” — due Wed 2027-01-20 (in 16 days) · <@USAM> · confirmed today · needed by 1 release"}},
		{name: "AcceptsAtRiskAsTwoWords", line: "/release list at risk", want: []string{"Planned releases at risk"}},
		{name: "RejectsBadSpan", line: "/release list due soon", code: store.EInvalid, want: []string{`"soon" is not a span of days`}},
		{name: "RejectsExternalsOfProduct", line: "/release list payments externals", code: store.EInvalid, want: []string{"external items belong to no product"}},
	},
	"role": {
		{name: "SuggestsRoleWithoutHyphen", line: "/release role payments releasemanager <@UBOB>", code: store.EInvalid, want: []string{`"releasemanager" is not a role — did you mean release-manager?`}},
		{name: "NamesTheRoles", line: "/release role payments@2.3.0 qa-lead <@UBOB>", code: store.EInvalid, want: []string{`"qa-lead" is not a role; the roles are release-manager (schedules and dependencies; gets slip alerts), release-engineer (builds, packages and ships) and product-manager (roadmap and priorities; gets digests)`}},
	},
	"add": {
		{name: "RejectsRepeatedOwner", line: "/release add payments 2.4.0 fri owner <@UBOB> owner <@USAM>", code: store.EInvalid, want: []string{"owner is given twice"}},
		{name: "RejectsDMChannel", line: "/release add payments 2.4.0 fri channel <#D024BE91L|>", code: store.EInvalid, want: []string{"a direct message can't be a release's news channel"}},
	},
	"depend": {
		{name: "RejectsRepeatedBy", line: "/release depend mobile@5.0 on auth@1.4.0 by fri by +2w", code: store.EInvalid, want: []string{"by is given twice"}},
		{name: "RejectsRepeatedDue", line: `/release depend mobile@5.0 on external "Okta" due fri due +2w`, code: store.EInvalid, want: []string{"due is given twice"}},
	},
}

func init() {
	for name, cs := range fixingCases {
		commandCases[name] = append(commandCases[name], cs...)
	}
	fuzzSeeds = append(fuzzSeeds,
		"set payments@2.3.0 owner <@UBOB|bob> channel <#CNEW|new>", "set payments@2.3.0 version 2.3.1 product billing",
		"set payments 2.3.0 product auth version 1.4.0", "set payments@2.3.0 owner @UBOB owner @USAM", "set payments@2.3.0 channel <#D123ABC|>",
		`set external "stripe sdk" owner <@UBOB>`, `set external "nope" owner <@UBOB>`, "set payments@2.3.0",
		"reopen payments@2.3.0", "reopen PAYMENTS@2.3.0", "delete mobile@5.0 because &lt;!channel&gt;", "delete auth@1.4.0 because typo", "delete mobile@5.0",
		"list due 2w", "list payments due 10d mine", "list due soon", "list externals", "list externals mine", "list at risk", "list mine",
		"role payments releasemanager <@UBOB>", "role payments@2.3.0 qa-lead <@UBOB>",
	)
}

// TestRename proves a rename re-keys the release and every edge on and of
// it in one go, and that its history keeps the old name.
func TestRename(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, "/release set payments@2.3.0 version 2.3.1 product billing")
	s := MustSnapshot(t, svc.Store)
	var edges []string
	for _, d := range s.Dependencies {
		edges = append(edges, d.Consumer.String()+" → "+cmpOr(d.External, d.Provider.String()))
	}
	want := []string{"billing@2.3.1 → auth@1.4.0", "mobile@5.0 → billing@2.3.1", "mobile@5.0 → stripe sdk"}
	if diff := cmp.Diff(want, edges); diff != "" {
		t.Errorf("edges after rename mismatch (-want +got):\n%s", diff)
	}
	if slices.ContainsFunc(s.Releases, func(r store.Release) bool { return r.Product == "payments" }) {
		t.Errorf("payments@2.3.0 is still stored after its rename")
	}
	if !slices.ContainsFunc(s.Products, func(p store.Product) bool { return p.Name == "billing" }) {
		t.Errorf("products after rename = %v; want billing created on first use", s.Products)
	}
	r := MustRelease(t, svc.Store, "billing@2.3.1")
	last := r.History[len(r.History)-1]
	if last.Kind != "renamed" || last.FromName != "payments@2.3.0" || last.ToName != "billing@2.3.1" || last.By != alice {
		t.Errorf("last history entry = %+v; want renamed from payments@2.3.0 to billing@2.3.1 by alice", last)
	}
	h := MustDo(t, svc, alice, "/release history billing@2.3.1")
	if w := "renamed by <@UALICE> from payments@2.3.0 to billing@2.3.1"; !strings.Contains(h.Doc.Text, w) {
		t.Errorf("history lacks %q:\n%s", w, h.Doc.Text)
	}
	// The graph answers through the new name.
	imp := MustDo(t, svc, alice, "/release impact auth@1.4.0")
	if got := refsIn(imp.Doc.Text); !slices.Contains(got, "billing@2.3.1") || !slices.Contains(got, "mobile@5.0") {
		t.Errorf("impact of auth after rename names %v; want billing@2.3.1 and mobile@5.0", got)
	}
	MustFail(t, svc, alice, "/release show payments@2.3.0", store.ENotFound)
	t.Run("RespellsCase", func(t *testing.T) {
		MustDo(t, svc, alice, "/release add web 1.0-RC1 +3w")
		MustDo(t, svc, alice, "/release set web@1.0-rc1 version 1.0-rc1")
		MustRelease(t, svc.Store, "web@1.0-rc1")
	})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestReopen(t *testing.T) {
	t.Run("RefusesUnshipAfterADay", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release ship auth@1.4.0")
		svc.Clock.(*store.FakeClock).Advance(25 * time.Hour)
		before := MustSnapshot(t, svc.Store)
		r := MustFail(t, svc, root, "/release reopen auth@1.4.0", store.EConflict)
		if w := "auth@1.4.0 was marked shipped 2027-01-04 10:00 UTC, more than a day ago; a ship can only be undone within a day of it"; !strings.Contains(r.Doc.Text, w) {
			t.Errorf("reopen reply lacks %q:\n%s", w, r.Doc.Text)
		}
		assertUnchanged(t, before, MustSnapshot(t, svc.Store))
	})
	t.Run("RefusesUnshipOfOldShipWithoutHistory", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		err := svc.Store.Update(context.Background(), alice, epoch, func(tx *store.Tx) error {
			r, err := tx.Release(store.Ref{Product: "auth", Version: "1.4.0"})
			if err != nil {
				return err
			}
			r.Status, r.ShippedOn, r.History = store.Shipped, MustDate(t, "2027-01-02"), nil
			return tx.PutRelease("test.ship", r)
		})
		if err != nil {
			t.Fatal(err)
		}
		r := MustFail(t, svc, alice, "/release reopen auth@1.4.0", store.EConflict)
		if w := "auth@1.4.0 was marked shipped on Sat 2027-01-02, more than a day ago"; !strings.Contains(r.Doc.Text, w) {
			t.Errorf("reopen reply lacks %q:\n%s", w, r.Doc.Text)
		}
	})
	t.Run("UnshipClearsShipDateAndRecordsIt", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release ship auth@1.4.0 on 2027-01-03 anyway")
		svc.Clock.(*store.FakeClock).Advance(23 * time.Hour)
		before := MustSnapshot(t, svc.Store)
		MustDo(t, svc, alice, "/release reopen auth 1.4.0")
		r := MustRelease(t, svc.Store, "auth@1.4.0")
		if r.Status != store.Planned || !r.ShippedOn.IsZero() {
			t.Errorf("after reopen: status %s, shipped on %s; want planned, no ship date", r.Status, r.ShippedOn)
		}
		msgs := MustNewMessages(t, svc, before)
		if len(msgs) != 1 || msgs[0].Channel != "CAUTH" || !strings.Contains(msgs[0].Doc.Text, "reopened *auth@1.4.0* (it was shipped)") {
			t.Errorf("reopen queued %+v; want one post in CAUTH saying it was reopened", msgs)
		}
		h := MustDo(t, svc, alice, "/release history auth@1.4.0")
		if w := "reopened by <@UALICE> (it had been marked shipped on Sun 2027-01-03), planned again for Fri 2027-01-08"; !strings.Contains(h.Doc.Text, w) {
			t.Errorf("history lacks %q:\n%s", w, h.Doc.Text)
		}
	})
}

func TestDelete(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	before := MustSnapshot(t, svc.Store)
	MustDo(t, svc, alice, "/release delete mobile@5.0 because added by mistake")
	after := MustSnapshot(t, svc.Store)
	if slices.ContainsFunc(after.Releases, func(r store.Release) bool { return r.Product == "mobile" }) {
		t.Errorf("mobile@5.0 is still stored after delete")
	}
	for _, d := range after.Dependencies {
		if d.Consumer.Product == "mobile" {
			t.Errorf("edge %s survived its consumer's delete", d.Key())
		}
	}
	if len(after.Externals) != 1 {
		t.Errorf("externals after delete = %d; want the item kept", len(after.Externals))
	}
	msgs := MustNewMessages(t, svc, before)
	if len(msgs) != 1 || msgs[0].Channel != "CMOB" || !strings.Contains(msgs[0].Doc.Text, "deleted *mobile@5.0* because added by mistake") {
		t.Errorf("delete queued %+v; want one post in CMOB with the reason", msgs)
	}
	var audit []store.Audit
	if err := svc.Store.View(context.Background(), func(tx *store.Tx) error {
		var err error
		audit, err = tx.AuditLog(uint64(before.AuditLen), 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(audit, func(a store.Audit) bool { return a.Action == "release.delete" && a.After == nil })
	if i < 0 || !strings.Contains(string(audit[i].Before), "added by mistake") {
		t.Errorf("audit log after delete = %+v; want a release.delete entry keeping the release and the reason", audit)
	}
}

// TestVersionCase: a version names one release whatever its case.
func TestVersionCase(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, "/release add web 1.0-rc1 2027-01-12")
	t.Run("FindsInAnyCase", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release show WEB@1.0-RC1")
		if r.Doc.Header != "web@1.0-rc1" {
			t.Errorf("show WEB@1.0-RC1 header = %q; want the stored spelling web@1.0-rc1", r.Doc.Header)
		}
	})
	t.Run("AddRefusesOtherCase", func(t *testing.T) {
		before := MustSnapshot(t, svc.Store)
		r := MustFail(t, svc, alice, "/release add web 1.0-RC1 2027-01-20", store.EConflict)
		if w := "web@1.0-RC1 already exists as web@1.0-rc1"; !strings.Contains(r.Doc.Text, w) {
			t.Errorf("add reply lacks %q:\n%s", w, r.Doc.Text)
		}
		assertUnchanged(t, before, MustSnapshot(t, svc.Store))
	})
	t.Run("DependStoresStoredSpelling", func(t *testing.T) {
		MustDo(t, svc, alice, "/release depend mobile@5.0 on web@1.0-RC1")
		s := MustSnapshot(t, svc.Store)
		i := slices.IndexFunc(s.Dependencies, func(d store.Dependency) bool { return d.Provider.Product == "web" })
		if i < 0 || s.Dependencies[i].Provider.Version != "1.0-rc1" {
			t.Errorf("dependencies = %+v; want mobile@5.0 → web@1.0-rc1 as stored", s.Dependencies)
		}
		MustDo(t, svc, alice, "/release undepend mobile@5.0 on web@1.0-Rc1")
	})
	// Every command that names a release finds it in any case, in its own
	// transaction, and names it as stored.
	for _, line := range []string{
		"/release show web@1.0-RC1",
		"/release impact web@1.0-RC1",
		"/release history WEB 1.0-RC1",
		"/release role web@1.0-RC1",
		"/release role web@1.0-RC1 release-engineer <@URE>",
		"/release set web@1.0-RC1 channel <#CWEB>",
		"/release move web@1.0-RC1 2027-01-11 preview",
		"/release move web@1.0-RC1 2027-01-11",
		"/release depend web@1.0-RC1 on payments@2.3.0",
		"/release undepend web@1.0-RC1 on payments@2.3.0",
		"/release depend mobile@5.0 on web@1.0-RC1 by 2027-01-11",
		"/release undepend MOBILE@5.0 on web@1.0-RC1",
		"/release ship web@1.0-RC1",
		"/release reopen web@1.0-RC1",
		"/release cancel web@1.0-RC1 because merged",
		"/release reopen web@1.0-RC1",
		"/release delete web@1.0-RC1 because a test",
	} {
		t.Run("Resolves/"+strings.Fields(line)[1], func(t *testing.T) {
			r := MustDo(t, svc, alice, line)
			// A preview's "or type" line shows the move as typed.
			text := r.Doc.Header + "\n" + r.Doc.Text
			if i := strings.Index(text, "or type `"); i >= 0 {
				text = text[:i]
			}
			if !strings.Contains(text, "web@1.0-rc1") || strings.Contains(text, "1.0-RC1") {
				t.Errorf("Execute(%q) does not name web@1.0-rc1 as stored:\n%s", line, text)
			}
		})
	}
}

// TestHistoryRecordsChanges: history has dependencies, roles and owners,
// not only dates.
func TestHistoryRecordsChanges(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDoAll(t, svc, alice,
		`/release depend payments@2.3.0 on external "Okta" due fri by 2027-01-12`,
		"/release undepend payments@2.3.0 on auth@1.4.0",
		"/release role payments@2.3.0 release-engineer <@URE>",
		"/release role payments@2.3.0 release-engineer none",
		"/release set payments@2.3.0 owner <@UBOB> channel <#CNEW|new>",
	)
	h := MustDo(t, svc, bob, "/release history payments@2.3.0")
	for _, w := range []string{
		"now depends on *auth@1.4.0*, needed by its target date (recorded by <@UALICE>)",
		"now depends on external “Okta”, needed by Tue 2027-01-12 (recorded by <@UALICE>)",
		"dependency on *auth@1.4.0* removed by <@UALICE>",
		"release-engineer set to <@URE> by <@UALICE>",
		"release-engineer cleared by <@UALICE>",
		"owner changed by <@UALICE> from <@UALICE> to <@UBOB>",
		"news channel changed by <@UALICE> from <#CPAY> to <#CNEW>",
	} {
		if !strings.Contains(h.Doc.Text, w) {
			t.Errorf("history lacks %q:\n%s", w, h.Doc.Text)
		}
	}
}

func TestShipByReleaseEngineer(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, "/release role payments@2.3.0 release-engineer <@URE>")
	r := MustFail(t, svc, bob, "/release ship payments@2.3.0", store.EForbidden)
	if w := "only <@UALICE> (owner), <@URE> (release engineer) or an admin can ship payments@2.3.0"; !strings.Contains(r.Doc.Text, w) {
		t.Errorf("ship refusal lacks %q:\n%s", w, r.Doc.Text)
	}
	MustDo(t, svc, "URE", "/release ship payments@2.3.0")
}

func TestListFixing(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDoAll(t, svc, alice,
		`/release depend auth@1.4.0 on external "Okta" due 2027-01-07 owner <@UBOB>`,
		"/release add billing 1.0 2027-03-01",
	)
	clock := svc.Clock.(*store.FakeClock)
	clock.Advance(24 * time.Hour)
	MustDo(t, svc, sam, `/release confirm external "Stripe SDK"`)
	clock.Advance(14 * 24 * time.Hour) // Okta: 15 days unconfirmed; Stripe: 14
	MustDo(t, svc, sam, `/release confirm external "Stripe SDK"`)
	t.Run("DueListsByDate", func(t *testing.T) {
		// Today is Tue 2027-01-19: auth's and payments' dates have passed.
		r := MustDo(t, svc, alice, "/release list due 2w")
		want := []string{"mobile@5.0", "mobile@5.0", "mobile@5.0", "payments@2.3.0"}
		if got := refsIn(r.Doc.Text); !slices.Equal(got, want) {
			t.Errorf("list due 2w names %v; want %v\n%s", got, want, r.Doc.Text)
		}
		for _, w := range []string{
			":link: Fri 2027-01-29 (in 10 days) — for *mobile@5.0*: external “Stripe SDK” needed by Fri 2027-01-29, due Wed 2027-01-20 — on track (9 days to spare)",
			":calendar: Fri 2027-01-29 (in 10 days) — *mobile@5.0* targets it",
		} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("list due lacks %q:\n%s", w, r.Doc.Text)
			}
		}
	})
	t.Run("DueSaysWhenEmpty", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release list billing due 3d")
		if w := "No planned release of billing has a target or a needed-by date in the next 3 days."; !strings.Contains(r.Doc.Text, w) {
			t.Errorf("empty due list lacks %q:\n%s", w, r.Doc.Text)
		}
	})
	t.Run("ExternalsFlagsUnconfirmed", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release list externals")
		for _, w := range []string{
			":warning: external “Okta” — due Thu 2027-01-07 (12 days ago) · <@UBOB> · *not confirmed for 15 days* · needed by 1 release",
			":package: external “Stripe SDK” — due Wed 2027-01-20 (tomorrow) · <@USAM> · confirmed today · needed by 1 release",
		} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("list externals lacks %q:\n%s", w, r.Doc.Text)
			}
		}
		if strings.Index(r.Doc.Text, "Okta") > strings.Index(r.Doc.Text, "Stripe") {
			t.Errorf("list externals is not by due date:\n%s", r.Doc.Text)
		}
	})
	t.Run("MineIncludesExternalsIOwn", func(t *testing.T) {
		r := MustDo(t, svc, bob, "/release list mine")
		for _, w := range []string{"There are no planned releases that you own or hold a role on.", "*External items you own:*", "external “Okta”"} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("list mine lacks %q:\n%s", w, r.Doc.Text)
			}
		}
		if strings.Contains(r.Doc.Text, "Stripe") {
			t.Errorf("list mine shows an external item bob does not own:\n%s", r.Doc.Text)
		}
	})
}

func TestAddFromDM(t *testing.T) {
	svc := MustService(t, root)
	req := request(alice, "/release add payments 2.4.0 fri")
	req.Channel = "D024BE91L"
	before := MustSnapshot(t, svc.Store)
	r := svc.Execute(context.Background(), req)
	if r.Code != store.EInvalid || !strings.Contains(r.Doc.Text, `name its channel with "channel #releases"`) {
		t.Errorf("add from a DM = %s:\n%s\nwant it refused, saying to name a channel", r.Code, r.Doc.Text)
	}
	assertUnchanged(t, before, MustSnapshot(t, svc.Store))
	req.Text += " channel <#CPAY|payments>"
	if r := svc.Execute(context.Background(), req); !r.OK() {
		t.Errorf("add from a DM naming a channel failed:\n%s", r.Doc.Text)
	}
}

// TestHelpIsEscaped: every command's help is mrkdwn in which a placeholder
// like <release> is escaped, so Slack shows it instead of taking it for a
// link.
func TestHelpIsEscaped(t *testing.T) {
	svc := MustService(t)
	for _, spec := range commands.Table() {
		r := MustDo(t, svc, alice, "/"+spec.Group+" help "+spec.Name)
		if i := strings.Index(r.Doc.Text, "<"); i >= 0 {
			t.Errorf("help %s has a raw %q:\n%s", spec.Name, r.Doc.Text[i:min(len(r.Doc.Text), i+20)], r.Doc.Text)
		}
	}
}

func TestSetOwnerTellsChannelAndNewOwner(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	before := MustSnapshot(t, svc.Store)
	MustDo(t, svc, root, "/release set payments@2.3.0 owner <@UBOB> channel <#CNEW|new>")
	var got []string
	for _, m := range MustNewMessages(t, svc, before) {
		got = append(got, m.Channel+" "+strings.SplitN(m.Doc.Text, ":", 3)[1])
	}
	want := []string{"CNEW pencil2", "CPAY pencil2", "UBOB pencil2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("set queued messages mismatch (-want +got):\n%s", diff)
	}
	msgs := MustNewMessages(t, svc, before)
	if dm := msgs[len(msgs)-1]; !dm.DM || !strings.Contains(dm.Doc.Text, "<@UROOT> made you the owner of *payments@2.3.0*") {
		t.Errorf("message to the new owner = %+v; want a DM saying they own payments@2.3.0", dm)
	}
}
