package commands_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/reminders"
	"relman/store"
)

// mustVote clicks value as user and fails tb unless the click is counted
// (or answered as a repeat).
func mustVote(tb testing.TB, svc *commands.Service, user, value string) commands.Reply {
	tb.Helper()
	r := svc.Vote(context.Background(), user, value)
	if !r.OK() {
		tb.Fatalf("Vote(%s, %q) failed with %s: %s", user, value, r.Code, r.Doc.Text)
	}
	return r
}

func TestVote(t *testing.T) {
	// Each case runs on a fresh payments board of bob, carol, dave
	// (majority) with CR-1 raised by alice; clicks run in order, the last
	// one is checked.
	tests := []struct {
		name   string
		setup  []string // commands as "USER: line"
		clicks [][2]string
		code   string
		want   string
		status store.CRStatus
		votes  map[string]store.Choice // members' current choices
	}{
		{name: "CountsAMember", clicks: [][2]string{{bob, "1:approve"}}, want: "Your vote: approve (CR-1).", status: store.CROpen, votes: map[string]store.Choice{bob: store.Approve}},
		{name: "RefusesANonMember", clicks: [][2]string{{alice, "1:approve"}}, code: store.EForbidden, want: "Only members of the payments board (or their delegates) can vote on CR-1", status: store.CROpen, votes: map[string]store.Choice{}},
		{name: "RepeatChangesNothing", clicks: [][2]string{{bob, "1:reject"}, {bob, "1:reject"}}, want: "Your vote on CR-1 is already reject — nothing changed.", status: store.CROpen, votes: map[string]store.Choice{bob: store.Reject}},
		{name: "ChangesAVote", clicks: [][2]string{{bob, "1:reject"}, {bob, "1:abstain"}}, want: "Your vote: abstain (CR-1).", status: store.CROpen, votes: map[string]store.Choice{bob: store.Abstain}},
		{name: "DecidesOnTheMajority", clicks: [][2]string{{bob, "1:approve"}, {carol, "1:approve"}}, want: "Your vote: approve (CR-1). That decided it: CR-1 is approved.", status: store.CRApproved, votes: map[string]store.Choice{bob: store.Approve, carol: store.Approve}},
		{name: "CountsAnActiveDelegate", setup: []string{"UDAVE: /ccb delegate <@USAM> until fri payments"}, clicks: [][2]string{{sam, "1:reject"}}, want: "Your vote: reject, for <@UDAVE> (CR-1).", status: store.CROpen, votes: map[string]store.Choice{dave: store.Reject}},
		{name: "CountsAMemberAndTheirDelegator", setup: []string{"UDAVE: /ccb delegate <@UBOB> until fri"}, clicks: [][2]string{{bob, "1:approve"}}, want: "Your vote: approve, also for <@UDAVE> (CR-1). That decided it: CR-1 is approved.", status: store.CRApproved, votes: map[string]store.Choice{bob: store.Approve, dave: store.Approve}},
		{name: "RefusesADelegateOfAnotherProduct", setup: []string{"UDAVE: /ccb delegate <@USAM> until fri auth"}, clicks: [][2]string{{sam, "1:reject"}}, code: store.EForbidden, want: "Only members", status: store.CROpen, votes: map[string]store.Choice{}},
		{name: "RefusesADecidedCR", setup: []string{"UROOT: /ccb decide CR-1 reject because no"}, clicks: [][2]string{{bob, "1:approve"}}, code: store.EConflict, want: "CR-1 is already rejected; votes are closed", status: store.CRRejected, votes: map[string]store.Choice{}},
		{name: "RefusesAWithdrawnCR", setup: []string{"UALICE: /ccb withdraw CR-1"}, clicks: [][2]string{{bob, "1:approve"}}, code: store.EConflict, want: "CR-1 is already withdrawn", status: store.CRWithdrawn, votes: map[string]store.Choice{}},
		{name: "RefusesAnUnknownCR", clicks: [][2]string{{bob, "9:approve"}}, code: store.ENotFound, want: "There is no CR-9", status: store.CROpen, votes: map[string]store.Choice{}},
	}
	for _, forged := range []string{"", "1", "1:", ":approve", "1:APPROVE", "1:maybe", "01:approve", "-1:approve", "+1:approve", "1:approve:x", "1 :approve", "0:approve", "99999999999:approve", `{"cr":1}`, "1:approve\x00"} {
		tests = append(tests, struct {
			name   string
			setup  []string
			clicks [][2]string
			code   string
			want   string
			status store.CRStatus
			votes  map[string]store.Choice
		}{name: fmt.Sprintf("RefusesForgedValue%q", forged), clicks: [][2]string{{bob, forged}}, code: store.EInvalid, want: "That button is not one relman made, so nothing was recorded", status: store.CROpen, votes: map[string]store.Choice{}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := MustService(t, root)
			MustCCB(t, svc)
			MustDo(t, svc, alice, "/ccb request payments@2.3.0 switch the card processor")
			for _, l := range tt.setup {
				u, line, _ := strings.Cut(l, ": ")
				MustDo(t, svc, u, line)
			}
			var r commands.Reply
			var before ccbSnapshot
			for i, c := range tt.clicks {
				before = mustCCBSnapshot(t, svc.Store)
				r = svc.Vote(context.Background(), c[0], c[1])
				if i < len(tt.clicks)-1 && !r.OK() {
					t.Fatalf("click %d (%s %q) failed: %s", i, c[0], c[1], r.Doc.Text)
				}
			}
			if r.Code != tt.code {
				t.Fatalf("Vote().Code = %q; want %q\n%s", r.Code, tt.code, r.Doc.Text)
			}
			if !strings.Contains(r.Doc.Text, tt.want) {
				t.Errorf("Vote() reply = %q; want it to contain %q", r.Doc.Text, tt.want)
			}
			if tt.code != "" || strings.Contains(tt.want, "nothing changed") {
				if diff := cmp.Diff(before, mustCCBSnapshot(t, svc.Store), cmpDates); diff != "" {
					t.Errorf("a click that was not counted changed the store (-before +after):\n%s", diff)
				}
			}
			cr := mustCR(t, svc.Store, 1)
			if cr.Status != tt.status {
				t.Errorf("CR-1 status = %s; want %s", cr.Status, tt.status)
			}
			if diff := cmp.Diff(tt.votes, cr.Ballots()); diff != "" {
				t.Errorf("CR-1 ballots (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVoteRefusesAnEndedDelegation(t *testing.T) {
	svc := MustService(t, root)
	MustCCB(t, svc)
	MustDo(t, svc, dave, "/ccb delegate <@USAM> until today")
	svc.Clock.(*store.FakeClock).Advance(24 * time.Hour) // Tuesday: the delegation ended Monday
	MustDo(t, svc, alice, "/ccb request payments@2.3.0 one")
	before := mustCCBSnapshot(t, svc.Store)
	r := svc.Vote(context.Background(), sam, "1:approve")
	if r.Code != store.EForbidden || !strings.Contains(r.Doc.Text, "Your delegation from <@UDAVE> ended on Mon 2027-01-04") {
		t.Errorf("Vote(sam) = %s %q; want forbidden, the delegation ended", r.Code, r.Doc.Text)
	}
	if diff := cmp.Diff(before, mustCCBSnapshot(t, svc.Store), cmpDates); diff != "" {
		t.Errorf("store changed (-before +after):\n%s", diff)
	}
}

func TestVoteEditsTheCardAndRecordsHistory(t *testing.T) {
	svc := MustService(t, root)
	MustCCB(t, svc)
	MustDo(t, svc, alice, "/release role mobile@5.0 release-manager <@USAM>")
	MustDo(t, svc, alice, "/ccb request payments@2.3.0 switch the card processor")
	gen, _ := svc.Store.Generation(context.Background())
	clock := svc.Clock.(*store.FakeClock)

	before := MustSnapshot(t, svc.Store)
	r := mustVote(t, svc, bob, "1:reject")
	msgs := MustNewMessages(t, svc, before)
	if len(msgs) != 1 || r.Queued != 1 || msgs[0].UpdateOf != "cr:1" || msgs[0].Channel != "CPAY" {
		t.Fatalf("after a vote, queued %+v (Queued %d); want one edit of cr:1 in CPAY", msgs, r.Queued)
	}
	for _, w := range []string{"0 approve · :x: 1 reject", "2 of 3 still to vote: <@UCAROL>, <@UDAVE>", ":x: Reject: <@UBOB>"} {
		if !strings.Contains(msgs[0].Doc.Text, w) {
			t.Errorf("edited card lacks %q:\n%s", w, msgs[0].Doc.Text)
		}
	}
	if len(msgs[0].Doc.Buttons) != 3 {
		t.Errorf("edited card of an open CR has %d buttons; want 3", len(msgs[0].Doc.Buttons))
	}

	clock.Advance(time.Minute)
	mustVote(t, svc, bob, "1:approve")
	clock.Advance(time.Minute)
	before = MustSnapshot(t, svc.Store)
	r = mustVote(t, svc, carol, "1:approve")
	if !strings.Contains(r.Doc.Text, "That decided it: CR-1 is approved.") {
		t.Errorf("deciding vote reply = %q", r.Doc.Text)
	}
	msgs = MustNewMessages(t, svc, before)
	var got []string
	for _, m := range msgs {
		got = append(got, fmt.Sprintf("%s update=%s thread=%s dm=%v buttons=%d", m.Channel, m.UpdateOf, m.ThreadOf, m.DM, len(m.Doc.Buttons)))
	}
	want := []string{
		"CPAY update=cr:1 thread= dm=false buttons=0", // the card, without buttons
		"CPAY update= thread=cr:1 dm=false buttons=0", // the decision in the thread
		"UALICE update= thread= dm=true buttons=0",    // the requester
		"USAM update= thread= dm=true buttons=0",      // mobile@5.0's release manager, downstream
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("messages of the decision (-want +got):\n%s", diff)
	}
	if w := ":white_check_mark: *Approved* by the votes (majority), Mon 10:02 UTC"; !strings.Contains(msgs[1].Doc.Text, w) {
		t.Errorf("thread reply lacks %q:\n%s", w, msgs[1].Doc.Text)
	}
	cr := mustCR(t, svc.Store, 1)
	wantHistory := []store.Ballot{
		{Voter: bob, Choice: store.Reject, At: epoch},
		{Voter: bob, Choice: store.Approve, At: epoch.Add(time.Minute)},
		{Voter: carol, Choice: store.Approve, At: epoch.Add(2 * time.Minute)},
	}
	if diff := cmp.Diff(wantHistory, cr.History); diff != "" {
		t.Errorf("CR-1 history (-want +got):\n%s", diff)
	}
	if cr.Decision == nil || *cr.Decision != (store.Decision{Outcome: store.Approve, By: store.ByPolicy, At: epoch.Add(2 * time.Minute)}) {
		t.Errorf("CR-1 decision = %+v; want approved by policy at 10:02", cr.Decision)
	}
	// The audit log holds the whole ballot with every change of vote.
	err := svc.Store.View(context.Background(), func(tx *store.Tx) error {
		log, err := tx.AuditLog(0, 0)
		if err != nil {
			return err
		}
		last := log[len(log)-1]
		if last.Action != "ccb.decided" || last.Subject != "CR-1" || !strings.Contains(string(last.After), `"history":[{"voter":"UBOB","choice":"reject"`) {
			t.Errorf("last audit entry = %s %s %s; want ccb.decided of CR-1 with its history", last.Action, last.Subject, last.After)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := svc.Store.Generation(context.Background()); g != gen {
		t.Errorf("votes moved the generation %d → %d", gen, g)
	}
}

// TestVoteDecidesExactlyOnceUnderConcurrentVoters: every member of a
// large board clicks at the same moment; every vote is counted and the CR
// is decided once, by one of them.
func TestVoteDecidesExactlyOnceUnderConcurrentVoters(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	const n = 50
	var members []string
	for i := range n {
		members = append(members, fmt.Sprintf("<@UM%02d>", i))
	}
	MustDo(t, svc, root, "/ccb board payments members add "+strings.Join(members, " "))
	MustDo(t, svc, root, "/ccb board payments policy unanimous")
	MustDo(t, svc, alice, "/ccb request payments@2.3.0 everyone must agree")
	before := MustSnapshot(t, svc.Store)
	var wg sync.WaitGroup
	replies := make([]commands.Reply, n)
	for i := range n {
		wg.Go(func() {
			replies[i] = svc.Vote(context.Background(), fmt.Sprintf("UM%02d", i), "1:approve")
		})
	}
	wg.Wait()
	decided := 0
	for i, r := range replies {
		if !r.OK() {
			t.Errorf("vote %d refused: %s", i, r.Doc.Text)
		}
		if strings.Contains(r.Doc.Text, "That decided it") {
			decided++
		}
	}
	cr := mustCR(t, svc.Store, 1)
	if decided != 1 || cr.Status != store.CRApproved || len(cr.Votes) != n || len(cr.History) != n {
		t.Errorf("%d replies decided it; CR-1 %s with %d votes, %d in history; want 1, approved, %d, %d", decided, cr.Status, len(cr.Votes), len(cr.History), n, n)
	}
	threads := 0
	var last store.Message
	for _, m := range MustNewMessages(t, svc, before) {
		if m.ThreadOf == "cr:1" {
			threads++
		}
		if m.UpdateOf == "cr:1" {
			last = m
		}
	}
	if threads != 1 {
		t.Errorf("%d decision replies in the thread; want 1", threads)
	}
	if !strings.Contains(last.Doc.Text, fmt.Sprintf("%d approve", n)) || len(last.Doc.Buttons) != 0 {
		t.Errorf("last edit of the card does not show %d approvals without buttons:\n%s", n, last.Doc.Text)
	}
}

// TestCRDeadlinesDecidesOnce: the sweep's check applies the board's
// default to an undecided CR past its deadline, once.
func TestCRDeadlinesDecidesOnce(t *testing.T) {
	svc := MustService(t, root)
	MustCCB(t, svc)
	MustDo(t, svc, root, "/ccb board payments policy majority default approve")
	MustDo(t, svc, alice, "/ccb request payments@2.3.0 one")
	MustDo(t, svc, alice, "/ccb request payments@2.3.0 two deadline +100h")
	mustVote(t, svc, bob, "1:approve")
	clock := svc.Clock.(*store.FakeClock)
	sweep := func() int {
		t.Helper()
		total := 0
		err := svc.Store.Update(context.Background(), "relman", clock.Now(), func(tx *store.Tx) error {
			g, err := tx.Graph()
			if err != nil {
				return err
			}
			alerts, err := reminders.CRDeadlines(tx, g, clock.Now(), time.UTC, reminders.Everything())
			if err != nil {
				return err
			}
			for _, a := range alerts {
				n, err := reminders.QueueAlert(tx, a)
				if err != nil {
					return err
				}
				total += n
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return total
	}
	clock.Advance(71 * time.Hour)
	if n := sweep(); n != 0 {
		t.Errorf("sweep before the deadline queued %d messages", n)
	}
	if r := svc.Vote(context.Background(), carol, "1:reject"); !r.OK() {
		t.Fatalf("vote an hour before the deadline refused: %s", r.Doc.Text)
	}
	clock.Advance(time.Hour)
	if r := svc.Vote(context.Background(), dave, "1:reject"); r.Code != store.EConflict || !strings.Contains(r.Doc.Text, "closed") {
		t.Errorf("vote at the deadline = %s %q; want a refusal, voting closed", r.Code, r.Doc.Text)
	}
	if n := sweep(); n != 3 { // card edit, thread reply, requester
		t.Errorf("sweep at the deadline queued %d messages; want 3", n)
	}
	if n := sweep(); n != 0 {
		t.Errorf("second sweep queued %d messages; want 0", n)
	}
	cr := mustCR(t, svc.Store, 1)
	if cr.Status != store.CRApproved || cr.Decision.By != store.ByDeadline {
		t.Errorf("CR-1 = %s by %s; want approved by the deadline (the default)", cr.Status, cr.Decision.By)
	}
	if cr2 := mustCR(t, svc.Store, 2); !cr2.Open() {
		t.Errorf("CR-2, due later, is %s; want open", cr2.Status)
	}
}

// fakeGroups is a Slack workspace's user groups, which can change.
type fakeGroups struct {
	mu      sync.Mutex
	members map[string][]string
	calls   int
}

func (g *fakeGroups) GroupMembers(_ context.Context, id string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	if ms, ok := g.members[id]; ok {
		return append([]string(nil), ms...), nil
	}
	return nil, fmt.Errorf("usergroups.users.list: no_such_subteam")
}

func (g *fakeGroups) set(id string, ms ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members[id] = ms
}

func TestVoteResolvesUserGroups(t *testing.T) {
	t.Run("WithoutGroupsAGroupIsNobody", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDo(t, svc, root, "/ccb board payments members add <!subteam^SCCB|@ccb>")
		MustFail(t, svc, alice, "/ccb request payments@2.3.0 one", store.EConflict)
	})
	t.Run("AGroupThatChanges", func(t *testing.T) {
		svc := MustService(t, root)
		groups := &fakeGroups{members: map[string][]string{"SCCB": {bob, carol, dave}}}
		svc.Groups = groups
		MustFixture(t, svc)
		MustDo(t, svc, root, "/ccb board payments members add <!subteam^SCCB|@ccb>")
		MustFail(t, svc, root, "/ccb board payments policy quorum 4", store.EInvalid) // the group has 3
		MustDo(t, svc, root, "/ccb board payments policy unanimous")
		MustDo(t, svc, alice, "/ccb request payments@2.3.0 one")
		if diff := cmp.Diff([]string{bob, carol, dave}, mustCR(t, svc.Store, 1).Members()); diff != "" {
			t.Errorf("members when raised (-want +got):\n%s", diff)
		}
		mustVote(t, svc, bob, "1:approve")
		// dave leaves the group and erin joins: dave's click is refused,
		// erin's counts, and the CR is decided by bob, carol and erin.
		groups.set("SCCB", bob, carol, erin)
		if r := svc.Vote(context.Background(), dave, "1:reject"); r.Code != store.EForbidden {
			t.Errorf("Vote(dave, who left the group) = %s %q; want forbidden", r.Code, r.Doc.Text)
		}
		mustVote(t, svc, erin, "1:approve")
		r := mustVote(t, svc, carol, "1:approve")
		cr := mustCR(t, svc.Store, 1)
		if cr.Status != store.CRApproved || !strings.Contains(r.Doc.Text, "That decided it") {
			t.Errorf("CR-1 = %s (%q); want approved by bob, carol and erin", cr.Status, r.Doc.Text)
		}
		if diff := cmp.Diff([]string{bob, carol, erin}, cr.Members()); diff != "" {
			t.Errorf("CR-1 members (-want +got):\n%s", diff)
		}
	})
	t.Run("AFailingLookupKeepsTheMembersLastResolved", func(t *testing.T) {
		svc := MustService(t, root)
		groups := &fakeGroups{members: map[string][]string{"SCCB": {bob, carol}}}
		svc.Groups = groups
		MustFixture(t, svc)
		MustDo(t, svc, root, "/ccb board payments members add <!subteam^SCCB|@ccb>")
		MustDo(t, svc, alice, "/ccb request payments@2.3.0 one")
		groups.mu.Lock()
		delete(groups.members, "SCCB")
		groups.mu.Unlock()
		mustVote(t, svc, bob, "1:approve")
		if r := svc.Vote(context.Background(), erin, "1:approve"); r.Code != store.EForbidden {
			t.Errorf("Vote(erin) = %s; want forbidden", r.Code)
		}
	})
}

// cachedGroups is a Groups whose cached members lag Slack's until IsMember
// asks again, as bot.Groups does.
type cachedGroups struct {
	mu           sync.Mutex
	cache, slack map[string][]string
	asked        int
}

func (g *cachedGroups) GroupMembers(_ context.Context, id string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cache[id], nil
}

func (g *cachedGroups) IsMember(_ context.Context, id, user string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked++
	g.cache[id] = g.slack[id]
	for _, u := range g.cache[id] {
		if u == user {
			return true, nil
		}
	}
	return false, nil
}

func TestVoteAsksAgainForAVoterMissingFromTheGroup(t *testing.T) {
	svc := MustService(t, root)
	groups := &cachedGroups{cache: map[string][]string{"SCCB": {erin}}, slack: map[string][]string{"SCCB": {erin}}}
	svc.Groups = groups
	MustCCB(t, svc)
	MustDo(t, svc, root, "/ccb board payments members add <!subteam^SCCB|@ccb>")
	MustDo(t, svc, alice, "/ccb request payments@2.3.0 one")

	// sam joins the group in Slack; the cache does not know yet.
	groups.mu.Lock()
	groups.slack["SCCB"] = []string{erin, sam}
	groups.mu.Unlock()
	if r := svc.Vote(context.Background(), sam, "1:approve"); !r.OK() {
		t.Fatalf("Vote(sam, just added to the group) = %s %q; want counted", r.Code, r.Doc.Text)
	}
	if got := mustCR(t, svc.Store, 1).Votes[sam].Choice; got != store.Approve {
		t.Errorf("sam's vote = %q; want approve", got)
	}
	// A member in the cache costs no second look.
	asked := groups.asked
	mustVote(t, svc, erin, "1:reject")
	if groups.asked != asked {
		t.Errorf("IsMember asked %d times for a cached member; want 0", groups.asked-asked)
	}
	// Someone in no group is still refused.
	if r := svc.Vote(context.Background(), alice, "1:approve"); r.Code != store.EForbidden {
		t.Errorf("Vote(alice, in no group) = %s; want %s", r.Code, store.EForbidden)
	}
}
