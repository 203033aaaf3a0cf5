package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/store"
)

// CCB members of the test boards.
const (
	carol = "UCAROL"
	dave  = "UDAVE"
	erin  = "UERIN"
)

// MustCCB gives svc the fixture and a payments board of bob, carol and
// dave (majority, 72h, default reject), and a default board of erin.
func MustCCB(tb testing.TB, svc *commands.Service) {
	tb.Helper()
	MustFixture(tb, svc)
	MustDoAll(tb, svc, root,
		"/ccb board payments members add <@UBOB> <@UCAROL> <@UDAVE>",
		"/ccb board default members add <@UERIN>",
	)
}

// ccbCase is one /ccb command line and what its reply must be.
type ccbCase struct {
	name  string
	setup []string // "USER: line", run on MustCCB; root when no user
	as    string   // who types it; alice when empty
	line  string
	code  string
	want  []string
}

var ccbCases = map[string][]ccbCase{
	"request": {
		{name: "PostsOnTheProductBoard", line: "/ccb request payments@2.3.0 switch the card processor", want: []string{"Raised *CR-1* on *payments@2.3.0*: “switch the card processor”", "Posted in <#CPAY>", "payments board (majority)", "closes Thu 10:00 UTC, in 3 days"}},
		{name: "FallsBackToTheDefaultBoard", line: "/ccb request auth 1.4.0 rotate keys", want: []string{"Raised *CR-1* on *auth@1.4.0*", "default board (majority)"}},
		{name: "TakesADeadlineInHours", line: "/ccb request payments@2.3.0 hotfix deadline +12h", want: []string{"“hotfix”", "closes Mon 22:00 UTC, in 12 hours"}},
		{name: "TakesADeadlineDate", line: "/ccb request payments@2.3.0 hotfix deadline fri", want: []string{"closes Fri 17:00 UTC, in 4 days"}},
		{name: "KeepsDeadlineWordInsideTheTitle", line: "/ccb request payments@2.3.0 move the deadline of the audit", want: []string{"“move the deadline of the audit”"}},
		{name: "EscapesTheTitle", line: "/ccb request payments@2.3.0 ping <!channel> &lt;b&gt;", want: []string{"“ping @channel &lt;b&gt;”"}},
		{name: "RefusesUnknownRelease", line: "/ccb request payments@9.9 x", code: store.ENotFound, want: []string{"there is no release payments@9.9"}},
		{name: "RefusesShippedRelease", setup: []string{"UALICE: /release ship auth@1.4.0"}, line: "/ccb request auth@1.4.0 x", code: store.EConflict, want: []string{"auth@1.4.0 is shipped; change requests are for planned releases"}},
		{name: "RefusesCancelledRelease", setup: []string{"UALICE: /release cancel auth@1.4.0 because dropped"}, line: "/ccb request auth@1.4.0 x", code: store.EConflict, want: []string{"auth@1.4.0 is cancelled"}},
		{name: "RefusesABoardWithNoMembers", setup: []string{"/ccb board payments members remove <@UBOB> <@UCAROL> <@UDAVE>"}, line: "/ccb request payments@2.3.0 x", code: store.EConflict, want: []string{"the payments board has no members, so nobody could vote"}},
		{name: "RefusesMissingTitle", line: "/ccb request payments@2.3.0", code: store.EInvalid, want: []string{"missing the title"}},
		{name: "RefusesPastDeadline", line: "/ccb request payments@2.3.0 x deadline 2027-01-01", code: store.EInvalid, want: []string{"has passed"}},
		{name: "RefusesBadDeadline", line: "/ccb request payments@2.3.0 x deadline soonish", code: store.EInvalid, want: []string{`"soonish" is not a deadline`}},
	},
	"board": {
		{name: "ShowsToAnyone", as: bob, line: "/ccb board payments show", want: []string{"The payments board", "<@UBOB>, <@UCAROL>, <@UDAVE>", "majority", "3 days after a CR is raised; then undecided CRs are rejected", "open ballot"}},
		{name: "ShowsTheDefaultBoardForAProductWithout", as: bob, line: "/ccb board auth", want: []string{"auth has no board of its own", "<@UERIN>"}},
		{name: "SetsPolicy", as: root, line: "/ccb board payments policy quorum 2 veto <@UCAROL> deadline +2d default approve anonymous", want: []string{"Saved.", "quorum 2, veto <@UCAROL>", "2 days after a CR is raised; then undecided CRs are approved", "anonymous ballot"}},
		{name: "AddsAUserGroup", as: root, line: "/ccb board payments members add <!subteam^SCCB|@ccb>", want: []string{"<!subteam^SCCB>"}},
		{name: "RemovesMembersAndTheirVeto", as: root, setup: []string{"/ccb board payments policy majority veto <@UDAVE>"}, line: "/ccb board payments members remove <@UDAVE>", want: []string{"<@UBOB>, <@UCAROL>\n"}},
		{name: "RefusesNonAdmin", as: alice, line: "/ccb board payments members add <@UALICE>", code: store.EForbidden, want: []string{"only an admin (RELMAN_ADMINS) can change a board's settings"}},
		{name: "RefusesQuorumLargerThanTheBoard", as: root, line: "/ccb board payments policy quorum 9", code: store.EInvalid, want: []string{"quorum 9 can never be reached on a board of 3 members"}},
		{name: "RefusesRemovalBelowQuorum", as: root, setup: []string{"/ccb board payments policy quorum 3"}, line: "/ccb board payments members remove <@UDAVE>", code: store.EInvalid, want: []string{"quorum 3 can never be reached on a board of 2 members"}},
		{name: "RefusesVetoOfANonMember", as: root, line: "/ccb board payments policy majority veto <@UALICE>", code: store.EInvalid, want: []string{"<@UALICE> can only hold a veto as a member of the board"}},
		{name: "CreatesTheProductOnFirstUse", as: root, line: "/ccb board nosuch members add <@UBOB>", want: []string{"Saved."}},
		{name: "RefusesAProductNameCloseToAnother", as: root, line: "/ccb board paymnts members add <@UBOB>", code: store.EInvalid, want: []string{`there is no product "paymnts" — did you mean payments?`, `end the command with "new"`}},
		{name: "CreatesACloseNameEndingWithNew", as: root, line: "/ccb board paymnts members add <@UBOB> new", want: []string{"Saved."}},
		{name: "RefusesUnknownPolicy", as: root, line: "/ccb board payments policy mostly", code: store.EInvalid, want: []string{`"mostly" is not a policy`}},
		{name: "RefusesRepeatedOption", as: root, line: "/ccb board payments policy any open anonymous", code: store.EInvalid, want: []string{"anonymous is given twice"}},
		{name: "RefusesAbstainAsDefault", as: root, line: "/ccb board payments policy any default abstain", code: store.EInvalid, want: []string{"the default outcome must be approve or reject"}},
		{name: "RefusesMembersWithoutMentions", as: root, line: "/ccb board payments members add bob", code: store.EInvalid, want: []string{"missing the members"}},
	},
	"list": {
		{name: "ListsOpen", setup: []string{"UALICE: /ccb request payments@2.3.0 one", "UALICE: /ccb request auth@1.4.0 two", "UALICE: /ccb withdraw CR-2"}, line: "/ccb list", want: []string{"*CR-1* *payments@2.3.0* — “one” — open, 0 of 3 voted, closes Thu 10:00 UTC, in 3 days"}},
		{name: "ListsAllOfAProduct", setup: []string{"UALICE: /ccb request payments@2.3.0 one", "UALICE: /ccb request auth@1.4.0 two", "UALICE: /ccb withdraw CR-2"}, line: "/ccb list all auth", want: []string{"Change requests of auth", "*CR-2* *auth@1.4.0* — “two” — withdrawn"}},
		{name: "SaysNone", line: "/ccb list", want: []string{"None."}},
		{name: "RefusesTwoProducts", line: "/ccb list payments auth", code: store.EInvalid, want: []string{`unexpected "auth"`}},
	},
	"show": {
		{name: "ShowsTheCard", setup: []string{"UALICE: /ccb request payments@2.3.0 one"}, as: bob, line: "/ccb show cr-1", want: []string{"CR-1: one", "still to vote: <@UBOB>, <@UCAROL>, <@UDAVE>"}},
		{name: "RefusesUnknownCR", line: "/ccb show CR-7", code: store.ENotFound, want: []string{"there is no CR-7"}},
		{name: "RefusesGarbage", line: "/ccb show CR-x", code: store.EInvalid, want: []string{`"CR-x" is not a change request`}},
	},
	"withdraw": {
		{name: "ByTheRequester", setup: []string{"UALICE: /ccb request payments@2.3.0 one"}, line: "/ccb withdraw CR-1", want: []string{"Withdrew *CR-1*"}},
		{name: "RefusesSomeoneElse", setup: []string{"UALICE: /ccb request payments@2.3.0 one"}, as: bob, line: "/ccb withdraw CR-1", code: store.EForbidden, want: []string{"only <@UALICE> (who raised it) or an admin can withdraw CR-1"}},
		{name: "RefusesTwice", setup: []string{"UALICE: /ccb request payments@2.3.0 one", "UALICE: /ccb withdraw CR-1"}, line: "/ccb withdraw CR-1", code: store.EConflict, want: []string{"CR-1 is already withdrawn"}},
	},
	"decide": {
		{name: "ByAnAdmin", setup: []string{"UALICE: /ccb request payments@2.3.0 one"}, as: root, line: "/ccb decide CR-1 approve because outage fix", want: []string{"*CR-1* is approved by your override"}},
		{name: "RefusesNonAdmin", setup: []string{"UALICE: /ccb request payments@2.3.0 one"}, as: bob, line: "/ccb decide CR-1 approve because I say so", code: store.EForbidden, want: []string{"only an admin"}},
		{name: "RefusesWithoutReason", setup: []string{"UALICE: /ccb request payments@2.3.0 one"}, as: root, line: "/ccb decide CR-1 reject", code: store.EInvalid, want: []string{"a reason is required for an override"}},
		{name: "RefusesDecidedCR", setup: []string{"UALICE: /ccb request payments@2.3.0 one", "/ccb decide CR-1 reject because no"}, as: root, line: "/ccb decide CR-1 approve because yes", code: store.EConflict, want: []string{"CR-1 is already rejected"}},
		{name: "RefusesAbstain", setup: []string{"UALICE: /ccb request payments@2.3.0 one"}, as: root, line: "/ccb decide CR-1 abstain because meh", code: store.EInvalid, want: []string{"must be approve or reject"}},
	},
	"delegate": {
		{name: "UntilADate", as: bob, line: "/ccb delegate <@USAM> until fri payments", want: []string{"<@USAM> votes for you on change requests of payments until Fri 2027-01-08 (in 4 days)"}},
		{name: "OnEveryBoard", as: bob, line: "/ccb delegate <@USAM> until 2027-01-20", want: []string{"on every board"}},
		{name: "RefusesSelf", as: bob, line: "/ccb delegate <@UBOB> until fri", code: store.EInvalid, want: []string{"to yourself"}},
		{name: "RefusesPastDate", as: bob, line: "/ccb delegate <@USAM> until 2027-01-01", code: store.EInvalid, want: []string{"has passed"}},
		{name: "RefusesUnknownProduct", as: bob, line: "/ccb delegate <@USAM> until fri nosuch", code: store.ENotFound, want: []string{`there is no product "nosuch"`}},
		{name: "RefusesMissingUntil", as: bob, line: "/ccb delegate <@USAM> fri", code: store.EInvalid, want: []string{`expected "until"`}},
	},
}

// ccbSnapshot is everything a /ccb command could change.
type ccbSnapshot struct {
	Snapshot
	Boards      []store.Board
	CRs         []store.ChangeRequest
	Delegations []store.Delegation
}

func mustCCBSnapshot(tb testing.TB, st *store.Store) ccbSnapshot {
	tb.Helper()
	s := ccbSnapshot{Snapshot: MustSnapshot(tb, st)}
	err := st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		if s.Boards, err = tx.Boards(); err != nil {
			return err
		}
		if s.CRs, err = tx.ChangeRequests(); err != nil {
			return err
		}
		s.Delegations, err = tx.Delegations()
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestCCBCommands(t *testing.T) {
	for _, spec := range commands.Table() {
		if spec.Group != "ccb" || spec.Parse == nil {
			continue
		}
		t.Run(spec.Name, func(t *testing.T) {
			cases := ccbCases[spec.Name]
			var ok, failed int
			for _, c := range cases {
				if c.code == "" {
					ok++
				} else {
					failed++
				}
			}
			if ok == 0 || failed == 0 {
				t.Errorf("/ccb %s has %d working and %d failing cases; want some of each", spec.Name, ok, failed)
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					if checkParseError(t, c.line, c.code, c.want, &spec) {
						return
					}
					svc := MustService(t, root)
					MustCCB(t, svc)
					for _, l := range c.setup {
						who, line := root, l
						if u, rest, ok := strings.Cut(l, ": "); ok && !strings.HasPrefix(l, "/") {
							who, line = u, rest
						}
						MustDo(t, svc, who, line)
					}
					as := cmpOr(c.as, alice)
					before := mustCCBSnapshot(t, svc.Store)
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
						if diff := cmp.Diff(before, mustCCBSnapshot(t, svc.Store), cmpDates); diff != "" {
							t.Errorf("refused command changed the store (-before +after):\n%s", diff)
						}
						checkUsage(t, c.line, r, &spec)
					}
				})
			}
		})
	}
}

// mustCR reads CR-id.
func mustCR(tb testing.TB, st *store.Store, id int) *store.ChangeRequest {
	tb.Helper()
	var cr *store.ChangeRequest
	if err := st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		cr, err = tx.ChangeRequest(id)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return cr
}

func TestRequestPostsTheCardAndTellsDownstream(t *testing.T) {
	svc := MustService(t, root)
	MustCCB(t, svc)
	MustDo(t, svc, alice, "/release role mobile@5.0 release-manager <@USAM>")
	before := MustSnapshot(t, svc.Store)
	gen, _ := svc.Store.Generation(context.Background())
	MustDo(t, svc, root, "/ccb request auth@1.4.0 rotate the signing keys")
	msgs := MustNewMessages(t, svc, before)
	var got []string
	for _, m := range msgs {
		got = append(got, fmt.Sprintf("%s ref=%s dm=%v", m.Channel, m.Ref, m.DM))
	}
	// The card in auth's channel, then one DM per release manager
	// downstream: alice (payments@2.3.0), sam (mobile@5.0, through payments).
	want := []string{"CAUTH ref=cr:1 dm=false", "UALICE ref= dm=true", "USAM ref= dm=true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("queued messages (-want +got):\n%s", diff)
	}
	card := msgs[0].Doc
	for _, w := range []string{"CR-1: rotate the signing keys", "*auth@1.4.0*", "<@UROOT>", "default — majority, open ballot", "closes Thu 10:00 UTC, in 3 days", "0 approve", "1 of 1 still to vote: <@UERIN>"} {
		if !strings.Contains(card.Text, w) {
			t.Errorf("card lacks %q:\n%s", w, card.Text)
		}
	}
	wantButtons := []store.Button{
		{ActionID: "ccb.vote", Text: "Approve", Value: "1:approve", Style: "primary"},
		{ActionID: "ccb.vote", Text: "Reject", Value: "1:reject", Style: "danger"},
		{ActionID: "ccb.vote", Text: "Abstain", Value: "1:abstain"},
	}
	if diff := cmp.Diff(wantButtons, card.Buttons); diff != "" {
		t.Errorf("card buttons (-want +got):\n%s", diff)
	}
	if msgs[1].Quiet || msgs[2].Quiet {
		t.Errorf("downstream DMs are quiet; they must go at once")
	}
	for _, w := range []string{"<@UROOT> requested *CR-1* on *auth@1.4.0*", "*payments@2.3.0* needs *auth@1.4.0* by Fri 2027-01-15 — on track (7 days to spare)", "in <#CAUTH> (`/ccb show CR-1`)"} {
		if !strings.Contains(msgs[1].Doc.Text, w) {
			t.Errorf("DM to alice lacks %q:\n%s", w, msgs[1].Doc.Text)
		}
	}
	if w := "*mobile@5.0* needs *payments@2.3.0* by Fri 2027-01-29"; !strings.Contains(msgs[2].Doc.Text, w) {
		t.Errorf("DM to sam lacks %q:\n%s", w, msgs[2].Doc.Text)
	}
	if g, _ := svc.Store.Generation(context.Background()); g != gen {
		t.Errorf("raising a CR moved the generation %d → %d; CCB writes must not invalidate the graph", gen, g)
	}
	cr := mustCR(t, svc.Store, 1)
	if cr.Board != "" || cr.PolicySnapshot.Policy != store.Majority || cr.Deadline != epoch.Add(72*time.Hour) || cr.Thread != "cr:1" || cr.Channel != "CAUTH" {
		t.Errorf("CR-1 = board %q, policy %s, deadline %v, thread %q, channel %q", cr.Board, cr.PolicySnapshot.Policy, cr.Deadline, cr.Thread, cr.Channel)
	}
}

// TestBoardChangesDoNotReachOpenCRs: a CR keeps the board it was raised
// with.
func TestBoardChangesDoNotReachOpenCRs(t *testing.T) {
	svc := MustService(t, root)
	MustCCB(t, svc)
	MustDo(t, svc, alice, "/ccb request payments@2.3.0 one")
	MustDo(t, svc, root, "/ccb board payments members remove <@UDAVE>")
	MustDo(t, svc, root, "/ccb board payments policy first")
	cr := mustCR(t, svc.Store, 1)
	if diff := cmp.Diff([]string{bob, carol, dave}, cr.Members()); diff != "" || cr.PolicySnapshot.Policy != store.Majority {
		t.Errorf("CR-1 members (-want +got):\n%s\npolicy %s; want majority", diff, cr.PolicySnapshot.Policy)
	}
}

func TestAnonymousBallotShowsCountsOnly(t *testing.T) {
	svc := MustService(t, root)
	MustCCB(t, svc)
	MustDo(t, svc, root, "/ccb board payments policy unanimous anonymous")
	MustDo(t, svc, alice, "/ccb request payments@2.3.0 one")
	before := MustSnapshot(t, svc.Store)
	mustVote(t, svc, bob, "1:approve")
	card := MustNewMessages(t, svc, before)[0].Doc.Text
	if !strings.Contains(card, "1 approve · :x: 0 reject · 0 abstain — 2 of 3 still to vote") || !strings.Contains(card, "anonymous ballot") {
		t.Errorf("anonymous card lacks the counts:\n%s", card)
	}
	show := MustDo(t, svc, carol, "/ccb show CR-1").Doc.Text
	for _, text := range []string{card, show} {
		for _, who := range []string{bob, carol, dave} {
			if strings.Contains(text, who) {
				t.Errorf("anonymous ballot names %s:\n%s", who, text)
			}
		}
	}
}

func TestSettlingQueuesTheCardThreadAndDMs(t *testing.T) {
	tests := []struct {
		name, as, line string
		want           []string // each message: channel, what it edits or replies to, DM, buttons
	}{
		{name: "Override", as: root, line: "/ccb decide CR-1 reject because the freeze started",
			want: []string{"CPAY update=cr:1 thread= dm=false buttons=0", "CPAY update= thread=cr:1 dm=false buttons=0", "UALICE update= thread= dm=true buttons=0", "USAM update= thread= dm=true buttons=0"}},
		{name: "Withdrawal", as: alice, line: "/ccb withdraw CR-1",
			want: []string{"CPAY update=cr:1 thread= dm=false buttons=0", "CPAY update= thread=cr:1 dm=false buttons=0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := MustService(t, root)
			MustCCB(t, svc)
			MustDo(t, svc, alice, "/release role mobile@5.0 release-manager <@USAM>")
			MustDo(t, svc, alice, "/ccb request payments@2.3.0 one")
			before := MustSnapshot(t, svc.Store)
			r := MustDo(t, svc, tt.as, tt.line)
			msgs := MustNewMessages(t, svc, before)
			var got []string
			for _, m := range msgs {
				got = append(got, fmt.Sprintf("%s update=%s thread=%s dm=%v buttons=%d", m.Channel, m.UpdateOf, m.ThreadOf, m.DM, len(m.Doc.Buttons)))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("queued (-want +got):\n%s", diff)
			}
			if r.Queued != len(tt.want) {
				t.Errorf("Reply.Queued = %d; want %d", r.Queued, len(tt.want))
			}
			if tt.name == "Override" && !strings.Contains(msgs[1].Doc.Text, "*Rejected* by <@UROOT> (admin override), Mon 10:00 UTC: “the freeze started”") {
				t.Errorf("thread reply does not record the override:\n%s", msgs[1].Doc.Text)
			}
			if tt.name == "Withdrawal" && !strings.Contains(msgs[0].Doc.Text, "*Withdrawn* by <@UALICE>") {
				t.Errorf("card does not say it was withdrawn:\n%s", msgs[0].Doc.Text)
			}
		})
	}
}

func TestTitleFrom(t *testing.T) {
	long := strings.Repeat("word ", 40)
	tests := []struct{ name, text, want string }{
		{"TakesTheFirstLineAsPlainText", "Bump <@U1|ana>'s SDK &amp; <#C1|pay>\nmore", "Bump @ana's SDK & #pay"},
		{"SkipsBlankLines", "\n  \n  the   real   title  ", "the real title"},
		{"CutsALongLineAtAWord", long, strings.TrimSpace(strings.Repeat("word ", 29)) + "…"},
		{"EmptyForNoText", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := commands.TitleFrom(tt.text); got != tt.want {
				t.Errorf("TitleFrom(%q) = %q; want %q", tt.text, got, tt.want)
			}
		})
	}
}
