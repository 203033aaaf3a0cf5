package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/store"
)

// The agenda rows of commandCases.
func init() {
	commandCases["agenda"] = append(commandCases["agenda"],
		commandCase{name: "PostsTheAgendaHere", line: "/release agenda", want: []string{":white_check_mark: Posted the agenda for every product in <#CREL>."}},
		commandCase{name: "PostsTheAgendaOfSomeProducts", line: "/release agenda payments mobile", want: []string{"Posted the agenda for mobile and payments in <#CREL>."}},
		commandCase{name: "RejectsAnUnknownProduct", line: "/release agenda paymnts", code: store.EInvalid, want: []string{`there is no product "paymnts"`}},
		commandCase{name: "RejectsAChannel", line: "/release agenda <#CPAY|payments-releases>", code: store.EInvalid, want: []string{"expected product names after agenda", "the agenda is posted here"}},
	)
}

// MustAgenda runs /release agenda with args as user in channel and
// returns the text of the agenda it posted there.
func MustAgenda(tb testing.TB, svc *commands.Service, user, channel, args string) string {
	tb.Helper()
	before := MustSnapshot(tb, svc.Store)
	req := request(user, strings.TrimSpace("/release agenda "+args))
	req.Channel = channel
	r := svc.Execute(context.Background(), req)
	if !r.OK() {
		tb.Fatalf("agenda %s failed with %s:\n%s", args, r.Code, r.Doc.Text)
	}
	msgs := MustNewMessages(tb, svc, before)
	if len(msgs) != 1 || msgs[0].Channel != channel || msgs[0].DM {
		tb.Fatalf("agenda %s queued %d messages; want one post in %s: %+v", args, len(msgs), channel, msgs)
	}
	return msgs[0].Doc.Text
}

func TestAgenda(t *testing.T) {
	day := 24 * time.Hour
	type step struct {
		at      time.Duration // after epoch
		lines   []string      // run by alice
		crs     []store.ChangeRequest
		channel string // an agenda here (CREL when empty) …
		args    string // … of these products
		want    []string
		absent  []string
	}
	const (
		header    = "*Release meeting agenda · payments · Mon 2027-01-04*"
		moveAuth  = "• *auth@1.4.0* moved by <@UALICE> from Fri 2027-01-08 to Wed 2027-01-20 (12 days later) on Mon 2027-01-04: “HSM firmware”"
		risk      = "*:warning: At risk*\n• *payments@2.3.0* — Fri 2027-01-15 (in 11 days) · <@UALICE>: *auth@1.4.0* slipped 5 days past its needed-by Fri 2027-01-15 (moved by <@UALICE> on Mon 2027-01-04: “HSM firmware”)"
		due       = "*:calendar: Due in the next 2 weeks (to Mon 2027-01-18)*\n:calendar: *payments@2.3.0* — Fri 2027-01-15 (in 11 days) · <@UALICE>"
		votesHead = "*:ballot_box_with_ballot: Votes closing before the next meeting (by Mon 2027-01-11 10:00 UTC)*"
	)
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{name: "EveryPartInOrder", steps: []step{{
			lines: []string{"/release move auth@1.4.0 2027-01-20 because HSM firmware"},
			crs:   []store.ChangeRequest{{Votes: voted(alice, store.Approve)}},
			args:  "auth payments",
			want: []string{"*Release meeting agenda · auth and payments · Mon 2027-01-04*",
				"*:arrow_right: Moved since a week ago*\n" + moveAuth, risk,
				votesHead + "\n• *CR-1* “Swap the PSP” for *payments@2.3.0* — closes Thu 10:00 UTC, in 3 days — 1 of 2 still to vote: <@USAM>",
				"*:calendar: Due in the next 2 weeks (to Mon 2027-01-18)*\n:warning: *payments@2.3.0* — Fri 2027-01-15 (in 11 days) · <@UALICE> · *at risk*\n",
				"Moves are listed since the last agenda for auth and payments posted here; `/release agenda auth payments` posts the next one."},
			absent: []string{"External items", "mobile@5.0", "*auth@1.4.0* — Wed 2027-01-20"},
		}}},
		{name: "LeavesOutEmptyParts", steps: []step{{args: "payments",
			want:   []string{header + "\n" + due},
			absent: []string{"Moved since", "At risk", "Votes closing", "External items"},
		}}},
		{name: "MovesSinceTheLastAgendaOfTheSameProductsHere", steps: []step{
			{lines: []string{"/release move auth@1.4.0 2027-01-20 because HSM firmware"}, args: "auth", want: []string{moveAuth}},
			{at: 2 * day, lines: []string{"/release move auth@1.4.0 2027-01-13 because firmware early"}, args: "auth",
				want:   []string{"*:arrow_right: Moved since the last agenda (Mon 2027-01-04)*\n• *auth@1.4.0* moved by <@UALICE> from Wed 2027-01-20 to Wed 2027-01-13 (7 days earlier) on Wed 2027-01-06: “firmware early”"},
				absent: []string{"HSM firmware"}},
			{at: 2 * day, channel: "COTHER", args: "auth", want: []string{"Moved since a week ago", "HSM firmware", "firmware early"}},
			{at: 2 * day, args: "", want: []string{"Moved since a week ago", "HSM firmware", "firmware early"}},
			{at: 3 * day, args: "auth", want: []string{"*Release meeting agenda · auth · Thu 2027-01-07*"}, absent: []string{"Moved since"}},
		}},
		{name: "NotAMoveOfAnotherProduct", steps: []step{{lines: []string{"/release move auth@1.4.0 2027-01-20 because HSM firmware"}, args: "mobile",
			absent: []string{"Moved since", "• *auth@1.4.0* moved"}}}},
		{name: "OnlyVotesClosingBeforeTheNextMeeting", steps: []step{{args: "payments",
			crs: []store.ChangeRequest{{Title: "soon"}, {Title: "later", Deadline: epoch.Add(8 * day)}, {Title: "decided", Status: store.CRApproved},
				{Title: "mobile's", Release: store.Ref{Product: "mobile", Version: "5.0"}}},
			want:   []string{votesHead + "\n• *CR-1* “soon”"},
			absent: []string{"later", "decided", "mobile's"}}}},
		{name: "OnlyCountsOnAnAnonymousBoard", steps: []step{{args: "payments",
			crs:    []store.ChangeRequest{{PolicySnapshot: store.Board{Anonymous: true}}},
			want:   []string{"— 2 of 2 still to vote\n"},
			absent: []string{"<@USAM>"}}}},
		{name: "ExternalItemsAwaitingConfirmation", steps: []step{{at: 15 * day, args: "mobile",
			want: []string{"*:hourglass: External items awaiting confirmation*\n:warning: external “Stripe SDK” — due Wed 2027-01-20 (tomorrow) · <@USAM> · *not confirmed for 15 days* · needed by 1 release"}}}},
		{name: "OneLineWhenEverythingIsEmpty", steps: []step{{at: 40 * day, args: "auth", lines: []string{"/release ship auth@1.4.0"},
			want: []string{":zzz: Nothing for the release meeting of auth, Sat 2027-02-13: no move since a week ago, nothing at risk, no request awaiting an answer, no vote closing in the next 7 days, nothing due in the next 2 weeks and no external item awaiting confirmation."}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := MustService(t)
			MustFixture(t, svc)
			for _, s := range tc.steps {
				svc.Clock.(*store.FakeClock).Set(epoch.Add(s.at))
				MustDoAll(t, svc, alice, s.lines...)
				for _, cr := range s.crs {
					if cr.Status != store.CROpen && cr.Status != "" {
						cr.Decision = &store.Decision{Outcome: store.Approve, By: store.ByPolicy, At: epoch}
					}
					MustRaise(t, svc, cr)
				}
				channel := s.channel
				if channel == "" {
					channel = defaultChannel
				}
				text := MustAgenda(t, svc, bob, channel, s.args)
				at := 0
				for _, w := range s.want {
					i := strings.Index(text[at:], w)
					if i < 0 {
						t.Fatalf("agenda %q lacks %q after position %d:\n%s", s.args, w, at, text)
					}
					at += i + len(w)
				}
				for _, a := range s.absent {
					if strings.Contains(text, a) {
						t.Errorf("agenda %q has %q:\n%s", s.args, a, text)
					}
				}
			}
		})
	}
}

// TestLastAgenda: an agenda is recorded per channel and set of products;
// the order the products are named in does not matter.
func TestLastAgenda(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	MustAgenda(t, svc, bob, "CREL", "payments auth")
	svc.Clock.(*store.FakeClock).Set(epoch.Add(time.Hour))
	MustAgenda(t, svc, bob, "CREL", "auth")
	var got []time.Time
	err := svc.Store.View(context.Background(), func(tx *store.Tx) error {
		got = []time.Time{
			tx.LastAgenda("CREL", []string{"auth", "payments"}),
			tx.LastAgenda("CREL", []string{"payments", "auth"}),
			tx.LastAgenda("CREL", []string{"auth"}),
			tx.LastAgenda("CREL", nil),
			tx.LastAgenda("COTHER", []string{"auth"}),
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{epoch, epoch, epoch.Add(time.Hour), {}, {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LastAgenda (-want +got):\n%s", diff)
	}
}
